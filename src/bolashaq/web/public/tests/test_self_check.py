"""The public eligibility self-check at /check/: choices from the rules in force, only the
questions a track needs, the verdict in each language, htmx fragments, and errors, not 500s."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from bolashaq.audit.models import AuditEvent
from bolashaq.rules import load_rule_sets

ALMATY = ZoneInfo("Asia/Almaty")
TODAY = dt.date(2026, 5, 10)
URL = "/check/"
HTMX_RESULT = {"HX-Request": "true", "HX-Target": "check-result"}

#: An internship applicant (2026 rules) who meets every requirement on TODAY.
INTERNSHIP_OK = {
    "programme": "internship",
    "category": "media",
    "invitation-unconditional": "yes",
    "foreign_language-test": "ielts",
    "foreign_language-score": "6,5",
    "foreign_language-date": "2026-01-15",
    "kaztest-listening": "15",
    "kaztest-lexico_grammar": "30",
    "kaztest-reading": "30",
    "kaztest-writing": "40",
    "kaztest-speaking": "40",
    "kaztest-date": "2025-12-01",
    "experience-total_months": "48",
    "experience-field_continuous_months": "24",
}


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 5, 10, 12, tzinfo=ALMATY), tick=False):
        yield


def client(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def page(response: Any) -> str:
    assert response.status_code == 200
    return str(response.content.decode())


def asked(html: str) -> set[str]:
    """The answer fields the page asks (names of inputs other than programme/category)."""
    return set(re.findall(r'<(?:input|select)[^>]* name="([a-z_]+-[a-z_]+)"', html))


def verdict(html: str) -> str:
    match = re.search(r'class="check-verdict check-verdict-(\w+)"', html)
    assert match, "no verdict on the page"
    return match.group(1)


# --------------------------------------------------------------------------- public, choices


@pytest.mark.django_db
def test_the_page_is_public_and_says_nothing_is_stored() -> None:
    response = client().get(URL)
    html = page(response)
    assert "Nothing you enter is stored." in html
    assert "no-store" in response["Cache-Control"]
    for programme in ("master", "residency", "doctorate", "internship"):
        assert f'value="{programme}"' in html
    assert 'name="category"' not in html  # categories come after the programme


@pytest.mark.django_db
def test_the_home_page_links_to_the_self_check() -> None:
    assert f'href="{URL}"' in page(client().get("/"))


@pytest.mark.django_db
def test_categories_are_those_of_the_rules_in_force_today() -> None:
    html = page(client().get(URL, {"programme": "internship"}))
    offered = set(re.findall(r'name="category" value="(\w+)"', html))
    rule_set = load_rule_sets().select("internship", TODAY)
    assert rule_set.id == "2026-internship"
    assert offered == set(rule_set.programmes["internship"])
    assert {"nuclear", "judiciary", "ai_users"} <= offered
    assert "Nuclear industry workers" in html


@pytest.mark.django_db
def test_the_day_is_taken_in_almaty() -> None:
    # 31 December 2025, 20:00 UTC is already 1 January 2026 in Almaty: the 2026 internship rules.
    with time_machine.travel(dt.datetime(2025, 12, 31, 20, tzinfo=dt.UTC), tick=False):
        html = page(client().get(URL, {"programme": "internship"}))
    assert 'value="nuclear"' in html
    with time_machine.travel(dt.datetime(2025, 12, 31, 18, tzinfo=dt.UTC), tick=False):
        html = page(client().get(URL, {"programme": "internship"}))
    assert 'value="nuclear"' not in html  # 2023 rules: seven categories, no nuclear industry
    assert 'value="agro"' in html


@pytest.mark.django_db
def test_a_category_of_another_programme_is_dropped_not_an_error() -> None:
    html = page(client().post(URL, {"programme": "residency", "category": "rural"}))
    assert 'name="category" value="general"' in html
    general = re.search(r'<input[^>]*value="general"[^>]*>', html)
    assert general is not None
    assert "checked" not in general.group(0)
    assert asked(html) == set()


@pytest.mark.django_db
def test_an_unknown_programme_is_ignored() -> None:
    html = page(client().post(URL, {"programme": "bachelor", "category": "general"}))
    assert 'name="category"' not in html


# --------------------------------------------------------------------------- relevant questions


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("programme", "category", "expected"),
    [
        (
            "master",
            "general",
            {
                "invitation-unconditional",
                "invitation-recommended_university",
                "invitation-priority_specialty",
                "education-studying_abroad",
                "foreign_language-test",
                "foreign_language-score",
                "foreign_language-date",
                "kaztest-score",
                "kaztest-date",
            },
        ),
        (
            "master",
            "rural",
            {
                "education-gpa",
                "education-gpa_scale",
                "education-related_specialty",
                "foreign_language-test",
                "foreign_language-score",
                "foreign_language-date",
                "kaztest-score",
                "kaztest-date",
                "rural-residence_months",
                "rural-work_months",
            },
        ),
        (
            "master",
            "medical",
            {
                "education-gpa",
                "education-gpa_scale",
                "education-related_specialty",
                "foreign_language-test",
                "foreign_language-score",
                "foreign_language-date",
                "kaztest-score",
                "kaztest-date",
                "experience-field_months",
                "experience-medical_practice",
            },
        ),
        (
            "doctorate",
            "general",
            {
                "invitation-unconditional",
                "invitation-recommended_university",
                "invitation-priority_specialty",
                "education-studying_abroad",
                "kaztest-score",
                "kaztest-date",
            },
        ),
        (
            "internship",
            "media",
            {
                "invitation-unconditional",
                "foreign_language-test",
                "foreign_language-score",
                "foreign_language-date",
                "kaztest-listening",
                "kaztest-lexico_grammar",
                "kaztest-reading",
                "kaztest-writing",
                "kaztest-speaking",
                "kaztest-date",
                "experience-total_months",
                "experience-field_continuous_months",
            },
        ),
    ],
)
def test_only_the_questions_of_the_track_are_asked(
    programme: str, category: str, expected: set[str]
) -> None:
    html = page(client().get(URL, {"programme": programme, "category": category}))
    assert asked(html) == expected


@pytest.mark.django_db
def test_the_2023_internship_asks_the_kaztest_score_and_months_in_the_field() -> None:
    with time_machine.travel(dt.datetime(2025, 6, 1, 12, tzinfo=ALMATY), tick=False):
        html = page(client().get(URL, {"programme": "internship", "category": "media"}))
    assert {"kaztest-score", "experience-field_months"} <= asked(html)
    assert "kaztest-listening" not in asked(html)
    assert "experience-field_continuous_months" not in asked(html)


# --------------------------------------------------------------------------- the result


@pytest.mark.django_db
def test_a_complete_profile_is_eligible_with_sources_documents_and_terms() -> None:
    html = page(client().post(URL, INTERNSHIP_OK))
    assert verdict(html) == "eligible"
    assert "You meet every requirement" in html
    assert "Met: 5 · Not met: 0 · Not known yet: 0" in html
    # each requirement with its source: the seed file and the quoted phrase
    assert "<cite>003_f3a44132ed8979ec.txt</cite>" in html
    assert '<q lang="en">total total work experience of at least 3 (three) years</q>' in html
    assert "Your certificate reaches threshold level 3." in html
    assert "Motivation letter: free-form essay" in html
    assert "A guarantee agreement with 2 guarantors" in html
    assert "Not from the seeds (public source):" in html
    assert "What would change the result" not in html


@pytest.mark.django_db
def test_an_empty_form_is_incomplete_and_lists_every_requirement_as_unknown() -> None:
    html = page(client().get(URL, {"programme": "internship", "category": "media"}))
    assert verdict(html) == "incomplete"
    assert html.count('class="check-req check-req-unknown"') == 5
    assert "check-error-summary" not in html  # nothing typed, nothing wrong


@pytest.mark.django_db
def test_not_eligible_shows_what_would_change_the_result() -> None:
    answers = INTERNSHIP_OK | {"experience-total_months": "30"}
    html = page(client().post(URL, answers))
    assert verdict(html) == "not_eligible"
    assert '<li class="check-req check-req-unmet">' in html
    assert "What would change the result" in html
    assert "Total work experience of at least 3 years: 30 months" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "verdict_label", "message", "status"),
    [
        ("en", "You meet every requirement", "Total work experience of at least 3 years", "Met"),
        (
            "ru",
            "Вы соответствуете всем требованиям",
            "Общий стаж работы не менее 3 лет",
            "Выполнено",
        ),
        ("kk", "Сіз барлық талапқа сай келесіз", "Жалпы еңбек өтілі кемінде 3 жыл", "Орындалды"),
    ],
)
def test_the_result_is_in_the_visitors_language(
    language: str, verdict_label: str, message: str, status: str
) -> None:
    html = page(client(language).post(URL, INTERNSHIP_OK))
    assert f'<html lang="{language}"' in html
    assert verdict_label in html
    assert message in html
    assert f"<strong>{status}</strong>" in html


@pytest.mark.django_db
def test_a_gpa_on_the_percent_scale_is_unknown_not_rescaled() -> None:
    html = page(
        client().post(
            URL,
            {
                "programme": "master",
                "category": "rural",
                "education-gpa": "85",
                "education-gpa_scale": "100",
            },
        )
    )
    assert "GPA: a percent scale (85.0 of 100.0) is never rescaled; manual review." in html
    assert verdict(html) == "incomplete"


# --------------------------------------------------------------------------- htmx


@pytest.mark.django_db
def test_typing_returns_only_the_result_with_the_verdict_and_errors_out_of_band() -> None:
    response = client().post(URL, INTERNSHIP_OK, headers=HTMX_RESULT)
    html = page(response)
    assert "<html" not in html
    assert 'name="programme"' not in html  # the form stays as the visitor left it
    assert '<div id="check-verdict" hx-swap-oob="innerHTML">' in html
    assert "check-verdict-eligible" in html
    # every asked field's error slot is refreshed (here: emptied)
    assert (
        '<p class="error check-error" id="id_kaztest-speaking-error" hx-swap-oob="true"></p>'
        in html
    )


@pytest.mark.django_db
def test_choosing_a_programme_returns_its_categories_and_clears_the_result() -> None:
    response = client().post(
        URL, {"programme": "master"}, headers={"HX-Request": "true", "HX-Target": "check-track"}
    )
    html = page(response)
    assert "<html" not in html
    assert 'name="category" value="rural"' in html
    assert '<div id="check-result" hx-swap-oob="innerHTML">' in html
    assert "Choose your category to see its questions." in html


@pytest.mark.django_db
def test_choosing_a_category_returns_its_questions_and_result() -> None:
    response = client().post(
        URL,
        {"programme": "master", "category": "engineering"},
        headers={"HX-Request": "true", "HX-Target": "check-questions"},
    )
    html = page(response)
    assert 'name="category"' not in html  # the category radios keep focus
    assert 'name="experience-production_role"' in html
    assert "check-verdict-incomplete" in html


@pytest.mark.django_db
def test_the_page_is_wired_for_answers_as_you_type_with_a_live_verdict() -> None:
    html = page(client().get(URL, {"programme": "internship", "category": "media"}))
    assert 'hx-post="/check/"' in html
    assert 'hx-trigger="input changed delay:300ms target:.check-typed' in html
    assert 'id="check-verdict" role="status" aria-live="polite"' in html
    assert 'class="check-typed"' in html
    assert 'class="check-picked"' in html
    assert '<button type="submit" class="button">' in html  # works without JavaScript


# --------------------------------------------------------------------------- invalid input


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "language", "error"),
    [
        ("kaztest-listening", "25", "en", "Enter a number from 0 to 20."),
        ("kaztest-listening", "25", "ru", "Введите число от 0 до 20."),
        ("kaztest-listening", "25", "kk", "0 мен 20 аралығындағы сан енгізіңіз."),
        ("kaztest-listening", "many", "en", "Enter a whole number, for example 36."),
        ("foreign_language-score", "6.3", "en", "IELTS scores go in steps of 0.5."),
        ("foreign_language-score", "10", "en", "IELTS scores are from 0 to 9."),
        ("foreign_language-date", "2027-01-01", "en", "The date cannot be in the future."),
        ("foreign_language-date", "31.02.2025", "en", "Enter a date such as 2025-09-30."),
        (
            "experience-field_continuous_months",
            "60",
            "en",
            "This cannot be more than your total work experience.",
        ),
    ],
)
def test_invalid_input_gives_a_field_error_in_the_visitors_language(
    field: str, value: str, language: str, error: str
) -> None:
    for headers in ({}, HTMX_RESULT):
        html = page(client(language).post(URL, INTERNSHIP_OK | {field: value}, headers=headers))
        assert error in html
        assert f'id="id_{field}-error"' in html
        assert verdict(html) == "incomplete"  # the wrong answer is not counted


@pytest.mark.django_db
def test_the_error_summary_links_to_the_field() -> None:
    html = page(client().post(URL, INTERNSHIP_OK | {"kaztest-reading": "41"}))
    assert '<a href="#id_kaztest-reading">Reading</a>: Enter a number from 0 to 40.' in html
    assert re.search(r'<input[^>]*name="kaztest-reading"[^>]*aria-invalid="true"', html)


@pytest.mark.django_db
def test_a_gpa_above_its_scale_is_a_field_error() -> None:
    html = page(
        client().post(
            URL,
            {
                "programme": "master",
                "category": "rural",
                "education-gpa": "4,5",
                "education-gpa_scale": "4",
            },
        )
    )
    assert "The GPA cannot be higher than its scale (4.00)." in html


@pytest.mark.django_db
def test_nothing_is_stored() -> None:
    client().post(URL, INTERNSHIP_OK)
    client().post(URL, INTERNSHIP_OK, headers=HTMX_RESULT)
    assert Session.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_only_get_and_post_are_allowed() -> None:
    assert client().put(URL).status_code == 405
