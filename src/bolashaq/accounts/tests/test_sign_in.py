from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import SignInAttempt
from bolashaq.accounts.roles import HOME_URL_NAME, Role
from bolashaq.accounts.tests.helpers import last_code, sign_in_with_code
from bolashaq.audit.models import AuditEvent
from bolashaq.notifications.models import SmsMessage
from conftest import CAST, PASSWORD, cast_phone


def _password_step(client: Client, role: Role, password: str = PASSWORD):
    return client.post(
        reverse("accounts:sign_in"), {"username": CAST[role][0], "password": password}
    )


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_with_password_and_code_and_lands_home(cast, role: Role) -> None:
    client = Client()
    response = sign_in_with_code(client, CAST[role][0], PASSWORD, cast_phone(role))
    assert response.status_code == 302
    assert response["Location"] == reverse(HOME_URL_NAME[role])
    assert client.get(response["Location"]).status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in_password", actor=cast[role]).count() == 1
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=cast[role]).count() == 1
    cast[role].refresh_from_db()
    assert cast[role].phone_confirmed_at is not None


def test_the_password_alone_does_not_sign_in(cast) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _password_step(client, Role.APPLICANT)
    assert response["Location"] == reverse("accounts:sign_in_code")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:home")).status_code == 302
    page = client.get(reverse("accounts:sign_in_code")).content.decode()
    assert "+7701*****01" in page
    assert "Send a new code" in page
    sms = SmsMessage.objects.get()
    assert sms.phone == cast_phone(Role.APPLICANT)
    assert "sign-in code" in sms.body  # the cast's language is English


def test_a_wrong_code_is_explained_and_does_not_sign_in(cast) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _password_step(client, Role.OPERATOR)
    code = last_code(cast_phone(Role.OPERATOR))
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:sign_in_code"), {"code": bad})
    assert response.status_code == 400
    assert "The code is wrong" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="otp.verify_failed").count() == 1
    ok = client.post(reverse("accounts:sign_in_code"), {"code": code})
    assert ok["Location"] == reverse("office:home")


def test_five_wrong_codes_lock_the_code_step(cast) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _password_step(client, Role.OPERATOR)
    code = last_code(cast_phone(Role.OPERATOR))
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.OTP_MAX_FAILURES):
        response = client.post(reverse("accounts:sign_in_code"), {"code": bad})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    response = client.post(reverse("accounts:sign_in_code"), {"code": code})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Starting again with the password does not unlock it either.
    again = _password_step(client, Role.OPERATOR)
    assert again.status_code == 429
    assert "Too many wrong codes" in again.content.decode()


def test_send_a_new_code_is_throttled_then_works(cast, settings) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _password_step(client, Role.APPLICANT)
    response = client.post(reverse("accounts:sign_in_code"), {"resend": "1"})
    assert response.status_code == 429
    assert "You can ask for a new one in" in response.content.decode()
    assert SmsMessage.objects.count() == 1
    settings.OTP_RESEND_SECONDS = 0
    response = client.post(reverse("accounts:sign_in_code"), {"resend": "1"})
    assert response.status_code == 200
    assert "A new code has been sent to +7701*****01." in response.content.decode()
    assert SmsMessage.objects.count() == 2
    ok = client.post(
        reverse("accounts:sign_in_code"), {"code": last_code(cast_phone(Role.APPLICANT))}
    )
    assert ok["Location"] == reverse("portal:home")


def test_the_code_page_needs_the_password_step_first(db) -> None:
    response = Client().get(reverse("accounts:sign_in_code"))
    assert response["Location"] == reverse("accounts:sign_in")


def test_an_account_without_a_phone_signs_in_with_the_password(db) -> None:
    user_create(
        acting_user=None, username="no.phone", password=PASSWORD, role=Role.AUDITOR, phone=""
    )
    client = Client()
    response = client.post(
        reverse("accounts:sign_in"), {"username": "no.phone", "password": PASSWORD}
    )
    assert response["Location"] == reverse("office:audit")
    assert "_auth_user_id" in client.session
    assert AuditEvent.objects.filter(action="auth.sign_in").count() == 1
    assert not SmsMessage.objects.exists()


def test_sign_in_sets_the_users_language(cast) -> None:
    response = sign_in_with_code(
        Client(), CAST[Role.OPERATOR][0], PASSWORD, cast_phone(Role.OPERATOR)
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_wrong_password_is_refused_and_recorded(cast) -> None:
    response = _password_step(Client(HTTP_ACCEPT_LANGUAGE="en"), Role.OPERATOR, "wrong")
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    kazakh = _password_step(Client(), Role.OPERATOR, "wrong")
    assert "сәйкес келмейді" in kazakh.content.decode()
    assert SignInAttempt.objects.filter(succeeded=False).count() == 2
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == 2
    assert not SmsMessage.objects.exists()


def test_sign_in_is_locked_after_repeated_failures(cast) -> None:
    username = CAST[Role.ADMIN][0]
    client = Client()
    for _ in range(settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT):
        client.post(reverse("accounts:sign_in"), {"username": username, "password": "guess"})
    # Even the right password is refused while the account is paused, and no code is sent.
    response = client.post(
        reverse("accounts:sign_in"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not SmsMessage.objects.exists()
    # Another account from another address is unaffected.
    other = Client(REMOTE_ADDR="10.1.2.3")
    ok = _password_step(other, Role.AUDITOR)
    assert ok.status_code == 302


def test_lockout_counts_usernames_case_insensitively(cast) -> None:
    username = CAST[Role.ADMIN][0]
    client = Client()
    for i in range(settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT):
        variant = username.upper() if i % 2 else username
        client.post(reverse("accounts:sign_in"), {"username": variant, "password": "guess"})
    response = client.post(
        reverse("accounts:sign_in"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 429


def test_passwords_are_hashed_with_argon2(cast) -> None:
    assert cast[Role.APPLICANT].password.startswith("argon2")


def test_sign_in_ignores_an_offsite_next(cast) -> None:
    client = Client()
    client.post(
        reverse("accounts:sign_in") + "?next=https://evil.example/",
        {"username": CAST[Role.OPERATOR][0], "password": PASSWORD},
    )
    response = client.post(
        reverse("accounts:sign_in_code"), {"code": last_code(cast_phone(Role.OPERATOR))}
    )
    assert response["Location"] == reverse("office:home")


def test_sign_in_keeps_a_local_next_through_the_code_step(cast) -> None:
    client = Client()
    client.post(
        reverse("accounts:sign_in") + "?next=/office/tasks/",
        {"username": CAST[Role.OPERATOR][0], "password": PASSWORD},
    )
    response = client.post(
        reverse("accounts:sign_in_code"), {"code": last_code(cast_phone(Role.OPERATOR))}
    )
    assert response["Location"] == "/office/tasks/"


def test_sign_out_needs_post_and_is_audited(cast) -> None:
    client = cast.client(Role.OPERATOR)
    assert client.get(reverse("accounts:sign_out")).status_code == 405
    response = client.post(reverse("accounts:sign_out"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.sign_out").count() == 1
    assert client.get(reverse("office:home")).status_code == 302


def test_failed_sign_in_logs_a_pseudonym_not_the_iin(cast) -> None:
    from bolashaq.accounts.selectors import username_pseudonym

    client = Client()
    client.post("/accounts/sign-in/", {"username": "791028302728", "password": "wrong-password"})
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert "791028302728" not in event.actor_label
    assert event.actor_label == username_pseudonym("791028302728")
