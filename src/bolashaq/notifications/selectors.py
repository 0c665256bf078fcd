"""Reads about sent messages."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from bolashaq.notifications.models import SmsMessage


def dev_outbox_enabled() -> bool:
    """The development outbox page exists only with DEBUG on and the outbox SMS backend."""
    return bool(settings.DEBUG) and settings.SMS_BACKEND == "outbox"


def sms_recent(*, limit: int = 50) -> QuerySet[SmsMessage]:
    return SmsMessage.objects.order_by("-created_at", "-pk")[:limit]
