"""The resend interval counts only codes that reached the gateway, or may still be on their way.

A code is committed before it is handed to the SMS gateway. A process killed in between left a
code nobody received that still blocked the person's retry for ``OTP_RESEND_SECONDS``; now a code
counts as sent once ``sent_at`` is stamped, and an unstamped one only while its sending may
still be going on (``sending_seconds``: the gateway's timeout plus a margin).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from bolashaq.accounts import otp
from bolashaq.accounts.models import OneTimeCode, OtpPurpose, User
from bolashaq.accounts.otp import (
    OtpThrottled,
    otp_resend_wait,
    otp_send,
    otp_verify,
    sending_seconds,
)
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.audit.models import AuditEvent
from bolashaq.notifications.models import SmsMessage
from bolashaq.notifications.sms import OutboxBackend

SIGN_IN = OtpPurpose.SIGN_IN
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Killed(BaseException):
    """The process died (SIGKILL, out of memory) at this point: nothing after it runs."""


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def applicant(cast, settings) -> User:
    settings.OTP_RESEND_SECONDS = 60
    settings.SMS_GATEWAY_TIMEOUT_SECONDS = 10
    user: User = cast[Role.APPLICANT]
    return user


def killed_before_the_gateway(applicant: User, monkeypatch: pytest.MonkeyPatch) -> OneTimeCode:
    """``otp_send`` whose process dies after committing the code, before the SMS is sent."""

    def die(**kwargs: object) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(otp, "sms_send", die)
        with pytest.raises(Killed):
            otp_send(user=applicant, purpose=SIGN_IN)
    return OneTimeCode.objects.get()


def test_a_code_the_gateway_took_is_stamped_audited_and_throttles_for_the_interval(
    applicant, clock
) -> None:
    row = otp_send(user=applicant, purpose=SIGN_IN)
    row.refresh_from_db()
    assert row.sent_at == START
    sent = AuditEvent.objects.get(action="otp.sent")
    assert sent.object_id == str(row.pk)
    assert sent.old == {"sent_at": None}
    assert sent.new == {"sent_at": str(START)}
    clock.shift(timedelta(seconds=30))
    assert otp_resend_wait(user=applicant, purpose=SIGN_IN) == 30
    with pytest.raises(OtpThrottled) as throttled:
        otp_send(user=applicant, purpose=SIGN_IN)
    assert throttled.value.retry_after == 30


def test_a_code_never_handed_to_the_gateway_stops_throttling_once_its_sending_is_over(
    applicant, clock, monkeypatch
) -> None:
    lost = killed_before_the_gateway(applicant, monkeypatch)
    assert lost.sent_at is None
    assert not SmsMessage.objects.exists()
    # A moment later the sending may still be going on in a live process: wait for it.
    assert sending_seconds() == 15
    clock.shift(timedelta(seconds=2))
    with pytest.raises(OtpThrottled) as throttled:
        otp_send(user=applicant, purpose=SIGN_IN)
    assert throttled.value.retry_after == 13
    assert not SmsMessage.objects.exists()
    # Once it cannot be going on any more, the retry gets a code: not after 60 s, after 15.
    clock.shift(timedelta(seconds=13))
    assert otp_resend_wait(user=applicant, purpose=SIGN_IN) == 0
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    otp_verify(user=applicant, purpose=SIGN_IN, code=code)
    lost.refresh_from_db()
    assert lost.superseded_at == START + timedelta(seconds=15)
    assert lost.used_at is None
    # The new code, sent, throttles the next one for the whole interval.
    assert otp_resend_wait(user=applicant, purpose=SIGN_IN) == 60


def test_a_second_tab_asking_while_the_first_code_is_being_sent_gets_no_second_sms(
    applicant, clock, monkeypatch
) -> None:
    """The per-user row lock orders the two sends; the second runs while the first is at the
    gateway (its code committed, not yet stamped), and is refused, not sent."""
    original = OutboxBackend.send
    second: list[OtpThrottled] = []

    def send_while_the_other_tab_asks(
        self: OutboxBackend, *, phone: str, text: str, idempotency_key: str
    ) -> str:
        if not second:
            try:
                otp_send(user=applicant, purpose=SIGN_IN)
            except OtpThrottled as exc:
                second.append(exc)
        return original(self, phone=phone, text=text, idempotency_key=idempotency_key)

    monkeypatch.setattr(OutboxBackend, "send", send_while_the_other_tab_asks)
    first = otp_send(user=applicant, purpose=SIGN_IN)
    assert [(type(e), e.retry_after) for e in second] == [(OtpThrottled, 15)]
    assert OneTimeCode.objects.count() == 1
    assert SmsMessage.objects.count() == 1
    otp_verify(user=applicant, purpose=SIGN_IN, code=last_code(applicant.phone))
    first.refresh_from_db()
    assert first.used_at is not None


def test_a_code_still_being_sent_counts_no_longer_than_the_interval(
    applicant, clock, monkeypatch, settings
) -> None:
    settings.OTP_RESEND_SECONDS = 5
    killed_before_the_gateway(applicant, monkeypatch)
    assert otp_resend_wait(user=applicant, purpose=SIGN_IN) == 5
    clock.shift(timedelta(seconds=5))
    otp_send(user=applicant, purpose=SIGN_IN)
