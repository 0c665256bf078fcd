from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bolashaq.lib.workdays import (
    DEFAULT_PATH,
    Calendar,
    CalendarDataError,
    DateOutOfRangeError,
)

ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar.load()


def raw() -> dict[str, Any]:
    with DEFAULT_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return copy.deepcopy(data)


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ALMATY)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=ALMATY)


def test_default_load_is_cached() -> None:
    assert Calendar.load() is Calendar.load()


def test_almaty_is_utc_plus_5() -> None:
    # Kazakhstan moved to a single time zone UTC+5 on 1 March 2024; needs tzdata >= 2024a.
    assert at(2025, 6, 1).utcoffset() == timedelta(hours=5)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 1, 1),
        date(2024, 1, 2),
        date(2024, 1, 7),  # Orthodox Christmas on a Sunday: weekend anyway
        date(2025, 1, 7),  # Orthodox Christmas, Tuesday
        date(2025, 3, 10),  # 8 March 2025 was a Saturday -> Monday 10 March off
        date(2025, 3, 21),
        date(2025, 3, 24),  # Nauryz 22-23 March 2025 on the weekend -> 24 and 25 March
        date(2025, 3, 25),
        date(2025, 6, 6),  # Kurban Ait 2025
        date(2025, 7, 7),  # Capital Day 6 July 2025 was a Sunday
        date(2025, 9, 1),  # Constitution Day 30 August 2025 was a Saturday
        date(2025, 10, 27),  # Republic Day 25 October 2025 was a Saturday
        date(2025, 12, 16),
        date(2026, 3, 9),  # 8 March 2026 was a Sunday
        date(2026, 3, 23),
        date(2026, 3, 24),  # Nauryz 21-22 March 2026 on the weekend -> 24, 25
        date(2026, 3, 25),
        date(2026, 5, 11),  # Victory Day 2026 was a Saturday
        date(2026, 5, 27),  # Kurban Ait 2026
        date(2026, 10, 26),  # Republic Day 2026 was a Sunday
        date(2023, 1, 3),  # 1 January 2023 was a Sunday; 2 January is itself a holiday
        date(2023, 5, 8),  # 7 May 2023 was a Sunday
        date(2023, 7, 7),  # transfer: rest Friday 7 July, work Saturday 1 July
        date(2024, 5, 8),  # transfer: rest Wednesday 8 May, work Saturday 4 May
        date(2025, 1, 3),  # transfer: rest Friday 3 January, work Sunday 5 January
        date(2027, 1, 4),  # 2 January 2027 is a Saturday
        date(2027, 3, 15),  # new Constitution Day (verify)
        date(2027, 3, 24),  # Nauryz 21 March 2027 is a Sunday
    ],
)
def test_days_off(cal: Calendar, day: date) -> None:
    assert not cal.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2023, 7, 1),  # worked Saturday (transfer)
        date(2024, 5, 4),  # worked Saturday (transfer)
        date(2025, 1, 5),  # worked Sunday (transfer)
        date(2025, 5, 8),  # no transfer in May 2025
        date(2026, 8, 31),  # Constitution Day 2026 dropped (verify)
        date(2027, 5, 17),  # Kurban Ait 2027 on a Sunday: religious, no day off moved
        date(2024, 1, 8),  # Orthodox Christmas 2024 on a Sunday: not moved
        date(2025, 3, 26),
    ],
)
def test_working_days(cal: Calendar, day: date) -> None:
    assert cal.is_working_day(day)


def test_day_off_explains(cal: Calendar) -> None:
    moved = cal.day_off(date(2025, 3, 24))
    assert moved is not None
    assert moved.kind == "moved"
    assert moved.key == "nauryz"
    assert "art. 85" in moved.source
    assert cal.day_off(date(2025, 3, 26)) is None


def test_friday_evening_with_two_days_is_due_end_of_tuesday(cal: Calendar) -> None:
    assert cal.add_working_days(at(2025, 11, 14, 21, 30), 2) == end_of(2025, 11, 18)


def test_saturday_and_holiday_count_from_next_working_day(cal: Calendar) -> None:
    assert cal.add_working_days(at(2025, 11, 15), 2) == end_of(2025, 11, 18)
    # Submitted on Independence Day (Tuesday 16 Dec 2025): Wed = 1, Thu = 2.
    assert cal.add_working_days(at(2025, 12, 16), 2) == end_of(2025, 12, 18)


def test_monday_morning_does_not_count_the_day_itself(cal: Calendar) -> None:
    assert cal.add_working_days(at(2025, 11, 17, 9), 2) == end_of(2025, 11, 19)


def test_deadline_across_nauryz(cal: Calendar) -> None:
    # 2024: Nauryz Thu 21 - Sat 23 March, Saturday's day off moved to Monday 25 March.
    # Submitted Wednesday 20 March 2024: next working days are Tue 26 (1), Wed 27 (2).
    assert cal.add_working_days(at(2024, 3, 20, 17), 2) == end_of(2024, 3, 27)
    # 2026: Nauryz Sat 21 - Mon 23, moved to Tue 24 and Wed 25; Friday 20 March submission.
    assert cal.add_working_days(at(2026, 3, 20, 18), 2) == end_of(2026, 3, 27)


def test_deadline_across_a_transfer(cal: Calendar) -> None:
    # 2024: Saturday 4 May worked, Wednesday 8 May off. Friday 3 May submission:
    # Sat 4 (1, worked), Mon 6 (2).
    assert cal.add_working_days(at(2024, 5, 3, 16), 2) == end_of(2024, 5, 6)
    # Monday 6 May: 7 (holiday), 8 (transfer), 9 (holiday), Fri 10 (1), Mon 13 (2).
    assert cal.add_working_days(at(2024, 5, 6, 10), 2) == end_of(2024, 5, 13)
    # 2023: Friday 30 June submission, Saturday 1 July worked: Sat 1 (1), Mon 3 (2).
    assert cal.add_working_days(at(2023, 6, 30, 10), 2) == end_of(2023, 7, 3)


def test_start_is_converted_to_almaty(cal: Calendar) -> None:
    # 20:30 UTC on Friday is 01:30 on Saturday in Almaty.
    start = datetime(2025, 11, 14, 20, 30, tzinfo=ZoneInfo("UTC"))
    assert cal.add_working_days(start, 1) == end_of(2025, 11, 17)
    result = cal.add_working_days(start, 1)
    assert result.tzinfo == ALMATY


def test_add_working_days_rejects_bad_input(cal: Calendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(datetime(2025, 1, 10, 12), 2)  # noqa: DTZ001
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days(at(2025, 1, 10), 0)


def test_outside_covered_years_raises(cal: Calendar) -> None:
    with pytest.raises(DateOutOfRangeError, match="2022-12-31"):
        cal.is_working_day(date(2022, 12, 31))
    with pytest.raises(DateOutOfRangeError):
        cal.is_working_day(date(2028, 1, 3))
    with pytest.raises(DateOutOfRangeError):
        cal.add_working_days(at(2027, 12, 30), 5)
    with pytest.raises(DateOutOfRangeError):
        cal.working_days_between(date(2027, 12, 1), date(2028, 1, 10))


def test_datetime_is_not_a_date(cal: Calendar) -> None:
    with pytest.raises(TypeError):
        cal.is_working_day(at(2025, 1, 10))


def test_working_days_between(cal: Calendar) -> None:
    assert cal.working_days_between(date(2025, 11, 14), date(2025, 11, 18)) == 2
    assert cal.working_days_between(date(2025, 11, 18), date(2025, 11, 14)) == -2
    assert cal.working_days_between(date(2025, 3, 20), date(2025, 3, 26)) == 1
    assert cal.working_days_between(date(2025, 1, 1), date(2025, 1, 1)) == 0


@given(
    st.datetimes(
        min_value=datetime(2023, 1, 1),  # noqa: DTZ001
        max_value=datetime(2027, 10, 31),  # noqa: DTZ001
        timezones=st.just(ALMATY),
    ),
    st.integers(min_value=1, max_value=30),
)
def test_deadline_is_the_nth_working_day(start: datetime, n: int) -> None:
    cal = Calendar.load()
    deadline = cal.add_working_days(start, n)
    assert cal.is_working_day(deadline.date())
    assert cal.working_days_between(start.astimezone(ALMATY).date(), deadline.date()) == n
    assert deadline > start


def test_unverified_entries_are_listed(cal: Calendar) -> None:
    days = {e.day for e in cal.unverified()}
    assert date(2025, 1, 3) in days
    assert date(2027, 3, 15) in days


# -- validation of the data ---------------------------------------------------------------


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "cal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_bundled_file_loads_from_a_path(tmp_path: Path) -> None:
    loaded = Calendar.load(write(tmp_path, raw()))
    assert not loaded.is_working_day(date(2026, 5, 27))


def test_transfer_work_day_must_be_a_weekend(tmp_path: Path) -> None:
    data = raw()
    data["years"][2024]["transfers"][0]["work_day"] = date(2024, 5, 3)  # a Friday
    with pytest.raises(CalendarDataError, match=r"2024: transfers\[0\].*not a weekend"):
        Calendar.load(write(tmp_path, data))


def test_transfer_rest_day_must_be_a_weekday(tmp_path: Path) -> None:
    data = raw()
    data["years"][2024]["transfers"][0]["rest_day"] = date(2024, 5, 12)  # a Sunday
    with pytest.raises(CalendarDataError, match="is a weekend"):
        Calendar.load(write(tmp_path, data))


def test_missing_source_names_the_entry(tmp_path: Path) -> None:
    data = raw()
    del data["years"][2025]["movable"][0]["source"]
    with pytest.raises(CalendarDataError, match="years: 2025: kurban_ait: missing source"):
        Calendar.load(write(tmp_path, data))
    data = raw()
    del data["years"][2026]["source"]
    with pytest.raises(CalendarDataError, match="years: 2026: missing source"):
        Calendar.load(write(tmp_path, data))
    data = raw()
    del data["holidays"][3]["source"]
    with pytest.raises(CalendarDataError, match="holidays: nauryz: missing source"):
        Calendar.load(write(tmp_path, data))
    data = raw()
    del data["years"][2023]["transfers"][0]["source"]
    with pytest.raises(CalendarDataError, match=r"2023: transfers\[0\]: missing source"):
        Calendar.load(write(tmp_path, data))


def test_duplicate_dates_are_refused(tmp_path: Path) -> None:
    data = raw()
    data["years"][2025]["movable"][0]["date"] = date(2025, 3, 22)  # Nauryz
    with pytest.raises(CalendarDataError, match="kurban_ait: duplicate date 2025-03-22"):
        Calendar.load(write(tmp_path, data))
    data = raw()
    data["years"][2024]["transfers"].append(dict(data["years"][2024]["transfers"][0]))
    with pytest.raises(CalendarDataError, match="duplicate date"):
        Calendar.load(write(tmp_path, data))
    data = raw()
    data["holidays"][0]["days"] = ["01-01", "01-01"]
    with pytest.raises(CalendarDataError, match="new_year: duplicate"):
        Calendar.load(write(tmp_path, data))


def test_transfer_onto_a_holiday_is_refused(tmp_path: Path) -> None:
    data = raw()
    data["years"][2024]["transfers"][0]["rest_day"] = date(2024, 5, 9)  # Victory Day
    with pytest.raises(CalendarDataError, match="duplicate date 2024-05-09"):
        Calendar.load(write(tmp_path, data))


def test_years_must_be_contiguous(tmp_path: Path) -> None:
    data = raw()
    del data["years"][2025]
    with pytest.raises(CalendarDataError, match="contiguous"):
        Calendar.load(write(tmp_path, data))
