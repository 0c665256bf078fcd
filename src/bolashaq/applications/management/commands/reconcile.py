"""Reconcile a client's ledger of submissions with the database (after a load test)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bolashaq.applications.reconcile import LedgerError, ledger_read, reconcile


class Command(BaseCommand):
    help = (
        "Prove from the database that every submission acknowledged in LEDGER (JSON lines, as "
        "benchmarks/submission_load.py writes) exists exactly once with the signed hash and "
        "intact files, that no submission exists the ledger did not acknowledge (unless its "
        "outcome was unknown), and that the audit chain verifies. Exit 0 ok, 1 problems found, "
        "2 the ledger cannot be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ledger", type=Path, metavar="LEDGER")
        parser.add_argument(
            "--intake",
            action="append",
            default=[],
            metavar="CODE",
            help="Search this intake for unacknowledged submissions (repeatable; default: the "
            "intakes in the ledger's run records).",
        )
        parser.add_argument(
            "--json", type=Path, metavar="FILE", help="Also write the report as JSON to FILE."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["ledger"]
        if not path.is_file():
            raise CommandError(f"No ledger at {path}.", returncode=2)
        try:
            report = reconcile(ledger_read(path), intakes=options["intake"])
        except LedgerError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from exc
        if options["json"]:
            result = {**dataclasses.asdict(report), "ok": report.ok}
            options["json"].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        lines = report.lines()
        for line in lines[:-1] if report.ok else lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"Reconciliation failed: {len(report.problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS(lines[-1]))
