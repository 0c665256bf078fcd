from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from bolashaq.accounts.roles import Role
from bolashaq.audit.models import AuditEvent


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("kk", "«Болашақ» халықаралық стипендиясы"),
        ("ru", "Международная стипендия «Болашак»"),
        ("en", "Bolashak international scholarship"),
    ],
)
def test_home_page_in_each_language(language: str, heading: str) -> None:
    client = Client()
    response = client.post("/preferences/language/", {"language": language, "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    page = client.get("/").content.decode()
    assert f'<html lang="{language}"' in page
    assert heading in page


@pytest.mark.django_db
def test_first_visit_follows_the_browser_language() -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").get("/").content.decode()
    assert '<html lang="ru"' in page


@pytest.mark.django_db
def test_default_language_is_kazakh() -> None:
    page = Client().get("/").content.decode()
    assert '<html lang="kk"' in page


@pytest.mark.django_db
def test_unknown_language_is_ignored() -> None:
    response = Client().post("/preferences/language/", {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_signed_in_users_choice_is_remembered_on_their_account(cast) -> None:
    user = cast[Role.APPLICANT]
    cast.client(Role.APPLICANT).post("/preferences/language/", {"language": "ru", "next": "/"})
    user.refresh_from_db()
    assert user.language == "ru"
    event = AuditEvent.objects.get(action="user.set_language")
    assert (event.old, event.new) == ({"language": "en"}, {"language": "ru"})


@pytest.mark.django_db
def test_low_vision_mode_is_switched_on_and_off() -> None:
    client = Client()
    client.post("/preferences/low-vision/", {"low_vision": "1", "next": "/"})
    assert 'class="low-vision"' in client.get("/").content.decode()
    client.post("/preferences/low-vision/", {"low_vision": "0", "next": "/"})
    assert 'class="low-vision"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_preferences_never_redirect_offsite() -> None:
    response = Client().post(
        "/preferences/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_pages_use_no_external_assets() -> None:
    page = Client().get("/").content.decode()
    for marker in ("http://", "https://", "//cdn"):
        assert f'src="{marker}' not in page
        assert f'href="{marker}' not in page


@pytest.mark.django_db
def test_security_headers_are_set() -> None:
    response = Client().get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
