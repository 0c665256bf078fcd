"""Compile the .po catalogues into .mo files (polib; GNU gettext not needed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bolashaq.core.i18n import compile_catalogues


class Command(BaseCommand):
    help = "Compile translation catalogues that changed since they were last compiled."

    def handle(self, *args: Any, **options: Any) -> None:
        for path in compile_catalogues():
            self.stdout.write(f"compiled {path}")
