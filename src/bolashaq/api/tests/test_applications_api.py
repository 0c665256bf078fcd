"""The applicant's whole path over the API, as the mobile app will walk it, with a bearer token."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, TestCase
from django.utils import timezone

from bolashaq.accounts.actions import api_token_create
from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.applications.samples import eligible_answers, sample_pdf
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme


@pytest.fixture
def intake(cast: Any) -> Intake:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="api-master",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


def token_client(user: User) -> Client:
    _token, secret = api_token_create(acting_user=None, user=user, name="mobile")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")


def call(client: Client, method: str, url: str, body: Any = None) -> Any:
    response = getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )
    return response.status_code, (response.json() if response.content else None)


def test_full_path_from_start_to_accepted(cast: Any, intake: Intake) -> None:
    applicant = cast[Role.APPLICANT]
    client = token_client(applicant)
    status, created = call(
        client, "post", "/api/v1/applications", {"intake": intake.code, "category": "general"}
    )
    assert status == 201, created
    app_id = created["id"]
    # Starting again returns the same draft.
    assert (
        call(
            client, "post", "/api/v1/applications", {"intake": intake.code, "category": "general"}
        )[1]["id"]
        == app_id
    )

    for section, values in eligible_answers(timezone.localdate()).items():
        status, saved = call(
            client, "put", f"/api/v1/applications/{app_id}/sections/{section}", {"values": values}
        )
        assert status == 200, saved
        assert saved["complete"], (section, saved["errors"])

    status, detail = call(client, "get", f"/api/v1/applications/{app_id}")
    assert status == 200
    assert detail["rules"]["verdict"] == "eligible"
    assert all(s["complete"] for s in detail["sections"])
    assert not detail["ready_to_sign"]  # documents still missing
    for document in detail["documents"]:
        response = client.post(
            f"/api/v1/applications/{app_id}/documents/{document['id']}",
            {"file": _file(document["id"])},
        )
        assert response.status_code == 201, response.content
    assert call(client, "get", f"/api/v1/applications/{app_id}")[1]["ready_to_sign"]

    status, signed = call(client, "post", f"/api/v1/applications/{app_id}/sign-request")
    assert status == 200
    body = {"content_hash": signed["content_hash"], "code": last_code(applicant.phone)}
    with TestCase.captureOnCommitCallbacks(execute=True):
        status, submitted = call(client, "post", f"/api/v1/applications/{app_id}/submit", body)
    assert status == 200, submitted
    # A retry of the same request is answered with the same, single submission.
    status, again = call(client, "post", f"/api/v1/applications/{app_id}/submit", body)
    assert status == 200
    assert again["id"] == app_id
    assert call(client, "get", f"/api/v1/applications/{app_id}")[1]["state"] == "accepted"


def _file(name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{name}.pdf", sample_pdf(name), content_type="application/pdf")


def test_invalid_answers_are_kept_and_explained(cast: Any, intake: Intake) -> None:
    client = token_client(cast[Role.APPLICANT])
    app_id = call(
        client, "post", "/api/v1/applications", {"intake": intake.code, "category": "general"}
    )[1]["id"]
    status, saved = call(
        client,
        "put",
        f"/api/v1/applications/{app_id}/sections/kaztest",
        {"values": {"score": "abc", "date": "2999-01-01"}},
    )
    assert status == 200
    assert not saved["complete"]
    assert set(saved["errors"]) == {"score", "date"}
    detail = call(client, "get", f"/api/v1/applications/{app_id}")[1]
    assert detail["answers"]["kaztest"]["score"] == "abc"  # kept as typed


def test_stale_version_is_refused(cast: Any, intake: Intake) -> None:
    client = token_client(cast[Role.APPLICANT])
    created = call(
        client, "post", "/api/v1/applications", {"intake": intake.code, "category": "general"}
    )[1]
    url = f"/api/v1/applications/{created['id']}/sections/kaztest"
    first = call(
        client, "put", url, {"values": {"score": "120"}, "expected_version": created["version"]}
    )
    assert first[0] == 200
    status, error = call(
        client, "put", url, {"values": {"score": "99"}, "expected_version": created["version"]}
    )
    assert status == 409
    assert error["error"]["code"] == "stale_version"


def test_closed_intake_is_refused_with_the_window(cast: Any, intake: Intake) -> None:
    Intake.objects.filter(pk=intake.pk).update(closes_at=timezone.now() - timedelta(hours=1))
    client = token_client(cast[Role.APPLICANT])
    status, error = call(
        client, "post", "/api/v1/applications", {"intake": intake.code, "category": "general"}
    )
    assert status == 409
    assert error["error"]["code"] == "window_closed"
    assert "Astana time" in error["error"]["message"]


def test_staff_and_strangers_do_not_reach_applications(cast: Any, intake: Intake) -> None:
    applicant = cast[Role.APPLICANT]
    app_id = call(
        token_client(applicant),
        "post",
        "/api/v1/applications",
        {"intake": intake.code, "category": "general"},
    )[1]["id"]
    stranger = User.objects.create_user(username="061211600012", role=Role.APPLICANT)
    assert call(token_client(stranger), "get", f"/api/v1/applications/{app_id}")[0] == 404
    assert call(token_client(stranger), "get", "/api/v1/applications")[1] == []
    for role in (Role.EXPERT, Role.OPERATOR, Role.COMMISSION):
        assert call(token_client(cast[role]), "get", f"/api/v1/applications/{app_id}")[0] == 403
    assert call(Client(), "get", f"/api/v1/applications/{app_id}")[0] == 401
