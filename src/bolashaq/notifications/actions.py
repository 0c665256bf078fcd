"""Sending messages. The delivery log row is the record; message bodies may hold one-time codes,
so they are not copied into the audit log."""

from __future__ import annotations

from django.utils import timezone

from bolashaq.notifications.models import SmsMessage, SmsStatus
from bolashaq.notifications.sms import SmsError, get_backend


def sms_send(*, phone: str, text: str) -> SmsMessage:
    backend = get_backend()
    message = SmsMessage.objects.create(phone=phone, body=text, backend=backend.name)
    try:
        message.provider_id = backend.send(phone=phone, text=text)
    except SmsError as exc:
        message.status, message.error = SmsStatus.FAILED, str(exc)[:300]
        message.save(update_fields=["status", "error"])
        raise
    message.status, message.sent_at = SmsStatus.SENT, timezone.now()
    message.save(update_fields=["status", "sent_at", "provider_id"])
    return message
