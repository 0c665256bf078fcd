"""Reads about intakes."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from bolashaq.competitions.models import Intake


def intakes_open(*, at: datetime | None = None) -> QuerySet[Intake]:
    """Intakes whose window contains ``at`` (server time; shown in Asia/Almaty)."""
    moment = at or timezone.now()
    return Intake.objects.filter(opens_at__lte=moment, closes_at__gt=moment).order_by("closes_at")
