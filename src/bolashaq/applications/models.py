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
