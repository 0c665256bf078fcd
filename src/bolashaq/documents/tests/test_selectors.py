from __future__ import annotations

import uuid

import pytest

from bolashaq.accounts.roles import Role
from bolashaq.core.errors import NotFound
from bolashaq.documents.actions import document_remove, document_upload
from bolashaq.documents.selectors import (
    application_for_documents,
    checklist_status,
    document_for,
    document_hashes,
    documents_current,
)
from bolashaq.documents.tests.conftest import GOOD_PDF
from bolashaq.lib.tests import corpus


@pytest.fixture
def diploma(cast, application, upload):
    return document_upload(
        acting_user=cast[Role.APPLICANT],
        application=application,
        slot="diploma",
        upload=upload(GOOD_PDF),
    )


def test_checklist_status_pairs_each_item_with_its_file(cast, application, diploma) -> None:
    status = checklist_status(application)

    assert [item["id"] for item in status][:4] == [
        "identity",
        "unconditional_invitation",
        "employer_application",
        "diploma",
    ]
    by_slot = {item["id"]: item for item in status}
    assert by_slot["diploma"]["document"] == diploma
    assert by_slot["diploma"]["complete"] is True
    assert by_slot["identity"]["document"] is None
    assert by_slot["identity"]["complete"] is False
    assert by_slot["motivation_letter"]["title"]["en"].startswith("Motivation letter")


def test_current_documents_and_hashes_follow_replacements(
    cast, application, upload, diploma
) -> None:
    png = corpus.png_bytes()
    replacement = document_upload(
        acting_user=cast[Role.APPLICANT],
        application=application,
        slot="diploma",
        upload=upload(png, "d.png"),
    )
    identity = document_upload(
        acting_user=cast[Role.APPLICANT],
        application=application,
        slot="identity",
        upload=upload(GOOD_PDF),
    )
    assert documents_current(application) == {"diploma": replacement, "identity": identity}
    assert document_hashes(application) == {
        "diploma": replacement.sha256,
        "identity": identity.sha256,
    }
    document_remove(acting_user=cast[Role.APPLICANT], document=identity)
    assert document_hashes(application) == {"diploma": replacement.sha256}


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.OPERATOR, Role.ADMIN, Role.AUDITOR])
def test_owner_and_checking_staff_see_the_document(cast, diploma, role) -> None:
    assert document_for(cast[role], diploma.public_id) == diploma
    assert document_for(cast[role], str(diploma.public_id)) == diploma


@pytest.mark.parametrize("role", [Role.EXPERT, Role.COMMISSION, Role.CONTRACTS, Role.ALUMNI])
def test_nobody_else_sees_the_document(cast, diploma, role) -> None:
    with pytest.raises(NotFound):
        document_for(cast[role], diploma.public_id)


def test_another_applicant_does_not_see_it(diploma, other_applicant) -> None:
    with pytest.raises(NotFound):
        document_for(other_applicant, diploma.public_id)
    with pytest.raises(NotFound):
        application_for_documents(user=other_applicant, application_id=diploma.application_id)


def test_unknown_or_malformed_ids_are_not_found(cast, diploma) -> None:
    with pytest.raises(NotFound):
        document_for(cast[Role.OPERATOR], uuid.uuid4())
    with pytest.raises(NotFound):
        document_for(cast[Role.OPERATOR], "not-a-uuid")


def test_a_deactivated_account_sees_nothing(cast, diploma) -> None:
    applicant = cast[Role.APPLICANT]
    applicant.is_active = False
    applicant.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        document_for(applicant, diploma.public_id)
