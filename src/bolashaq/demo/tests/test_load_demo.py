from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bolashaq.accounts.models import User
from bolashaq.accounts.phones import normalise_phone
from bolashaq.accounts.roles import HOME_URL_NAME, Role
from bolashaq.accounts.tests.helpers import sign_in_with_code
from bolashaq.applications.models import Application
from bolashaq.audit.selectors import audit_chain_verify
from bolashaq.competitions.selectors import intakes_open
from bolashaq.demo.data import ALL, DEMO_PASSWORD
from bolashaq.lib.iin import validate_iin


@pytest.mark.django_db
def test_demo_data_has_every_role_an_open_intake_and_several_stages(settings) -> None:
    settings.DEBUG = True
    call_command("load_demo")
    call_command("load_demo")  # idempotent
    assert {u.role for u in User.objects.all()} == set(Role.values)
    assert intakes_open().count() == 1
    states = set(Application.objects.values_list("state", flat=True))
    # Each stage reached through the real actions and the real automatic check.
    assert states == {"draft", "accepted", "refused", "in_review"}
    assert Application.objects.count() == 4
    assert Application.objects.get(state="in_review").review_due_at is not None
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_every_demo_user_signs_in_to_its_home(settings) -> None:
    settings.DEBUG = True
    call_command("load_demo")
    from django.urls import reverse

    for demo in ALL:
        if demo.role == Role.APPLICANT:
            assert validate_iin(demo.username).valid
        # Every demo user has a phone, so signing in takes the password and then the SMS code.
        assert normalise_phone(demo.phone) == demo.phone, demo.username
        client = Client()
        response = sign_in_with_code(client, demo.username, DEMO_PASSWORD, demo.phone)
        assert response["Location"] == reverse(HOME_URL_NAME[demo.role]), demo.username
        assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_refused_applicant_reads_the_reason_in_their_language(settings) -> None:
    settings.DEBUG = True
    call_command("load_demo")
    refused = Application.objects.get(state="refused")
    client = Client()
    client.force_login(refused.applicant)
    client.post("/preferences/language/", {"language": "ru", "next": "/"})
    page = client.get("/portal/").content.decode()
    assert "Отказано" in page
    assert "IELTS" in page


@pytest.mark.django_db
def test_demo_data_refuses_to_load_in_production(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
    assert not User.objects.exists()
