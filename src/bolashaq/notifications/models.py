"""The delivery log: every SMS the system sends, whichever backend carried it."""

from __future__ import annotations

from django.db import models


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class SmsMessage(models.Model):
    phone = models.CharField(max_length=16)
    body = models.TextField()
    backend = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # What was sent to one number (support, the development outbox, the load test's
        # simulated phones) without scanning the whole log.
        indexes = [models.Index(fields=["phone", "created_at"])]

    def __str__(self) -> str:
        return f"SMS to {self.phone[:-4]}**** ({self.status})"
