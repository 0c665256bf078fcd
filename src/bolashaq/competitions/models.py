"""An intake: one programme's window for applications under one rule set."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bolashaq.core.models import TimeStampedModel


class Programme(models.TextChoices):
    MASTER = "master", _("Master's")
    RESIDENCY = "residency", _("Residency")
    DOCTORATE = "doctorate", _("Doctorate")
    INTERNSHIP = "internship", _("Internship")


class Intake(TimeStampedModel):
    code = models.SlugField(max_length=50, unique=True)
    title_kk = models.CharField(max_length=200)
    title_ru = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    programme = models.CharField(max_length=20, choices=Programme.choices)
    rule_set = models.CharField(max_length=50, help_text="Id of the rule set in bolashaq.rules")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="competitions_intake_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return str(getattr(self, f"title_{get_language() or 'kk'}", self.title_kk))
