"""Reads about applications."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from bolashaq.accounts.models import User
from bolashaq.applications.models import Application


def applications_of(*, applicant: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=applicant).select_related("intake")


def applications_per_state() -> dict[str, int]:
    rows = Application.objects.values("state").annotate(n=Count("id")).order_by("state")
    return {row["state"]: row["n"] for row in rows}
