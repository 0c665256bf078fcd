"""Internships: 2023 (seed 000) and 2026 (seed 003)."""

from __future__ import annotations

import pytest

from bolashaq.rules import evaluate

from .profiles import internship_2023, internship_2026, statuses

CATS_2023 = [
    "engineering",
    "civil_service",
    "medical",
    "teachers",
    "culture_tourism_sport",
    "media",
    "agro",
]
CATS_2026 = [
    "engineering",
    "agro",
    "ai_users",
    "teachers",
    "higher_education",
    "medical",
    "civil_service",
    "media",
    "culture_tourism_sport",
    "judiciary",
    "nuclear",
]


@pytest.mark.parametrize("category", CATS_2023)
def test_2023_categories_eligible(category: str) -> None:
    r = evaluate(internship_2023(category=category))
    assert r.rule_set.id == "2023"
    assert r.verdict == "eligible", statuses(r)


@pytest.mark.parametrize("category", CATS_2026)
def test_2026_categories_eligible(category: str) -> None:
    r = evaluate(internship_2026(category=category))
    assert r.rule_set.id == "2026-internship"
    assert r.verdict == "eligible", statuses(r)


@pytest.mark.parametrize("category", ["ai_users", "higher_education", "judiciary", "nuclear"])
def test_new_2026_categories_not_offered_in_2023(category: str) -> None:
    r = evaluate(internship_2023(category=category))
    assert r.verdict == "not_eligible"
    assert r.requirement("category").status == "unmet"
    switch = [w["category"] for w in r.what_if if w["type"] == "switch_category"]
    assert sorted(switch) == sorted(CATS_2023)


@pytest.mark.parametrize("category", ["general", "rural"])
def test_academic_categories_not_offered_for_internships(category: str) -> None:
    r = evaluate(internship_2026(category=category))
    assert r.verdict == "not_eligible"
    assert "not offered" in r.requirement("category").message["en"]


def test_rule_set_switch_on_2026_01_01() -> None:
    assert (
        evaluate(
            internship_2023(
                date="2025-12-31",
                kaztest={"score": 110, "max": 150, "date": "2025-01-01"},
                foreign_language=[{"test": "det", "score": 80, "date": "2025-01-01"}],
            )
        ).rule_set.id
        == "2023"
    )
    assert evaluate(internship_2026(date="2026-01-01")).rule_set.id == "2026-internship"


def test_2023_total_experience_three_years() -> None:
    r = evaluate(internship_2023(experience={"total_months": 35, "field_months": 12}))
    assert statuses(r)["experience_total"] == "unmet"


def test_2023_last_12_months_in_field_need_not_be_unbroken() -> None:
    r = evaluate(
        internship_2023(
            experience={"total_months": 40, "field_months": 12, "field_continuous_months": 3}
        )
    )
    assert statuses(r)["experience_field"] == "met"
    r = evaluate(internship_2023(experience={"total_months": 40, "field_months": 11}))
    assert statuses(r)["experience_field"] == "unmet"
    # only the unbroken count given: 12 unbroken months prove 12 months in the field
    r = evaluate(internship_2023(experience={"total_months": 40, "field_continuous_months": 12}))
    assert statuses(r)["experience_field"] == "met"


def test_2026_last_12_months_without_interruption() -> None:
    r = evaluate(
        internship_2026(
            experience={"total_months": 40, "field_months": 14, "field_continuous_months": 11}
        )
    )
    assert statuses(r)["experience_field"] == "unmet"
    # field months alone: fewer than 12 -> unmet; 12 or more -> unknown (continuity not stated)
    r = evaluate(internship_2026(experience={"total_months": 40, "field_months": 10}))
    assert statuses(r)["experience_field"] == "unmet"
    r = evaluate(internship_2026(experience={"total_months": 40, "field_months": 20}))
    assert statuses(r)["experience_field"] == "unknown"
    assert r.verdict == "incomplete"


def test_2026_foreign_language_minimums_carry_over() -> None:
    for cert, ok in (
        ({"test": "ielts", "score": 5.0}, True),
        ({"test": "ielts", "score": 4.5}, False),
        ({"test": "toefl_ibt", "score": 35}, True),
        ({"test": "toefl_pbt", "score": 417}, True),
        ({"test": "toefl_itp", "score": 416}, False),
        ({"test": "det", "score": 75}, True),
        ({"test": "det", "score": 74}, False),
    ):
        r = evaluate(internship_2026(foreign_language=[{**cert, "date": "2025-10-01"}]))
        assert (statuses(r)["foreign_language"] == "met") is ok, cert


def test_unconditional_invitation_required() -> None:
    r = evaluate(internship_2026(invitation={"unconditional": False}))
    assert statuses(r)["invitation_unconditional"] == "unmet"
    # internships have no recommended-list condition
    r = evaluate(
        internship_2023(invitation={"unconditional": True, "recommended_university": False})
    )
    assert r.verdict == "eligible"


def test_documents_2026_has_ten_including_motivation_letter() -> None:
    docs = evaluate(internship_2026()).documents
    assert len(docs) == 10
    assert "motivation_letter" in [d["id"] for d in docs]
    assert "500" in next(d for d in docs if d["id"] == "motivation_letter")["title"]["en"]


def test_documents_2023_internship() -> None:
    ids = [d["id"] for d in evaluate(internship_2023()).documents]
    assert "employer_application" in ids
    assert "internship_programme" in ids
    assert "motivation_letter" not in ids


@pytest.mark.parametrize("factory", [internship_2023, internship_2026])
def test_post_award_two_guarantors_three_years(factory: object) -> None:
    pa = evaluate(factory()).to_dict()["post_award"]  # type: ignore[operator]
    assert pa["security"] == "guarantors"
    assert pa["guarantors"] == 2
    assert pa["work_off"]["min_years"] == 3
    assert pa["language_courses"] is None


def test_intake_window_is_reported_not_required() -> None:
    before = evaluate(internship_2026(date="2026-03-15")).to_dict()
    assert before["verdict"] == "eligible"
    assert before["intake"] == {
        "open": False,
        "window": None,
        "next": {"from": "2026-03-16", "until": "2026-10-30"},
    }
    assert evaluate(internship_2026(date="2026-10-30")).to_dict()["intake"]["open"] is True
    assert evaluate(internship_2026(date="2026-10-31")).to_dict()["intake"]["open"] is False
