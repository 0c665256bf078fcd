"""Load the demo data (idempotent). Refuses to run unless DEBUG is on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.demo.data import ALL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create one demo user per role and demo applicants (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data has public passwords; load it only with DEBUG=true.")
        created = 0
        for demo in ALL:
            if User.objects.filter(username=demo.username).exists():
                continue
            user_create(
                acting_user=None,
                username=demo.username,
                password=DEMO_PASSWORD,
                role=demo.role,
                first_name=demo.first_name,
                last_name=demo.last_name,
                language=demo.language,
                iin=demo.username if demo.username.isdigit() else None,
            )
            created += 1
        self.stdout.write(f"Demo data ready ({created} users created).")
