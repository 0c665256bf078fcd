from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from bolashaq.accounts.roles import Role
from bolashaq.documents import views
from bolashaq.documents.actions import document_upload
from bolashaq.documents.models import Document
from bolashaq.documents.tests.conftest import GOOD_PDF
from bolashaq.lib.tests import corpus

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true", **EN}


def _file(data: bytes = GOOD_PDF, name: str = "Диплом.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _upload_url(application, slot: str = "diploma") -> str:
    return reverse("documents:upload", args=[application.pk, slot])


@pytest.fixture
def diploma(cast, application):
    return document_upload(
        acting_user=cast[Role.APPLICANT],
        application=application,
        slot="diploma",
        upload=_file(name="Диплом Бекова.pdf"),
    )


# -- upload --------------------------------------------------------------------------------


def test_upload_without_javascript_redirects_back(cast, application) -> None:
    client = cast.client(Role.APPLICANT)
    response = client.post(
        _upload_url(application), {"file": _file(), "next": "/portal/?tab=documents"}, **EN
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/?tab=documents"
    document = Document.objects.get(application=application, slot="diploma")
    assert document.sha256 == hashlib.sha256(GOOD_PDF).hexdigest()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_an_unsafe_next_falls_back_to_the_portal(cast, application, target) -> None:
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application), {"file": _file(), "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_upload_with_htmx_swaps_the_slot(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application), {"file": _file(), "next": "/portal/"}, **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="doc-{application.pk}-diploma"' in page
    assert "The file was uploaded." in page
    assert "Диплом.pdf" in page
    document = Document.objects.get()
    assert reverse("documents:download", args=[document.public_id]) in page
    assert reverse("documents:remove", args=[document.public_id]) in page
    assert 'value="/portal/"' in page  # the next URL survives the swap
    assert "<html" not in page


def test_a_refused_file_with_htmx_shows_why_in_the_slot(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application), {"file": _file(corpus.javascript_pdf())}, **HTMX
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "The PDF contains scripts (JavaScript)" in page
    assert 'aria-invalid="true"' in page
    assert not Document.objects.exists()


def test_a_refused_file_without_javascript_gets_a_page_with_the_form(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application),
        {"file": _file(corpus.pe_bytes(), "setup.pdf"), "next": "/portal/"},
        **EN,
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "This type of file is not accepted." in page
    assert 'enctype="multipart/form-data"' in page
    assert '<a href="/portal/">Back to the application</a>' in page


def test_the_refusal_speaks_the_page_language(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application),
        {"file": _file(b"")},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="kk",
    )
    assert "Файл бос. Файлды қайта жүктеңіз." in response.content.decode()


def test_no_file_chosen(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(_upload_url(application), {}, **HTMX)
    assert "Choose a file to upload." in response.content.decode()


def test_big_uploads_are_cut_before_they_reach_memory_or_disk(
    cast, application, settings, monkeypatch
) -> None:
    settings.DOCUMENT_MAX_BYTES = 2048
    seen: list[int | None] = []

    def spy(**kwargs):
        seen.append(kwargs["upload"].size)
        return document_upload(**kwargs)

    monkeypatch.setattr(views, "document_upload", spy)
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application), {"file": _file(GOOD_PDF + b" " * 200_000)}, **HTMX
    )
    assert seen == [2049]
    assert "The file is larger than allowed." in response.content.decode()


def test_upload_without_a_csrf_token_is_refused(cast, application) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast[Role.APPLICANT])
    response = client.post(_upload_url(application), {"file": _file()})
    assert response.status_code == 403
    assert not Document.objects.exists()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.EXPERT])
def test_others_cannot_upload(cast, application, role) -> None:
    response = cast.client(role).post(_upload_url(application), {"file": _file()})
    assert response.status_code == 404
    assert not Document.objects.exists()


def test_another_applicant_cannot_upload(application, other_applicant) -> None:
    client = Client()
    client.force_login(other_applicant)
    response = client.post(_upload_url(application), {"file": _file()})
    assert response.status_code == 404


def test_unknown_slot_is_not_found(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(
        _upload_url(application, "kaztest_certificate"), {"file": _file()}
    )
    assert response.status_code == 404


def test_upload_is_post_only(cast, application) -> None:
    assert cast.client(Role.APPLICANT).get(_upload_url(application)).status_code == 405


# -- remove --------------------------------------------------------------------------------


def test_remove_with_htmx_empties_the_slot(cast, application, diploma) -> None:
    response = cast.client(Role.APPLICANT).post(
        reverse("documents:remove", args=[diploma.public_id]), {"next": "/portal/"}, **HTMX
    )
    page = response.content.decode()
    assert "The file was removed." in page
    assert "Not uploaded yet" in page
    diploma.refresh_from_db()
    assert not diploma.is_current


def test_remove_without_javascript_redirects(cast, application, diploma) -> None:
    response = cast.client(Role.APPLICANT).post(
        reverse("documents:remove", args=[diploma.public_id]), {"next": "/portal/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_staff_cannot_remove(cast, diploma) -> None:
    response = cast.client(Role.OPERATOR).post(
        reverse("documents:remove", args=[diploma.public_id])
    )
    assert response.status_code == 404
    diploma.refresh_from_db()
    assert diploma.is_current


# -- download ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.OPERATOR])
def test_download_by_owner_and_operator(cast, diploma, role) -> None:
    response = cast.client(role).get(reverse("documents:download", args=[diploma.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == GOOD_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("role", [Role.EXPERT, Role.COMMISSION])
def test_download_by_expert_or_commission_is_not_found(cast, diploma, role) -> None:
    response = cast.client(role).get(reverse("documents:download", args=[diploma.public_id]))
    assert response.status_code == 404


def test_download_by_another_applicant_is_not_found(diploma, other_applicant) -> None:
    client = Client()
    client.force_login(other_applicant)
    response = client.get(reverse("documents:download", args=[diploma.public_id]))
    assert response.status_code == 404


def test_anonymous_download_is_sent_to_sign_in(diploma) -> None:
    url = reverse("documents:download", args=[diploma.public_id])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


# -- the partial ---------------------------------------------------------------------------


def test_the_partial_shows_staff_the_file_but_no_form(cast, application, diploma) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from bolashaq.documents.selectors import checklist_item

    request = RequestFactory().get("/office/")
    request.user = cast[Role.OPERATOR]
    page = render_to_string(
        "documents/_slot.html",
        {"application": application, "item": checklist_item(application, "diploma")},
        request=request,
    )
    assert "Диплом Бекова.pdf" in page
    assert "<form" not in page
