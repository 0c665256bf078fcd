"""Reads about documents, and who may see them.

The owning applicant and CIP staff who check or audit applications (operator, administrator,
auditor) may see an application's documents. Nobody else: not experts or commission members
(they see anonymised material elsewhere), not other applicants. Refusals are "not found", so
ids do not reveal what exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import IO, Any

from django.core.files.storage import storages
from django.utils.translation import gettext as _

from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.models import Application
from bolashaq.applications.selectors import application_checklist
from bolashaq.core.errors import NotFound
from bolashaq.documents.models import Document

# Staff roles that may read every application's documents.
READER_ROLES = frozenset({Role.OPERATOR, Role.ADMIN, Role.AUDITOR})


def may_see_documents(user: User, application: Application) -> bool:
    if not user.is_active:
        return False
    return application.applicant_id == user.pk or user.role in READER_ROLES


def application_for_documents(*, user: User, application_id: int) -> Application:
    """The application if ``user`` may see its documents; otherwise :class:`NotFound`."""
    application = Application.objects.select_related("intake").filter(pk=application_id).first()
    if application is None or not may_see_documents(user, application):
        raise NotFound(_("No such application."))
    return application


def documents_current(application: Application) -> dict[str, Document]:
    """The current document of each slot that has one."""
    rows = Document.objects.filter(application=application, is_current=True)
    return {document.slot: document for document in rows}


def document_hashes(application: Application) -> dict[str, str]:
    """Slot → SHA-256 of its current file: what a signature over the application binds."""
    rows = (
        Document.objects.filter(application=application, is_current=True)
        .order_by("slot")
        .values_list("slot", "sha256")
    )
    return dict(rows)


def checklist_status(
    application: Application, *, current: Mapping[str, Document] | None = None
) -> list[dict[str, Any]]:
    """Each checklist item (``id``, ``title`` in kk/ru/en) with its current ``document`` (or
    ``None``) and ``complete``. ``current``: :func:`documents_current`, if already read."""
    if current is None:
        current = documents_current(application)
    return [
        {
            "id": item["id"],
            "title": item["title"],
            "document": current.get(item["id"]),
            "complete": item["id"] in current,
        }
        for item in application_checklist(application)
    ]


def checklist_item(application: Application, slot: str) -> dict[str, Any]:
    """One item of :func:`checklist_status`; :class:`NotFound` if ``slot`` is not on it."""
    for item in checklist_status(application):
        if item["id"] == slot:
            return item
    raise NotFound(_("This document is not on the application's checklist."), code="no_slot")


def document_for(user: User, public_id: uuid.UUID | str) -> Document:
    """The document if ``user`` may see it; otherwise :class:`NotFound` (never "forbidden")."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(_("No such document.")) from None
    document = Document.objects.select_related("application").filter(public_id=key).first()
    if document is None or not may_see_documents(user, document.application):
        raise NotFound(_("No such document."))
    return document


def document_open(document: Document) -> IO[bytes]:
    """The stored file, opened for reading; the caller closes it."""
    file: IO[bytes] = storages["default"].open(document.stored_name, "rb")
    return file
