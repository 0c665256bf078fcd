"""Results share their fixed parts (titles, sources, messages, documents, post-award terms,
intake windows, what-if alternatives) with the compiled rule set and with each other. The
result dict and the lists directly in it are the caller's; everything inside is read-only.
These tests hold the engine to that: a caller changing what is theirs reaches no other result,
and the engine itself never changes a shared part."""

from __future__ import annotations

import copy
import json
from typing import Any

from bolashaq.rules import evaluate

from .profiles import (
    academic,
    internship_2023,
    internship_2026,
    master_engineering,
    master_general,
    master_medical,
    master_rural,
)


def _varied() -> list[dict[str, Any]]:
    """Eligible, incomplete and not-eligible profiles of every track, with what-if of each
    kind (scores, dates, months, flags, GPA, blocks, categories)."""
    blocks = internship_2026()["kaztest"]["blocks"]
    return [
        master_general(),
        master_general(foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}]),
        master_general(invitation={"unconditional": False}, kaztest=None),
        master_rural(),
        master_rural(
            kaztest={"score": 100, "max": 150, "date": "2023-02-01"},
            gpa={"value": 2.5, "scale": 4.0},
            rural={"residence_months": 12, "work_months": 30},
            related_specialty=False,
        ),
        master_rural(foreign_language=[{"test": "ielts", "score": 6.0, "date": "2021-04-10"}]),
        master_rural(foreign_language=[]),
        master_rural(gpa={"value": 80, "scale": 100}),
        master_engineering(experience={"total_months": 3}),
        master_medical(medical_practice=False),
        academic("residency"),
        academic("doctorate", kaztest={"score": 120, "max": 150, "date": "2020-01-15"}),
        internship_2023(),
        internship_2023(category="nuclear"),
        internship_2026(),
        internship_2026(
            kaztest={"blocks": {**blocks, "writing": 25, "speaking": 10}, "date": "2025-09-01"},
            experience={"total_months": 8, "field_months": 6, "field_continuous_months": 2},
            foreign_language=[
                {"test": "ielts", "score": 4.5, "date": "2025-10-01"},
                {"test": "det", "score": 60},
            ],
        ),
        internship_2026(kaztest={"score": 120, "max": 150, "date": "2025-09-01"}),
    ]


def test_a_caller_changing_its_result_reaches_no_other_result() -> None:
    for profile in _varied():
        mine = evaluate(profile).to_dict()
        other = evaluate(profile).to_dict()
        before = json.dumps(other, ensure_ascii=False)
        # everything at the first level is the caller's: keys, and the lists in them
        for key in ("requirements", "documents", "what_if"):
            mine[key].append({"added": True})
            mine[key].reverse()
            del mine[key][:]
        for key in list(mine):
            mine[key] = "replaced"
        assert json.dumps(other, ensure_ascii=False) == before
        assert json.dumps(evaluate(profile).to_dict(), ensure_ascii=False) == before


def test_a_deep_copy_is_the_callers_to_change() -> None:
    profile = master_general(
        foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}]
    )
    before = json.dumps(evaluate(profile).to_dict(), ensure_ascii=False)
    mine = copy.deepcopy(evaluate(profile).to_dict())
    mine["requirements"][0]["title"]["en"] = "changed"
    mine["requirements"][0]["message"].clear()
    mine["documents"][0]["title"].clear()
    mine["post_award"]["agreements"].clear()
    mine["what_if"][0]["alternatives"].clear()
    mine["what_if"][0]["text"]["en"] = "changed"
    assert json.dumps(evaluate(profile).to_dict(), ensure_ascii=False) == before


def test_the_engine_never_changes_a_part_it_shares() -> None:
    kept = []
    for profile in _varied() * 2:
        for what_if in (True, False):
            d = evaluate(profile, what_if=what_if).to_dict()
            kept.append((d, copy.deepcopy(d)))
    # every later evaluation left every earlier result as it was
    for d, snapshot in kept:
        assert d == snapshot
