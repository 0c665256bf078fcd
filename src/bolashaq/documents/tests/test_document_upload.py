from __future__ import annotations

import errno
import hashlib

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError
from django.utils import translation

from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.states import Event
from bolashaq.audit.models import AuditEvent
from bolashaq.core.errors import Conflict, NotFound
from bolashaq.documents.actions import clean_file_name, document_upload
from bolashaq.documents.errors import DocumentNotStored, DocumentRefused
from bolashaq.documents.models import Document
from bolashaq.documents.tests.conftest import GOOD_PDF, KK_LETTER, stored_files
from bolashaq.lib.tests import corpus


def _upload(cast, application, upload, data, *, slot="diploma", name="scan.pdf"):
    return document_upload(
        acting_user=cast[Role.APPLICANT],
        application=application,
        slot=slot,
        upload=upload(data, name),
    )


@pytest.mark.parametrize(
    ("data", "name", "kind", "stored_ext"),
    [
        (GOOD_PDF, "Диплом.pdf", "pdf", "pdf"),
        (corpus.jpeg_bytes(40, 30), "photo.JPG", "jpeg", "jpg"),
        (corpus.png_bytes(width=20, height=10), "scan.png", "png", "png"),
    ],
)
def test_good_files_are_stored_with_their_sha256(
    cast, application, upload, media, data, name, kind, stored_ext
) -> None:
    document = _upload(cast, application, upload, data, name=name)

    assert document.kind == kind
    assert document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.is_current
    assert document.uploaded_by == cast[Role.APPLICANT]
    assert document.original_name == name
    # Stored under our name, never the user's, with the extension of the detected kind.
    assert document.stored_name == f"documents/{application.pk}/{document.public_id}.{stored_ext}"
    stored = media / document.stored_name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == document.sha256


def test_pdf_page_count_is_kept(cast, application, upload) -> None:
    document = _upload(cast, application, upload, corpus.many_pages_pdf(3))
    assert document.page_count == 3


def test_upload_is_audited_without_the_file_name(cast, application, upload) -> None:
    document = _upload(cast, application, upload, GOOD_PDF, name="Bekova Aruzhan diploma.pdf")
    event = AuditEvent.objects.get(action="document.upload")
    assert event.actor == cast[Role.APPLICANT]
    assert event.object_id == str(document.pk)
    assert event.old is None
    assert event.new is not None
    assert event.new["sha256"] == document.sha256
    assert event.new["slot"] == "diploma"
    assert "Bekova" not in str(event.new)


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (corpus.pe_bytes(), "diploma.pdf", "unsupported_type"),  # an executable renamed .pdf
        (corpus.encrypted_pdf(), "diploma.pdf", "pdf_encrypted"),
        (corpus.javascript_pdf(), "diploma.pdf", "pdf_javascript"),
        (b"", "diploma.pdf", "empty"),
        (corpus.zip_bytes(), "diploma.pdf", "unsupported_type"),
    ],
    ids=["renamed-executable", "encrypted", "javascript", "zero-bytes", "zip"],
)
def test_hostile_or_broken_files_are_refused(
    cast, application, upload, media, data, name, code
) -> None:
    with pytest.raises(DocumentRefused) as refused:
        _upload(cast, application, upload, data, name=name)

    assert code in [p.code for p in refused.value.problems]
    assert refused.value.status == 422
    assert not Document.objects.exists()
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(action="document.upload").exists()


def test_renamed_executable_gets_a_message_in_the_users_language(cast, application, upload) -> None:
    with translation.override("ru"), pytest.raises(DocumentRefused) as refused:
        _upload(cast, application, upload, corpus.pe_bytes(), name="setup.pdf")
    assert refused.value.messages == [
        "Этот тип файла не принимается. Загрузите файл PDF, JPEG или PNG."
    ]
    with translation.override("kk"), pytest.raises(DocumentRefused) as refused:
        _upload(cast, application, upload, corpus.pe_bytes(), name="setup.pdf")
    assert refused.value.messages[0].startswith("Бұл файл түрі қабылданбайды.")


def test_over_the_limit_is_refused_with_the_limit_named(
    cast, application, upload, settings, media
) -> None:
    settings.DOCUMENT_MAX_BYTES = 2048
    file = upload(GOOD_PDF + b"%" * 4096)
    with translation.override("en"), pytest.raises(DocumentRefused) as refused:
        document_upload(
            acting_user=cast[Role.APPLICANT], application=application, slot="diploma", upload=file
        )
    assert [p.code for p in refused.value.problems] == ["too_large"]
    assert "The largest file accepted is 2.0\xa0KB." in refused.value.messages[0]
    assert stored_files(media) == []


def test_a_slot_not_on_the_checklist_is_refused(cast, application, upload) -> None:
    # The 2023 master's checklist has a KAZTEST certificate; the 2026 internship one does not.
    with pytest.raises(NotFound):
        _upload(cast, application, upload, GOOD_PDF, slot="kaztest_certificate")
    with pytest.raises(NotFound):
        _upload(cast, application, upload, GOOD_PDF, slot="../../etc/passwd")
    assert not Document.objects.exists()


def test_no_upload_after_submission(cast, application, upload, media) -> None:
    application_transition(
        acting_user=cast[Role.APPLICANT], application=application, event=Event.SUBMIT
    )
    with translation.override("en"), pytest.raises(Conflict) as conflict:
        _upload(cast, application, upload, GOOD_PDF)
    assert conflict.value.code == "not_draft"
    assert "Submitted" in str(conflict.value.message)
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_not_into_another_applicants_application(
    cast, intake, application, upload, other_applicant, media
) -> None:
    with pytest.raises(NotFound):
        document_upload(
            acting_user=other_applicant,
            application=application,
            slot="diploma",
            upload=upload(GOOD_PDF),
        )
    # Staff cannot upload on the applicant's behalf either.
    with pytest.raises(NotFound):
        document_upload(
            acting_user=cast[Role.OPERATOR],
            application=application,
            slot="diploma",
            upload=upload(GOOD_PDF),
        )
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_replacing_keeps_the_history(cast, application, upload, media) -> None:
    first = _upload(cast, application, upload, GOOD_PDF, name="old.pdf")
    second = _upload(cast, application, upload, corpus.png_bytes(), name="new.png")

    first.refresh_from_db()
    assert not first.is_current
    assert first.retired_at is not None
    assert second.is_current
    assert list(Document.objects.filter(application=application, slot="diploma")) == [
        second,
        first,
    ]
    # Both files stay for the record.
    assert len(stored_files(media)) == 2
    event = AuditEvent.objects.filter(action="document.upload").last()
    assert event is not None
    assert event.old is not None
    assert event.new is not None
    assert event.old["document"] == str(first.public_id)
    assert event.new["document"] == str(second.public_id)


def test_the_database_allows_one_current_document_per_slot(cast, application, upload) -> None:
    first = _upload(cast, application, upload, GOOD_PDF)
    twin = Document(
        application=application,
        slot="diploma",
        stored_name="documents/x.pdf",
        original_name="x.pdf",
        kind="pdf",
        size=1,
        sha256=first.sha256,
        uploaded_by=cast[Role.APPLICANT],
    )
    with pytest.raises(IntegrityError):
        twin.save()


def test_motivation_letter_that_follows_the_rules(cast, application, upload) -> None:
    document = _upload(
        cast, application, upload, corpus.cyrillic_pdf(KK_LETTER), slot="motivation_letter"
    )
    assert document.is_current
    assert not document.needs_review


LONG_LETTER = [
    "Мен ғылым мен өндірісті дамытуға өз үлесімді қосқым келеді және білімімді арттырамын."
] * 60 + KK_LETTER[-2:]
UNSIGNED_LETTER = KK_LETTER[:-1]
ENGLISH_LETTER = [
    "Dear committee,",
    "I would like to study abroad.",
    "15.03.2026",
    "Signed: J. Smith",
]


@pytest.mark.parametrize(
    ("pdf", "code", "english"),
    [
        (corpus.cyrillic_pdf(LONG_LETTER), "letter_too_long", "longer than 500 words"),
        (corpus.text_pdf(ENGLISH_LETTER), "letter_wrong_language", "Kazakh or Russian"),
        (corpus.cyrillic_pdf(UNSIGNED_LETTER), "letter_no_signature", "No signature was found"),
    ],
    ids=["too-long", "wrong-language", "no-signature"],
)
def test_motivation_letter_breaking_the_rules_is_refused(
    cast, application, upload, media, pdf, code, english
) -> None:
    with translation.override("en"), pytest.raises(DocumentRefused) as refused:
        _upload(cast, application, upload, pdf, slot="motivation_letter")
    assert [p.code for p in refused.value.problems] == [code]
    assert english in refused.value.messages[0]
    assert stored_files(media) == []


def test_scanned_motivation_letter_goes_to_an_operator(cast, application, upload) -> None:
    document = _upload(cast, application, upload, corpus.image_only_pdf(), slot="motivation_letter")
    assert document.needs_review
    # Other slots are not read as letters.
    other = _upload(cast, application, upload, corpus.image_only_pdf(), slot="identity")
    assert not other.needs_review


def test_storage_failure_leaves_nothing_and_says_so(
    cast, application, upload, media, monkeypatch
) -> None:
    original = getattr(FileSystemStorage, "_save")  # noqa: B009 - not in the stubs

    def half_written_then_disk_full(self, name, content):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content.read()[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", half_written_then_disk_full)
    with translation.override("en"), pytest.raises(DocumentNotStored) as failed:
        _upload(cast, application, upload, GOOD_PDF)

    assert str(failed.value.message) == (
        "The file could not be stored, so nothing was saved. Please try again in a few minutes."
    )
    assert failed.value.status == 503
    assert not Document.objects.exists()
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(action="document.upload").exists()

    monkeypatch.setattr(FileSystemStorage, "_save", original)
    assert _upload(cast, application, upload, GOOD_PDF).is_current  # a retry works


def test_a_failed_transaction_removes_the_stored_file(
    cast, application, upload, media, monkeypatch
) -> None:
    def broken_audit(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("bolashaq.documents.actions.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        _upload(cast, application, upload, GOOD_PDF)
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_a_second_application_keeps_its_own_slots(cast, intake, application, upload) -> None:
    _upload(cast, application, upload, GOOD_PDF)
    applicant = cast[Role.APPLICANT]
    application_transition(acting_user=applicant, application=application, event=Event.WITHDRAW)
    again = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="engineering"
    )
    document = _upload(cast, again, upload, GOOD_PDF)
    assert document.is_current
    assert Document.objects.filter(is_current=True).count() == 2


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Диплом.pdf", "pdf", "Диплом.pdf"),
        ("C:\\Users\\me\\scan.JPEG", "jpeg", "scan.JPEG"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("invoice\u202efdp.exe", "pdf", "invoicefdp.exe.pdf"),  # right-to-left override
        ("photo.pdf", "png", "photo.png"),  # the extension follows the content
        ('a<b>c:"d".png', "png", "a_b_c__d_.png"),
        ("   ", "pdf", "document.pdf"),
        (None, "jpeg", "document.jpg"),
        ("x" * 300 + ".pdf", "pdf", "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_cleaned(name, kind, expected) -> None:
    assert clean_file_name(name, kind=kind) == expected
