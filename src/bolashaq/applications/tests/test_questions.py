"""The section forms: which questions a track asks, their ranges from the rules, and that their
cleaned data feeds the rules engine as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from bolashaq.applications.profile import profile_from_answers, track_for
from bolashaq.applications.questions import (
    section_form_class,
    section_keys,
    today_in_kazakhstan,
)
from bolashaq.rules import evaluate
from bolashaq.rules.ruleset import Track


def track(rule_set: str, programme: str, category: str) -> Track:
    found = track_for(rule_set, programme, category)
    assert found is not None
    return found


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_the_portal_gets_every_key_the_track_needs_and_the_self_check_only_the_rules_ones() -> None:
    rural = track("2023", "master", "rural")
    portal = section_keys(rural)
    assert portal["education"][:3] == ("institution", "specialty", "graduation_year")
    rules = section_keys(rural, rules_only=True)
    assert rules["education"] == ("gpa_scale", "gpa", "related_specialty")
    assert rules["rural"] == ("residence_months", "work_months")
    assert "invitation" not in rules  # quota categories need no invitation at application
    assert "personal" not in rules


def test_kaztest_is_asked_by_blocks_or_by_score_as_the_rule_set_judges_it() -> None:
    blocks = section_form_class("kaztest", track("2026-internship", "internship", "media"))
    assert list(blocks.base_fields) == [
        "listening",
        "lexico_grammar",
        "reading",
        "writing",
        "speaking",
        "date",
    ]
    assert blocks.base_fields["listening"].max_value == 20  # type: ignore[attr-defined]
    assert blocks.base_fields["writing"].max_value == 50  # type: ignore[attr-defined]
    score = section_form_class("kaztest", track("2023", "master", "general"))
    assert list(score.base_fields) == ["score", "date"]
    assert score.base_fields["score"].max_value == 150  # type: ignore[attr-defined]


def test_gpa_scales_come_from_the_rule_and_4_0_means_4() -> None:
    form_class = section_form_class("education", track("2023", "master", "rural"))
    values = [v for v, _label in form_class.base_fields["gpa_scale"].choices if v]  # type: ignore[attr-defined]
    assert values == ["4", "4.33", "5", "100"]
    form = form_class(data={"gpa": "3,25", "gpa_scale": "4.0", "related_specialty": "yes"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gpa"] == Decimal("3.25")
    assert form.cleaned_data["gpa_scale"] == "4"


def test_cleaned_answers_feed_the_rules_engine_as_they_are() -> None:
    media = track("2026-internship", "internship", "media")
    data = {
        "invitation": {"unconditional": "yes"},
        "foreign_language": {"test": "ielts", "score": "6.5", "date": "2026-01-15"},
        "kaztest": {
            "listening": "15",
            "lexico_grammar": "30",
            "reading": "30",
            "writing": "40",
            "speaking": "40",
            "date": "2025-12-01",
        },
        "experience": {"total_months": "48", "field_continuous_months": "24"},
    }
    answers = {}
    for section, values in data.items():
        form = section_form_class(section, media)(data=values)
        assert form.is_valid(), form.errors
        answers[section] = form.cleaned_data
    profile = profile_from_answers(
        answers, programme="internship", category="media", on=dt.date(2026, 5, 10)
    )
    assert profile["kaztest"]["blocks"]["listening"] == 15
    assert evaluate(profile).verdict == "eligible"


@pytest.mark.parametrize(
    ("section", "values", "field", "error"),
    [
        ("foreign_language", {"test": "ielts", "score": "9.5"}, "score", "from 0 to 9"),
        ("foreign_language", {"test": "ielts", "score": "6.2"}, "score", "steps of 0.5"),
        ("foreign_language", {"test": "toefl_pbt", "score": "300"}, "score", "from 310 to 677"),
        ("kaztest", {"score": "151"}, "score", "Enter a number from 0 to 150."),
        (
            "experience",
            {"total_months": "12", "field_months": "20"},
            "field_months",
            "more than your total work experience",
        ),
    ],
)
def test_out_of_range_answers_are_field_errors(
    section: str, values: dict[str, str], field: str, error: str
) -> None:
    rule_track = track("2023", "master", "medical" if section == "experience" else "general")
    form = section_form_class(section, rule_track, keys=values)(data=values)
    assert not form.is_valid()
    assert error in " ".join(str(message) for message in form.errors[field])


def test_a_certificate_date_cannot_be_in_the_future() -> None:
    tomorrow = today_in_kazakhstan() + dt.timedelta(days=1)
    form = section_form_class("kaztest", track("2023", "master", "general"))(
        data={"score": "120", "date": tomorrow.isoformat()}
    )
    assert not form.is_valid()
    assert form.errors["date"] == ["The date cannot be in the future."]


def test_every_question_is_optional() -> None:
    for section, keys in section_keys(track("2023", "master", "engineering")).items():
        assert section_form_class(section, track("2023", "master", "engineering"), keys=keys)(
            data={}
        ).is_valid()
