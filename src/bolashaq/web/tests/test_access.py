"""Deny by default: anonymous visitors are sent to sign in, and each audience page refuses
every role but its own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bolashaq.accounts.roles import Role

PAGES: dict[str, set[Role]] = {
    "portal:home": {Role.APPLICANT},
    "portal:start": {Role.APPLICANT},
    "office:home": {Role.OPERATOR},
    "office:contracts": {Role.CONTRACTS},
    "office:alumni": {Role.ALUMNI},
    "office:audit": {Role.AUDITOR, Role.ADMIN},
    "office:admin": {Role.ADMIN},
    "office:tasks": {Role.ADMIN, Role.OPERATOR},
    "office:review_queue": {Role.OPERATOR, Role.ADMIN},
    "panel:home": {Role.EXPERT},
    "commission:home": {Role.COMMISSION},
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_only_the_pages_audience_gets_in(cast, name: str) -> None:
    for role in Role:
        status = cast.client(role).get(reverse(name)).status_code
        expected = 200 if role in PAGES[name] else 403
        assert status == expected, f"{role} on {name}: {status}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/accounts/sign-in/", "/accounts/register/", "/check/", "/healthz"]
)
def test_public_pages_need_no_sign_in(url: str, settings) -> None:
    settings.TASK_BACKEND = "immediate"
    assert Client().get(url).status_code == 200
