"""Sending messages. Message bodies may hold one-time codes: the audit log gets only the masked
number, the backend and the outcome, and the delivery log (``SmsMessage``) keeps the text with
every run of digits masked, except with the development outbox backend, whose page is where a
developer reads the codes.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from bolashaq.accounts.phones import mask_phone
from bolashaq.audit.actions import audit_record
from bolashaq.notifications.models import SmsMessage, SmsStatus
from bolashaq.notifications.sms import SmsError, get_backend

# Codes and other numbers in a message (6-digit codes, application numbers): masked in the log.
DIGITS = re.compile(r"\d{4,}")


def sms_send(*, acting_user: AbstractBaseUser | None = None, phone: str, text: str) -> SmsMessage:
    """Send one SMS and log it; raises ``SmsError`` (after logging the failure) if the backend
    refuses. Call it outside a transaction: the gateway call is not held inside one."""
    backend = get_backend()
    with transaction.atomic():
        logged = text if backend.name == "outbox" else DIGITS.sub(lambda m: "•" * len(m[0]), text)
        message = SmsMessage.objects.create(phone=phone, body=logged, backend=backend.name)
        audit_record(
            acting_user=acting_user,
            action="sms.send",
            target=message,
            new={"phone": mask_phone(phone), "backend": backend.name},
        )
    try:
        message.provider_id = backend.send(phone=phone, text=text)
    except SmsError as exc:
        message.status, message.error = SmsStatus.FAILED, str(exc)[:300]
        with transaction.atomic():
            message.save(update_fields=["status", "error"])
            audit_record(
                acting_user=acting_user,
                action="sms.failed",
                target=message,
                old={"status": SmsStatus.QUEUED},
                new={"status": SmsStatus.FAILED, "error": message.error},
            )
        raise
    message.status, message.sent_at = SmsStatus.SENT, timezone.now()
    with transaction.atomic():
        message.save(update_fields=["status", "sent_at", "provider_id"])
        audit_record(
            acting_user=acting_user,
            action="sms.sent",
            target=message,
            old={"status": SmsStatus.QUEUED},
            new={"status": SmsStatus.SENT},
        )
    return message
