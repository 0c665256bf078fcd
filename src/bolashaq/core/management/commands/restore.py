"""Restore a backup made by ``manage.py backup``, then reconcile it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bolashaq.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore the backup in SRC_DIR after verifying its manifest, then compare row counts, "
        "verify the audit chain and check every document's SHA-256. Exit 0 ok, 1 verification "
        "failed, 2 usage error (nothing changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, metavar="SRC_DIR")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(src=options["src"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        self.stdout.write(f"Restored the backup of {report.created_at}")
        self.stdout.write(f"Manifest SHA-256: {report.manifest_sha256}")
        self.stdout.write(
            f"{report.tables} tables, {report.files_restored} file(s) written, "
            f"{report.audit_events} audit events verified, "
            f"{report.documents_checked} document(s) checked."
        )
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"Problem: {problem}")
            raise CommandError(
                f"Restored, but {len(report.problems)} check(s) failed.", returncode=1
            )
        self.stdout.write(self.style.SUCCESS("Restore verified."))
