"""The SMS gateway timing out: for a sign-in code, for a signing code and for the notices.

The production backend (``SMS_BACKEND=http``) talks to a scripted gateway
(``tests/faults/gateway.py``), which accepts each request and never answers (``down``), answers
a byte at a time, or takes the message and then loses the answer. ``SMS_GATEWAY_TIMEOUT_SECONDS``
bounds the whole exchange: the request gives up by itself (the gateway sees the client leave
while it is still holding the request), the person is told in their language that the SMS could
not be sent, the code is withdrawn, the failure is logged and audited, and once the gateway
answers again a new attempt works. Notices are retried by their task with back-off and, once
the gateway is back, each change is sent once. Every test ends with the reconciliation.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as DjangoClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import OneTimeCode, User
from bolashaq.accounts.otp import OtpSendFailed
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_start
from bolashaq.applications.models import Application, Notice
from bolashaq.applications.samples import eligible_answers, fill_answers, upload_documents
from bolashaq.audit.models import AuditEvent
from bolashaq.core.tasks import retry_delay
from bolashaq.notifications.models import SmsMessage
from bolashaq.notifications.sms import HttpGatewayBackend, SmsError
from tests.faults.client import Ledger
from tests.faults.gateway import FakeGateway
from tests.faults.harness import (
    ACCEPTED,
    CODE,
    SUBMIT_AND_ACCEPT,
    SUBMITTED,
    Client,
    Server,
    World,
    assert_told_once,
    open_intake,
    reconcile,
    wait_for,
)
from tests.faults.workers import NOTIFY, Workers, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-staple"
TIMEOUT = 1  # SMS_GATEWAY_TIMEOUT_SECONDS in these tests


@pytest.fixture
def sms_through_gateway(settings, gateway: FakeGateway, tmp_path: Path) -> FakeGateway:
    """This process sends SMS through the gateway, giving up after one second."""
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = gateway.token
    settings.SMS_GATEWAY_TIMEOUT_SECONDS = TIMEOUT
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return gateway


def in_language(message: object, language: str) -> str:
    with translation.override(language):
        text = str(message)
    with translation.override("en"):
        assert text != str(message) or language == "en", f"no {language} translation: {text}"
    return text


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def applicant(language: str) -> User:
    """An applicant with a password and a phone, who reads in ``language``."""
    return user_create(
        acting_user=None,
        username="791028302728",
        password=PASSWORD,
        role=Role.APPLICANT,
        iin="791028302728",
        phone="+77011234567",
        language=language,
    )


def code_sent_to(gateway: FakeGateway, phone: str) -> str:
    sent = [r for r in gateway.delivered() if r.phone == phone]
    assert sent, f"no SMS delivered to {phone}"
    found = CODE.search(sent[-1].text)
    assert found is not None, sent[-1].text
    return found.group(1)


def assert_withdrawn_and_audited(user: User, purpose: str) -> None:
    """The code whose SMS failed cannot be used, and the failure is in the audit log."""
    code = OneTimeCode.objects.get(user=user, purpose=purpose)
    assert code.delivery_failed
    assert code.superseded_at is not None
    message = SmsMessage.objects.get(phone=user.phone)
    assert (message.status, message.error) == ("failed", "SMS gateway unreachable: TimeoutError")
    actions = list(
        AuditEvent.objects.filter(action__in=["sms.failed", "otp.send_failed"]).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["otp.send_failed", "sms.failed"]


def test_a_gateway_that_answers_a_byte_at_a_time_is_given_up_on_within_the_timeout(
    gateway: FakeGateway,
) -> None:
    """The timeout bounds the whole exchange, not each read: a trickle cannot hold a thread."""
    trickle = gateway.plan("hello", "dribble")
    backend = HttpGatewayBackend(gateway.url, gateway.token, TIMEOUT)
    with pytest.raises(SmsError, match="TimeoutError"):
        backend.send(phone="+77010000001", text="hello", idempotency_key="k")
    assert trickle.request is not None
    # The gateway was still trickling (it never stops by itself) when the client left.
    wait_for("the gateway to see the client leave", trickle.request.client_left.is_set)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_sign_in_code_the_gateway_never_answers_fails_fast_in_the_users_language(
    sms_through_gateway: FakeGateway, language: str, caplog
) -> None:
    gateway = sms_through_gateway
    user = applicant(language)
    web = DjangoClient(HTTP_ACCEPT_LANGUAGE=language)
    credentials = {"username": user.username, "password": PASSWORD}
    gateway.down()

    with caplog.at_level(logging.WARNING, logger="bolashaq.notifications.actions"):
        response = web.post(reverse("accounts:sign_in"), credentials)

    assert response.status_code == 503
    assert in_language(OtpSendFailed.default_message, language) in page_text(response)
    # The request gave up by its own timeout: the gateway was still holding it.
    (held,) = gateway.received()
    assert held.outcome == "held"
    wait_for("the gateway to see the request leave", held.client_left.is_set)
    assert_withdrawn_and_audited(user, "sign_in")
    assert "failed: SMS gateway unreachable: TimeoutError" in caplog.text
    assert user.phone not in caplog.text
    # No half-finished sign-in is left behind: the code page sends the person back.
    assert web.get(reverse("accounts:sign_in_code"))["Location"] == reverse("accounts:sign_in")

    gateway.up()
    response = web.post(reverse("accounts:sign_in"), credentials)
    assert response["Location"] == reverse("accounts:sign_in_code")
    response = web.post(
        reverse("accounts:sign_in_code"), {"code": code_sent_to(gateway, user.phone)}
    )
    assert response.status_code == 302
    assert web.get(reverse("portal:home")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=user).count() == 1


def test_the_api_sign_in_reports_the_gateway_timeout_as_otp_send_failed(
    sms_through_gateway: FakeGateway,
) -> None:
    gateway = sms_through_gateway
    user = applicant("ru")
    api = DjangoClient(HTTP_ACCEPT_LANGUAGE="ru")
    credentials = {"username": user.username, "password": PASSWORD}
    gateway.down()

    response = api.post("/api/v1/accounts/sign-in", credentials, content_type="application/json")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "otp_send_failed"
    assert error["message"] == in_language(OtpSendFailed.default_message, "ru")
    assert_withdrawn_and_audited(user, "sign_in")

    gateway.up()
    response = api.post("/api/v1/accounts/sign-in", credentials, content_type="application/json")
    assert response.json()["status"] == "code_sent"
    response = api.post(
        "/api/v1/accounts/sign-in/confirm",
        {"code": code_sent_to(gateway, user.phone)},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_a_signing_code_the_gateway_never_answers_fails_fast_and_a_retry_submits(
    sms_through_gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway = sms_through_gateway
    titles = {"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"}
    intake = open_intake("sms-faults", titles, timezone.now() + timedelta(days=30))
    person = applicant("ru")
    application = fill_answers(
        applicant=person,
        application=application_start(acting_user=person, intake=intake, category="general"),
        answers=eligible_answers(timezone.localdate()),
    )
    documents = upload_documents(applicant=person, application=application)
    web = DjangoClient(HTTP_ACCEPT_LANGUAGE="ru")
    web.force_login(person)
    review = reverse("portal:review", kwargs={"pk": application.pk})
    gateway.down()

    response = web.post(review)

    assert response.status_code == 503
    assert in_language(OtpSendFailed.default_message, "ru") in page_text(response)
    assert 'name="code"' not in page_text(response)  # no code form for a code that never went
    (held,) = gateway.received()
    wait_for("the gateway to see the request leave", held.client_left.is_set)
    assert_withdrawn_and_audited(person, "sign_application")

    gateway.up()
    response = web.post(review)
    assert response.status_code == 200
    content_hash = response.context["sign_form"].initial["content_hash"]
    response = web.post(
        reverse("portal:submit", kwargs={"pk": application.pk}),
        {"content_hash": content_hash, "code": code_sent_to(gateway, person.phone)},
    )
    assert response.status_code == 302
    # The check ran at once (test task backend) and the applicant was told of both changes.
    assert Application.objects.get(pk=application.pk).state == "accepted"
    assert_told_once(application.pk, SUBMIT_AND_ACCEPT)
    # In the applicant's language, once each.
    assert len(gateway.delivered("подана")) == 1
    assert len(gateway.delivered("принята к участию в конкурсе")) == 1

    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.write({"kind": "run", "intake": intake.code})
    for document in documents:
        ledger.write(
            {
                "kind": "request",
                "type": "upload",
                "application": application.pk,
                "slot": document.slot,
                "sha256": document.sha256,
                "outcome": "ok",
                "acknowledged": True,
            }
        )
    ledger.write(
        {
            "kind": "request",
            "type": "submit",
            "application": application.pk,
            "content_hash": content_hash,
            "outcome": "ok",
            "acknowledged": True,
            "at": timezone.now().timestamp(),
        }
    )
    ledger.close()
    call_command("reconcile", str(ledger.path))


@pytest.fixture
def slow_workers(server: Server, gateway: FakeGateway, tmp_path: Path) -> Iterator[Workers]:
    """Workers whose SMS give up after one second and whose retries back off from one second."""
    env = worker_env(
        {**server.env, **gateway.env()},
        SMS_GATEWAY_TIMEOUT_SECONDS=str(TIMEOUT),
        TASK_RETRY_BASE_SECONDS="1",
        # Room for the attempts while the gateway is down, however slow the machine.
        TASK_MAX_ATTEMPTS="10",
    )
    with Workers(env, tmp_path) as pool:
        yield pool


def notify_attempts() -> list[DBTaskResult[Any, Any]]:
    return list(DBTaskResult.objects.filter(task_path=NOTIFY).order_by("enqueued_at"))


def test_notices_the_gateway_never_answers_are_retried_with_back_off_and_sent_once(
    world: World, server: Server, client: Client, gateway: FakeGateway, slow_workers: Workers
) -> None:
    application = client.journey(world.intake, world.slots)
    gateway.down()
    # The decision's notice reaches the gateway, which sends it but never answers.
    taken = gateway.plan(ACCEPTED, "deliver-then-hold")

    slow_workers.start()

    def failed_twice_each() -> bool:
        failed = [r for r in notify_attempts() if r.status == "FAILED"]
        return len(failed) >= 4

    wait_for(f"two failed attempts per notice:\n{slow_workers.logs()}", failed_twice_each)
    assert taken.reached.is_set()
    gateway.up()
    slow_workers.wait_settled(application)

    # Each failed attempt is on record, and its retry was put off by the back-off.
    attempts = notify_attempts()
    by_attempt = {
        (str(r.args_kwargs["kwargs"]["event_id"]), r.args_kwargs["kwargs"].get("_attempt", 1)): r
        for r in attempts
    }
    for (event, attempt), row in by_attempt.items():
        if row.status == "FAILED":
            assert row.exception_class_path == "bolashaq.notifications.sms.SmsError"
            retry = by_attempt[(event, attempt + 1)]
            # The workers' back-off: 1 s, 2 s, 4 s, ... (TASK_RETRY_BASE_SECONDS=1).
            with override_settings(TASK_RETRY_BASE_SECONDS=1):
                assert retry.run_after >= row.started_at + retry_delay(attempt)
    assert sorted(r.status for r in attempts).count("SUCCESSFUL") == 2

    assert_told_once(application, SUBMIT_AND_ACCEPT)
    assert not Notice.objects.exclude(error="").exists()
    # Sent once per change: the submission's notice after the gateway came back; the decision's
    # notice went the first time, and its retries carried its key, so it was not sent again.
    assert len(gateway.delivered(SUBMITTED)) == 1
    assert len(gateway.delivered(ACCEPTED)) == 1
    decision = [r.outcome for r in gateway.received(ACCEPTED)]
    assert decision[0] == "delivered"
    assert set(decision[1:-1]) <= {"held"}
    assert decision[-1] == "duplicate"
    assert len({r.key for r in gateway.received(ACCEPTED)}) == 1
    submission = [r.outcome for r in gateway.received(SUBMITTED)]
    assert submission[-1] == "delivered"
    assert set(submission[:-1]) == {"held"}
    failed = SmsMessage.objects.filter(status="failed")
    assert failed.count() >= 4
    assert set(failed.values_list("error", flat=True)) == {"SMS gateway unreachable: TimeoutError"}
    reconcile(server.env, client.ledger.path)
