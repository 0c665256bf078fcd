"""Every user-facing string has a Kazakh and a Russian translation, none fuzzy."""

from __future__ import annotations

import re

import polib
import pytest

from bolashaq.core.i18n import CATALOGUE_LANGUAGES, NPLURALS, catalogue_path, extract_all

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@pytest.fixture(scope="module")
def messages():
    return extract_all()


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_catalogue_covers_every_message(messages, language: str) -> None:
    po = polib.pofile(str(catalogue_path(language)))
    have = {(e.msgctxt, e.msgid) for e in po if not e.obsolete}
    missing = [f"{m.origin}: {m.msgid!r}" for key, m in messages.items() if key not in have]
    assert not missing, f"{language}: run `make messages` and translate:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_no_entry_is_untranslated_or_fuzzy(language: str) -> None:
    po = polib.pofile(str(catalogue_path(language)))
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(NPLURALS[language])]
            if not all(forms):
                problems.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, f"{language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    po = polib.pofile(str(catalogue_path(language)))
    wrong = []
    for entry in po:
        expected = sorted(set(PLACEHOLDER.findall(entry.msgid)))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if text and sorted(set(PLACEHOLDER.findall(text))) != expected:
                wrong.append(f"{entry.msgid!r} -> {text!r}")
    assert not wrong, f"{language}:\n" + "\n".join(wrong)


def test_extraction_finds_template_and_python_strings(messages) -> None:
    ids = {key[1] for key in messages}
    assert "Skip to main content" in ids  # a template {% translate %}
    assert "Welcome, %(name)s." in ids  # a {% blocktranslate %} with a variable
    assert "CIP operator" in ids  # gettext_lazy in Python
