"""The database connection killed in the middle of a transaction.

On PostgreSQL the request's backend is terminated from a second connection
(``pg_terminate_backend``); on SQLite the request's connection is closed under it. Either way
the transaction cannot finish: the request fails with a server error, nothing of it stays, the
same worker serves the client's retry on a new connection, and the ledger reconciles.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bolashaq.applications.models import Application
from bolashaq.audit.models import AuditEvent
from bolashaq.documents.models import Document
from tests.faults.harness import (
    Client,
    Server,
    World,
    ledger_for,
    reconcile,
    run_tasks,
    sample_document,
)
from tests.faults.test_web_worker_killed import document_files, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_connection_killed_while_submitting_rolls_back_and_the_retry_submits_once(
    world: World, server: Server, tmp_path: Path
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.draft(world.intake, world.slots)
    worker = server.worker()

    # Killed after the signed hash was written, before the state changed.
    answer = client.sign_and_submit(application, fault="kill-db applications.application")

    assert answer.json()["state"] == "submitted"
    first, *retries = [r for r in ledger.requests if r["type"] == "submit"]
    assert first["status"] == 500
    assert first["outcome"] == "unknown"
    assert retries[-1]["acknowledged"]
    assert server.worker() == worker  # the process lived on and reconnected
    assert (
        AuditEvent.objects.filter(action="application.submit", object_id=str(application)).count()
        == 1
    )
    # The code was not used up by the rolled-back attempt: the retry signed with it, once.
    assert AuditEvent.objects.filter(action="otp.verify").count() == 1
    run_tasks(server.env)
    assert Application.objects.get(pk=application).state == "accepted"
    client.close()
    reconcile(server.env, ledger.path)


def test_a_connection_killed_while_saving_an_upload_leaves_neither_row_nor_file(
    world: World, server: Server, tmp_path: Path
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.start(world.intake)
    client.fill(application)
    first = world.slots[0]
    client.upload_all(application, world.slots, skip=(first,))
    worker = server.worker()

    # Killed after the file was stored and its row inserted, before the commit.
    client.upload(application, first, sample_document(first), fault="kill-db documents.document")

    attempts = [r for r in ledger.requests if r["type"] == "upload" and r["slot"] == first]
    assert attempts[0]["status"] == 500
    assert attempts[-1]["acknowledged"]
    assert server.worker() == worker
    # The failed attempt's file was removed with its transaction: every file has its row.
    assert stored_files(server, application) == document_files(application)
    assert Document.objects.filter(application_id=application).count() == len(world.slots)
    assert AuditEvent.objects.filter(action="document.upload").count() == len(world.slots)
    client.sign_and_submit(application)
    client.close()
    reconcile(server.env, ledger.path)
