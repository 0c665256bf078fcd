"""Kazakhstan's working-day calendar, loaded from ``data/kz_calendar.yaml``.

The calendar is data: public holidays, the Labour Code art. 85 rule that a holiday falling on a
weekend gives a day off on the next working day (religious holidays excepted), the movable
Kurban Ait, and the yearly day transfers. It describes the five-day week (Saturday and Sunday
off), which is what Government services such as the e-government document acceptance count.

Only the years listed in the data file are known. Asking about any other date raises
:class:`DateOutOfRangeError`; the calendar never guesses.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

__all__ = [
    "DEFAULT_PATH",
    "Calendar",
    "CalendarDataError",
    "DateOutOfRangeError",
    "DayOff",
]

DEFAULT_PATH = Path(__file__).with_name("data") / "kz_calendar.yaml"

_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}


class CalendarDataError(ValueError):
    """The calendar file is malformed; the message names the offending entry."""


class DateOutOfRangeError(ValueError):
    """A date outside the years the calendar covers was asked about."""


@dataclass(frozen=True, slots=True)
class DayOff:
    """Why a weekday is not a working day.

    ``kind`` is ``"holiday"`` (the holiday itself), ``"moved"`` (a day off given because the
    holiday ``key`` fell on a weekend) or ``"transfer"`` (a rest day moved by a transfer act).
    """

    day: date
    kind: str
    key: str
    source: str
    verify: bool


def _require_source(entry: Mapping[str, Any], where: str) -> str:
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalendarDataError(f"{where}: missing source")
    return source


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise CalendarDataError(f"{where}: {value!r} is not a date (write YYYY-MM-DD)")
    return value


def _month_day(value: Any, year: int, where: str) -> date:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        return date(year, month, day)
    except ValueError as exc:
        raise CalendarDataError(f"{where}: {value!r} is not a MM-DD day") from exc


class Calendar:
    """A working-day calendar for a contiguous range of covered years.

    Build it with :meth:`load`. Instances are immutable and safe to share between threads.
    """

    def __init__(
        self,
        *,
        first_year: int,
        last_year: int,
        weekend: frozenset[int],
        timezone: ZoneInfo,
        days_off: Mapping[date, DayOff],
        work_days: Mapping[date, DayOff],
    ) -> None:
        self.first_year = first_year
        self.last_year = last_year
        self.weekend = weekend
        self.timezone = timezone
        self._days_off = dict(days_off)
        self._work_days = dict(work_days)

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Calendar:
        """Load and validate a calendar file; ``None`` loads the bundled file (cached)."""
        if path is None:
            return _default_calendar()
        return cls._from_file(Path(path))

    @classmethod
    def _from_file(cls, path: Path) -> Calendar:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        if not isinstance(raw, dict):
            raise CalendarDataError(f"{path}: expected a mapping at the top level")
        return cls.from_mapping(raw)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Calendar:
        """Build a calendar from parsed data (the structure of ``kz_calendar.yaml``)."""
        tz = ZoneInfo(str(raw.get("timezone", "Asia/Almaty")))
        try:
            weekend = frozenset(_WEEKDAYS[str(d).lower()] for d in raw.get("weekend", []))
        except KeyError as exc:
            raise CalendarDataError(f"weekend: unknown day {exc.args[0]!r}") from exc
        if not weekend:
            raise CalendarDataError("weekend: no weekend days given")
        rule = raw.get("weekend_rule")
        if not isinstance(rule, Mapping):
            raise CalendarDataError("weekend_rule: missing")
        rule_source = _require_source(rule, "weekend_rule")

        years_raw = raw.get("years")
        if not isinstance(years_raw, Mapping) or not years_raw:
            raise CalendarDataError("years: no covered years")
        years = sorted(int(y) for y in years_raw)
        if years != list(range(years[0], years[-1] + 1)):
            raise CalendarDataError(f"years: covered years must be contiguous, got {years}")
        first, last = years[0], years[-1]

        holidays: dict[date, DayOff] = {}
        religious: set[date] = set()

        def add_holiday(day: date, key: str, source: str, verify: bool, is_religious: bool) -> None:
            if day in holidays:
                other = holidays[day].key
                raise CalendarDataError(f"{key}: duplicate date {day.isoformat()} (also {other})")
            holidays[day] = DayOff(day, "holiday", key, source, verify)
            if is_religious:
                religious.add(day)

        for index, entry in enumerate(raw.get("holidays") or []):
            key = str(entry.get("key") or f"holidays[{index}]")
            where = f"holidays: {key}"
            source = _require_source(entry, where)
            since = int(entry.get("from", first))
            until = int(entry.get("until", last))
            days = entry.get("days")
            if not isinstance(days, list) or not days:
                raise CalendarDataError(f"{where}: no days")
            if len(set(map(str, days))) != len(days):
                raise CalendarDataError(f"{where}: duplicate date in days")
            for year in range(max(since, first), min(until, last) + 1):
                for md in days:
                    add_holiday(
                        _month_day(md, year, where),
                        key,
                        source,
                        bool(entry.get("verify", False)),
                        bool(entry.get("religious", False)),
                    )

        transfers: list[tuple[date, date, str, bool, str]] = []
        for year in years:
            block = years_raw[year] or {}
            where_year = f"years: {year}"
            _require_source(block, where_year)
            year_verify = bool(block.get("verify", False))
            for index, entry in enumerate(block.get("movable") or []):
                key = str(entry.get("key") or f"movable[{index}]")
                where = f"{where_year}: {key}"
                source = _require_source(entry, where)
                day = _as_date(entry.get("date"), where)
                if day.year != year:
                    raise CalendarDataError(f"{where}: {day.isoformat()} is not in {year}")
                add_holiday(
                    day,
                    key,
                    source,
                    bool(entry.get("verify", False)) or year_verify,
                    bool(entry.get("religious", False)),
                )
            for index, entry in enumerate(block.get("transfers") or []):
                where = f"{where_year}: transfers[{index}]"
                source = _require_source(entry, where)
                work = _as_date(entry.get("work_day"), f"{where}: work_day")
                rest = _as_date(entry.get("rest_day"), f"{where}: rest_day")
                name = f"{where} ({work.isoformat()} -> {rest.isoformat()})"
                if work.year != year or rest.year != year:
                    raise CalendarDataError(f"{name}: both days must be in {year}")
                if work.weekday() not in weekend:
                    raise CalendarDataError(f"{name}: work day {work.isoformat()} is not a weekend")
                if rest.weekday() in weekend:
                    raise CalendarDataError(f"{name}: rest day {rest.isoformat()} is a weekend")
                transfers.append(
                    (work, rest, source, bool(entry.get("verify", False)) or year_verify, name)
                )

        # Labour Code art. 85: a (non-religious) holiday on a weekend gives the next working
        # day off. Process in date order so consecutive holidays (Nauryz) stack correctly.
        days_off: dict[date, DayOff] = {
            d: off for d, off in holidays.items() if d.weekday() not in weekend
        }
        for day in sorted(holidays):
            if day.weekday() not in weekend or day in religious:
                continue
            moved = day + timedelta(days=1)
            while moved.weekday() in weekend or moved in holidays or moved in days_off:
                moved += timedelta(days=1)
            off = holidays[day]
            days_off[moved] = DayOff(moved, "moved", off.key, rule_source, off.verify)

        work_days: dict[date, DayOff] = {}
        for work, rest, source, verify, name in transfers:
            if work in work_days or rest in days_off or work in holidays:
                clash = rest if rest in days_off else work
                raise CalendarDataError(f"{name}: duplicate date {clash.isoformat()}")
            work_days[work] = DayOff(work, "transfer", "work_day", source, verify)
            days_off[rest] = DayOff(rest, "transfer", "rest_day", source, verify)

        return cls(
            first_year=first,
            last_year=last,
            weekend=weekend,
            timezone=tz,
            days_off=days_off,
            work_days=work_days,
        )

    # -- queries ---------------------------------------------------------------------------

    def _check(self, d: date) -> None:
        if isinstance(d, datetime):
            raise TypeError("pass a date, not a datetime (convert to Asia/Almaty first)")
        if not self.first_year <= d.year <= self.last_year:
            raise DateOutOfRangeError(
                f"{d.isoformat()} is outside the working-day calendar "
                f"({self.first_year}-{self.last_year}); add the year to the calendar data"
            )

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is a working day on the five-day week."""
        self._check(d)
        if d in self._work_days:
            return True
        return d.weekday() not in self.weekend and d not in self._days_off

    def day_off(self, d: date) -> DayOff | None:
        """Why the weekday ``d`` is off (holiday, moved holiday, transfer), else ``None``."""
        self._check(d)
        return self._days_off.get(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        day = d + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The deadline for something due "within ``n`` working days" of ``start``.

        Semantics (the day of submission never counts):

        1. ``start`` must be timezone-aware; it is converted to the calendar's time zone
           (Asia/Almaty) and its local date ``D`` is taken.
        2. The working days strictly after ``D`` are counted 1, 2, ...; the deadline is the
           **end of the n-th one**: 23:59:59.999999 local time on that day, returned in the
           calendar's time zone. A moment is in time iff ``moment <= deadline``.

        Consequences: a submission on Friday evening (or on Saturday, or on a holiday) with
        ``n=2`` is due at the end of Tuesday when Monday and Tuesday are working days; a
        submission on Monday at 09:00 is due at the end of Wednesday. ``n`` must be >= 1.
        Raises :class:`DateOutOfRangeError` if the count runs past the covered years.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        if n < 1:
            raise ValueError("n must be at least 1")
        day = start.astimezone(self.timezone).date()
        self._check(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return datetime.combine(day, time.max, tzinfo=self.timezone)

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days ``d`` with ``a < d <= b``; negative if ``b < a``.

        So ``working_days_between(D, add_working_days(start, n).date()) == n`` where ``D`` is
        the local date of ``start``.
        """
        self._check(a)
        self._check(b)
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a + timedelta(days=1)
        while day <= b:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    def unverified(self) -> list[DayOff]:
        """Entries marked ``verify: true`` in the data (for an operator's checklist)."""
        entries = [*self._days_off.values(), *self._work_days.values()]
        return sorted((e for e in entries if e.verify), key=lambda e: e.day)


@functools.cache
def _default_calendar() -> Calendar:
    return Calendar._from_file(DEFAULT_PATH)
