"""The application. One active application per applicant, programme and intake (database rule)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.states import State
from bolashaq.competitions.models import Intake, Programme
from bolashaq.core.models import TimeStampedModel


class Application(TimeStampedModel):
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="applications")
    programme = models.CharField(max_length=20, choices=Programme.choices)
    category = models.CharField(max_length=40)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Structured reasons for a refusal: [{"requirement": id, "message": {"kk", "ru", "en"}}].
    reasons = models.JSONField(default=list, blank=True)
    # The applicant's answers, per section (see ``sections.py``); saved as they type.
    answers = models.JSONField(default=dict, blank=True)
    # Grows with every saved change, so a signature binds one exact version.
    version = models.PositiveIntegerField(default=1)
    # SHA-256 of the submitted content (answers and document hashes) that the applicant signed.
    submitted_hash = models.CharField(max_length=64, blank=True)
    # Cases a machine cannot decide go to an operator with a deadline in working days.
    referral_reasons = models.JSONField(default=list, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "intake", "programme"],
                condition=~models.Q(state=State.WITHDRAWN),
                name="applications_one_active_per_intake_and_programme",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=State.values), name="applications_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"application {self.pk} ({self.state})"


class LevelAward(TimeStampedModel):
    """A Bolashak scholarship held at a programme level: it is awarded once per level."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="level_awards"
    )
    programme = models.CharField(max_length=20, choices=Programme.choices)
    awarded_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme"], name="applications_one_award_per_level"
            ),
        ]

    def __str__(self) -> str:
        return f"award {self.programme} ({self.awarded_on})"


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Notice(models.Model):
    """One message to the applicant about a change, sent at most once per change and channel.

    ``key`` names the change (the id of the audit event that recorded it), so a retried task
    finds the row and does not send twice.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=NoticeChannel.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "key", "channel"], name="applications_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"notice {self.key} by {self.channel}"
