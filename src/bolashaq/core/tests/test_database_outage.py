"""The database unreachable (down, restarting, connection cut) is "try again", not a crash:
503 with Retry-After in the visitor's language, for pages and the API alike, since every step
may be repeated safely once it is back (tests/faults covers the real outages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test import Client, override_settings

from bolashaq.accounts.actions import api_token_create
from bolashaq.accounts.roles import Role


@contextmanager
def database_down() -> Iterator[None]:
    """Every new cursor fails as when PostgreSQL is restarting."""
    down = OperationalError("connection refused")
    wrapper = type(connections["default"])
    with mock.patch.object(wrapper, "ensure_connection", side_effect=down):
        yield


@pytest.mark.django_db
@override_settings(DEBUG=False, RETRY_AFTER_SECONDS=7)
def test_a_page_says_try_again_in_the_visitors_language(cast) -> None:
    client = cast.client(Role.APPLICANT)
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    with database_down():
        response = client.get("/portal/")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Language"] == "ru"
    assert "повторить шаг безопасно" in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False, RETRY_AFTER_SECONDS=7)
def test_the_api_answers_the_envelope_with_the_wait(cast) -> None:
    _token, secret = api_token_create(acting_user=None, user=cast[Role.APPLICANT], name="app")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)
    with database_down():
        response = client.get("/api/v1/applications", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert error["details"] == {"retry_after": 7}
    assert "repeating a step is safe" in error["message"]


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_any_other_fault_is_still_a_500(cast) -> None:
    client = cast.client(Role.APPLICANT)
    client.raise_request_exception = False
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=RuntimeError("bug")
    ):
        response = client.get("/portal/")
    assert response.status_code == 500
    assert "Retry-After" not in response
