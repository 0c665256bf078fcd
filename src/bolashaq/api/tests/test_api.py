from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from bolashaq.accounts.actions import api_token_create, api_token_revoke
from bolashaq.accounts.roles import Role


@pytest.mark.django_db
def test_openapi_document_validates() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert "/api/v1/accounts/me" in document["paths"]


@pytest.mark.django_db
def test_docs_page_is_served_without_a_cdn() -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


@pytest.mark.django_db
def test_anonymous_requests_get_the_error_envelope() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "message": "Sign in or give a valid token.",
            "details": None,
        }
    }


@pytest.mark.django_db
def test_errors_speak_the_users_language() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/api/v1/accounts/me")
    assert (
        response.json()["error"]["message"] == "Войдите в систему или укажите действительный токен."
    )


def test_session_auth_works_for_the_web(cast) -> None:
    response = cast.client(Role.EXPERT).get("/api/v1/accounts/me")
    assert response.status_code == 200
    assert response.json() == {"username": "erik.expert", "role": "expert", "language": "en"}


def test_token_auth_for_integrations(cast) -> None:
    token, secret = api_token_create(
        acting_user=cast[Role.ADMIN], user=cast[Role.OPERATOR], name="egov"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 200
    assert response.json()["role"] == "operator"
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert secret not in token.key_hash
    api_token_revoke(acting_user=cast[Role.ADMIN], token=token)
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_a_token_writes_without_a_csrf_token(cast) -> None:
    # A bearer token is not ambient like a cookie, so it needs no CSRF token; the session's
    # CSRF check must not refuse the request before the token is looked at.
    _token, secret = api_token_create(acting_user=None, user=cast[Role.APPLICANT], name="app")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(
        "/api/v1/applications",
        {"intake": "no-such-intake", "category": "general"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such intake."
    # Without the token, the session's CSRF check still guards the cookie.
    session = cast.client(Role.APPLICANT)
    session.handler.enforce_csrf_checks = True
    refused = session.post(
        "/api/v1/applications", {"intake": "x", "category": "general"}, "application/json"
    )
    assert refused.status_code == 403


def test_a_tokens_last_use_is_written_at_most_once_a_minute(cast) -> None:
    token, secret = api_token_create(acting_user=None, user=cast[Role.OPERATOR], name="egov")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/api/v1/accounts/me").status_code == 200
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert client.get("/api/v1/accounts/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert client.get("/api/v1/accounts/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_a_wrong_token_is_refused(cast) -> None:
    client = Client(HTTP_AUTHORIZATION="Bearer bq_not-a-real-token")
    assert client.get("/api/v1/accounts/me").status_code == 401
