"""An applicant and an operator sign in through the form with a password and the code sent
by SMS, and land on their own pages; a wrong password and a wrong code are explained."""

from __future__ import annotations

import pytest

from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from conftest import CAST, PASSWORD, cast_phone
from tests.browser.conftest import assert_accessible


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/sign-in/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("IIN or username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("role", "path", "heading"),
    [
        (Role.APPLICANT, "/portal/", "My applications"),
        (Role.OPERATOR, "/office/", "Back office"),
    ],
)
def test_role_signs_in_to_its_own_home(page, cast, role, path, heading) -> None:
    _sign_in(page, CAST[role][0], PASSWORD)
    assert page.url.endswith("/accounts/sign-in/code/")
    assert page.locator("h1").inner_text() == "Enter the code from the SMS"
    assert_accessible(page)
    page.get_by_label("Code from the SMS").fill(last_code(cast_phone(role)))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.endswith(path)
    assert page.locator("h1").inner_text() == heading
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.locator("header").get_by_role("link", name="Sign in").is_visible()


def test_wrong_password_is_explained(page, cast) -> None:
    _sign_in(page, CAST[Role.OPERATOR][0], "not-the-password")
    assert page.url.endswith("/accounts/sign-in/")
    assert "do not match" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_wrong_code_is_explained(page, cast) -> None:
    _sign_in(page, CAST[Role.APPLICANT][0], PASSWORD)
    code = last_code(cast_phone(Role.APPLICANT))
    page.get_by_label("Code from the SMS").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/sign-in/code/")
    assert "The code is wrong" in page.locator("main").inner_text()
    assert_accessible(page)
