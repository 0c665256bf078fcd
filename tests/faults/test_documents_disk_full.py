"""The disk for documents full, for real: the server's writes fail with EFBIG.

The web worker's file size limit (``RLIMIT_FSIZE``) is lowered while it runs, below the size of
the document being uploaded; Python ignores SIGXFSZ, so a write past the limit fails with
``OSError(EFBIG)`` part-way through the file, as a full disk fails a write with ENOSPC. The
upload gets a clean 503 ``storage_failed`` in the user's language and nothing is half-stored;
when the limit is lifted ("space returns") the same upload succeeds and the ledger reconciles.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.utils import translation

from bolashaq.audit.models import AuditEvent
from bolashaq.documents.errors import DocumentNotStored
from bolashaq.documents.models import Document
from tests.faults.harness import (
    Client,
    Server,
    World,
    document_files,
    reconcile,
    sample_document,
    stored_files,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The largest file the worker may write while the disk is "full", and the document's size,
# bigger. Django reads an upload of an acceptable size into memory (FILE_UPLOAD_MAX_MEMORY_SIZE),
# so it is the document's storage that fails, not a temporary file.
LIMIT = 256 * 1024
DOCUMENT_SIZE = 1024 * 1024


@contextmanager
def disk_full(pid: int) -> Iterator[None]:
    """Lower ``pid``'s file size limit to LIMIT; restore it afterwards (space returns)."""
    before = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    if connection.vendor == "sqlite":
        # The worker also writes the database's WAL file; start it empty, so the few pages a
        # request may write stay far below the limit.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (LIMIT, before[1]))
    try:
        yield
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, before)


def test_a_full_disk_refuses_the_upload_cleanly_and_the_retry_works_once_space_returns(
    world: World, server: Server, client: Client
) -> None:
    client.language = "ru"  # the refusal must come in the applicant's language
    *before, last = world.slots
    application = client.draft(world.intake, before)
    data = sample_document(last, DOCUMENT_SIZE)
    worker = server.worker()

    with disk_full(worker):
        refused = client.upload(application, last, data, retry=False, check=False)

        assert refused.status == 503
        with translation.override("ru"):
            expected = str(DocumentNotStored().message)
        assert refused.json()["error"] == {
            "code": "storage_failed",
            "message": expected,
            "details": None,
        }
        assert "файл" in expected.lower()  # the Russian text, not the English msgid
        assert server.worker() == worker  # the process was not killed by SIGXFSZ
        assert "File too large" in server.log_text()  # EFBIG, logged with the file's name
        # Nothing half-stored: the partly written file is gone, no row, no audit event.
        assert stored_files(server, application) == document_files(application)
        assert not Document.objects.filter(application_id=application, slot=last).exists()
        assert not AuditEvent.objects.filter(
            action="document.upload", new__slot=last, new__application=application
        ).exists()

    client.upload(application, last, data)
    assert Document.objects.filter(application_id=application, slot=last).count() == 1
    assert stored_files(server, application) == document_files(application)
    client.sign_and_submit(application)
    reconcile(server.env, client.ledger.path)
