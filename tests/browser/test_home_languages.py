"""A visitor reads the home page in Kazakh, switches to Russian and English, and the choice
stays after a reload."""

from __future__ import annotations

from tests.browser.conftest import assert_accessible


def test_home_page_in_three_languages_with_the_switcher(page) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("h1").inner_text() == "«Болашақ» халықаралық стипендиясы"
    assert_accessible(page)

    page.get_by_role("button", name="Русский").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Международная стипендия «Болашак»"
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Bolashak international scholarship"
    assert_accessible(page)

    page.reload()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="English").get_attribute("aria-current") == "true"


def test_skip_link_moves_focus_to_the_content(page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    skip.press("Enter")
    assert page.url.endswith("#main")
