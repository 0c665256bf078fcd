"""An applicant registers (once in English, once in Kazakh), confirms the phone with the code
from the SMS, signs out, and signs in again with the password and a new code."""

from __future__ import annotations

from datetime import date

from bolashaq.accounts.tests.helpers import last_code
from bolashaq.lib.iin import make_iin
from tests.browser.conftest import assert_accessible

PASSWORD = "altai-mountains-2026"


def _fill(page, labels: dict[str, str]) -> None:
    for label, value in labels.items():
        page.get_by_label(label, exact=True).fill(value)


def test_register_in_english_then_sign_in_with_a_code(page) -> None:
    iin = make_iin(date(1999, 2, 11), "female", 501)
    page.goto("/accounts/sign-in/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Register as an applicant").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Register as an applicant"
    assert page.get_by_role("heading", name="Consent to the collection").is_visible()
    assert_accessible(page)

    # A first try with a mistyped IIN and no consent is explained, with nothing created.
    _fill(page, {"IIN": iin[:11] + str((int(iin[11]) + 1) % 10)})
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert").inner_text()
    assert "check digit does not match" in summary
    assert "agree to the processing" in summary
    assert_accessible(page)

    _fill(
        page,
        {
            "IIN": iin,
            "Surname": "Smagulova",
            "First name": "Madina",
            "Date of birth": "1999-02-11",
            "Mobile phone": "8 (705) 123-45-67",
            "E-mail address": "madina@example.kz",
            "Password": PASSWORD,
            "Repeat the password": PASSWORD,
        },
    )
    page.get_by_label("Language for messages").select_option("en")
    page.get_by_label("I have read the consent above").check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()

    assert page.locator("h1").inner_text() == "Confirm your phone number"
    assert "+7705*****67" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Code from the SMS").fill(last_code("+77051234567"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert page.url.endswith("/portal/")
    assert "Your phone number is confirmed" in page.locator("main").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto("/accounts/sign-in/")
    page.get_by_label("IIN or username").fill(iin)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Enter the code from the SMS"
    assert_accessible(page)
    page.get_by_label("Code from the SMS").fill(last_code("+77051234567"))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.endswith("/portal/")
    assert page.locator("h1").inner_text() == "My applications"


def test_register_in_kazakh(page) -> None:
    iin = make_iin(date(2000, 12, 1), "male", 88)
    page.goto("/accounts/register/")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("h1").inner_text() == "Үміткер ретінде тіркелу"
    assert_accessible(page)
    _fill(
        page,
        {
            "ЖСН": iin,
            "Тегі": "Жұмабаев",
            "Аты": "Нұрсұлтан",
            "Әкесінің аты (бар болса)": "Қайратұлы",
            "Туған күні": "2000-12-01",
            "Ұялы телефон": "+7 777 000 11 22",
            "Электрондық пошта мекенжайы": "nursultan@example.kz",
            "Құпиясөз": PASSWORD,
            "Құпиясөзді қайталаңыз": PASSWORD,
        },
    )
    page.get_by_label("Жоғарыдағы келісіммен таныстым").check()
    page.get_by_role("button", name="Тіркелу").click()
    page.wait_for_load_state()

    assert page.locator("h1").inner_text() == "Телефон нөміріңізді растаңыз"
    assert_accessible(page)
    page.get_by_label("SMS-тегі код").fill(last_code("+77770001122"))
    page.get_by_role("button", name="Растау").click()
    page.wait_for_load_state()
    assert page.url.endswith("/portal/")
    assert "Телефон нөміріңіз расталды" in page.locator("main").inner_text()
