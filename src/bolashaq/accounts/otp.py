"""One-time SMS codes: for signing in, confirming a phone number and signing an application.

* A code is 6 random digits (``secrets``), valid ``OTP_TTL_SECONDS``; only an HMAC-SHA256 of it
  (keyed with ``SECRET_KEY`` and bound to the user, purpose and binding) is stored.
* ``binding`` pins a code to one object: for signing, the SHA-256 of the exact application
  version, so a code sent for version A can never sign version B, and a sign-in code can never
  sign anything.
* Sending a new code for the same user, purpose and binding supersedes the earlier unused ones.
  Sending is throttled: ``OTP_RESEND_SECONDS`` between two codes for the same purpose and at
  most ``OTP_MAX_SENDS_PER_HOUR`` codes to one phone number.
* The resend interval counts only codes that reached the person, or may still: a code is
  committed before it is handed to the SMS gateway and stamped ``sent_at`` when the gateway has
  taken it. One not yet stamped is still being sent for at most :func:`sending_seconds` (the
  gateway's timeout bounds the exchange, plus a margin to record it); it throttles until then,
  so a second tab pressing "send" meanwhile gets no second SMS. After that, an unstamped code
  was never sent (its process died before or while sending) and no longer counts, so the
  person's retry gets a code instead of waiting out the interval for one that never came.
* Wrong entries are counted per user and purpose in a window of ``OTP_LOCKOUT_SECONDS`` (since
  the last success), not per code, so asking for a new code does not buy more guesses; after
  ``OTP_MAX_FAILURES`` verification pauses until the window has passed.
* A code verifies once: it is marked used by a conditional UPDATE, so of two concurrent
  verifications of one code exactly one succeeds.

:func:`otp_verify` runs outside any ``transaction.atomic()`` (it refuses otherwise): it commits
the attempt, and with it the failure count, before raising; a caller's rollback would erase it.
Code that must verify inside its own transaction (to hold a row lock) uses :func:`otp_check`,
which returns the refusal so the caller can commit and then raise it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from bolashaq.accounts.models import OneTimeCode, OtpAttempt, OtpPurpose, User
from bolashaq.accounts.phones import mask_phone
from bolashaq.audit.actions import audit_record
from bolashaq.core.errors import DomainError
from bolashaq.notifications.actions import sms_send
from bolashaq.notifications.models import SmsMessage, SmsStatus
from bolashaq.notifications.sms import SmsError

__all__ = [
    "OneTimeCode",
    "OtpError",
    "OtpExpired",
    "OtpLocked",
    "OtpNoPhone",
    "OtpPurpose",
    "OtpSendFailed",
    "OtpSuperseded",
    "OtpThrottled",
    "OtpUsed",
    "OtpWrongBinding",
    "OtpWrongCode",
    "OtpWrongPurpose",
    "otp_check",
    "otp_latest",
    "otp_resend_wait",
    "otp_send",
    "otp_verify",
]

CODE_LENGTH = 6
HOUR = timedelta(hours=1)
# Beyond the gateway's timeout, how long recording its answer may take (sms_send's write).
SENDING_MARGIN_SECONDS = 5


# --- errors ------------------------------------------------------------------------------------


class OtpError(DomainError):
    """A one-time code was refused or could not be sent; ``message`` says why."""

    code = "otp_error"
    default_message: str | Promise = _("The code was not accepted.")

    def __init__(self, message: str | Promise | None = None) -> None:
        super().__init__(message if message is not None else self.default_message)


class OtpWrongCode(OtpError):
    code = "otp_wrong_code"
    default_message = _("The code is wrong. Check the SMS and try again.")


class OtpExpired(OtpError):
    code = "otp_expired"
    default_message = _("This code has expired. Ask for a new code.")


class OtpUsed(OtpError):
    code = "otp_used"
    default_message = _("This code has already been used. Ask for a new code.")


class OtpSuperseded(OtpError):
    code = "otp_superseded"
    default_message = _("A newer code has been sent. Enter the code from the latest SMS.")


class OtpWrongPurpose(OtpError):
    code = "otp_wrong_purpose"
    default_message = _("This code was sent for something else. Enter the code sent for this step.")


class OtpWrongBinding(OtpWrongPurpose):
    code = "otp_wrong_binding"
    default_message = _(
        "This code was sent for a different version of the document. Ask for a new code."
    )


class OtpLocked(OtpError):
    code = "otp_locked"
    status = 429
    default_message = _("Too many wrong codes. For your safety, try again later.")


class OtpThrottled(OtpError):
    code = "otp_throttled"
    status = 429

    def __init__(self, message: str | Promise | None = None, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OtpNoPhone(OtpError):
    code = "otp_no_phone"
    default_message = _(
        "This account has no phone number for codes. Contact the Center for International Programs."
    )


class OtpSendFailed(OtpError):
    code = "otp_send_failed"
    status = 503
    default_message = _("The SMS could not be sent. Try again in a few minutes.")


# --- helpers -----------------------------------------------------------------------------------


def _code_hash(*, user_id: int, purpose: str, binding: str, code: str) -> str:
    message = "\x00".join(("bolashaq-otp", str(user_id), purpose, binding, code))
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), message.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _lock_user(user: User) -> None:
    # One row lock per user serialises that user's sends and verifications across processes,
    # so the failure count and the resend interval cannot be raced past. NO KEY UPDATE: rows
    # that point at the user (audit events, codes) are still checked at commit without waiting.
    rows = User.objects.select_for_update(no_key=True).filter(pk=user.pk)
    list(rows.values_list("pk", flat=True))


def _failures(user: User, purpose: str, now: datetime) -> list[datetime]:
    """Times of the failures that count now: in the window and after the last success."""
    since = now - timedelta(seconds=settings.OTP_LOCKOUT_SECONDS)
    # One query: the window holds few attempts (failures stop at the lock-out, and each
    # success needs a new code, which the resend interval spaces out).
    attempts = OtpAttempt.objects.filter(user=user, purpose=purpose, at__gt=since)
    rows = sorted(attempts.values_list("at", "succeeded"))
    successes = [at for at, succeeded in rows if succeeded]
    last_success = successes[-1] if successes else None
    return [
        at
        for at, succeeded in rows
        if not succeeded and (last_success is None or at > last_success)
    ]


def _locked_error(failures: list[datetime], now: datetime) -> OtpLocked | None:
    limit = settings.OTP_MAX_FAILURES
    if len(failures) < limit:
        return None
    # Verification opens again when enough failures have left the window.
    opens_at = failures[len(failures) - limit] + timedelta(seconds=settings.OTP_LOCKOUT_SECONDS)
    minutes = _minutes((opens_at - now).total_seconds())
    return OtpLocked(
        ngettext(
            "Too many wrong codes. For your safety, try again in %(minutes)d minute.",
            "Too many wrong codes. For your safety, try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes}
    )


def _sms_text(purpose: str, code: str) -> str:
    minutes = _minutes(settings.OTP_TTL_SECONDS)
    values = {"code": code, "minutes": minutes}
    if purpose == OtpPurpose.SIGN_IN:
        text = ngettext(
            "Bolashaq: %(code)s is your sign-in code. It is valid for %(minutes)d minute. "
            "Never tell it to anyone, including staff.",
            "Bolashaq: %(code)s is your sign-in code. It is valid for %(minutes)d minutes. "
            "Never tell it to anyone, including staff.",
            minutes,
        )
    elif purpose == OtpPurpose.CONFIRM_PHONE:
        text = ngettext(
            "Bolashaq: %(code)s is your code to confirm this phone number. It is valid for "
            "%(minutes)d minute. Never tell it to anyone.",
            "Bolashaq: %(code)s is your code to confirm this phone number. It is valid for "
            "%(minutes)d minutes. Never tell it to anyone.",
            minutes,
        )
    else:
        text = ngettext(
            "Bolashaq: %(code)s is your code to sign and submit your application. It is valid "
            "for %(minutes)d minute. Never tell it to anyone.",
            "Bolashaq: %(code)s is your code to sign and submit your application. It is valid "
            "for %(minutes)d minutes. Never tell it to anyone.",
            minutes,
        )
    return text % values


# --- reads -------------------------------------------------------------------------------------


def otp_latest(*, user: User, purpose: OtpPurpose, binding: str = "") -> OneTimeCode | None:
    """The newest delivered code for this user, purpose and binding (used or not)."""
    return (
        OneTimeCode.objects.filter(
            user=user, purpose=purpose, binding=binding, delivery_failed=False
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def sending_seconds() -> int:
    """How long after its creation a code may still be on its way to the SMS gateway."""
    return int(settings.SMS_GATEWAY_TIMEOUT_SECONDS) + SENDING_MARGIN_SECONDS


def otp_resend_wait(*, user: User, purpose: OtpPurpose) -> int:
    """Seconds until a new code for ``purpose`` may be sent (0: now).

    Each code of the interval counts from its creation: one the gateway took (``sent_at``) for
    ``OTP_RESEND_SECONDS``; one not yet taken only while it may still be being sent
    (:func:`sending_seconds`, if shorter); one the gateway refused not at all.
    """
    now = timezone.now()
    interval = timedelta(seconds=settings.OTP_RESEND_SECONDS)
    sending = min(interval, timedelta(seconds=sending_seconds()))
    codes = OneTimeCode.objects.filter(
        user=user, purpose=purpose, delivery_failed=False, created_at__gt=now - interval
    ).values_list("created_at", "sent_at")
    ready = max(
        (created + (interval if sent is not None else sending) for created, sent in codes),
        default=now,
    )
    return max(0, math.ceil((ready - now).total_seconds()))


# --- writes ------------------------------------------------------------------------------------


def otp_send(*, user: User, purpose: OtpPurpose, binding: str = "") -> OneTimeCode:
    """Send a new code by SMS to the user's phone, in the user's language.

    Raises ``OtpNoPhone``, ``OtpLocked`` (too many wrong codes for this purpose),
    ``OtpThrottled`` (too soon after the last code, or too many codes to this number in an
    hour; ``retry_after`` in seconds) or ``OtpSendFailed`` (the gateway refused; the code is
    withdrawn and does not count towards the resend interval). Once the gateway has taken the
    SMS, the code is stamped ``sent_at`` (audited ``otp.sent``).
    """
    purpose = OtpPurpose(purpose)
    if not user.phone:
        raise OtpNoPhone()
    code = _new_code()
    with transaction.atomic():
        _lock_user(user)
        now = timezone.now()
        locked = _locked_error(_failures(user, purpose, now), now)
        if locked is not None:
            raise locked
        wait = otp_resend_wait(user=user, purpose=purpose)
        if wait:
            raise OtpThrottled(
                ngettext(
                    "A code was sent a moment ago. You can ask for a new one in %(seconds)d "
                    "second.",
                    "A code was sent a moment ago. You can ask for a new one in %(seconds)d "
                    "seconds.",
                    wait,
                )
                % {"seconds": wait},
                retry_after=wait,
            )
        recent = OneTimeCode.objects.filter(phone=user.phone, created_at__gt=now - HOUR)
        if recent.count() >= settings.OTP_MAX_SENDS_PER_HOUR:
            oldest = recent.order_by("created_at").values_list("created_at", flat=True)[0]
            retry = math.ceil((oldest + HOUR - now).total_seconds())
            raise OtpThrottled(
                gettext(
                    "Too many codes were sent to this phone number in the last hour. "
                    "Try again later."
                ),
                retry_after=retry,
            )
        OneTimeCode.objects.filter(
            user=user, purpose=purpose, binding=binding, used_at=None, superseded_at=None
        ).update(superseded_at=now)
        row = OneTimeCode.objects.create(
            user=user,
            purpose=purpose,
            binding=binding,
            phone=user.phone,
            code_hash=_code_hash(user_id=user.pk, purpose=purpose, binding=binding, code=code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        audit_record(
            acting_user=user,
            action="otp.send",
            target=row,
            new={"purpose": str(purpose), "binding": binding, "expires_at": row.expires_at},
        )
    with translation.override(user.language):
        text = _sms_text(purpose, code)

    def record_outcome(message: SmsMessage) -> None:
        # In the delivery log's transaction: the code is stamped (or withdrawn) exactly when
        # the SMS is recorded as sent (or failed).
        if message.status == SmsStatus.SENT:
            row.sent_at = timezone.now()
            OneTimeCode.objects.filter(pk=row.pk).update(sent_at=row.sent_at)
            audit_record(
                acting_user=user,
                action="otp.sent",
                target=row,
                old={"sent_at": None},
                new={"sent_at": row.sent_at},
            )
        else:
            row.delivery_failed, row.superseded_at = True, timezone.now()
            row.save(update_fields=["delivery_failed", "superseded_at"])
            audit_record(
                acting_user=user,
                action="otp.send_failed",
                target=row,
                new={"purpose": str(purpose), "phone": mask_phone(user.phone)},
            )

    try:
        sms_send(
            acting_user=user,
            phone=user.phone,
            text=text,
            message_name=f"code:{row.pk}",
            also=record_outcome,
        )
    except SmsError as exc:
        raise OtpSendFailed() from exc
    return row


def otp_verify(*, user: User, purpose: OtpPurpose, code: str, binding: str = "") -> None:
    """Accept ``code`` once for this user, purpose and binding, or raise an ``OtpError``.

    Every attempt is recorded and audited (without the code). A malformed entry (not 6 digits)
    is refused without counting as a guess. Refuses (``RuntimeError``) to run inside a caller's
    ``transaction.atomic()``: raising out of it would roll the failed attempt back and with it
    the lock-out. Inside a transaction use :func:`otp_check`.
    """
    with transaction.atomic(durable=True):
        error = otp_check(user=user, purpose=purpose, code=code, binding=binding)
    if error is not None:
        raise error


def otp_check(*, user: User, purpose: OtpPurpose, code: str, binding: str = "") -> OtpError | None:
    """:func:`otp_verify` for callers that hold a transaction: returns the refusal instead of
    raising it. On a refusal the caller must let its transaction COMMIT (write nothing else)
    and raise the error after the block, so the failed attempt is kept::

        with transaction.atomic():
            locked = Application.objects.select_for_update().get(...)
            error = otp_check(user=..., purpose=..., code=..., binding=...)
            if error is None:
                ...  # the signed write
        if error is not None:
            raise error
    """
    purpose = OtpPurpose(purpose)
    entered = _clean(code)
    if len(entered) != CODE_LENGTH or not all("0" <= c <= "9" for c in entered):
        audit_record(
            acting_user=user,
            action="otp.verify_failed",
            target=user,
            new={"purpose": str(purpose), "binding": binding, "outcome": "malformed"},
        )
        return OtpWrongCode(gettext("Enter the 6-digit code from the SMS."))
    error: OtpError | None = None
    with transaction.atomic():
        _lock_user(user)
        now = timezone.now()
        failures = _failures(user, purpose, now)
        error = _locked_error(failures, now)
        row: OneTimeCode | None = None
        if error is not None:
            outcome = "locked"
        else:
            row = (
                OneTimeCode.objects.filter(
                    user=user,
                    purpose=purpose,
                    binding=binding,
                    code_hash=_code_hash(
                        user_id=user.pk, purpose=purpose, binding=binding, code=entered
                    ),
                )
                .order_by("-created_at", "-pk")
                .first()
            )
            outcome = (
                _outcome(row, now) if row is not None else _mismatch(user, purpose, entered, now)
            )
            if outcome == "ok" and row is not None:
                # The conditional UPDATE is the single-use guarantee: a concurrent verification
                # of the same code finds used_at already set and updates nothing.
                claimed = OneTimeCode.objects.filter(
                    pk=row.pk, used_at=None, superseded_at=None
                ).update(used_at=now)
                if not claimed:
                    outcome = "used"
            OtpAttempt.objects.create(user=user, purpose=purpose, succeeded=outcome == "ok", at=now)
            if outcome != "ok":
                error = _locked_error([*failures, now], now) or _failure_error(
                    outcome, left=settings.OTP_MAX_FAILURES - len(failures) - 1
                )
        audit_record(
            acting_user=user,
            action="otp.verify" if error is None else "otp.verify_failed",
            target=row if row is not None else user,
            new={"purpose": str(purpose), "binding": binding, "outcome": outcome},
        )
    return error


def _outcome(row: OneTimeCode, now: datetime) -> str:
    if row.used_at is not None:
        return "used"
    if row.superseded_at is not None:
        return "superseded"
    if row.expires_at <= now:
        return "expired"
    return "ok"


def _mismatch(user: User, purpose: str, entered: str, now: datetime) -> str:
    """``wrong_purpose``/``wrong_binding`` when the code is one of the user's recent codes sent
    for another purpose or object, else ``wrong``."""
    recent = OneTimeCode.objects.filter(
        user=user, created_at__gt=now - timedelta(seconds=settings.OTP_TTL_SECONDS) - HOUR
    ).order_by("-created_at")[:50]
    for other in recent:
        digest = _code_hash(
            user_id=user.pk, purpose=other.purpose, binding=other.binding, code=entered
        )
        if hmac.compare_digest(digest, other.code_hash):
            return "wrong_binding" if other.purpose == purpose else "wrong_purpose"
    return "wrong"


def _failure_error(outcome: str, *, left: int) -> OtpError:
    error: OtpError = {
        "used": OtpUsed,
        "superseded": OtpSuperseded,
        "expired": OtpExpired,
        "wrong_purpose": OtpWrongPurpose,
        "wrong_binding": OtpWrongBinding,
    }.get(outcome, OtpWrongCode)()
    if outcome == "wrong":
        error = OtpWrongCode(
            ngettext(
                "The code is wrong. Check the SMS and try again; %(left)d attempt left.",
                "The code is wrong. Check the SMS and try again; %(left)d attempts left.",
                left,
            )
            % {"left": left}
        )
    return error
