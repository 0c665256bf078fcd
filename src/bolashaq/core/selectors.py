"""Reads for health and operations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from bolashaq.core.models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def check_storage() -> Check:
    name = f"healthz/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        with default_storage.open(saved, "rb") as handle:
            body = handle.read()
        default_storage.delete(saved)
    except Exception as exc:
        return Check("storage", False, type(exc).__name__)
    return Check("storage", body == b"ok", "read back" if body == b"ok" else "mismatch")


def heartbeat_horizon(now: datetime) -> datetime:
    """A worker that has not beaten since this moment is dead: three missed beats."""
    return now - timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)


def check_worker() -> Check:
    if settings.TASK_BACKEND == "immediate":
        return Check("worker", True, "tasks run in-process")
    horizon = heartbeat_horizon(timezone.now())
    latest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
    seen = latest.first()
    if seen is None:
        return Check("worker", False, "no worker has reported")
    if seen < horizon:
        age = int((timezone.now() - seen).total_seconds())
        return Check("worker", False, f"last heartbeat {age}s ago")
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=horizon).count()
    return Check("worker", True, f"{alive} alive")


def health_checks() -> list[Check]:
    return [check_database(), check_storage(), check_worker()]
