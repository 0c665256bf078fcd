"""Documents of an application: upload, list and download, each permission-checked.

The same rules as the pages: the applicant uploads and removes while the application is a
draft; the applicant and CIP operators, administrators and auditors may list and download;
anyone else gets 404, so ids do not reveal which applications exist.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status, UploadedFile

from bolashaq.accounts.selectors import signed_in_user
from bolashaq.api.errors import ErrorEnvelope, error_response
from bolashaq.applications.models import Application
from bolashaq.core.errors import NotFound
from bolashaq.documents.actions import document_remove, document_upload
from bolashaq.documents.errors import DocumentRefused
from bolashaq.documents.http import document_file_response
from bolashaq.documents.models import CONTENT_TYPES, Document
from bolashaq.documents.selectors import (
    application_for_documents,
    checklist_status,
    documents_current,
)

router = Router(tags=["documents"])

ERRORS = {
    401: ErrorEnvelope,
    403: ErrorEnvelope,
    404: ErrorEnvelope,
    422: ErrorEnvelope,  # a malformed id in the path (invalid_input)
}


class DocumentOut(Schema):
    id: uuid.UUID
    slot: str
    name: str
    kind: str
    content_type: str
    size: int
    page_count: int | None
    sha256: str
    needs_review: bool
    uploaded_at: dt.datetime
    download_url: str


class SlotOut(Schema):
    slot: str
    title: dict[str, str]
    complete: bool
    document: DocumentOut | None


def _document_out(document: Document) -> DocumentOut:
    return DocumentOut(
        id=document.public_id,
        slot=document.slot,
        name=document.original_name,
        kind=document.kind,
        content_type=document.content_type,
        size=document.size,
        page_count=document.page_count,
        sha256=document.sha256,
        needs_review=document.needs_review,
        uploaded_at=document.created_at,
        download_url=reverse(
            "api:document_file",
            kwargs={"application_id": document.application_id, "slot": document.slot},
        ),
    )


def _current(application: Application, slot: str) -> Document:
    document = documents_current(application).get(slot)
    if document is None:
        raise NotFound(_("No file is uploaded for this document."))
    return document


@router.get(
    "/{application_id}/documents",
    response={200: list[SlotOut], **ERRORS},
    summary="The application's document checklist",
    description=(
        "Every document the applicant must upload (from the rule set), each with its current "
        "file or `null` and `complete`."
    ),
)
def documents_list(request: HttpRequest, application_id: int) -> list[SlotOut]:
    user = signed_in_user(request)
    application = application_for_documents(user=user, application_id=application_id)
    return [
        SlotOut(
            slot=item["id"],
            title=item["title"],
            complete=item["complete"],
            document=_document_out(item["document"]) if item["document"] else None,
        )
        for item in checklist_status(application)
    ]


@router.post(
    "/{application_id}/documents/{slot}",
    response={
        201: DocumentOut,
        409: ErrorEnvelope,
        503: ErrorEnvelope,
        **ERRORS,
    },
    summary="Upload the file for one checklist document",
    description=(
        "Multipart form with the file in the field `file` (PDF, JPEG or PNG, judged by its "
        "content). Replaces the slot's current file; the old one is kept, not current. Only "
        "the applicant, only while the application is a draft. A refused file gets 422 "
        "`document_refused` with one `{code, message}` per problem in `error.details`; a "
        "draft that is no longer a draft gets 409 `not_draft`; a storage failure gets 503 "
        "`storage_failed` (nothing was kept: try again)."
    ),
)
def document_upload_endpoint(
    request: HttpRequest, application_id: int, slot: str, file: File[UploadedFile]
) -> HttpResponse | Status[DocumentOut]:
    user = signed_in_user(request)
    application = application_for_documents(user=user, application_id=application_id)
    try:
        document = document_upload(
            acting_user=user, application=application, slot=slot, upload=file
        )
    except DocumentRefused as refused:
        from bolashaq.api.main import api

        details = [{"code": p.code, "message": p.message} for p in refused.problems]
        return error_response(
            api, request, refused.status, refused.code, str(refused.message), details
        )
    return Status(201, _document_out(document))


@router.delete(
    "/{application_id}/documents/{slot}",
    response={204: None, 409: ErrorEnvelope, **ERRORS},
    summary="Remove the file of one checklist document",
    description="The row and the file are kept, not current, for the record.",
)
def document_remove_endpoint(request: HttpRequest, application_id: int, slot: str) -> Status[None]:
    user = signed_in_user(request)
    application = application_for_documents(user=user, application_id=application_id)
    document_remove(acting_user=user, document=_current(application, slot))
    return Status(204, None)


@router.get(
    "/{application_id}/documents/{slot}/file",
    response={**ERRORS},
    url_name="document_file",
    summary="Download the current file of one checklist document",
    description="Always an attachment, with the content type detected from the file's bytes.",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file",
                "content": {
                    content_type: {"schema": {"type": "string", "format": "binary"}}
                    for content_type in CONTENT_TYPES.values()
                },
            }
        }
    },
)
def document_file(request: HttpRequest, application_id: int, slot: str) -> FileResponse:
    user = signed_in_user(request)
    application = application_for_documents(user=user, application_id=application_id)
    return document_file_response(_current(application, slot))
