"""Extract translatable strings and bring the kk and ru catalogues up to date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bolashaq.core.i18n import CATALOGUE_LANGUAGES, extract_all, fill_catalogues, sync_catalogue


class Command(BaseCommand):
    help = "Extract messages from code and templates into the kk and ru catalogues (no gettext)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fill",
            type=Path,
            action="append",
            default=[],
            help='JSON file {msgid: {"kk": text, "ru": text}} to write into the catalogues '
            "after syncing (plural entries take a list of forms). May be repeated.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        messages = extract_all()
        for language in CATALOGUE_LANGUAGES:
            added = sync_catalogue(language, messages)
            self.stdout.write(f"{language}: {len(messages)} messages, {len(added)} new")
            for msgid in added:
                self.stdout.write(f"  + {msgid[:90]}")
        for path in options["fill"]:
            translations = json.loads(path.read_text(encoding="utf-8"))
            filled = fill_catalogues(translations)
            self.stdout.write(f"{path}: filled {filled}")
