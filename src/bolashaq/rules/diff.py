"""Compare two rule sets over a population: who gains and who loses eligibility."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine import ELIGIBLE, Result, evaluate
from .models import Profile, ProfileError, parse_profile
from .ruleset import RuleBook, RuleSet

__all__ = ["DiffEntry", "DiffReport", "diff_rule_sets"]

NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class DiffEntry:
    index: int
    id: str | int | None
    programme: str
    category: str
    old: str
    new: str
    #: requirement ids whose status differs (or that exist in only one rule set)
    changed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "programme": self.programme,
            "category": self.category,
            "old": self.old,
            "new": self.new,
            "changed": list(self.changed),
        }


@dataclass(slots=True)
class DiffReport:
    old: str
    new: str
    total: int = 0
    gained: list[DiffEntry] = field(default_factory=list)
    lost: list[DiffEntry] = field(default_factory=list)
    #: other verdict changes (e.g. not_eligible -> incomplete)
    changed: list[DiffEntry] = field(default_factory=list)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "total": self.total,
            "gained": [e.to_dict() for e in self.gained],
            "lost": [e.to_dict() for e in self.lost],
            "changed": [e.to_dict() for e in self.changed],
            "transitions": [
                {"old": a, "new": b, "count": n} for (a, b), n in sorted(self.transitions.items())
            ],
            "errors": [{"index": i, "error": m} for i, m in self.errors],
        }


def _statuses(r: Result) -> dict[str, str]:
    return {x.id: x.status for x in r.requirements}


def _verdict(p: Profile, rs: RuleSet, book: RuleBook | None) -> tuple[str, dict[str, str]]:
    if p.programme not in rs.programmes:
        return NOT_APPLICABLE, {}
    r = evaluate(p, rule_set=rs, rules=book, what_if=False)
    return r.verdict, _statuses(r)


def diff_rule_sets(
    old: str | RuleSet,
    new: str | RuleSet,
    profiles: Iterable[Mapping[str, Any] | Profile],
    *,
    rules: RuleBook | None = None,
) -> DiffReport:
    """Evaluate every profile under ``old`` and under ``new`` (ignoring dates in force).

    A profile *gains* when it is eligible under ``new`` but not under ``old``, and *loses* in
    the opposite case. A programme a rule set does not cover counts as ``not_applicable``;
    such moves are listed under ``changed``, never as a gain or a loss.
    Invalid profiles are listed in ``errors`` and skipped.
    """
    from .loader import load_rule_sets

    book = rules if rules is not None else load_rule_sets()
    rs_old = book.get(old) if isinstance(old, str) else old
    rs_new = book.get(new) if isinstance(new, str) else new
    report = DiffReport(rs_old.id, rs_new.id)
    for i, raw in enumerate(profiles):
        try:
            p = parse_profile(raw)
        except ProfileError as e:
            report.errors.append((i, str(e)))
            continue
        report.total += 1
        vo, so = _verdict(p, rs_old, book)
        vn, sn = _verdict(p, rs_new, book)
        report.transitions[(vo, vn)] += 1
        if vo == vn:
            continue
        changed = tuple(k for k in dict.fromkeys([*so, *sn]) if so.get(k) != sn.get(k))
        entry = DiffEntry(i, p.id, p.programme, p.category, vo, vn, changed)
        if NOT_APPLICABLE in (vo, vn):
            report.changed.append(entry)  # a rule set that does not cover the programme
        elif vn == ELIGIBLE:
            report.gained.append(entry)
        elif vo == ELIGIBLE:
            report.lost.append(entry)
        else:
            report.changed.append(entry)
    return report
