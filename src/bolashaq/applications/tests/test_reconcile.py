"""`manage.py reconcile LEDGER`: a ledger of acknowledged submissions against the database.

Each test builds real submissions through the actions (the check runs immediately in tests),
writes the ledger a load-test client would have kept, and runs the command: a true ledger
passes; a missing, doubled or hash-mismatched submission, an unacknowledged one, an altered
file, a lost upload and a broken audit chain each fail with a message naming the application.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from django.utils import timezone

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications import actions
from bolashaq.applications.models import Application
from bolashaq.applications.samples import eligible_answers, fill_answers, upload_documents
from bolashaq.applications.states import State
from bolashaq.audit.actions import audit_record
from bolashaq.audit.models import AuditHead
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme
from bolashaq.documents.models import Document
from bolashaq.notifications.models import SmsMessage

INTAKE = "master-load"


@pytest.fixture
def intake(cast) -> Intake:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code=INTAKE,
        programme=Programme.MASTER,
        titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


def applicant(number: int) -> User:
    return user_create(
        acting_user=None,
        username=f"load-{number}",
        password=None,
        role=Role.APPLICANT,
        first_name="Aruzhan",
        last_name="Bekova",
        phone=f"+7700000{number:04d}",
        language="en",
    )


class Client:
    """Plays one applicant through the actions, writing the ledger a real client would."""

    def __init__(self, ledger: list[dict[str, Any]], user: User, intake: Intake) -> None:
        self.ledger, self.user = ledger, user
        application = actions.application_start(acting_user=user, intake=intake, category="general")
        self.application = fill_answers(
            applicant=user,
            application=application,
            answers=eligible_answers(timezone.localdate()),
        )
        for document in upload_documents(applicant=user, application=self.application):
            self.record("upload", slot=document.slot, sha256=document.sha256, status=201)
        self.application.refresh_from_db()

    def record(self, kind: str, *, status: int | None, **fields: Any) -> None:
        acknowledged = status in (200, 201)
        self.ledger.append(
            {
                "kind": "request",
                "type": kind,
                "application": self.application.pk,
                "status": status,
                "acknowledged": acknowledged,
                "outcome": "ok" if acknowledged else "unknown" if status is None else "refused",
                "at": timezone.now().timestamp(),
                **fields,
            }
        )

    def sign(self) -> str:
        return actions.application_sign_request(acting_user=self.user, application=self.application)

    def submit(self, *, answered: bool = True) -> str:
        """Sign and submit; ``answered=False`` records it as a request that timed out."""
        content_hash = self.sign()
        message = SmsMessage.objects.filter(phone=self.user.phone).order_by("-pk").first()
        assert message is not None
        code = re.search(r"\b(\d{6})\b", message.body)
        assert code is not None
        with TestCase.captureOnCommitCallbacks(execute=True):
            actions.application_submit(
                acting_user=self.user,
                application=self.application,
                content_hash=content_hash,
                code=code.group(1),
            )
        self.record("submit", content_hash=content_hash, status=200 if answered else None)
        self.application.refresh_from_db()
        return content_hash


@pytest.fixture
def ledger() -> list[dict[str, Any]]:
    return [{"kind": "run", "intake": INTAKE}]


def run(ledger: list[dict[str, Any]], tmp_path: Path) -> tuple[int, str, dict[str, Any]]:
    """Write the ledger, run the command; return its exit code, output and JSON report."""
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ledger), encoding="utf-8")
    report_path = tmp_path / "report.json"
    out: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    try:
        call_command("reconcile", str(path), "--json", str(report_path), stdout=Sink())
        code = 0
    except CommandError as exc:
        code = exc.returncode
        out.append(str(exc))
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return code, "".join(out), report


def test_a_true_ledger_passes(cast, intake, ledger, tmp_path) -> None:
    first = Client(ledger, applicant(1), intake)
    first.submit()
    second = Client(ledger, applicant(2), intake)
    second.submit()
    # A retry of a submission returns the same single submission and is acknowledged again.
    ledger.append({**ledger[-1], "at": ledger[-1]["at"] + 1})
    # A draft that was never submitted is fine too.
    Client(ledger, applicant(3), intake)

    code, out, report = run(ledger, tmp_path)

    assert code == 0, out
    assert report["ok"] is True
    assert report["acknowledged"] == 2
    assert report["applications_checked"] == 3
    assert report["documents_checked"] == 18  # six per application, each file hashed
    assert report["audit_ok"] is True
    assert "OK" in out


def test_a_submission_whose_answer_was_lost_may_exist(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    client.submit(answered=False)  # done on the server, but the client never heard

    code, out, report = run(ledger, tmp_path)

    assert code == 0, out
    assert report["unknown"] == 1
    assert report["unknown_found_submitted"] == 1


def test_an_acknowledged_submission_that_is_missing_fails(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    content_hash = client.sign()  # signed, never submitted, yet the ledger says acknowledged
    client.record("submit", content_hash=content_hash, status=200)

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert f"application {client.application.pk}: acknowledged submission" in out
    assert "in state draft" in out


def test_a_submission_that_was_not_acknowledged_fails(cast, intake, ledger, tmp_path) -> None:
    acknowledged = Client(ledger, applicant(1), intake)
    acknowledged.submit()
    stray = Client(ledger, applicant(2), intake)
    stray.submit()
    ledger.pop()  # the client never sent it, as far as the ledger knows

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert f"application {stray.application.pk}: submitted" in out
    assert "never acknowledged" in out
    assert f"application {acknowledged.application.pk}" not in out


def test_a_doubled_submission_fails(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    client.submit()
    # A second submission of the same application, as a broken idempotency check would record.
    audit_record(
        acting_user=client.user,
        action="application.submit",
        target=client.application,
        old={"state": State.DRAFT},
        new={"state": State.SUBMITTED, "reasons": []},
    )

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert f"application {client.application.pk}: submitted 2 time(s)" in out


def test_a_hash_mismatch_fails(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    client.submit()
    ledger[-1]["content_hash"] = "f" * 64  # the client signed something else

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert f"application {client.application.pk}: submitted hash" in out
    assert "differs from the acknowledged ffffffffffff" in out


def test_answers_changed_after_signing_fail(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    client.submit()
    answers = dict(client.application.answers)
    answers["education"] = {**answers["education"], "gpa": "4.0"}
    Application.objects.filter(pk=client.application.pk).update(answers=answers)

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert "answers or documents changed after it was signed" in out


def test_an_altered_or_lost_file_fails(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    client.submit()
    altered, lost = Document.objects.filter(application=client.application)[:2]
    storage = storages["default"]
    with storage.open(altered.stored_name, "rb") as handle:
        data = bytearray(handle.read())
    data[-20] ^= 1
    Path(storage.path(altered.stored_name)).write_bytes(bytes(data))
    storage.delete(lost.stored_name)

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert f"document {altered.public_id} ({altered.slot}): its stored bytes do not match" in out
    assert f"document {lost.public_id} ({lost.slot}): its file is missing" in out


def test_an_acknowledged_upload_that_is_not_kept_fails(cast, intake, ledger, tmp_path) -> None:
    client = Client(ledger, applicant(1), intake)
    client.record("upload", slot="diploma", sha256="a" * 64, status=201)

    code, out, _report = run(ledger, tmp_path)

    assert code == 1
    assert "acknowledged upload to diploma (SHA-256 aaaaaaaaaaaa) is not kept" in out


def test_a_broken_audit_chain_fails(cast, intake, ledger, tmp_path) -> None:
    Client(ledger, applicant(1), intake).submit()
    AuditHead.objects.filter(pk=1).update(hash="0" * 64)

    code, out, report = run(ledger, tmp_path)

    assert code == 1
    assert report["audit_ok"] is False
    assert "audit chain: the chain head does not match the last event" in out


def test_an_unreadable_ledger_is_a_usage_error(db, tmp_path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text('{"kind": "run"}\nnot json\n', encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("reconcile", str(path))

    assert refused.value.returncode == 2
    assert "line 2 is not JSON" in str(refused.value)
