"""The profile contract: parsing, errors, schema."""

from __future__ import annotations

import datetime as dt

import pytest

from bolashaq.rules import Profile, ProfileError, evaluate, parse_profile, profile_json_schema

from .profiles import internship_2026, master_general


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"date": "2026-13-01"}, "date: expected an ISO date"),
        ({"date": 20260510}, "date: expected an ISO date"),
        ({"programme": "bachelor"}, "unknown programme 'bachelor'"),
        ({"category": "students"}, "unknown category 'students'"),
        ({"kaztest": {"score": "many"}}, "kaztest.score: expected a number"),
        ({"kaztest": {"score": 151, "max": 150}}, "more than max"),
        ({"foreign_language": [{"test": "cefr", "score": 1}]}, "unknown test 'cefr'"),
        ({"foreign_language": [{"test": "ielts"}]}, "foreign_language[0].score: required"),
        ({"foreign_language": "ielts"}, "expected a list"),
        ({"gpa": {"value": 5, "scale": 4.0}}, "does not fit scale"),
        ({"invitation": {"unconditional": "yes"}}, "expected true or false"),
        ({"related_specialty": 1}, "expected true or false"),
        ({"experience": {"total_months": -1}}, "non-negative"),
        ({"experience": {"total_months": 10, "field_months": 12}}, "more than total_months"),
        ({"rural": []}, "expected an object"),
    ],
)
def test_invalid_input_raises_readable_profile_error(bad: dict[str, object], needle: str) -> None:
    with pytest.raises(ProfileError) as e:
        evaluate(master_general(**bad))
    assert needle in str(e.value)


def test_required_fields() -> None:
    with pytest.raises(ProfileError) as e:
        evaluate({})
    msg = str(e.value)
    assert "date: required" in msg
    assert "programme: required" in msg
    assert "category: required" in msg
    with pytest.raises(ProfileError):
        evaluate([])  # type: ignore[arg-type]


def test_today_fills_a_missing_date() -> None:
    p = master_general()
    del p["date"]
    r = evaluate(p, today=dt.date(2026, 5, 10))
    assert r.date == dt.date(2026, 5, 10)


def test_no_rule_set_in_force_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="no rule set is in force"):
        evaluate(master_general(date="2022-12-31"))


def test_unknown_fields_are_ignored_with_a_warning() -> None:
    d = evaluate(master_general(name="Aigerim", id="A-1")).to_dict()
    assert d["verdict"] == "eligible"
    assert d["id"] == "A-1"
    assert d["warnings"] == ["name: unknown field ignored"]


def test_profile_object_round_trip() -> None:
    p = parse_profile(internship_2026())
    assert isinstance(p, Profile)
    assert parse_profile(p.to_dict()) == p
    assert evaluate(p).verdict == "eligible"


def test_null_means_unknown() -> None:
    r = evaluate(master_general(kaztest=None))
    assert r.requirement("kaztest").status == "unknown"


def test_schema_describes_the_contract() -> None:
    s = profile_json_schema()
    assert s["required"] == ["date", "programme", "category"]
    assert s["properties"]["programme"]["enum"] == [
        "master",
        "residency",
        "doctorate",
        "internship",
    ]
    assert "nuclear" in s["properties"]["category"]["enum"]
    assert set(s["properties"]["kaztest"]["properties"]["blocks"]["properties"]) == {
        "listening",
        "lexico_grammar",
        "reading",
        "writing",
        "speaking",
    }


def test_output_shape() -> None:
    d = evaluate(master_general()).to_dict()
    assert list(d)[:2] == ["verdict", "rule_set"]
    for key in ("requirements", "language_level", "documents", "post_award", "what_if"):
        assert key in d
    for req in d["requirements"]:
        assert {"id", "status", "need", "have", "source", "message"} <= set(req)
        assert set(req["message"]) == {"kk", "ru", "en"}
        assert req["source"]["seed"] == "000_ae4fa7f8f80c9f9c.txt"
        assert req["source"]["quote"]
