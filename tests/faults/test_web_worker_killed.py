"""A web worker killed during an upload, and after a submission committed but before its answer.

gunicorn's master starts a new worker; the client, which got no answer, sends the same request
again; the result is one submission, its automatic check and notification happen, nothing is
half-stored, and the ledger reconciles.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bolashaq.applications.models import Application
from bolashaq.audit.models import AuditEvent
from bolashaq.documents.models import Document
from bolashaq.notifications.models import SmsMessage
from tests.faults.harness import (
    ACCEPTED,
    SUBMITTED,
    Client,
    Server,
    World,
    assert_accepted_after_tasks,
    assert_submitted_once,
    document_files,
    raw_partial_upload,
    reconcile,
    sample_document,
    stored_files,
    submit_with_fault,
    upload_with_fault,
)

pytestmark = pytest.mark.django_db(transaction=True)


def closed_without_answer(sock: socket.socket) -> bool:
    """The server closed the connection (reset, as unread data was pending) and said nothing."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def upload_killing_the_worker(
    server: Server, client: Client, application: int, slot: str, fault: str
) -> list[dict[str, Any]]:
    """Upload to ``slot`` with ``fault``, which kills the worker; the client's retry is served
    by the worker gunicorn started instead. The upload's attempts."""
    worker = server.worker()
    attempts = upload_with_fault(client, application, slot, fault)
    server.wait_replaced(worker)
    return attempts


@pytest.mark.parametrize(
    "fault",
    ["kill-after-commit applications.application", "kill-before-response"],
    ids=["right-after-commit", "before-the-response"],
)
def test_a_worker_killed_after_the_submission_committed_gives_one_submission_checked_once(
    world: World, server: Server, client: Client, fault: str
) -> None:
    application = client.draft(world.intake, world.slots)
    worker = server.worker()

    first = submit_with_fault(client, application, fault)

    assert first["status"] is None  # killed: no answer
    assert server.wait_replaced(worker) != worker
    assert Application.objects.get(pk=application).state == "submitted"
    assert_submitted_once(application)
    # What follows the commit was queued with it: the check decides, the applicant is told once.
    assert_accepted_after_tasks(server.env, application)
    texts = list(
        SmsMessage.objects.filter(phone=world.applicants[0].phone).values_list("body", flat=True)
    )
    assert sum(SUBMITTED in t for t in texts) == 1
    assert sum(ACCEPTED in t for t in texts) == 1
    report = reconcile(server.env, client.ledger.path)
    assert report["acknowledged"] == 1


def test_a_worker_killed_while_receiving_an_upload_stores_nothing_and_the_retry_works(
    world: World, server: Server, client: Client
) -> None:
    *before, last = world.slots
    application = client.draft(world.intake, before)
    stored_before = stored_files(server, application)

    # Half the body is sent; the worker is inside the request, waiting for the rest. The file
    # is bigger than the 2.5 MB Django keeps in memory by default while reading a request.
    data = sample_document(last, 3 * 1024 * 1024)
    sock = raw_partial_upload(server.port, client.who.token, application, last, data)
    try:
        announced = server.wait_announced()
        worker = server.worker()
        assert announced["pid"] == worker
        server.kill_worker(worker)
        assert closed_without_answer(sock)
    finally:
        sock.close()
    server.wait_replaced(worker)

    assert not Document.objects.filter(application_id=application, slot=last).exists()
    assert stored_files(server, application) == stored_before == document_files(application)
    # Nor any part of the document in a temporary file.
    assert list(server.tmp.iterdir()) == []
    assert not AuditEvent.objects.filter(
        action="document.upload", new__slot=last, new__application=application
    ).exists()

    client.upload(application, last, data)
    client.sign_and_submit(application)
    reconcile(server.env, client.ledger.path)


def test_a_worker_killed_after_storing_a_file_before_its_row_commits_leaves_no_row(
    world: World, server: Server, client: Client
) -> None:
    first, *rest = world.slots
    application = client.draft(world.intake, [])

    attempts = upload_killing_the_worker(
        server, client, application, first, "kill-in-transaction documents.document"
    )

    assert attempts[0]["outcome"] == "unknown"
    documents = Document.objects.filter(application_id=application)
    assert [d.slot for d in documents] == [first]
    assert documents.get().sha256 == attempts[-1]["sha256"]
    assert AuditEvent.objects.filter(action="document.upload").count() == 1
    # The killed attempt's file was written before its row: it is left, and no row names it.
    orphans = stored_files(server, application) - document_files(application)
    assert len(orphans) == 1

    client.upload_all(application, rest)
    client.sign_and_submit(application)
    report = reconcile(server.env, client.ledger.path, unreferenced_files=True)
    # The reconciliation passes (no acknowledged upload refers to the file) and lists it.
    assert report["unreferenced_files"] == [f"documents/{application}/{orphans.pop()}"]


def test_a_worker_killed_after_an_upload_committed_keeps_one_current_copy(
    world: World, server: Server, client: Client
) -> None:
    first, *rest = world.slots
    application = client.draft(world.intake, [])

    attempts = upload_killing_the_worker(
        server, client, application, first, "kill-after-commit documents.document"
    )

    assert attempts[0]["status"] is None
    # The killed attempt was kept; the retry replaced it with the same bytes: one current copy,
    # the other kept, retired, as any replaced document is.
    documents = Document.objects.filter(application_id=application, slot=first)
    assert sorted(d.is_current for d in documents) == [False, True]
    assert {d.sha256 for d in documents} == {attempts[-1]["sha256"]}
    assert stored_files(server, application) == document_files(application)

    client.upload_all(application, rest)
    client.sign_and_submit(application)
    reconcile(server.env, client.ledger.path)
