"""Run the background task worker with a heartbeat that ``/healthz`` reads.

Wraps django-tasks-db's ``db_worker``: same options, plus a thread that, every
``WORKER_HEARTBEAT_SECONDS``, records this process in ``WorkerHeartbeat`` and gives the tasks of
dead workers (no beat for three intervals) another attempt (``core.tasks.tasks_reclaim_lost``),
and that escalates operator review cases near their deadline every
``REVIEW_ESCALATE_EVERY_SECONDS`` (``applications.review``). Run tasks only with this command:
a plain ``db_worker`` does not beat, so its long tasks would be taken for lost.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from bolashaq.core.models import WorkerHeartbeat
from bolashaq.core.tasks import tasks_reclaim_lost

logger = logging.getLogger(__name__)


def beat(worker_id: str, started_at: Any) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def reclaim_lost_tasks(worker_id: str) -> None:
    """Give the tasks of dead workers another attempt; a failure is logged, never raised."""
    try:
        tasks_reclaim_lost(own_worker=worker_id)
    except Exception:  # the next beat tries again; the worker must survive
        logger.exception("Reclaiming the tasks of lost workers failed")


def escalate_reviews() -> None:
    """Escalate review cases close to their deadline; a failure is logged, never raised."""
    try:
        from bolashaq.applications.review import review_escalate

        review_escalate()
    except Exception:  # the next round tries again; the worker must survive
        logger.exception("Review escalation failed")


def _heartbeat_loop(worker_id: str, stop: threading.Event) -> None:
    started_at = timezone.now()
    escalated_at: float | None = None
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                beat(worker_id, started_at)
            except Exception:  # a missed beat must not kill the worker; health shows it
                logger.warning("Worker heartbeat failed", exc_info=True)
            reclaim_lost_tasks(worker_id)
            # Every REVIEW_ESCALATE_EVERY_SECONDS (at most as often as the beat).
            now = time.monotonic()
            if escalated_at is None or now - escalated_at >= settings.REVIEW_ESCALATE_EVERY_SECONDS:
                escalated_at = now
                escalate_reviews()
            stop.wait(settings.WORKER_HEARTBEAT_SECONDS)
    finally:
        connection.close()


class Command(DbWorkerCommand):
    help = "Run background tasks from the database queue, with a heartbeat for /healthz."

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files; its child runs tasks and beats.
            super().handle(*args, **options)
            return
        worker_id = options.get("worker_id") or uuid.uuid4().hex
        stop = threading.Event()
        thread = threading.Thread(
            target=_heartbeat_loop, args=(str(worker_id)[:64], stop), daemon=True
        )
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
