"""Master's verdicts per category (seed 000, 'ТРЕБОВАНИЯ ДЛЯ ПРЕТЕНДЕНТОВ ... МАГИСТРАТУРА')."""

from __future__ import annotations

import pytest

from bolashaq.rules import evaluate

from .profiles import master_engineering, master_general, master_medical, master_rural, statuses


def test_general_master_eligible_with_invitation_language_level3_and_kaztest() -> None:
    r = evaluate(master_general())
    assert r.verdict == "eligible"
    assert r.rule_set.id == "2023"
    assert set(statuses(r)) == {
        "invitation_unconditional",
        "invitation_recommended_university",
        "invitation_priority_specialty",
        "foreign_language",
        "kaztest",
    }
    # "средний балл бакалавра или специалиста не учитывается": GPA is not a requirement
    assert "gpa" not in statuses(r)


def test_general_master_gpa_is_ignored_even_when_low() -> None:
    r = evaluate(master_general(gpa={"value": 1.0, "scale": 4.0}))
    assert r.verdict == "eligible"


@pytest.mark.parametrize("field", ["unconditional", "recommended_university", "priority_specialty"])
def test_general_master_each_invitation_condition_is_required(field: str) -> None:
    p = master_general()
    p["invitation"][field] = False
    r = evaluate(p)
    assert r.verdict == "not_eligible"
    assert statuses(r)[f"invitation_{field}"] == "unmet"


def test_general_master_needs_the_level3_row_ielts_6() -> None:
    r = evaluate(
        master_general(foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}])
    )
    assert r.verdict == "not_eligible"
    assert statuses(r)["foreign_language"] == "unmet"
    ok = evaluate(
        master_general(foreign_language=[{"test": "toefl_ibt", "score": 60, "date": "2025-10-01"}])
    )
    assert ok.verdict == "eligible"
    assert ok.language_level == 3


def test_general_master_det_is_not_in_the_self_admitted_row() -> None:
    r = evaluate(
        master_general(foreign_language=[{"test": "det", "score": 150, "date": "2025-10-01"}])
    )
    assert statuses(r)["foreign_language"] == "unmet"


def test_dated_2026_academic_profile_uses_open_ended_2023_rules() -> None:
    assert evaluate(master_general(date="2026-05-10")).rule_set.id == "2023"
    assert evaluate(master_general(date="2031-01-01")).rule_set.id == "2023"


def test_rural_master_eligible_at_exact_thresholds() -> None:
    r = evaluate(master_rural())
    assert r.verdict == "eligible", statuses(r)
    assert r.language_level == 1


@pytest.mark.parametrize(("field", "months"), [("residence_months", 23), ("work_months", 23)])
def test_rural_master_needs_two_years_residence_and_two_years_work(field: str, months: int) -> None:
    p = master_rural()
    p["rural"][field] = months
    r = evaluate(p)
    assert r.verdict == "not_eligible"
    assert (
        statuses(r)["rural_residence" if field == "residence_months" else "rural_work"] == "unmet"
    )


@pytest.mark.parametrize(
    ("gpa", "expected"),
    [
        ({"value": 3.0, "scale": 4.0}, "met"),
        ({"value": 2.99, "scale": 4.0}, "unmet"),
        ({"value": 3.0, "scale": 4.33}, "met"),
        ({"value": 2.9, "scale": 4.33}, "unmet"),
        ({"value": 4.0, "scale": 5.0}, "met"),
        ({"value": 3.9, "scale": 5.0}, "unmet"),
        ({"value": 85, "scale": 100}, "unknown"),  # percent: manual review, never rescaled
        ({"value": 9, "scale": 10}, "unknown"),  # a scale the rules do not know
    ],
)
def test_gpa_applies_on_the_diplomas_own_scale(gpa: dict[str, float], expected: str) -> None:
    r = evaluate(master_rural(gpa=gpa))
    assert statuses(r)["gpa"] == expected
    if expected == "unknown" and gpa["scale"] == 100:
        assert "manual review" in r.requirement("gpa").message["en"]


def test_rural_master_level1_certificates() -> None:
    for cert in (
        {"test": "toefl_pbt", "score": 417},
        {"test": "toefl_itp", "score": 417},
        {"test": "toefl_ibt", "score": 35},
        {"test": "det", "score": 80},
        {"test": "ielts_indicator", "score": 5.0},
    ):
        r = evaluate(master_rural(foreign_language=[{**cert, "date": "2022-12-01"}]))
        assert statuses(r)["foreign_language"] == "met", cert
    r = evaluate(
        master_rural(foreign_language=[{"test": "det", "score": 79, "date": "2022-12-01"}])
    )
    assert statuses(r)["foreign_language"] == "unmet"


def test_rural_master_related_specialty_required() -> None:
    assert statuses(evaluate(master_rural(related_specialty=False)))["related_specialty"] == "unmet"
    p = master_rural()
    del p["related_specialty"]
    r = evaluate(p)
    assert r.verdict == "incomplete"
    assert statuses(r)["related_specialty"] == "unknown"


def test_engineering_master() -> None:
    assert evaluate(master_engineering()).verdict == "eligible"
    r = evaluate(master_engineering(production_role=False))
    assert statuses(r)["production_role"] == "unmet"
    r = evaluate(master_engineering(experience={"total_months": 11}))
    assert statuses(r)["experience_total"] == "unmet"


def test_medical_master() -> None:
    assert evaluate(master_medical()).verdict == "eligible"
    r = evaluate(master_medical(medical_practice=False))
    assert statuses(r)["medical_practice"] == "unmet"
    # medical experience is experience in the field (medicine)
    r = evaluate(master_medical(experience={"total_months": 30, "field_months": 11}))
    assert statuses(r)["experience_field"] == "unmet"


def test_quota_master_does_not_require_an_invitation() -> None:
    r = evaluate(master_rural())
    assert not any(k.startswith("invitation") for k in statuses(r))


def test_absent_fields_are_unknown_and_verdict_incomplete() -> None:
    r = evaluate({"date": "2023-04-10", "programme": "master", "category": "rural"})
    assert r.verdict == "incomplete"
    assert set(statuses(r).values()) == {"unknown"}


def test_post_award_terms() -> None:
    g = evaluate(master_general()).to_dict()["post_award"]
    assert g["work_off"]["years_by_location"] == {
        "astana": 5,
        "almaty": 5,
        "shymkent": 5,
        "regions": 3,
    }
    assert g["security"] == "pledge"
    assert g["language_courses"] is None
    rural = evaluate(master_rural()).to_dict()["post_award"]
    assert rural["security"] == "guarantors"
    assert rural["guarantors"] == 5
    assert rural["language_courses"] == "9+3"
    assert rural["work_off"]["min_years"] == 3
    eng = evaluate(master_engineering()).to_dict()["post_award"]
    assert eng["pledge"] is True
    assert eng["language_courses"] == "9+3"
    med = evaluate(master_medical()).to_dict()["post_award"]
    assert med["pledge"] is True
    assert med["work_off"]["min_years"] == 3


def test_documents_for_master_tracks() -> None:
    general = [d["id"] for d in evaluate(master_general()).documents]
    assert general == [
        "identity",
        "diploma",
        "kaztest_certificate",
        "foreign_language_certificate",
        "unconditional_invitation",
        "medical_certificate_072",
    ]
    abroad = [d["id"] for d in evaluate(master_general(studying_abroad=True)).documents]
    assert abroad[-1] == "academic_record"
    quota = [d["id"] for d in evaluate(master_rural()).documents]
    assert quota == [
        "identity",
        "work_record_book",
        "diploma",
        "medical_certificate_072",
        "kaztest_certificate",
        "foreign_language_certificate",
    ]
    for d in evaluate(master_rural()).documents:
        assert set(d["title"]) == {"kk", "ru", "en"}
