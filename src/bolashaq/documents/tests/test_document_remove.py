from __future__ import annotations

import pytest

from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_transition
from bolashaq.applications.states import Event
from bolashaq.audit.models import AuditEvent
from bolashaq.core.errors import Conflict, NotFound
from bolashaq.documents.actions import document_remove, document_upload
from bolashaq.documents.selectors import documents_current
from bolashaq.documents.tests.conftest import GOOD_PDF, stored_files


@pytest.fixture
def document(cast, application, upload):
    return document_upload(
        acting_user=cast[Role.APPLICANT],
        application=application,
        slot="diploma",
        upload=upload(GOOD_PDF),
    )


def test_remove_empties_the_slot_and_keeps_the_record(cast, application, document, media) -> None:
    removed = document_remove(acting_user=cast[Role.APPLICANT], document=document)

    assert not removed.is_current
    assert removed.retired_at is not None
    assert documents_current(application) == {}
    assert len(stored_files(media)) == 1  # the file stays for the record
    event = AuditEvent.objects.get(action="document.remove")
    assert event.old is not None
    assert event.old["sha256"] == document.sha256
    assert event.new == {"current": False}


def test_remove_twice_is_a_conflict(cast, document) -> None:
    document_remove(acting_user=cast[Role.APPLICANT], document=document)
    with pytest.raises(Conflict):
        document_remove(acting_user=cast[Role.APPLICANT], document=document)


def test_only_the_applicant_removes(cast, document, other_applicant) -> None:
    for user in (other_applicant, cast[Role.OPERATOR], cast[Role.ADMIN]):
        with pytest.raises(NotFound):
            document_remove(acting_user=user, document=document)
    document.refresh_from_db()
    assert document.is_current


def test_no_removal_after_submission(cast, application, document) -> None:
    application_transition(
        acting_user=cast[Role.APPLICANT], application=application, event=Event.SUBMIT
    )
    with pytest.raises(Conflict):
        document_remove(acting_user=cast[Role.APPLICANT], document=document)
    document.refresh_from_db()
    assert document.is_current
