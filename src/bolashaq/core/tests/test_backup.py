"""`manage.py backup` and `manage.py restore`: nothing lost, nothing altered, on either engine.

The source is the test database (committed rows: transactional tests, because pg_dump and the
SQLite backup API read what other connections see). A fresh target is a separate SQLite file or
a separate PostgreSQL database created and dropped here, restored by a separate process, exactly
as in a restore drill.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create
from bolashaq.applications.models import Application
from bolashaq.audit.models import AuditEvent
from bolashaq.audit.selectors import audit_chain_verify
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.core.backup import documents_check
from bolashaq.documents.models import Document

ROOT = Path(__file__).resolve().parents[4]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """A default storage of our own, so the test neither sees nor leaves other files."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def world(media: Path) -> Document:
    """Users, an intake, an application, audit events and one stored document."""
    # No passwords: hashing them would only slow the test down.
    operator = user_create(
        acting_user=None, username="olga.operator", password=None, role=Role.OPERATOR
    )
    applicant = user_create(
        acting_user=None,
        username="791028302728",
        password=None,
        role=Role.APPLICANT,
        iin="791028302728",
        phone="+77011234567",
    )
    now = timezone.now()
    intake = intake_create(
        acting_user=operator,
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    public_id = uuid.uuid4()
    name = storages["default"].save(f"documents/{application.pk}/{public_id}.pdf", ContentFile(PDF))
    return Document.objects.create(
        public_id=public_id,
        application=application,
        slot="passport",
        stored_name=name,
        original_name="passport.pdf",
        kind="pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        uploaded_by=applicant,
    )


def _counts() -> dict[str, int]:
    return {
        "accounts_user": User.objects.count(),
        "applications_application": Application.objects.count(),
        "audit_auditevent": AuditEvent.objects.count(),
        "documents_document": Document.objects.count(),
    }


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        check=False,
    )


Counter = Callable[[str], int]


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[tuple[str, Counter]]:
    """A new, empty database of the test database's engine: its URL and a row counter."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"

        def count_sqlite(table: str) -> int:
            with sqlite3.connect(path) as db:
                return int(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608

        yield f"sqlite:///{path}", count_sqlite
        return
    import psycopg

    params = connection.settings_dict
    name = f"{params['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    user = quote(str(params.get("USER") or ""))
    password = quote(str(params.get("PASSWORD") or ""))
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    url = f"postgres://{auth}{params.get('HOST') or ''}:{params.get('PORT') or 5432}/{name}"

    def count_postgres(table: str) -> int:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as db:
            row = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()  # noqa: S608
            assert row is not None
            return int(row[0])

    try:
        yield url, count_postgres
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_a_fresh_database_and_reconciles(world, tmp_path) -> None:
    before = _counts()
    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["engine"] == connection.vendor
    for table, rows in before.items():
        assert manifest["database"]["tables"][table] == rows
    assert {"path": f"files/{world.stored_name}", "sha256": world.sha256, "size": len(PDF)} in (
        manifest["files"]
    )
    assert "audit.0002_append_only" in manifest["migrations"]
    # The backup itself is audited, as the system, after the copy was taken.
    event = AuditEvent.objects.get(action="backup.create")
    assert (event.actor, event.actor_label, event.object_type) == (None, "system", "backup")

    restored_media = tmp_path / "restored-media"
    with fresh_database(tmp_path) as (url, count):
        env = {"DATABASE_URL": url, "MEDIA_ROOT": str(restored_media)}
        result = _manage("restore", str(tmp_path / "backup"), env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Restore verified." in result.stdout
        assert "1 document(s) checked" in result.stdout

        for table, expected in before.items():
            # The restore appends its own audit event to the restored chain.
            extra = 1 if table == "audit_auditevent" else 0
            assert count(table) == expected + extra, table
        audit = _manage("verify_audit", env=env)
        assert audit.returncode == 0, audit.stdout + audit.stderr
        assert f"intact: {before['audit_auditevent'] + 1} events" in audit.stdout
        assert (restored_media / world.stored_name).read_bytes() == PDF

        # A database that holds data is not overwritten without --force.
        again = _manage("restore", str(tmp_path / "backup"), env=env)
        assert again.returncode == 2
        assert "--force" in again.stderr


def _tamper_file(backup: Path, document: Document) -> None:
    path = backup / "files" / document.stored_name
    path.write_bytes(path.read_bytes().replace(b"PDF-1.4", b"PDF-1.5"))


def _tamper_database(backup: Path, document: Document) -> None:
    database = next(p for p in backup.iterdir() if p.name.startswith("database."))
    with database.open("r+b") as handle:
        handle.truncate(database.stat().st_size - 1)


def _plant_file(backup: Path, document: Document) -> None:
    (backup / "files" / "documents" / "planted.pdf").write_bytes(PDF)


def _point_outside(backup: Path, document: Document) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"][-1]["path"] = "files/../../outside.pdf"
    (backup / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_tamper_file, "does not match its SHA-256"),
        (_tamper_database, "does not match its SHA-256"),
        (_plant_file, "not in the manifest"),
        (_point_outside, "unsafe path"),
    ],
)
def test_a_tampered_backup_is_refused_and_nothing_changes(world, tmp_path, tamper, message) -> None:
    call_command("backup", str(tmp_path / "backup"))
    tamper(tmp_path / "backup", world)
    user_create(acting_user=None, username="after.backup", password=None, role=Role.OPERATOR)
    before = _counts()
    with pytest.raises(CommandError, match=message) as refused:
        call_command("restore", str(tmp_path / "backup"), force=True)
    assert refused.value.returncode == 1
    assert _counts() == before
    assert User.objects.filter(username="after.backup").exists()


def test_force_replaces_a_database_in_use_with_the_backup(world, media, tmp_path) -> None:
    before = _counts()
    call_command("backup", str(tmp_path / "backup"))
    user_create(acting_user=None, username="after.backup", password=None, role=Role.OPERATOR)
    (media / world.stored_name).write_bytes(b"%PDF-1.4 overwritten")

    with pytest.raises(CommandError, match="--force") as refused:
        call_command("restore", str(tmp_path / "backup"))
    assert refused.value.returncode == 2
    assert User.objects.filter(username="after.backup").exists()

    call_command("restore", str(tmp_path / "backup"), force=True)
    assert not User.objects.filter(username="after.backup").exists()
    assert (media / world.stored_name).read_bytes() == PDF
    after = _counts()
    assert after == {**before, "audit_auditevent": before["audit_auditevent"] + 1}
    assert AuditEvent.objects.latest("seq").action == "backup.restore"
    assert audit_chain_verify().ok


def test_restore_fails_when_a_document_does_not_match_its_recorded_hash(world, tmp_path) -> None:
    # The row says one thing and the stored file another: the backup copies both faithfully,
    # and the reconciliation after the restore reports it.
    Document.objects.filter(pk=world.pk).update(sha256="0" * 64)
    call_command("backup", str(tmp_path / "backup"))
    with pytest.raises(CommandError, match="1 check") as failed:
        call_command("restore", str(tmp_path / "backup"), force=True)
    assert failed.value.returncode == 1
    checked, problems = documents_check()
    assert checked == 1
    assert problems == [f"document {world.public_id}: its file does not match its SHA-256"]


def test_a_missing_document_file_is_reported(world, media) -> None:
    (media / world.stored_name).unlink()
    assert documents_check() == (1, [f"document {world.public_id}: its file is missing"])


def test_backup_refuses_a_directory_that_is_not_empty(world, tmp_path) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not an empty directory") as refused:
        call_command("backup", str(tmp_path / "backup"))
    assert refused.value.returncode == 2
    assert (tmp_path / "backup" / "old.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
