"""One-time codes: hashed, single-use, bound to purpose and object, throttled, locked out."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import translation

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import OneTimeCode, OtpAttempt, OtpPurpose, User
from bolashaq.accounts.otp import (
    OtpExpired,
    OtpLocked,
    OtpNoPhone,
    OtpSendFailed,
    OtpSuperseded,
    OtpThrottled,
    OtpUsed,
    OtpWrongBinding,
    OtpWrongCode,
    OtpWrongPurpose,
    otp_check,
    otp_resend_wait,
    otp_send,
    otp_verify,
)
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.audit.models import AuditEvent
from bolashaq.notifications.models import SmsMessage
from bolashaq.notifications.sms import OutboxBackend, SmsError
from conftest import make_user

SIGN_IN = OtpPurpose.SIGN_IN
SIGN = OtpPurpose.SIGN_APPLICATION


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def applicant(cast) -> User:
    user: User = cast[Role.APPLICANT]
    return user


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_is_six_digits_sent_in_the_users_language_and_stored_only_hashed(
    applicant, clock
) -> None:
    row = otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    assert len(code) == 6
    assert code.isdigit()
    sms = SmsMessage.objects.get()
    assert "sign-in code" in sms.body
    assert "10 minutes" in sms.body
    assert row.expires_at - row.created_at == timedelta(seconds=600)
    assert len(row.code_hash) == 64
    assert code not in row.code_hash
    # The code appears in no stored column of the code and in no audit event.
    stored = json.dumps(list(OneTimeCode.objects.values()), default=str)
    assert code not in stored
    events = json.dumps(list(AuditEvent.objects.values("action", "old", "new")), default=str)
    assert code not in events
    assert AuditEvent.objects.filter(action="otp.send", actor=applicant).count() == 1

    applicant.language = "kk"
    applicant.save(update_fields=["language"])
    clock.shift(timedelta(seconds=61))
    otp_send(user=applicant, purpose=OtpPurpose.CONFIRM_PHONE)
    kazakh = SmsMessage.objects.order_by("-pk").first()
    assert kazakh is not None
    assert "телефон нөмірін растау коды" in kazakh.body


def test_the_right_code_verifies_once(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    otp_verify(user=applicant, purpose=SIGN_IN, code=code)
    assert OneTimeCode.objects.get().used_at is not None
    with pytest.raises(OtpUsed):
        otp_verify(user=applicant, purpose=SIGN_IN, code=code)
    assert AuditEvent.objects.filter(action="otp.verify").count() == 1
    assert AuditEvent.objects.filter(action="otp.verify_failed").count() == 1


def test_spaces_in_the_entered_code_are_ignored(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    otp_verify(user=applicant, purpose=SIGN_IN, code=f" {code[:3]} {code[3:]} ")


def test_a_wrong_code_is_refused_and_counted(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    with pytest.raises(OtpWrongCode, match="4 attempts left"):
        otp_verify(user=applicant, purpose=SIGN_IN, code=wrong(code))
    assert OtpAttempt.objects.filter(succeeded=False).count() == 1
    assert OneTimeCode.objects.get().used_at is None


def test_a_malformed_entry_is_not_counted_as_a_guess(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    with pytest.raises(OtpWrongCode, match="6-digit"):
        otp_verify(user=applicant, purpose=SIGN_IN, code="12345")
    assert not OtpAttempt.objects.exists()
    assert AuditEvent.objects.filter(action="otp.verify_failed").count() == 1


def test_an_expired_code_is_refused(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    clock.shift(timedelta(seconds=601))
    with pytest.raises(OtpExpired):
        otp_verify(user=applicant, purpose=SIGN_IN, code=code)


def test_expiry_is_read_from_the_stored_time(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    OneTimeCode.objects.update(expires_at=datetime(2026, 3, 2, 8, 59, tzinfo=UTC))
    with pytest.raises(OtpExpired):
        otp_verify(user=applicant, purpose=SIGN_IN, code=code)


def test_a_sign_in_code_cannot_sign_an_application(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    with pytest.raises(OtpWrongPurpose) as refused:
        otp_verify(user=applicant, purpose=SIGN, code=code, binding="a" * 64)
    assert not isinstance(refused.value, OtpWrongBinding)
    # It still works for what it was sent for.
    otp_verify(user=applicant, purpose=SIGN_IN, code=code)


def test_a_code_for_version_a_cannot_sign_version_b(applicant, clock) -> None:
    version_a, version_b = "a" * 64, "b" * 64
    otp_send(user=applicant, purpose=SIGN, binding=version_a)
    code = last_code(applicant.phone)
    assert "sign and submit your application" in SmsMessage.objects.get().body
    with pytest.raises(OtpWrongBinding):
        otp_verify(user=applicant, purpose=SIGN, code=code, binding=version_b)
    with pytest.raises(OtpWrongPurpose):
        otp_verify(user=applicant, purpose=SIGN_IN, code=code)
    otp_verify(user=applicant, purpose=SIGN, code=code, binding=version_a)


def test_codes_of_other_users_never_match(cast, clock) -> None:
    applicant, operator = cast[Role.APPLICANT], cast[Role.OPERATOR]
    otp_send(user=applicant, purpose=SIGN_IN)
    with pytest.raises(OtpWrongCode):
        otp_verify(user=operator, purpose=SIGN_IN, code=last_code(applicant.phone))


def test_five_failures_lock_verification_even_for_the_right_code(applicant, clock, settings):
    assert settings.OTP_MAX_FAILURES == 5
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    for _ in range(4):
        with pytest.raises(OtpWrongCode):
            otp_verify(user=applicant, purpose=SIGN_IN, code=wrong(code))
    with pytest.raises(OtpLocked, match="15 minutes"):
        otp_verify(user=applicant, purpose=SIGN_IN, code=wrong(code))
    with pytest.raises(OtpLocked):
        otp_verify(user=applicant, purpose=SIGN_IN, code=code)
    assert OneTimeCode.objects.get().used_at is None
    # No new code either while locked.
    clock.shift(timedelta(seconds=120))
    with pytest.raises(OtpLocked):
        otp_send(user=applicant, purpose=SIGN_IN)
    # Other purposes are unaffected.
    otp_send(user=applicant, purpose=SIGN, binding="c" * 64)
    # After the window the user can try again with a new code.
    clock.shift(timedelta(minutes=15))
    otp_send(user=applicant, purpose=SIGN_IN)
    otp_verify(user=applicant, purpose=SIGN_IN, code=last_code(applicant.phone))


def test_a_new_code_does_not_reset_the_failure_count(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    first = last_code(applicant.phone)
    for _ in range(3):
        with pytest.raises(OtpWrongCode):
            otp_verify(user=applicant, purpose=SIGN_IN, code=wrong(first))
    clock.shift(timedelta(seconds=61))
    otp_send(user=applicant, purpose=SIGN_IN)
    second = last_code(applicant.phone)
    guess = next(c for c in ("000000", "000001", "000002") if c not in {first, second})
    with pytest.raises(OtpWrongCode, match="1 attempt left"):
        otp_verify(user=applicant, purpose=SIGN_IN, code=guess)
    with pytest.raises(OtpLocked):
        otp_verify(user=applicant, purpose=SIGN_IN, code=guess)
    with pytest.raises(OtpLocked):
        otp_verify(user=applicant, purpose=SIGN_IN, code=second)


def test_a_success_starts_the_count_again(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    for _ in range(4):
        with pytest.raises(OtpWrongCode):
            otp_verify(user=applicant, purpose=SIGN_IN, code=wrong(code))
    otp_verify(user=applicant, purpose=SIGN_IN, code=code)
    clock.shift(timedelta(seconds=61))
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    with pytest.raises(OtpWrongCode, match="4 attempts left"):
        otp_verify(user=applicant, purpose=SIGN_IN, code=wrong(code))


def test_resending_is_throttled_and_supersedes_the_earlier_code(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    first = last_code(applicant.phone)
    clock.shift(timedelta(seconds=20))
    with pytest.raises(OtpThrottled, match="40 seconds") as throttled:
        otp_send(user=applicant, purpose=SIGN_IN)
    assert throttled.value.retry_after == 40
    assert throttled.value.status == 429
    assert otp_resend_wait(user=applicant, purpose=SIGN_IN) == 40
    assert SmsMessage.objects.count() == 1
    clock.shift(timedelta(seconds=41))
    otp_send(user=applicant, purpose=SIGN_IN)
    second = last_code(applicant.phone)
    if first != second:
        with pytest.raises(OtpSuperseded):
            otp_verify(user=applicant, purpose=SIGN_IN, code=first)
    otp_verify(user=applicant, purpose=SIGN_IN, code=second)


def test_only_a_few_codes_go_to_one_number_per_hour(applicant, clock, settings) -> None:
    settings.OTP_RESEND_SECONDS = 0
    settings.OTP_MAX_SENDS_PER_HOUR = 3
    for _ in range(3):
        otp_send(user=applicant, purpose=SIGN_IN)
        clock.shift(timedelta(minutes=1))
    with pytest.raises(OtpThrottled, match="last hour") as throttled:
        otp_send(user=applicant, purpose=SIGN, binding="d" * 64)
    assert throttled.value.retry_after == 57 * 60
    # Another account with the same number is capped too.
    other = user_create(
        acting_user=None,
        username="sibling",
        password=None,
        role=Role.APPLICANT,
        phone=applicant.phone,
    )
    with pytest.raises(OtpThrottled):
        otp_send(user=other, purpose=SIGN_IN)
    clock.shift(timedelta(minutes=58))
    otp_send(user=applicant, purpose=SIGN_IN)


def test_an_account_without_a_phone_gets_no_code(applicant) -> None:
    applicant.phone = ""
    with pytest.raises(OtpNoPhone):
        otp_send(user=applicant, purpose=SIGN_IN)


def test_a_failed_sms_withdraws_the_code_and_does_not_block_a_retry(
    applicant, clock, monkeypatch
) -> None:
    def refuse(self, *, phone: str, text: str, idempotency_key: str) -> str:
        raise SmsError("gateway down")

    monkeypatch.setattr(OutboxBackend, "send", refuse)
    with pytest.raises(OtpSendFailed) as failed:
        otp_send(user=applicant, purpose=SIGN_IN)
    assert failed.value.status == 503
    row = OneTimeCode.objects.get()
    assert row.delivery_failed
    assert row.superseded_at is not None
    assert AuditEvent.objects.filter(action="otp.send_failed").count() == 1
    monkeypatch.undo()
    otp_send(user=applicant, purpose=SIGN_IN)
    otp_verify(user=applicant, purpose=SIGN_IN, code=last_code(applicant.phone))


def test_two_verifications_of_one_code_give_exactly_one_success(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    outcomes = []
    for _ in range(2):
        try:
            otp_verify(user=applicant, purpose=SIGN_IN, code=code)
            outcomes.append("ok")
        except OtpUsed:
            outcomes.append("used")
    assert outcomes == ["ok", "used"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_verifications_of_one_code_give_exactly_one_success() -> None:
    applicant = make_user(Role.APPLICANT)
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def verify() -> None:
        try:
            barrier.wait()
            otp_verify(user=applicant, purpose=SIGN_IN, code=code)
            outcomes.append("ok")
        except OtpUsed:
            outcomes.append("used")
        finally:
            connection.close()

    threads = [threading.Thread(target=verify) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "used", "used", "used"]
    assert OtpAttempt.objects.filter(succeeded=True).count() == 1


def test_verify_refuses_to_run_inside_a_callers_transaction(applicant, clock) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        otp_verify(user=applicant, purpose=SIGN_IN, code=last_code(applicant.phone))
    assert OneTimeCode.objects.get().used_at is None


def test_check_inside_a_transaction_keeps_the_failure_when_the_block_commits(
    applicant, clock
) -> None:
    otp_send(user=applicant, purpose=SIGN_IN)
    code = last_code(applicant.phone)
    with transaction.atomic():
        refusal = otp_check(user=applicant, purpose=SIGN_IN, code=wrong(code))
    assert isinstance(refusal, OtpWrongCode)
    assert OtpAttempt.objects.filter(succeeded=False).count() == 1
    with transaction.atomic():
        assert otp_check(user=applicant, purpose=SIGN_IN, code=code) is None
    assert OneTimeCode.objects.get().used_at is not None
