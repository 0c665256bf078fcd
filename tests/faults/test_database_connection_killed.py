"""The database connection killed in the middle of a transaction.

On PostgreSQL the request's backend is terminated from a second connection
(``pg_terminate_backend``); on SQLite the request's connection is closed under it. Either way
the transaction cannot finish: the request fails (on PostgreSQL with 503 ``unavailable`` and
``Retry-After``, the database being out of reach; on SQLite with a server error), nothing of it
stays, the
same worker serves the client's retry on a new connection, and the ledger reconciles.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from bolashaq.audit.models import AuditEvent
from bolashaq.documents.models import Document
from tests.faults.harness import (
    Client,
    Server,
    World,
    assert_accepted_after_tasks,
    assert_submitted_once,
    document_files,
    reconcile,
    stored_files,
    submit_with_fault,
    upload_with_fault,
)

pytestmark = pytest.mark.django_db(transaction=True)


def assert_database_lost(attempt: dict[str, Any]) -> None:
    """PostgreSQL's cut connection is an outage: 503 ``unavailable``, to be tried again. On
    SQLite the injected fault closes the handle under the request, a programming error: 500."""
    if connection.vendor == "postgresql":
        assert (attempt["status"], attempt["error"]) == (503, "unavailable")
    else:
        assert attempt["status"] == 500


def test_a_connection_killed_while_submitting_rolls_back_and_the_retry_submits_once(
    world: World, server: Server, client: Client
) -> None:
    application = client.draft(world.intake, world.slots)
    worker = server.worker()

    # Killed after the signed hash was written, before the state changed.
    first = submit_with_fault(client, application, "kill-db applications.application")

    assert_database_lost(first)
    assert server.worker() == worker  # the process lived on and reconnected
    assert_submitted_once(application)
    # The code was not used up by the rolled-back attempt: the retry signed with it, once.
    assert AuditEvent.objects.filter(action="otp.verify").count() == 1
    assert_accepted_after_tasks(server.env, application)
    reconcile(server.env, client.ledger.path)


def test_a_connection_killed_while_saving_an_upload_leaves_neither_row_nor_file(
    world: World, server: Server, client: Client
) -> None:
    first, *rest = world.slots
    application = client.draft(world.intake, rest)
    worker = server.worker()

    # Killed after the file was stored and its row inserted, before the commit.
    attempts = upload_with_fault(client, application, first, "kill-db documents.document")

    assert_database_lost(attempts[0])
    assert server.worker() == worker
    # The failed attempt's file was removed with its transaction: every file has its row.
    assert stored_files(server, application) == document_files(application)
    assert Document.objects.filter(application_id=application).count() == len(world.slots)
    assert AuditEvent.objects.filter(action="document.upload").count() == len(world.slots)
    client.sign_and_submit(application)
    reconcile(server.env, client.ledger.path)
