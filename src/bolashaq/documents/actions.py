"""Writes about documents: upload a file for a checklist slot, remove a slot's file.

An upload is judged by its content (``bolashaq.lib.documents``), a motivation letter also by its
text (``bolashaq.lib.letters``). The file goes to storage before its row commits and is deleted
again if the transaction fails, so a row never points at a missing file; a storage error
leaves nothing behind and raises :class:`DocumentNotStored`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bolashaq.accounts.models import User
from bolashaq.applications.models import Application
from bolashaq.applications.selectors import application_checklist
from bolashaq.applications.states import State
from bolashaq.audit.actions import audit_record
from bolashaq.core.errors import Conflict, NotFound
from bolashaq.documents.errors import DocumentNotStored, DocumentRefused, Problem
from bolashaq.documents.models import EXTENSIONS, Document
from bolashaq.lib import documents as inspection
from bolashaq.lib import letters

logger = logging.getLogger(__name__)

# The checklist slot whose text is checked against the motivation letter rules.
MOTIVATION_LETTER = "motivation_letter"
_CHUNK = 1024 * 1024


def _language(user: User) -> inspection.Lang:
    """The language the user is working in: the request's, else their saved choice."""
    for code in ((get_language() or "")[:2], user.language):
        if code == "kk":
            return "kk"
        if code == "ru":
            return "ru"
        if code == "en":
            return "en"
    return "kk"


def _owned_draft(acting_user: User, application_id: int) -> Application:
    """The acting user's own application, locked, still a draft; anyone else's is "not found"."""
    rows = Application.objects.filter(pk=application_id, applicant=acting_user)
    application = rows.select_for_update().first()
    if application is None:
        raise NotFound(_("No such application."))
    _require_own_draft(acting_user, application)
    return application


def _require_own_draft(acting_user: User, application: Application) -> None:
    if application.applicant_id != acting_user.pk:
        raise NotFound(_("No such application."))
    if application.state != State.DRAFT:
        raise Conflict(
            _(
                "Documents can be changed only while the application is a draft. "
                "Its status is “%(state)s”."
            )
            % {"state": application.get_state_display()},
            code="not_draft",
        )


def _require_slot(application: Application, slot: str) -> None:
    if slot not in {item["id"] for item in application_checklist(application)}:
        raise NotFound(_("This document is not on the application's checklist."), code="no_slot")


def _read(upload: UploadedFile[bytes], max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the upload: memory stays bounded by the limit."""
    upload.seek(0)
    parts: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = upload.read(min(_CHUNK, remaining))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _too_large_problem(lang: inspection.Lang, max_bytes: int) -> Problem:
    limit = _("The largest file accepted is %(size)s.") % {"size": filesizeformat(max_bytes)}
    return Problem("too_large", f"{inspection.message('too_large', lang)} {limit}")


def _inspect(
    upload: UploadedFile[bytes], lang: inspection.Lang
) -> tuple[bytes, inspection.Inspection]:
    max_bytes: int = settings.DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise DocumentRefused([_too_large_problem(lang, max_bytes)])
    data = _read(upload, max_bytes)
    found = inspection.inspect_upload(
        data,
        max_bytes=max_bytes,
        limits=inspection.Limits(
            max_pages=settings.DOCUMENT_MAX_PAGES, max_pixels=settings.DOCUMENT_MAX_PIXELS
        ),
    )
    if not found.ok:
        raise DocumentRefused(
            [
                _too_large_problem(lang, max_bytes)
                if code == "too_large"
                else Problem(code, inspection.message(code, lang))
                for code in found.problems
            ]
        )
    return data, found


def _check_letter(data: bytes, kind: str, lang: inspection.Lang) -> bool:
    """Check a motivation letter's text; True when it has none (a scan) and a person must read
    it. Raises :class:`DocumentRefused` when the text breaks the rules."""
    text = letters.extract_pdf_text(data) if kind == "pdf" else None
    if text is None:
        return True
    check = letters.check_motivation_letter(text)
    if not check.ok:
        raise DocumentRefused(
            [
                Problem(f"letter_{code}", message)
                for code, message in zip(check.problems, check.messages(lang), strict=True)
            ]
        )
    return False


_UNSAFE_NAME_CHARS = re.compile(r'[<>:"/\\|?*]')
_KNOWN_EXTENSIONS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
MAX_NAME_LENGTH = 200


def clean_file_name(name: str | None, *, kind: str) -> str:
    """The user's file name made safe to show and to offer as a download name.

    Directories, control and formatting characters (including right-to-left overrides that
    disguise an extension) and characters that are unsafe in file names are removed; the
    extension always matches the detected kind.
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if not unicodedata.category(c).startswith("C"))
    base = _UNSAFE_NAME_CHARS.sub("_", base)
    base = " ".join(base.split()).strip(" .")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    if _KNOWN_EXTENSIONS.get(extension.lower()) == kind:
        suffix = extension
    else:
        suffix = EXTENSIONS[kind]
        if extension.lower() not in _KNOWN_EXTENSIONS:
            stem = base
    stem = stem.strip(" .")[: MAX_NAME_LENGTH - len(suffix) - 1].rstrip(" .") or "document"
    return f"{stem}.{suffix}"


def _discard(name: str) -> None:
    try:
        storages["default"].delete(name)
    except Exception:
        logger.warning("Could not delete the stored file %s", name, exc_info=True)


def _store(name: str, data: bytes) -> str:
    """Write ``data`` under ``name``; on any storage error remove what was written and raise
    :class:`DocumentNotStored`."""
    try:
        return storages["default"].save(name, ContentFile(data))
    except Exception as exc:  # OSError (disk full), object storage errors, ...
        logger.exception("Could not store the document file %s", name)
        _discard(name)
        raise DocumentNotStored from exc


def _summary(document: Document) -> dict[str, Any]:
    """What the audit log keeps about a file: never its name, which may hold personal data."""
    return {
        "application": document.application_id,
        "slot": document.slot,
        "document": str(document.public_id),
        "kind": document.kind,
        "size": document.size,
        "page_count": document.page_count,
        "sha256": document.sha256,
        "needs_review": document.needs_review,
    }


def document_upload(
    *, acting_user: User, application: Application, slot: str, upload: UploadedFile[bytes]
) -> Document:
    """Check ``upload`` and keep it as the current document of ``slot``, replacing any.

    Only the applicant, only while the application is a draft, only for a slot on its
    checklist. Raises :class:`DocumentRefused` (with a message per problem in the user's
    language) for an unacceptable file and :class:`DocumentNotStored` when storage fails.
    """
    # A first look at the caller's copy, to refuse before reading the file; the row is checked
    # again under its lock before anything is kept.
    _require_own_draft(acting_user, application)
    _require_slot(application, slot)
    lang = _language(acting_user)
    try:
        data, found = _inspect(upload, lang)
        kind = str(found.kind)
        needs_review = _check_letter(data, kind, lang) if slot == MOTIVATION_LETTER else False
    except DocumentRefused as refused:
        logger.info(
            "Refused a file for application %s, slot %s: %s",
            application.pk,
            slot,
            ", ".join(p.code for p in refused.problems),
        )
        raise
    public_id = uuid.uuid4()
    document = Document(
        public_id=public_id,
        slot=slot,
        original_name=clean_file_name(upload.name, kind=kind),
        kind=kind,
        size=found.size,
        page_count=found.page_count,
        sha256=str(found.sha256),
        needs_review=needs_review,
        uploaded_by=acting_user,
    )
    document.stored_name = _store(
        f"documents/{application.pk}/{public_id}.{EXTENSIONS[kind]}", data
    )
    try:
        with transaction.atomic():
            locked = _owned_draft(acting_user, application.pk)
            previous = (
                Document.objects.select_for_update()
                .filter(application=locked, slot=slot, is_current=True)
                .first()
            )
            if previous is not None:
                previous.is_current = False
                previous.retired_at = timezone.now()
                previous.save(update_fields=["is_current", "retired_at"])
            document.application = locked
            document.save()
            audit_record(
                acting_user=acting_user,
                action="document.upload",
                target=document,
                old=_summary(previous) if previous is not None else None,
                new=_summary(document),
            )
    except BaseException:
        _discard(document.stored_name)
        raise
    return document


def document_remove(*, acting_user: User, document: Document) -> Document:
    """Take ``document`` off its slot. The row and the file stay, not current, for the record."""
    with transaction.atomic():
        _owned_draft(acting_user, document.application_id)
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if not locked.is_current:
            raise Conflict(
                _("This file was already replaced or removed. Reload the page."),
                code="not_current",
            )
        locked.is_current = False
        locked.retired_at = timezone.now()
        locked.save(update_fields=["is_current", "retired_at"])
        audit_record(
            acting_user=acting_user,
            action="document.remove",
            target=locked,
            old={**_summary(locked), "current": True},
            new={"current": False},
        )
    return locked
