from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bolashaq.accounts.models import SignInAttempt
from bolashaq.accounts.roles import HOME_URL_NAME, Role
from bolashaq.audit.models import AuditEvent
from conftest import CAST, PASSWORD


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home_page(cast, role: Role) -> None:
    client = Client()
    response = client.post(
        reverse("accounts:sign_in"), {"username": CAST[role][0], "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(HOME_URL_NAME[role])
    assert client.get(response["Location"]).status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=cast[role]).count() == 1


def test_sign_in_sets_the_users_language(cast) -> None:
    response = Client().post(
        reverse("accounts:sign_in"), {"username": CAST[Role.OPERATOR][0], "password": PASSWORD}
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_wrong_password_is_refused_and_recorded(cast) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("accounts:sign_in"), {"username": CAST[Role.OPERATOR][0], "password": "wrong"}
    )
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    kazakh = Client().post(
        reverse("accounts:sign_in"), {"username": CAST[Role.OPERATOR][0], "password": "wrong"}
    )
    assert "сәйкес келмейді" in kazakh.content.decode()
    assert SignInAttempt.objects.filter(succeeded=False).count() == 2
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == 2


def test_sign_in_is_locked_after_repeated_failures(cast) -> None:
    username = CAST[Role.ADMIN][0]
    client = Client()
    for _ in range(settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT):
        client.post(reverse("accounts:sign_in"), {"username": username, "password": "guess"})
    # Even the right password is refused while the account is paused.
    response = client.post(
        reverse("accounts:sign_in"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from another address is unaffected.
    other = Client(REMOTE_ADDR="10.1.2.3")
    ok = other.post(
        reverse("accounts:sign_in"), {"username": CAST[Role.AUDITOR][0], "password": PASSWORD}
    )
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
    response = Client().post(
        reverse("accounts:sign_in") + "?next=https://evil.example/",
        {"username": CAST[Role.OPERATOR][0], "password": PASSWORD},
    )
    assert response["Location"] == reverse("office:home")


def test_sign_out_needs_post_and_is_audited(cast) -> None:
    client = cast.client(Role.OPERATOR)
    assert client.get(reverse("accounts:sign_out")).status_code == 405
    response = client.post(reverse("accounts:sign_out"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.sign_out").count() == 1
    assert client.get(reverse("office:home")).status_code == 302
