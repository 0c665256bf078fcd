"""A new applicant, in a real browser: register, apply, upload, sign with the SMS code, and read
the automatic answer, in Kazakh, Russian and English; and an applicant whose expired certificate
gets a refusal with its reasons in Russian, corrects it and resubmits.

Each journey picks its language with the switcher in the page header and finds every field,
button and answer by the project's own translations (``tests.browser.i18n.t``), so a text the
journey needs that is missing from a catalogue fails it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from bolashaq.accounts.models import OneTimeCode
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.applications.models import Application
from bolashaq.applications.samples import eligible_answers, sample_pdf
from bolashaq.applications.states import State
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.documents.models import Document
from bolashaq.lib.iin import Sex, make_iin
from tests.browser.conftest import assert_accessible
from tests.browser.i18n import LANGUAGES, choose_language, t

PASSWORD = "Steppe-eagle-2026!"
INTAKE_TITLES = {
    "kk": "Магистратура, 2026 жылғы 2-кезең",
    "ru": "Магистратура, 2-й набор 2026",
    "en": "Master's, 2026 second intake",
}


@pytest.fixture
def intake(cast: Any) -> Any:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="master-2026-2",
        programme=Programme.MASTER,
        titles=INTAKE_TITLES,
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


@dataclass(frozen=True)
class Person:
    iin: str
    phone: str
    last: str
    first: str
    birth: str


def applicant(last: str, first: str, birth: date, sex: Sex, phone: str) -> Person:
    return Person(make_iin(birth, sex, 401), phone, last, first, birth.isoformat())


JOURNEY_PEOPLE = {
    "kk": applicant("Нұрланов", "Диас", date(1995, 3, 15), "male", "+77017654321"),
    "ru": applicant("Ким", "Виктория", date(1988, 7, 4), "female", "+77012223344"),
    "en": applicant("Smith", "Anna", date(2001, 8, 23), "female", "+77075556677"),
}


def register(page: Any, lang: str, person: Person) -> None:
    page.goto("/accounts/register/")
    choose_language(page, lang)
    assert_accessible(page)
    page.get_by_label(t(lang, "IIN"), exact=True).fill(person.iin)
    page.get_by_label(t(lang, "Surname"), exact=True).fill(person.last)
    page.get_by_label(t(lang, "First name"), exact=True).fill(person.first)
    page.get_by_label(t(lang, "Date of birth"), exact=True).fill(person.birth)
    page.get_by_label(t(lang, "Mobile phone"), exact=True).fill(person.phone)
    page.get_by_label(t(lang, "E-mail address"), exact=True).fill(f"{person.iin}@example.kz")
    page.get_by_label(t(lang, "Password"), exact=True).fill(PASSWORD)
    page.get_by_label(t(lang, "Repeat the password"), exact=True).fill(PASSWORD)
    consent = "I have read the consent above and agree to the processing of my personal data."
    page.get_by_label(t(lang, consent), exact=True).check()
    page.locator("main").get_by_role("button", name=t(lang, "Register"), exact=True).click()
    page.wait_for_load_state()
    page.get_by_label(t(lang, "Code from the SMS"), exact=True).fill(last_code(person.phone))
    page.locator("main").get_by_role("button", name=t(lang, "Confirm"), exact=True).click()
    page.wait_for_load_state()
    welcome = t(lang, "Your phone number is confirmed. Welcome to Bolashaq!")
    expect(page.locator("main")).to_contain_text(welcome)


def start_application(page: Any, lang: str) -> None:
    page.goto("/portal/")
    page.get_by_role("link", name=t(lang, "Start an application"), exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label(t(lang, "Category"), exact=True).select_option("general")
    page.locator("main").get_by_role("button", name=t(lang, "Start"), exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(f"{t(lang, 'Application')} №")


def answer_section(
    page: Any, lang: str, section: str, answers: dict[str, str], *, check_a11y: bool
) -> None:
    page.get_by_role("link", name=t(lang, SECTION_TITLES[section]), exact=True).click()
    page.wait_for_load_state()
    for name, value in answers.items():
        field = page.locator(f"[name='{name}']")
        if field.count() == 0:
            continue  # not asked for this track
        kind = field.first.get_attribute("type")
        if kind == "radio":
            page.locator(f"[name='{name}'][value='{value}']").check()
        elif field.first.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if check_a11y:
        assert_accessible(page)
    main = page.locator("main")
    main.get_by_role("button", name=t(lang, "Save and continue"), exact=True).click()
    page.wait_for_load_state()


SECTION_TITLES = {
    "personal": "Personal details",
    "education": "Education",
    "kaztest": "KAZTEST (Kazakh language)",
    "foreign_language": "Foreign-language certificate",
    "invitation": "Invitation",
}


def fill_everything(
    page: Any, lang: str, answers: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    for index, section in enumerate(SECTION_TITLES):
        answer_section(page, lang, section, answers[section], check_a11y=index == 2)
    slots = page.locator(".doc-slot")
    for index in range(slots.count()):
        file = tmp_path / f"document-{index}.pdf"
        file.write_bytes(sample_pdf(f"Document {index}"))
        slot = slots.nth(index)
        slot.locator("input[type=file]").set_input_files(str(file))
        slot.get_by_role("button", name=t(lang, "Upload"), exact=True).click()
        badge = slots.nth(index).locator(".doc-badge--ok")
        expect(badge).to_have_text(t(lang, "Uploaded"), timeout=15_000)
    page.reload()
    assert page.locator(".tag-todo").count() == 0
    assert_accessible(page)


def sign_and_submit(page: Any, lang: str, phone: str) -> None:
    page.get_by_role("link", name=t(lang, "Check your answers and sign"), exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name=t(lang, "Send me the code"), exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label(t(lang, "Code from the SMS"), exact=True).fill(last_code(phone))
    page.get_by_role("button", name=t(lang, "Sign and submit"), exact=True).click()
    page.wait_for_load_state()


def wait_for_state(page: Any, lang: str, state: State) -> Any:
    """The status region once the automatic check has answered (it updates without a reload)."""
    status = page.locator("#application-status")
    heading = f"{t(lang, 'Status')}: {t(lang, state.label)}"
    expect(status.locator("h2")).to_have_text(heading, timeout=15_000)
    return status


def timeline_labels(page: Any) -> list[str]:
    """The history's entries, oldest first. The history is not part of the live status region,
    so the page is read again first."""
    page.reload()
    return [label.strip() for label in page.locator(".timeline-entry strong").all_inner_texts()]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_registration_to_accepted(page: Any, intake: Any, tmp_path: Path, lang: str) -> None:
    person = JOURNEY_PEOPLE[lang]
    register(page, lang, person)
    start_application(page, lang)
    answers = eligible_answers(timezone.localdate())
    answers["personal"] = {"birth_date": person.birth}
    fill_everything(page, lang, answers, tmp_path)
    sign_and_submit(page, lang, person.phone)

    status = wait_for_state(page, lang, State.ACCEPTED)
    accepted = "Accepted for the competition. We will tell you about round 1, the complex test."
    expect(status).to_contain_text(t(lang, accepted))
    assert page.locator("html").get_attribute("lang") == lang
    expect(page.locator("h1")).to_contain_text(INTAKE_TITLES[lang])
    assert_accessible(page)
    assert timeline_labels(page) == [
        t(lang, "Application started"),
        t(lang, "Signed and submitted"),
        t(lang, "Accepted for the competition"),
    ]
    application = Application.objects.get(applicant__iin=person.iin)
    assert application.state == State.ACCEPTED
    assert application.applicant.language == lang
    assert application.reasons == []
    assert Document.objects.filter(application=application, is_current=True).count() == 6


def test_refusal_with_reasons_then_correction_in_russian(
    page: Any, intake: Any, tmp_path: Path
) -> None:
    lang = "ru"
    person = applicant("Алиева", "Дана", date(2006, 12, 11), "female", "+77019876543")
    register(page, lang, person)
    start_application(page, lang)
    answers = eligible_answers(timezone.localdate())
    answers["personal"] = {"birth_date": person.birth}
    expired = (timezone.localdate() - timedelta(days=900)).isoformat()
    answers["foreign_language"] = {"test": "ielts", "score": "6.5", "date": expired}
    fill_everything(page, lang, answers, tmp_path)
    sign_and_submit(page, lang, person.phone)

    # The reasons are read in Russian: the rules' own Russian text, naming the certificate.
    status = wait_for_state(page, lang, State.REFUSED)
    expect(status).to_contain_text(t(lang, "Refused. The reasons:"))
    application = Application.objects.get(applicant__iin=person.iin)
    assert application.state == State.REFUSED
    messages = [reason["message"] for reason in application.reasons]
    assert messages
    assert all(message["ru"] != message["en"] for message in messages)
    shown = status.locator(".reasons li").all_inner_texts()
    assert [text.strip() for text in shown] == [message["ru"] for message in messages]
    assert any("IELTS" in text for text in shown)
    timeline = page.locator(".timeline")
    assert timeline_labels(page)[-1] == t(lang, "Refused")
    expect(timeline).to_contain_text(t(lang, "Reasons:"))
    expect(timeline).to_contain_text(messages[0]["ru"])
    assert_accessible(page)

    # Correct the certificate and submit again while the window is open.
    status.get_by_role("button", name=t(lang, "Correct and resubmit"), exact=True).click()
    page.wait_for_load_state()
    fresh = (timezone.localdate() - timedelta(days=30)).isoformat()
    answer_section(
        page,
        lang,
        "foreign_language",
        {"test": "ielts", "score": "6.5", "date": fresh},
        check_a11y=False,
    )
    # The first code was sent a moment ago; age it so a new one may be sent at once.
    OneTimeCode.objects.update(created_at=F("created_at") - timedelta(minutes=5))
    sign_and_submit(page, lang, person.phone)
    wait_for_state(page, lang, State.ACCEPTED)
    assert timeline_labels(page) == [
        t(lang, "Application started"),
        t(lang, "Signed and submitted"),
        t(lang, "Refused"),
        t(lang, "Returned to draft for correction"),
        t(lang, "Signed and submitted"),
        t(lang, "Accepted for the competition"),
    ]
    application.refresh_from_db()
    assert application.state == State.ACCEPTED
    assert application.reasons == []


def test_typed_answers_survive_a_reload(
    page: Any, live_server: Any, cast: Any, intake: Any
) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(cast[Role.APPLICANT])
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto("/portal/")
    choose_language(page, "en")
    start_application(page, "en")
    page.get_by_role("link", name="KAZTEST (Kazakh language)", exact=True).click()
    page.wait_for_load_state()
    page.locator("[name='score']").fill("117")
    # No button pressed: the draft saves itself after a short pause.
    page.locator("#save-status").get_by_text("Saved").wait_for()
    page.reload()
    assert page.locator("[name='score']").input_value() == "117"
    application = Application.objects.get(applicant=cast[Role.APPLICANT])
    assert application.answers["kaztest"]["score"] == "117"
