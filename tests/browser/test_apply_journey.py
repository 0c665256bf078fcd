"""A new applicant, in a real browser: register, apply, upload, sign with the SMS code, and read
the automatic answer; and a second applicant whose expired certificate gets a reasoned refusal
that they correct and resubmit."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.applications.models import Application
from bolashaq.applications.samples import eligible_answers, sample_pdf
from bolashaq.applications.states import State
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.documents.models import Document
from tests.browser.conftest import assert_accessible

PASSWORD = "Steppe-eagle-2026!"


@pytest.fixture
def intake(cast: Any) -> Any:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="master-2026-2",
        programme=Programme.MASTER,
        titles={
            "kk": "Магистратура, 2026 жылғы 2-кезең",
            "ru": "Магистратура, 2-й набор 2026",
            "en": "Master's, 2026 second intake",
        },
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


def register(page: Any, *, iin: str, phone: str, last: str, first: str, birth: str) -> None:
    page.goto("/accounts/register/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("IIN", exact=True).fill(iin)
    page.get_by_label("Surname").fill(last)
    page.get_by_label("First name").fill(first)
    page.get_by_label("Date of birth").fill(birth)
    page.get_by_label("Mobile phone").fill(phone)
    page.get_by_label("E-mail address").fill(f"{first.lower()}@example.kz")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label(re.compile("I have read the consent")).check()
    page.locator("main form").get_by_role("button").last.click()
    page.wait_for_load_state()
    page.get_by_label("Code from the SMS").fill(last_code(phone))
    page.locator("main form").get_by_role("button").first.click()
    page.wait_for_load_state()


def start_application(page: Any) -> None:
    page.goto("/portal/")
    page.get_by_role("link", name="Start an application").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Category").select_option("general")
    page.locator("main").get_by_role("button", name="Start").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Application №")


def answer_section(page: Any, title: str, answers: dict[str, str], *, check_a11y: bool) -> None:
    page.get_by_role("link", name=title, exact=True).click()
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
    page.locator("main").get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state()


SECTION_TITLES = {
    "personal": "Personal details",
    "education": "Education",
    "kaztest": "KAZTEST (Kazakh language)",
    "foreign_language": "Foreign-language certificate",
    "invitation": "Invitation",
}


def fill_everything(page: Any, answers: dict[str, dict[str, str]], tmp_path: Path) -> None:
    for index, (section, title) in enumerate(SECTION_TITLES.items()):
        answer_section(page, title, answers[section], check_a11y=index == 2)
    slots = page.locator("input[type=file]")
    for index in range(slots.count()):
        file = tmp_path / f"document-{index}.pdf"
        file.write_bytes(sample_pdf(f"Document {index}"))
        slot = page.locator(".doc-slot").nth(index)
        slot.locator("input[type=file]").set_input_files(str(file))
        slot.get_by_role("button", name="Upload").click()
        page.locator(".doc-slot").nth(index).locator(".doc-badge--ok").wait_for()
    page.reload()
    assert page.locator(".tag-todo").count() == 0
    assert_accessible(page)


def sign_and_submit(page: Any, phone: str) -> None:
    page.get_by_role("link", name="Check your answers and sign").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Send me the code").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Code from the SMS").fill(last_code(phone))
    page.get_by_role("button", name="Sign and submit").click()
    page.wait_for_load_state()


def test_registration_to_accepted(page: Any, intake: Any, tmp_path: Path) -> None:
    phone = "+77017654321"
    register(
        page, iin="950315401371", phone=phone, last="Nurlanov", first="Dias", birth="1995-03-15"
    )
    start_application(page)
    answers = eligible_answers(timezone.localdate())
    answers["personal"] = {"birth_date": "1995-03-15"}
    fill_everything(page, answers, tmp_path)
    sign_and_submit(page, phone)

    # The automatic check answers on its own; the status region updates without a reload.
    page.locator("#application-status").get_by_text(
        "Accepted for the competition", exact=False
    ).first.wait_for()
    assert_accessible(page)
    application = Application.objects.get(applicant__iin="950315401371")
    assert application.state == State.ACCEPTED
    assert Document.objects.filter(application=application, is_current=True).count() == 6
    timeline = page.locator(".timeline").inner_text()
    assert "Submitted" in timeline or "submitted" in timeline


def test_refusal_with_reasons_then_correction(page: Any, intake: Any, tmp_path: Path) -> None:
    phone = "+77019876543"
    register(
        page, iin="061211600012", phone=phone, last="Aliyeva", first="Dana", birth="2006-12-11"
    )
    start_application(page)
    answers = eligible_answers(timezone.localdate())
    answers["personal"] = {"birth_date": "2006-12-11"}
    expired = (timezone.localdate() - timedelta(days=900)).isoformat()
    answers["foreign_language"] = {"test": "ielts", "score": "6.5", "date": expired}
    fill_everything(page, answers, tmp_path)
    sign_and_submit(page, phone)

    status = page.locator("#application-status")
    status.get_by_text("Refused", exact=False).first.wait_for()
    reasons = status.locator(".reasons").inner_text()
    assert "IELTS" in reasons
    assert_accessible(page)

    # Correct the certificate and submit again while the window is open.
    status.get_by_role("button", name="Correct and resubmit").click()
    page.wait_for_load_state()
    fresh = (timezone.localdate() - timedelta(days=30)).isoformat()
    answer_section(
        page,
        "Foreign-language certificate",
        {"test": "ielts", "score": "6.5", "date": fresh},
        check_a11y=False,
    )
    from django.db.models import F

    from bolashaq.accounts.models import OneTimeCode

    OneTimeCode.objects.update(created_at=F("created_at") - timedelta(minutes=5))
    sign_and_submit(page, phone)
    page.locator("#application-status").get_by_text(
        "Accepted for the competition", exact=False
    ).first.wait_for()


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
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    start_application(page)
    page.get_by_role("link", name="KAZTEST (Kazakh language)", exact=True).click()
    page.wait_for_load_state()
    page.locator("[name='score']").fill("117")
    # No button pressed: the draft saves itself after a short pause.
    page.locator("#save-status").get_by_text("Saved").wait_for()
    page.reload()
    assert page.locator("[name='score']").input_value() == "117"
    application = Application.objects.get(applicant=cast[Role.APPLICANT])
    assert application.answers["kaztest"]["score"] == "117"
