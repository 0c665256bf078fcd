"""Sending messages. Message bodies may hold one-time codes: the audit log gets only the masked
number, the backend and the outcome, and the delivery log (``SmsMessage``) keeps the text with
every run of digits masked, except with the development outbox backend, whose page is where a
developer reads the codes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from bolashaq.accounts.phones import mask_phone
from bolashaq.audit.actions import audit_record
from bolashaq.notifications.models import SmsMessage, SmsStatus
from bolashaq.notifications.sms import SmsError, get_backend

logger = logging.getLogger(__name__)

# Codes and other numbers in a message (6-digit codes, application numbers): masked in the log.
DIGITS = re.compile(r"\d{4,}")


def idempotency_key(message_name: str) -> str:
    """The gateway's idempotency key for the message named ``message_name`` (``notice:12``):
    the same for every attempt, different in another deployment (keyed with ``SECRET_KEY``),
    and telling the gateway nothing."""
    digest = hmac.new(
        settings.SECRET_KEY.encode("utf-8"), f"sms\x00{message_name}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def sms_send(
    *,
    acting_user: AbstractBaseUser | None = None,
    phone: str,
    text: str,
    message_name: str = "",
    also: Callable[[SmsMessage], None] | None = None,
) -> SmsMessage:
    """Send one SMS, then log and audit the outcome (``sms.sent`` or ``sms.failed``) in one
    transaction; raises ``SmsError`` after logging a failure. Call it outside a transaction:
    the gateway call is not held inside one.

    The record is written once, when the gateway has answered: what must survive a crash
    before that is the caller's (the one-time code or the notice, written before sending), and
    one transaction instead of two is a third of a signature's writes.

    ``message_name`` names the message across retries (``notice:<pk>``, ``code:<pk>``): every
    attempt then carries the same idempotency key, so a gateway that honours it sends the SMS
    once. Without it, the attempt gets a key of its own.

    ``also`` runs inside the transaction that records the outcome (``message.status`` is sent
    or failed), so the caller's own record of it commits with the delivery log, or neither.
    """
    backend = get_backend()
    key = idempotency_key(message_name or f"sms:{uuid.uuid4()}")
    logged = text if backend.name == "outbox" else DIGITS.sub(lambda m: "•" * len(m[0]), text)
    message = SmsMessage(phone=phone, body=logged, backend=backend.name)
    failure: SmsError | None = None
    try:
        message.provider_id = backend.send(phone=phone, text=text, idempotency_key=key)
        message.status, message.sent_at = SmsStatus.SENT, timezone.now()
    except SmsError as exc:
        failure = exc
        message.status, message.error = SmsStatus.FAILED, str(exc)[:300]
    with transaction.atomic():
        message.save()
        audit_record(
            acting_user=acting_user,
            action="sms.sent" if failure is None else "sms.failed",
            target=message,
            new={
                "phone": mask_phone(phone),
                "backend": backend.name,
                "status": message.status,
                **({"error": message.error} if failure is not None else {}),
            },
        )
        if also is not None:
            also(message)
    if failure is not None:
        # The number masked, never the text: it may hold a code.
        logger.warning("SMS %s to %s failed: %s", message.pk, mask_phone(phone), message.error)
        raise failure
    return message
