"""The development outbox page: only with DEBUG and the outbox backend, linked from sign-in."""

from __future__ import annotations

import pytest
from django.test import Client

from bolashaq.notifications.actions import sms_send


@pytest.mark.django_db
def test_the_outbox_is_not_found_without_debug(settings) -> None:
    settings.DEBUG = False
    sms_send(phone="+77010000009", text="Bolashaq: 123456")
    response = Client().get("/dev/outbox/")
    assert response.status_code == 404
    assert "123456" not in response.content.decode()
    assert "/dev/outbox/" not in Client().get("/accounts/sign-in/").content.decode()


@pytest.mark.django_db
def test_the_outbox_is_not_found_with_a_real_gateway(settings) -> None:
    settings.DEBUG = True
    settings.SMS_BACKEND = "http"
    assert Client().get("/dev/outbox/").status_code == 404


@pytest.mark.django_db
def test_the_outbox_lists_recent_messages_newest_first_without_sign_in(settings) -> None:
    settings.DEBUG = True
    sms_send(phone="+77010000009", text="Bolashaq: 111111 first")
    sms_send(phone="+77010000010", text="Bolashaq: 222222 second")
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/dev/outbox/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "+77010000010" in page
    assert page.index("222222 second") < page.index("111111 first")
    assert "no-cache" in response["Cache-Control"]
    sign_in = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/sign-in/").content.decode()
    assert 'href="/dev/outbox/"' in sign_in
