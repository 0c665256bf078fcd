"""A web worker killed during an upload, and after a submission committed but before its answer.

gunicorn's master starts a new worker; the client, which got no answer, sends the same request
again; the result is one submission, its automatic check and notification happen, nothing is
half-stored, and the ledger reconciles.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bolashaq.applications.models import Application
from bolashaq.audit.models import AuditEvent
from bolashaq.documents.models import Document
from bolashaq.notifications.models import SmsMessage
from tests.faults.harness import (
    Client,
    Server,
    World,
    ledger_for,
    raw_partial_upload,
    reconcile,
    run_tasks,
    sample_document,
)

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files(server: Server, application: int) -> set[str]:
    folder = server.media / "documents" / str(application)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def closed_without_answer(sock: socket.socket) -> bool:
    """The server closed the connection (reset, as unread data was pending) and said nothing."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def document_files(application: int) -> set[str]:
    return {
        Path(name).name
        for name in Document.objects.filter(application_id=application).values_list(
            "stored_name", flat=True
        )
    }


@pytest.mark.parametrize(
    "fault",
    ["kill-after-commit applications.application", "kill-before-response"],
    ids=["right-after-commit", "before-the-response"],
)
def test_a_worker_killed_after_the_submission_committed_gives_one_submission_checked_once(
    world: World, server: Server, tmp_path: Path, fault: str
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.draft(world.intake, world.slots)
    worker = server.worker()

    answer = client.sign_and_submit(application, fault=fault)

    assert answer.json()["state"] == "submitted"
    first, *retries = [r for r in ledger.requests if r["type"] == "submit"]
    assert first["status"] is None  # killed: no answer
    assert first["outcome"] == "unknown"
    assert retries[-1]["acknowledged"]
    assert server.wait_replaced(worker) != worker
    submitted = Application.objects.get(pk=application)
    assert submitted.state == "submitted"
    assert (
        AuditEvent.objects.filter(action="application.submit", object_id=str(application)).count()
        == 1
    )
    # What follows the commit was queued with it: the check decides, the applicant is told once.
    run_tasks(server.env)
    assert Application.objects.get(pk=application).state == "accepted"
    texts = list(
        SmsMessage.objects.filter(phone=world.applicants[0].phone).values_list("body", flat=True)
    )
    assert sum("has been submitted" in t for t in texts) == 1
    assert sum("has been accepted" in t for t in texts) == 1
    client.close()
    report = reconcile(server.env, ledger.path)
    assert report["acknowledged"] == 1


def test_a_worker_killed_while_receiving_an_upload_stores_nothing_and_the_retry_works(
    world: World, server: Server, tmp_path: Path
) -> None:
    who = world.applicants[0]
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, who)
    application = client.start(world.intake)
    client.fill(application)
    last = world.slots[-1]
    client.upload_all(application, world.slots, skip=(last,))
    before = stored_files(server, application)

    # Half the body is sent; the worker is inside the request, waiting for the rest. The file
    # is bigger than the 2.5 MB Django keeps in memory by default while reading a request.
    data = sample_document(last, 3 * 1024 * 1024)
    sock = raw_partial_upload(server.port, who.token, application, last, data)
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
    assert stored_files(server, application) == before == document_files(application)
    # Nor any part of the document in a temporary file.
    assert list(server.tmp.iterdir()) == []
    assert not AuditEvent.objects.filter(
        action="document.upload", new__slot=last, new__application=application
    ).exists()

    client.upload(application, last, data)
    client.sign_and_submit(application)
    client.close()
    reconcile(server.env, ledger.path)


def test_a_worker_killed_after_storing_a_file_before_its_row_commits_leaves_no_row(
    world: World, server: Server, tmp_path: Path
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.start(world.intake)
    client.fill(application)
    first = world.slots[0]
    worker = server.worker()

    client.upload(
        application, first, sample_document(first), fault="kill-in-transaction documents.document"
    )

    server.wait_replaced(worker)
    attempts = [r for r in ledger.requests if r["type"] == "upload"]
    assert attempts[0]["outcome"] == "unknown"
    assert attempts[-1]["acknowledged"]
    documents = Document.objects.filter(application_id=application)
    assert [d.slot for d in documents] == [first]
    assert documents.get().sha256 == attempts[-1]["sha256"]
    assert AuditEvent.objects.filter(action="document.upload").count() == 1
    # The killed attempt's file was written before its row: it is left, and no row names it.
    orphans = stored_files(server, application) - document_files(application)
    assert len(orphans) == 1

    client.upload_all(application, world.slots, skip=(first,))
    client.sign_and_submit(application)
    client.close()
    report = reconcile(server.env, ledger.path, unreferenced_files=True)
    # The reconciliation passes (no acknowledged upload refers to the file) and lists it.
    assert report["unreferenced_files"] == [f"documents/{application}/{orphans.pop()}"]


def test_a_worker_killed_after_an_upload_committed_keeps_one_current_copy(
    world: World, server: Server, tmp_path: Path
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.start(world.intake)
    client.fill(application)
    first = world.slots[0]
    worker = server.worker()

    client.upload(
        application, first, sample_document(first), fault="kill-after-commit documents.document"
    )

    server.wait_replaced(worker)
    attempts = [r for r in ledger.requests if r["type"] == "upload"]
    assert attempts[0]["status"] is None
    assert attempts[-1]["acknowledged"]
    # The killed attempt was kept; the retry replaced it with the same bytes: one current copy,
    # the other kept, retired, as any replaced document is.
    documents = Document.objects.filter(application_id=application, slot=first)
    assert sorted(d.is_current for d in documents) == [False, True]
    assert {d.sha256 for d in documents} == {attempts[-1]["sha256"]}
    assert stored_files(server, application) == document_files(application)

    client.upload_all(application, world.slots, skip=(first,))
    client.sign_and_submit(application)
    client.close()
    reconcile(server.env, ledger.path)
