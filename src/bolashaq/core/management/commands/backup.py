"""Back up the database and the stored documents into a new directory with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bolashaq.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database and the documents of the default storage into DEST_DIR (a new or "
        "empty directory), with a manifest of every file's SHA-256. Exit 0 ok, 1 failed, "
        "2 usage error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, metavar="DEST_DIR")
        parser.add_argument(
            "--no-files",
            action="store_true",
            help="Leave the documents out (object storage backed up on its own, see "
            "docs/operations/backups.md).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_create(dest=options["dest"], include_files=not options["no_files"])
        except BackupError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        manifest = result.manifest
        files = manifest["files"]
        self.stdout.write(
            f"Backup written to {result.path}: {manifest['database']['engine']} database, "
            f"{len(files) - 1} stored file(s), {sum(f['size'] for f in files)} bytes."
        )
        self.stdout.write(f"Manifest SHA-256: {result.manifest_sha256}")
