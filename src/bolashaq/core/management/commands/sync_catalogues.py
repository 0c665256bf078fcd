"""Extract translatable strings and bring the kk and ru catalogues up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bolashaq.core.i18n import CATALOGUE_LANGUAGES, extract_all, sync_catalogue


class Command(BaseCommand):
    help = "Extract messages from code and templates into the kk and ru catalogues (no gettext)."

    def handle(self, *args: Any, **options: Any) -> None:
        messages = extract_all()
        for language in CATALOGUE_LANGUAGES:
            added = sync_catalogue(language, messages)
            self.stdout.write(f"{language}: {len(messages)} messages, {len(added)} new")
            for msgid in added:
                self.stdout.write(f"  + {msgid[:90]}")
