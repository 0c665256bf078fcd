from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bolashaq.accounts.actions import api_token_create
from bolashaq.accounts.roles import Role
from bolashaq.documents.models import Document
from bolashaq.documents.tests.conftest import GOOD_PDF
from bolashaq.lib.tests import corpus

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _base(application) -> str:
    return f"/api/v1/applications/{application.pk}/documents"


def _post(client, application, slot="diploma", data=GOOD_PDF, name="diploma.pdf"):
    return client.post(
        f"{_base(application)}/{slot}",
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        **EN,
    )


def test_upload_list_download_and_delete(cast, application) -> None:
    client = cast.client(Role.APPLICANT)

    created = _post(client, application)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["slot"] == "diploma"
    assert body["kind"] == "pdf"
    assert body["sha256"] == hashlib.sha256(GOOD_PDF).hexdigest()
    assert body["download_url"] == f"{_base(application)}/diploma/file"

    listing = client.get(_base(application)).json()
    by_slot = {item["slot"]: item for item in listing}
    assert by_slot["diploma"]["complete"] is True
    assert by_slot["diploma"]["document"]["id"] == body["id"]
    assert by_slot["identity"] == {
        "slot": "identity",
        "title": by_slot["identity"]["title"],
        "complete": False,
        "document": None,
    }
    assert set(by_slot["identity"]["title"]) == {"kk", "ru", "en"}

    file = client.get(body["download_url"])
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == GOOD_PDF
    assert file["Content-Type"] == "application/pdf"
    assert file["Content-Disposition"].startswith("attachment;")

    assert client.delete(f"{_base(application)}/diploma").status_code == 204
    assert not Document.objects.filter(is_current=True).exists()
    missing = client.get(f"{_base(application)}/diploma/file", **EN)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_refused_file_lists_each_problem(cast, application) -> None:
    response = _post(cast.client(Role.APPLICANT), application, data=corpus.pe_bytes())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "document_refused"
    assert error["details"] == [
        {
            "code": "unsupported_type",
            "message": "This type of file is not accepted. Please upload a PDF, JPEG or PNG file.",
        }
    ]


def test_a_missing_file_field_is_invalid_input(cast, application) -> None:
    response = cast.client(Role.APPLICANT).post(f"{_base(application)}/diploma", {}, **EN)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_unknown_slot_is_not_found(cast, application) -> None:
    response = _post(cast.client(Role.APPLICANT), application, slot="kaztest_certificate")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_slot"


def test_after_submission_it_is_a_conflict(cast, application) -> None:
    from bolashaq.applications.actions import application_transition
    from bolashaq.applications.states import Event

    application_transition(
        acting_user=cast[Role.APPLICANT], application=application, event=Event.SUBMIT
    )
    response = _post(cast.client(Role.APPLICANT), application)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_draft"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUDITOR])
def test_staff_read_but_do_not_write(cast, application, role) -> None:
    assert _post(cast.client(Role.APPLICANT), application).status_code == 201
    client = cast.client(role)
    assert client.get(_base(application)).status_code == 200
    assert client.get(f"{_base(application)}/diploma/file").status_code == 200
    assert _post(client, application).status_code == 404
    assert client.delete(f"{_base(application)}/diploma").status_code == 404


@pytest.mark.parametrize("role", [Role.EXPERT, Role.COMMISSION])
def test_experts_and_commission_see_nothing(cast, application, role) -> None:
    assert _post(cast.client(Role.APPLICANT), application).status_code == 201
    client = cast.client(role)
    for response in (
        client.get(_base(application)),
        client.get(f"{_base(application)}/diploma/file"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_another_applicant_sees_nothing(cast, application, other_applicant) -> None:
    assert _post(cast.client(Role.APPLICANT), application).status_code == 201
    client = Client()
    client.force_login(other_applicant)
    assert client.get(_base(application)).status_code == 404
    assert client.get(f"{_base(application)}/diploma/file").status_code == 404
    assert _post(client, application).status_code == 404
    assert client.delete(f"{_base(application)}/diploma").status_code == 404


def test_anonymous_gets_the_envelope(application) -> None:
    response = Client().get(_base(application), **EN)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_integration_token_reads_documents(cast, application) -> None:
    assert _post(cast.client(Role.APPLICANT), application).status_code == 201
    _token, secret = api_token_create(
        acting_user=cast[Role.ADMIN], user=cast[Role.OPERATOR], name="egov"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"{_base(application)}/diploma/file").status_code == 200


def test_the_session_api_needs_the_csrf_token(cast, application) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast[Role.APPLICANT])
    assert _post(client, application).status_code == 403
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_openapi_documents_the_endpoints() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    base = "/api/v1/applications/{application_id}/documents"
    assert "get" in paths[base]
    assert {"post", "delete"} <= set(paths[base + "/{slot}"])
    upload = paths[base + "/{slot}"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "404", "409", "422", "503"} <= set(upload["responses"])
    assert "application/pdf" in paths[base + "/{slot}/file"]["get"]["responses"]["200"]["content"]
