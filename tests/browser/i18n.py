"""Words a browser journey looks for, taken from the project's own catalogues.

A journey in Kazakh or Russian finds its fields, buttons and answers by the same translations the
pages use, so it follows the catalogues instead of copying them: ``t("ru", "Surname")``. A msgid
with no translation in Kazakh or Russian fails here, by name, instead of as a missing label.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.functional import Promise

LANGUAGES = ("kk", "ru", "en")


def t(language: str, msgid: str | Promise) -> str:
    """``msgid`` (or a lazy translation, such as a choice's label) in ``language``, as the pages
    render it; fails if it has no translation."""
    with translation.override(language):
        text = str(msgid) if isinstance(msgid, Promise) else translation.gettext(msgid)
    with translation.override("en"):
        english = str(msgid)
    if language != "en" and text == english:
        raise AssertionError(f"{english!r} has no {language} translation in the catalogues")
    return text


def choose_language(page: Any, language: str) -> None:
    """Pick ``language`` with the switcher in the page header, as a person would."""
    from playwright.sync_api import expect

    page.locator(f".languages button[value='{language}']").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", language)
