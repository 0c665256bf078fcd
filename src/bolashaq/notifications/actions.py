"""Sending messages. The delivery log row (``SmsMessage``) keeps the text; message bodies may
hold one-time codes, so the audit log gets only the masked number, the backend and the outcome.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from bolashaq.accounts.phones import mask_phone
from bolashaq.audit.actions import audit_record
from bolashaq.notifications.models import SmsMessage, SmsStatus
from bolashaq.notifications.sms import SmsError, get_backend


def sms_send(*, acting_user: AbstractBaseUser | None = None, phone: str, text: str) -> SmsMessage:
    """Send one SMS and log it; raises ``SmsError`` (after logging the failure) if the backend
    refuses. Call it outside a transaction: the gateway call is not held inside one."""
    backend = get_backend()
    with transaction.atomic():
        message = SmsMessage.objects.create(phone=phone, body=text, backend=backend.name)
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
