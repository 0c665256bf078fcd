"""A visitor checks, without signing in, whether they can apply for an internship: the verdict
follows their answers as they type, with the source of each rule and the documents to bring;
then they repeat a short check in Russian."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from bolashaq.applications.questions import today_in_kazakhstan
from tests.browser.conftest import assert_accessible


def _days_ago(days: int) -> str:
    return (today_in_kazakhstan() - dt.timedelta(days=days)).isoformat()


def test_self_check_answers_as_you_type_in_english_and_russian(page) -> None:
    page.goto("/check/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Can I apply for the Bolashak scholarship?")
    expect(page.get_by_text("Nothing you enter is stored.")).to_be_visible()
    page.evaluate("window.selfCheckLoaded = true")  # gone if the page reloads

    page.get_by_label("Internship").check()
    page.get_by_label("Media workers").check()
    verdict = page.locator("#check-verdict")
    expect(verdict).to_contain_text("Not enough answers to decide yet")
    # the 2026 internship rules judge KAZTEST by its five blocks, and ask no GPA
    expect(page.get_by_label("Listening", exact=True)).to_be_visible()
    expect(page.get_by_label("GPA of your bachelor's or specialist diploma")).to_have_count(0)

    invitation = page.get_by_role(
        "group", name="Do you have an unconditional invitation from the foreign university or host?"
    )
    invitation.get_by_label("Yes").check()
    page.get_by_label("Foreign-language test").select_option("ielts")
    page.get_by_label("Score", exact=True).fill("6,5")
    page.get_by_label("Date you took the test").fill(_days_ago(90))
    for label, points in (
        ("Listening", "15"),
        ("Lexico-grammar", "30"),
        ("Reading", "30"),
        ("Writing", "40"),
    ):
        page.get_by_label(label, exact=True).fill(points)
    page.get_by_label("Date the KAZTEST certificate was issued").fill(_days_ago(200))
    page.get_by_label("Total work experience, in months").fill("48")
    page.get_by_label("Months in your chosen field without a break, up to today").fill("24")
    expect(verdict).to_contain_text("Not enough answers to decide yet")  # speaking is missing

    # a score out of range is a field error, not a crash, and is not counted
    speaking = page.get_by_label("Speaking", exact=True)
    speaking.fill("80")
    expect(page.locator("#id_kaztest-speaking-error")).to_have_text(
        "Error: Enter a number from 0 to 50."
    )
    expect(speaking).to_have_attribute("aria-invalid", "true")
    speaking.fill("40")
    expect(verdict).to_contain_text("You meet every requirement")
    expect(page.locator("#id_kaztest-speaking-error")).to_be_empty()
    expect(speaking).not_to_have_attribute("aria-invalid", "true")
    assert page.evaluate("window.selfCheckLoaded === true"), "the page reloaded"

    result = page.locator("#check-result")
    expect(result).to_contain_text("003_f3a44132ed8979ec.txt")
    expect(result.locator("q").first).to_contain_text("unconditional admission to training")
    expect(result.locator(".check-documents")).to_contain_text("Motivation letter")
    expect(result).to_contain_text("Your certificate reaches threshold level 3.")
    expect(result).to_contain_text("A guarantee agreement with 2 guarantors")
    assert_accessible(page)

    page.get_by_role("button", name="Русский").click()
    page.wait_for_load_state()
    page.get_by_label("Стажировка").check()
    page.get_by_label("Работники СМИ").check()
    page.get_by_label("Общий стаж работы, в месяцах").fill("20")
    expect(verdict).to_contain_text("Вы соответствуете не всем требованиям")
    expect(result).to_contain_text("Общий стаж работы не менее 3 лет: 20 мес.")
    expect(result).to_contain_text("Что изменило бы результат")
    assert_accessible(page)
