"""diff_rule_sets: who gains and who loses eligibility between two rule sets."""

from __future__ import annotations

from bolashaq.rules import diff_rule_sets

from .profiles import internship_2023, internship_2026, master_general


def test_internship_2023_to_2026() -> None:
    both = internship_2026(
        id="both",
        category="civil_service",
        kaztest={
            "score": 120,
            "max": 150,
            "blocks": {
                "listening": 14,
                "lexico_grammar": 30,
                "reading": 25,
                "writing": 31,
                "speaking": 33,
            },
            "date": "2025-09-01",
        },
    )
    broken = internship_2026(
        id="broken",
        category="media",
        kaztest=both["kaztest"],
        experience={"total_months": 40, "field_months": 14, "field_continuous_months": 6},
    )
    new_cat = dict(both, id="nuclear", category="nuclear")
    report = diff_rule_sets(
        "2023", "2026-internship", [both, broken, new_cat, master_general(id="m")]
    )
    assert report.total == 4
    assert [e.id for e in report.gained] == ["nuclear"]  # category added in 2026
    assert [e.id for e in report.lost] == ["broken"]  # 'without interruption' added in 2026
    assert report.lost[0].changed == ("experience_field",)
    d = report.to_dict()
    # master's is not covered by the internship rule set: listed as a change, not a loss
    assert {"old": "eligible", "new": "not_applicable", "count": 1} in d["transitions"]
    assert [e["id"] for e in d["changed"]] == ["m"]
    assert d["gained"][0]["category"] == "nuclear"


def test_same_rule_set_changes_nothing() -> None:
    report = diff_rule_sets("2023", "2023", [internship_2023(), master_general()])
    assert report.gained == report.lost == report.changed == []


def test_invalid_profiles_are_reported_not_fatal() -> None:
    report = diff_rule_sets("2023", "2026-internship", [{"date": "nope"}, internship_2023()])
    assert report.total == 1
    assert report.errors[0][0] == 0
