"""A visitor with low vision switches to the larger, high-contrast version and back."""

from __future__ import annotations

from tests.browser.conftest import assert_accessible


def _font_size(page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def test_low_vision_mode_enlarges_and_darkens_and_is_remembered(page) -> None:
    page.goto("/")
    normal = _font_size(page)
    toggle = page.locator("button[aria-pressed]")
    assert toggle.get_attribute("aria-pressed") == "false"

    toggle.click()
    page.wait_for_load_state()
    assert "low-vision" in (page.locator("html").get_attribute("class") or "")
    assert _font_size(page) >= normal * 1.3
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    assert page.locator("button[aria-pressed]").get_attribute("aria-pressed") == "true"
    assert_accessible(page)

    page.goto("/accounts/sign-in/")
    assert "low-vision" in (page.locator("html").get_attribute("class") or "")
    assert_accessible(page)

    page.locator("button[aria-pressed]").click()
    page.wait_for_load_state()
    assert "low-vision" not in (page.locator("html").get_attribute("class") or "")
