"""The accounts API: register, confirm, sign in with a code, resend; one error envelope."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.consent import CURRENT_CONSENT
from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.lib.iin import make_iin
from conftest import CAST, PASSWORD, cast_phone

IIN = make_iin(date(2001, 9, 3), "male", 77)
BASE = "/api/v1/accounts"


def body(**changes: Any) -> dict[str, Any]:
    data = {
        "iin": IIN,
        "last_name": "Нұрланов",
        "first_name": "Ерлан",
        "birth_date": "2001-09-03",
        "phone": "+7 702 111 22 33",
        "email": "erlan@example.kz",
        "password": "karaganda-coal-2026",
        "language": "en",
        "consent_version": CURRENT_CONSENT.version,
        "consent": True,
    }
    data.update(changes)
    return data


def post(client: Client, path: str, data: dict[str, Any] | None = None):
    return client.post(BASE + path, data or {}, content_type="application/json")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
def test_register_then_confirm_signs_the_session_in(client) -> None:
    response = post(client, "/register", body(birth_date="2001-09-04"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["username"] == IIN
    assert data["phone"] == "+7702*****33"
    assert data["code_sent"] is True
    assert data["resend_after"] == 60
    assert [w["code"] for w in data["warnings"]] == ["birth_date_differs"]
    assert client.get(BASE + "/me").status_code == 401

    confirmed = post(client, "/register/confirm", {"code": last_code("+77021112233")})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json() == {
        "username": IIN,
        "role": "applicant",
        "language": "en",
        "home_url": "/portal/",
    }
    assert client.get(BASE + "/me").json()["username"] == IIN
    assert User.objects.get(iin=IIN).phone_confirmed_at is not None


@pytest.mark.django_db
def test_invalid_fields_are_listed_in_the_envelope(client) -> None:
    response = post(client, "/register", body(iin="123", phone="12", consent=False))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    fields = {tuple(d["loc"])[-1]: d["msg"] for d in error["details"]}
    assert fields["iin"] == "An IIN has exactly 12 digits."
    assert "+7 and 10 digits" in fields["phone"]
    assert "agree" in fields["consent"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_weak_password_is_reported_as_password(client) -> None:
    response = post(client, "/register", body(password="12345"))
    fields = {tuple(d["loc"])[-1] for d in response.json()["error"]["details"]}
    assert fields == {"password"}


def test_a_registered_iin_is_a_conflict(cast, client) -> None:
    response = post(client, "/register", body(iin=CAST[Role.APPLICANT][0]))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "iin_taken"
    assert "already registered" in response.json()["error"]["message"]


def test_sign_in_sends_a_code_and_confirm_starts_the_session(cast, client) -> None:
    wrong = post(client, "/sign-in", {"username": CAST[Role.EXPERT][0], "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"

    response = post(client, "/sign-in", {"username": CAST[Role.EXPERT][0], "password": PASSWORD})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "code_sent"
    assert data["code"]["phone"] == "+7701*****03"
    assert client.get(BASE + "/me").status_code == 401

    code = last_code(cast_phone(Role.EXPERT))
    bad = post(client, "/sign-in/confirm", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "otp_wrong_code"
    # A sign-in code cannot confirm a registration step.
    assert post(client, "/register/confirm", {"code": code}).status_code == 409

    ok = post(client, "/sign-in/confirm", {"code": code})
    assert ok.status_code == 200
    assert ok.json()["home_url"] == "/panel/"
    assert client.get(BASE + "/me").json()["role"] == "expert"
    # The code is spent and the pending step is gone.
    again = post(client, "/sign-in/confirm", {"code": code})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "no_pending_step"


def test_resend_is_throttled_with_429(cast, client, settings) -> None:
    post(client, "/sign-in", {"username": CAST[Role.APPLICANT][0], "password": PASSWORD})
    throttled = post(client, "/codes/resend")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "otp_throttled"
    wait = throttled.json()["error"]["details"]["retry_after"]
    assert 0 < wait <= settings.OTP_RESEND_SECONDS
    assert throttled["Retry-After"] == str(wait)
    settings.OTP_RESEND_SECONDS = 0
    resent = post(client, "/codes/resend")
    assert resent.status_code == 200
    assert resent.json()["code_sent"] is True
    ok = post(client, "/sign-in/confirm", {"code": last_code(cast_phone(Role.APPLICANT))})
    assert ok.status_code == 200


@pytest.mark.django_db
def test_resend_without_a_pending_step_is_a_conflict(client) -> None:
    response = post(client, "/codes/resend")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_pending_step"


@pytest.mark.django_db
def test_an_account_without_a_phone_is_signed_in_by_the_password(client) -> None:
    user_create(acting_user=None, username="svc.admin", password=PASSWORD, role=Role.ADMIN)
    response = post(client, "/sign-in", {"username": "svc.admin", "password": PASSWORD})
    assert response.json()["status"] == "signed_in"
    assert client.get(BASE + "/me").json()["username"] == "svc.admin"


@pytest.mark.django_db
def test_the_consent_text_is_served_in_each_language(client) -> None:
    response = client.get(BASE + "/consent", {"language": "ru"})
    assert response.json()["version"] == CURRENT_CONSENT.version
    assert response.json()["title"] == CURRENT_CONSENT.title("ru")


@pytest.mark.django_db
def test_the_endpoints_are_in_the_openapi_document() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ["/register", "/register/confirm", "/sign-in", "/sign-in/confirm", "/codes/resend"]:
        operation = paths[f"/api/v1/accounts{path}"]["post"]
        assert operation["summary"]
        assert "security" not in operation or operation["security"] in ([], [{}])
        assert "429" in operation["responses"]
