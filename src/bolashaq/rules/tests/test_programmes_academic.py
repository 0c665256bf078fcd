"""Residency and doctorate (seed 000, 'для обучения по программе резидентура /докторантура')."""

from __future__ import annotations

import pytest

from bolashaq.rules import evaluate

from .profiles import academic, statuses


@pytest.mark.parametrize("programme", ["residency", "doctorate"])
def test_invitation_and_kaztest_suffice(programme: str) -> None:
    r = evaluate(academic(programme))
    assert r.verdict == "eligible"
    assert set(statuses(r)) == {
        "invitation_unconditional",
        "invitation_recommended_university",
        "invitation_priority_specialty",
        "kaztest",
    }
    # no foreign-language line in the seed for residency/doctorate
    assert r.language_level is None


@pytest.mark.parametrize("programme", ["residency", "doctorate"])
def test_quota_categories_are_master_only(programme: str) -> None:
    r = evaluate(academic(programme, category="rural"))
    assert r.verdict == "not_eligible"
    cat = r.requirement("category")
    assert cat.status == "unmet"
    assert cat.need["categories"] == ["general"]
    assert [w["category"] for w in r.what_if if w["type"] == "switch_category"] == ["general"]


def test_documents() -> None:
    res = [d["id"] for d in evaluate(academic("residency")).documents]
    doc = [d["id"] for d in evaluate(academic("doctorate")).documents]
    assert "foreign_language_certificate" not in res
    assert "individual_study_plan" in doc
    assert "individual_study_plan" not in res


def test_work_off_as_masters() -> None:
    pa = evaluate(academic("doctorate")).to_dict()["post_award"]
    assert pa["work_off"]["years_by_location"]["astana"] == 5
    assert pa["work_off"]["years_by_location"]["regions"] == 3
    assert pa["pledge"] is True
