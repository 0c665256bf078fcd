"""Escalate operator review cases close to their deadline (the worker also does it regularly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bolashaq.applications.review import review_escalate


class Command(BaseCommand):
    help = (
        "Mark review cases due within REVIEW_ESCALATE_BEFORE_HOURS working hours (or overdue) "
        "as escalated and e-mail operators and administrators. Safe to run repeatedly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = review_escalate()
        numbers = ", ".join(str(a.pk) for a in escalated) or "-"
        self.stdout.write(f"escalated {len(escalated)}: {numbers}")
