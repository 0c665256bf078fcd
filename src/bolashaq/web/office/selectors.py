"""Reads for the back office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet
from django_tasks_db.models import DBTaskResult

from bolashaq.accounts.models import User
from bolashaq.audit.models import AuditEvent
from bolashaq.core.tasks import ATTEMPT_KWARG


def users_per_role() -> dict[str, int]:
    rows = User.objects.values("role").annotate(n=Count("id")).order_by("role")
    return {row["role"]: row["n"] for row in rows}


def recent_audit_events(limit: int = 50) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.order_by("-seq")[:limit]


@dataclass(frozen=True)
class FailedTask:
    task_path: str
    attempt: int
    error: str
    finished_at: datetime | None


def failed_tasks(limit: int = 100) -> list[FailedTask]:
    """Failed task attempts, newest first. Arguments are not shown: they may hold personal data."""
    rows = DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[:limit]
    return [
        FailedTask(
            task_path=row.task_path,
            attempt=int((row.args_kwargs or {}).get("kwargs", {}).get(ATTEMPT_KWARG, 1)),
            error=row.exception_class_path,
            finished_at=row.finished_at,
        )
        for row in rows
    ]
