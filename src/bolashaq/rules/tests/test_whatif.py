"""What-if: the smallest changes that make a not-eligible profile eligible."""

from __future__ import annotations

from typing import Any

from bolashaq.rules import evaluate
from bolashaq.rules.whatif import apply_patch

from .profiles import internship_2023, internship_2026, master_general, master_rural, statuses


def _changes(r: Any) -> list[dict[str, Any]]:
    return [w for w in r.what_if if w["type"] == "change"]


def _apply_all(p: dict[str, Any], r: Any) -> dict[str, Any]:
    for w in _changes(r):
        p = apply_patch(p, w["patch"])
    return p


def test_ielts_6_instead_of_5_5() -> None:
    r = evaluate(
        master_general(foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}])
    )
    (w,) = _changes(r)
    assert (w["requirement"], w["test"], w["from"], w["to"]) == (
        "foreign_language",
        "ielts",
        5.5,
        6.0,
    )
    assert w["text"]["en"] == "IELTS 6.0 instead of 5.5."
    assert w["text"]["ru"] == "IELTS: 6.0 вместо 5.5."
    assert w["text"]["kk"]
    assert {"test": "toefl_ibt", "score": 60} in w["alternatives"]
    assert (
        evaluate(
            _apply_all(
                master_general(
                    foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}]
                ),
                r,
            )
        ).verdict
        == "eligible"
    )


def test_eligible_in_another_category_instead() -> None:
    # IELTS 5.5 misses the self-admitted row but a rural applicant with it is eligible
    p = master_rural(
        category="general",
        invitation={
            "unconditional": True,
            "recommended_university": True,
            "priority_specialty": True,
        },
    )
    p["foreign_language"] = [{"test": "ielts", "score": 5.5, "date": "2022-12-01"}]
    r = evaluate(p)
    assert r.verdict == "not_eligible"
    switches = [w for w in r.what_if if w["type"] == "switch_category"]
    assert [s["category"] for s in switches] == ["rural"]
    assert switches[0]["verdict"] == "eligible"
    assert "Eligible in category" in switches[0]["text"]["en"]
    assert evaluate(apply_patch(p, switches[0]["patch"])).verdict == "eligible"


def test_no_what_if_for_eligible_or_incomplete() -> None:
    assert evaluate(master_general()).what_if == []
    p = master_general()
    del p["kaztest"]
    assert evaluate(p).what_if == []


def test_expired_certificate_suggests_a_new_result() -> None:
    p = master_rural(
        date="2023-04-11", foreign_language=[{"test": "ielts", "score": 6.0, "date": "2021-04-10"}]
    )
    r = evaluate(p)
    (w,) = _changes(r)
    assert w["field"] == "foreign_language[0].date"
    assert "2023-04-10" in w["text"]["en"]
    assert evaluate(_apply_all(p, r)).verdict == "eligible"


def test_no_certificate_suggests_the_minimums() -> None:
    p = master_rural(foreign_language=[])
    r = evaluate(p)
    (w,) = _changes(r)
    assert w["to"] == {"test": "ielts", "score": 5.0}
    assert "TOEFL iBT 35" in w["text"]["en"]
    assert evaluate(_apply_all(p, r)).verdict == "eligible"


def test_several_unmet_requirements_give_one_change_each() -> None:
    p = master_rural(
        kaztest={"score": 100, "max": 150, "date": "2023-02-01"},
        gpa={"value": 2.5, "scale": 4.0},
        rural={"residence_months": 12, "work_months": 30},
        related_specialty=False,
    )
    r = evaluate(p)
    got = {w["requirement"]: (w["from"], w["to"]) for w in _changes(r)}
    assert got == {
        "kaztest": (100, 105),
        "gpa": (2.5, 3.0),
        "rural_residence": (12, 24),
        "related_specialty": (False, True),
    }
    assert evaluate(_apply_all(p, r)).verdict == "eligible"


def test_kaztest_blocks_changes() -> None:
    p = internship_2026()
    p["kaztest"]["blocks"].update({"writing": 25, "speaking": 10})
    r = evaluate(p)
    got = {w["field"]: (w["from"], w["to"]) for w in _changes(r)}
    assert got == {"kaztest.blocks.writing": (25, 30), "kaztest.blocks.speaking": (10, 30)}
    assert evaluate(_apply_all(p, r)).verdict == "eligible"


def test_experience_changes_keep_the_profile_consistent() -> None:
    p = internship_2026(
        experience={"total_months": 8, "field_months": 6, "field_continuous_months": 2}
    )
    r = evaluate(p)
    fixed = _apply_all(p, r)
    assert statuses(evaluate(fixed))["experience_field"] == "met"
    assert evaluate(fixed).verdict == "eligible"


def test_category_not_offered_lists_offered_categories() -> None:
    r = evaluate(internship_2023(category="nuclear"))
    switches = [w for w in r.what_if if w["type"] == "switch_category"]
    assert len(switches) == 7
    assert all(s["verdict"] == "eligible" for s in switches)
    assert evaluate(internship_2023(category=switches[0]["category"])).verdict == "eligible"
