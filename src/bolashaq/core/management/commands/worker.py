"""Run the background task worker with a heartbeat that ``/healthz`` reads.

Wraps django-tasks-db's ``db_worker``: same options, plus a thread that, every
``WORKER_HEARTBEAT_SECONDS``, records this process in ``WorkerHeartbeat`` and gives the tasks of
dead workers (no beat for three intervals) another attempt (``core.tasks.tasks_reclaim_lost``),
and that escalates operator review cases near their deadline every
``REVIEW_ESCALATE_EVERY_SECONDS`` (``applications.review``). Run tasks only with this command:
a plain ``db_worker`` does not beat, so its long tasks would be taken for lost.

The worker outlasts a database outage instead of exiting (``db_worker`` raises the first error
that is not a locked SQLite file). When the database cannot be reached (``OperationalError`` or
``InterfaceError`` out of the loop: taking a task, or recording how one ended), the worker
closes its connection, logs a warning once, and checks the database again after 0.5 s, 1 s,
2 s, ... up to every 10 s; when it answers, the worker logs that once and takes tasks again.
It comes back under a new worker id (``<id>.2``, ``<id>.3``, ...): a task it had claimed under
the old id may be left RUNNING (the error came while recording its end, or the claim's commit
was lost with the connection), and only a worker id that no longer beats lets
``tasks_reclaim_lost`` (run by this worker's heartbeat as by every other's) fail that attempt as
``WorkerLost`` and queue the next one, once, three heartbeat intervals after the old id's last
beat. The heartbeat thread, meanwhile, logs its first failed beat and the one that succeeds
again, not every beat in between.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.db import connection as default_connection
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from bolashaq.core.models import WorkerHeartbeat
from bolashaq.core.tasks import tasks_reclaim_lost

logger = logging.getLogger(__name__)

# While the database cannot be reached: the first wait before checking it again, and the
# longest (each wait doubles the one before).
OUTAGE_FIRST_WAIT_SECONDS = 0.5
OUTAGE_LONGEST_WAIT_SECONDS = 10.0


class WorkerIdentity:
    """This process's worker id, shared by the task loop and the heartbeat thread; renewed
    after each database outage (see the module's docstring)."""

    def __init__(self, worker_id: str) -> None:
        self.base = worker_id[:56]
        self.generation = 1
        self.current = worker_id[:64]

    def renew(self) -> str:
        self.generation += 1
        self.current = f"{self.base}.{self.generation}"
        return self.current


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


def _describe(error: BaseException) -> str:
    """``Class: first line of the message``, for a one-line log."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _close_connection() -> None:
    """Drop this thread's database connection; a broken one may fail even to close."""
    with contextlib.suppress(DatabaseError):
        default_connection.close()


@dataclass
class Heartbeat:
    """One round every ``WORKER_HEARTBEAT_SECONDS`` (:meth:`round`), run by the heartbeat
    thread under the identity's current worker id."""

    identity: WorkerIdentity
    started_at: datetime = field(default_factory=timezone.now)
    failing: bool = False
    escalated_at: float | None = None

    def round(self) -> None:
        """Beat; then, if the beat was recorded, reclaim lost tasks and escalate reviews (with
        no beat the database is most likely down, and they would fail too)."""
        with contextlib.suppress(DatabaseError):
            close_old_connections()
        worker_id = self.identity.current
        try:
            beat(worker_id, self.started_at)
        except Exception as error:  # a missed beat must not kill the worker; health shows it
            if not self.failing:
                logger.warning(
                    "Worker heartbeat failed (%s); trying again every %d s",
                    _describe(error),
                    settings.WORKER_HEARTBEAT_SECONDS,
                )
            self.failing = True
            _close_connection()
            return
        if self.failing:
            logger.warning("Worker heartbeat recorded again as %s", worker_id)
            self.failing = False
        reclaim_lost_tasks(worker_id)
        # Every REVIEW_ESCALATE_EVERY_SECONDS (at most as often as the beat).
        now = time.monotonic()
        if (
            self.escalated_at is None
            or now - self.escalated_at >= settings.REVIEW_ESCALATE_EVERY_SECONDS
        ):
            self.escalated_at = now
            escalate_reviews()


def _heartbeat_loop(identity: WorkerIdentity, stop: threading.Event) -> None:
    heartbeat = Heartbeat(identity)
    try:
        while not stop.is_set():
            heartbeat.round()
            stop.wait(settings.WORKER_HEARTBEAT_SECONDS)
    finally:
        _close_connection()


def pause(seconds: float) -> None:
    """Wait between two checks of the database; a SIGTERM meanwhile ends the process at once
    (no task is running)."""
    time.sleep(seconds)


def database_reachable() -> bool:
    """True when the task table can be read (a real query: an empty SQLite file created where
    the database went missing does not count)."""
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.exists()
    except DatabaseError:
        _close_connection()
        return False
    return True


class OutageTolerantWorker(Worker):
    """``db_worker``'s loop, resumed under a new worker id after a database outage."""

    def __init__(self, *, identity: WorkerIdentity, **options: Any) -> None:
        super().__init__(worker_id=identity.current, **options)
        self.identity = identity

    def run(self) -> None:
        while True:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as error:
                if not self.running:  # stopping anyway
                    raise
                self.outlast_outage(error)

    def outlast_outage(self, error: Exception) -> None:
        """Wait, with back-off, until the database answers; then take a new worker id."""
        began = time.monotonic()
        lost = self.worker_id
        self.worker_id = self.identity.renew()
        logger.warning(
            "Database unreachable (%s); worker %s takes no tasks until it answers, "
            "checking every %.1f s to %.0f s",
            _describe(error),
            lost,
            OUTAGE_FIRST_WAIT_SECONDS,
            OUTAGE_LONGEST_WAIT_SECONDS,
        )
        _close_connection()
        wait = OUTAGE_FIRST_WAIT_SECONDS
        checks = 0
        while self.running:
            pause(wait)
            checks += 1
            if database_reachable():
                break
            logger.debug("Database still unreachable after %d check(s)", checks)
            wait = min(wait * 2, OUTAGE_LONGEST_WAIT_SECONDS)
        logger.warning(
            "Database reachable again after %.1f s (%d check(s)); worker %s continues as %s, "
            "and any task it left running is run again once %s has not beaten for %d s",
            time.monotonic() - began,
            checks,
            lost,
            self.worker_id,
            lost,
            3 * settings.WORKER_HEARTBEAT_SECONDS,
        )


class Command(DbWorkerCommand):
    help = "Run background tasks from the database queue, with a heartbeat for /healthz."

    def handle(self, *args: Any, **options: Any) -> None:
        reload = bool(options.get("reload"))
        if reload and options.get("batch"):
            reload = False  # as db_worker: --batch runs once, never under the reloader
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files; its child runs tasks and beats.
            super().handle(*args, **options)
            return
        self.configure_logging(int(options["verbosity"]))
        queue_names = str(options["queue_name"]).split(",")
        exclude = str(options.get("exclude_queues") or "")
        excluded_queue_names = exclude.split(",") if exclude else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        identity = WorkerIdentity(str(options.get("worker_id") or uuid.uuid4().hex))
        worker = OutageTolerantWorker(
            identity=identity,
            queue_names=queue_names,
            interval=options["interval"],
            batch=bool(options["batch"]),
            backend_name=options["backend_name"],
            startup_delay=bool(options["startup_delay"]),
            max_tasks=options["max_tasks"],
            excluded_queue_names=excluded_queue_names,
        )
        stop = threading.Event()
        thread = threading.Thread(target=_heartbeat_loop, args=(identity, stop), daemon=True)
        thread.start()
        try:
            worker.configure_signals()
            if reload:
                run_with_reloader(worker.run)
            else:
                worker.run()
        finally:
            stop.set()
