"""Foreign-language threshold levels (seed 000 table)."""

from __future__ import annotations

import pytest

from bolashaq.rules import evaluate

from .profiles import academic, internship_2023, internship_2026, master_general, master_rural


def _cert(test: str, score: float) -> list[dict[str, object]]:
    return [{"test": test, "score": score, "date": "2022-12-01"}]


@pytest.mark.parametrize(
    ("test", "score", "level"),
    [
        ("ielts", 4.5, None),
        ("ielts", 5.0, 1),
        ("ielts", 5.5, 1),
        ("ielts", 6.0, 2),
        ("ielts", 6.5, 3),
        ("ielts", 9.0, 3),
        ("toefl_ibt", 34, None),
        ("toefl_ibt", 35, 1),
        ("toefl_ibt", 60, 2),
        ("toefl_ibt", 79, 3),
        ("toefl_pbt", 498, 2),
        ("toefl_itp", 548, 3),
        ("det", 80, 1),
        ("det", 160, 1),  # DET only appears in the first level
        ("ielts_indicator", 7.0, 1),
    ],
)
def test_quota_levels(test: str, score: float, level: int | None) -> None:
    r = evaluate(master_rural(foreign_language=_cert(test, score)))
    assert r.language_level == level
    assert r.requirement("foreign_language").status == ("met" if level else "unmet")


def test_level_is_the_highest_any_valid_certificate_reaches() -> None:
    r = evaluate(
        master_rural(
            foreign_language=[*_cert("det", 120), *_cert("toefl_ibt", 80), *_cert("ielts", 6.0)]
        )
    )
    assert r.language_level == 3


def test_self_admitted_has_only_the_third_level() -> None:
    r = evaluate(
        master_general(foreign_language=[{"test": "ielts", "score": 6.0, "date": "2025-10-01"}])
    )
    assert r.language_level == 3
    r = evaluate(
        master_general(foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}])
    )
    assert r.language_level is None


def test_internship_row_is_the_third_column() -> None:
    assert evaluate(internship_2023()).language_level == 3
    assert evaluate(internship_2026()).language_level == 3


def test_no_language_requirement_for_residency() -> None:
    r = evaluate(academic("residency", foreign_language=_cert("ielts", 8.0)))
    assert r.language_level is None
    assert "foreign_language" not in [x.id for x in r.requirements]


def test_empty_certificate_list_is_unmet_absent_is_unknown() -> None:
    assert (
        evaluate(master_rural(foreign_language=[])).requirement("foreign_language").status
        == "unmet"
    )
    p = master_rural()
    del p["foreign_language"]
    assert evaluate(p).requirement("foreign_language").status == "unknown"


def test_need_lists_the_accepted_minimums() -> None:
    need = evaluate(master_rural()).requirement("foreign_language").need
    assert need["level"] == 1
    assert need["any_of"] == {
        "ielts": 5.0,
        "toefl_pbt": 417,
        "toefl_itp": 417,
        "toefl_ibt": 35,
        "det": 80,
        "ielts_indicator": 5.0,
    }
    need = evaluate(internship_2026()).requirement("foreign_language").need
    assert need["any_of"] == {
        "ielts": 5.0,
        "toefl_ibt": 35,
        "toefl_pbt": 417,
        "toefl_itp": 417,
        "det": 75,
    }
