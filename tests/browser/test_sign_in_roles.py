"""An applicant and an operator sign in through the form and land on their own pages;
a wrong password is explained."""

from __future__ import annotations

import pytest

from bolashaq.accounts.roles import Role
from conftest import CAST, PASSWORD
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
