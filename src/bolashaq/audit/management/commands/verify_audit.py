"""Verify the audit chain; exit 1 and name the first altered or missing event if broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bolashaq.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log and report the first altered or missing event."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"Audit chain broken: {report.problem} ({report.checked} verified)")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events"))
