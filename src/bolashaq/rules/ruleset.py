"""Compiled rule sets: plain, frozen structures the engine reads (no YAML at evaluation time)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from .messages import Bound, MessageCatalog, Text
from .models import Profile

__all__ = [
    "DocumentItem",
    "InForce",
    "LanguageTable",
    "NoRuleSetError",
    "RequirementDef",
    "RuleBook",
    "RuleSet",
    "Source",
    "Track",
    "add_years",
]


class NoRuleSetError(LookupError):
    """No rule set is in force for a programme on a date (or an unknown rule-set id)."""


def add_years(d: _dt.date, years: int) -> _dt.date:
    """``d`` plus ``years`` calendar years; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule comes from: a seed file and phrase, or a named public source."""

    from_seeds: bool
    seed: str | None = None
    quote: str | None = None
    section: str | None = None
    public_source: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"from_seeds": self.from_seeds}
        for k in ("seed", "quote", "section", "public_source", "note"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        return d


@dataclass(frozen=True, slots=True)
class LanguageTable:
    """One row of the foreign-language table: per threshold level, the minimum score per test."""

    key: str
    title: Text
    #: level -> {test: minimum}, highest level first.
    levels: tuple[tuple[int, Mapping[str, float]], ...]
    source: Source

    def level_of(self, test: str, score: float) -> int | None:
        """The highest level this score reaches, or None."""
        for level, scores in self.levels:
            m = scores.get(test)
            if m is not None and score >= m:
                return level
        return None

    def minimums(self, level: int) -> dict[str, float]:
        """The lowest score per test that reaches ``level`` (or higher)."""
        out: dict[str, float] = {}
        for lvl, scores in self.levels:
            if lvl >= level:
                for t, m in scores.items():
                    if t not in out or m < out[t]:
                        out[t] = m
        return out


Getter = Callable[[Profile], Any]


@dataclass(frozen=True, slots=True)
class RequirementDef:
    """A compiled requirement. ``kind`` selects the check in :mod:`bolashaq.rules.engine`."""

    key: str
    id: str
    kind: str
    title: Text
    source: Source
    source_dict: Mapping[str, Any]
    note: str | None = None
    field: str | None = None
    getter: Getter | None = None
    minimum: float | None = None
    max_score: float | None = None
    #: kaztest_blocks: (block, pass mark, max points)
    blocks: tuple[tuple[str, float, float], ...] = ()
    pass_share: float | None = None
    table: LanguageTable | None = None
    min_level: int = 0
    #: minimum score per accepted test for min_level (precomputed)
    lang_minimums: Mapping[str, float] = dc_field(default_factory=dict)
    #: per accepted test, the other accepted tests with their minimums (what-if alternatives)
    lang_alternatives: Mapping[str, tuple[tuple[str, float], ...]] = dc_field(default_factory=dict)
    gpa_scales: tuple[tuple[float, float], ...] = ()
    manual_review_scales: tuple[float, ...] = ()
    line: int = 0
    #: the JSON ``need`` when it does not depend on the profile (precomputed at load)
    need: Any = None
    #: the title as the JSON {"kk", "ru", "en"} object (precomputed at load)
    title_dict: Mapping[str, str] = dc_field(default_factory=dict)
    #: message key -> (catalogue, the message compiled with this requirement's fixed
    #: arguments); filled by the engine on first use
    messages: dict[str, tuple[MessageCatalog, Bound]] = dc_field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: texts made from profile values with this requirement's numbers, memoised by the
    #: engine (bounded)
    texts: dict[Any, Any] = dc_field(default_factory=dict, init=False, repr=False, compare=False)
    #: ``lang_alternatives`` as the JSON list what-if reports, per test (set at init; shared
    #: by every suggestion: read-only)
    lang_alternatives_json: Mapping[str, list[Mapping[str, Any]]] = dc_field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "lang_alternatives_json",
            {
                t: [{"test": u, "score": m} for u, m in alts]
                for t, alts in self.lang_alternatives.items()
            },
        )


@dataclass(frozen=True, slots=True)
class DocumentItem:
    id: str
    title: Text
    #: profile boolean field that must be true for the document to be listed
    when: str | None = None
    when_getter: Getter | None = None
    #: the item as its JSON {"id", "title": {"kk", "ru", "en"}} object, shared by every
    #: result that lists it (set at init; read-only)
    json: Mapping[str, Any] = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t = self.title
        object.__setattr__(
            self, "json", {"id": self.id, "title": {"kk": t[0], "ru": t[1], "en": t[2]}}
        )


@dataclass(frozen=True, slots=True)
class Track:
    """A programme + category within a rule set."""

    programme: str
    category: str
    title: Text
    source: Source
    requirements: tuple[RequirementDef, ...]
    documents: tuple[DocumentItem, ...]
    post_award: Mapping[str, Any]
    not_considered: tuple[str, ...] = ()
    has_language: bool = False
    #: documents as JSON objects, for tracks where no item depends on the profile
    static_documents: tuple[Mapping[str, Any], ...] | None = None
    #: the requirement definitions in order: equal signatures give equal verdicts
    signature: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InForce:
    programmes: tuple[str, ...]
    start: _dt.date
    end: _dt.date | None
    note: str | None
    line: int

    def covers(self, programme: str, on: _dt.date) -> bool:
        return (
            programme in self.programmes
            and self.start <= on
            and (self.end is None or on <= self.end)
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    id: str
    title: Text
    path: str
    in_force: tuple[InForce, ...]
    #: programme -> category -> track
    programmes: Mapping[str, Mapping[str, Track]]
    #: test (or "kaztest") -> validity in years
    validity: Mapping[str, int]
    validity_source: Source
    windows: tuple[tuple[_dt.date, _dt.date], ...]
    windows_source: Source | None
    quotas: Mapping[str, Any]
    public_facts: tuple[Mapping[str, Any], ...]
    #: the data file as loaded (JSON-able), for ``bolashaq rules show``
    raw: Mapping[str, Any]
    #: (programme, category) -> the programme's other categories whose requirements differ
    #: from that category's, in rule-set order (what-if's category switches; set at init)
    _switches: Mapping[tuple[str, str], tuple[tuple[str, Track], ...]] = dc_field(
        init=False, repr=False, compare=False
    )
    #: the intake windows with their JSON form (set at init)
    _windows_json: tuple[tuple[_dt.date, _dt.date, Mapping[str, str]], ...] = dc_field(
        init=False, repr=False, compare=False
    )

    #: date -> :meth:`intake` (bounded)
    _intake_memo: dict[_dt.date, dict[str, Any]] = dc_field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        switches: dict[tuple[str, str], tuple[tuple[str, Track], ...]] = {}
        for programme, cats in self.programmes.items():
            for category, own in cats.items():
                switches[(programme, category)] = tuple(
                    (cat, t)
                    for cat, t in cats.items()
                    if cat != category and t.signature != own.signature
                )
        object.__setattr__(self, "_switches", switches)
        object.__setattr__(
            self,
            "_windows_json",
            tuple((a, b, {"from": a.isoformat(), "until": b.isoformat()}) for a, b in self.windows),
        )

    def other_categories(self, track: Track) -> tuple[tuple[str, Track], ...]:
        """The categories of ``track``'s programme, in order, whose requirements differ."""
        return self._switches.get((track.programme, track.category), ())

    def track(self, programme: str, category: str) -> Track | None:
        cats = self.programmes.get(programme)
        return None if cats is None else cats.get(category)

    def covers(self, programme: str, on: _dt.date) -> bool:
        return any(f.covers(programme, on) for f in self.in_force)

    def intake(self, on: _dt.date) -> dict[str, Any]:
        """Whether ``on`` falls in an intake window, and which (information, not a requirement).

        Memoised per date: the object is shared by every result of that date (read-only).
        """
        hit = self._intake_memo.get(on)
        if hit is None:
            if len(self._intake_memo) >= 10_000:
                self._intake_memo.clear()
            hit = self._intake_memo[on] = self._intake(on)
        return hit

    def _intake(self, on: _dt.date) -> dict[str, Any]:
        current: Mapping[str, str] | None = None
        upcoming: Mapping[str, str] | None = None
        for a, b, w in self._windows_json:
            if a <= on <= b:
                current = w
            elif a > on and upcoming is None:
                upcoming = w
        return {"open": current is not None, "window": current, "next": upcoming}

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": dict(zip(("kk", "ru", "en"), self.title, strict=True)),
            "file": self.path,
            "in_force": [
                {
                    "programmes": list(f.programmes),
                    "from": f.start.isoformat(),
                    "until": None if f.end is None else f.end.isoformat(),
                    **({"note": f.note} if f.note else {}),
                }
                for f in self.in_force
            ],
            "programmes": {p: sorted(c) for p, c in self.programmes.items()},
        }


class RuleBook:
    """All loaded rule sets plus the message catalogue; picks the rule set for a profile."""

    def __init__(self, rule_sets: tuple[RuleSet, ...], messages: MessageCatalog) -> None:
        self.rule_sets = rule_sets
        self.messages = messages
        self._by_id = {r.id: r for r in rule_sets}
        # programme -> ((start, end, rule set), ...) for fast selection
        idx: dict[str, list[tuple[_dt.date, _dt.date | None, RuleSet]]] = {}
        for r in rule_sets:
            for f in r.in_force:
                for p in f.programmes:
                    idx.setdefault(p, []).append((f.start, f.end, r))
        self._index = {p: tuple(sorted(v, key=lambda t: t[0])) for p, v in idx.items()}

    def __iter__(self) -> Iterator[RuleSet]:
        return iter(self.rule_sets)

    def __len__(self) -> int:
        return len(self.rule_sets)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rule_sets]

    def get(self, rule_set_id: str) -> RuleSet:
        try:
            return self._by_id[rule_set_id]
        except KeyError:
            raise NoRuleSetError(
                f"unknown rule set {rule_set_id!r} (known: {', '.join(self._by_id)})"
            ) from None

    def select(self, programme: str, on: _dt.date) -> RuleSet:
        for start, end, r in self._index.get(programme, ()):
            if start <= on and (end is None or on <= end):
                return r
        raise NoRuleSetError(
            f"no rule set is in force for programme {programme!r} on {on.isoformat()}"
        )
