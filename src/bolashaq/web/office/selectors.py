"""Reads for the back office."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django_tasks_db.models import DBTaskResult

from bolashaq.accounts.models import User
from bolashaq.audit.models import AuditEvent


def users_per_role() -> dict[str, int]:
    rows = User.objects.values("role").annotate(n=Count("id")).order_by("role")
    return {row["role"]: row["n"] for row in rows}


def recent_audit_events(limit: int = 50) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.order_by("-seq")[:limit]


def failed_tasks(limit: int = 100) -> QuerySet[DBTaskResult]:
    return DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[:limit]
