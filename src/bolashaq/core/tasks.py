"""Background tasks that retry, survive a killed worker, and are queued with the change.

django-tasks runs a task once. ``retried_task`` wraps a function so that a failure re-enqueues
it with exponential back-off until ``TASK_MAX_ATTEMPTS``; each failed attempt stays in the task
table (status FAILED) where staff see it on the back-office task page.

A worker that dies mid-task (killed, out of memory, its machine lost) leaves the task's row
RUNNING for ever: django-tasks-db never looks at it again. ``tasks_reclaim_lost``, called by every
live worker on each heartbeat (``manage.py worker``), finds running tasks whose worker has not
beaten for three heartbeat intervals (the horizon after which ``/healthz`` calls a worker dead),
marks the attempt FAILED with :class:`WorkerLost`, audits it, and queues the next attempt like any
failure, so a task that kills its worker every time still stops at the attempt limit.

Task functions must therefore be idempotent: an attempt may have done part of its work before it
failed or its worker died, and the next attempt runs it again (at least once, not exactly once).

``enqueue_with_transaction`` queues a task as part of the current transaction on the database
backend, so a process that dies right after committing a change cannot lose the task that
follows from it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPT_KWARG = "_attempt"
# Set on a retried task's function: its attempt limit (0: TASK_MAX_ATTEMPTS).
RETRY_LIMIT_ATTR = "bolashaq_retry_limit"


class WorkerLost(Exception):
    """The worker running the task stopped beating before the task finished."""


def retry_delay(attempt: int) -> timedelta:
    """Back-off before attempt ``attempt + 1``: base, 2×base, 4×base, … capped at one hour."""
    seconds = settings.TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, 3600))


def _enqueue_retry(
    the_task: Task[Any, Any], args: Any, kwargs: dict[str, Any], attempt: int
) -> Any:
    """Queue attempt ``attempt + 1`` after the back-off; return its result handle."""
    retry = the_task
    if the_task.get_backend().supports_defer:
        retry = the_task.using(run_after=timezone.now() + retry_delay(attempt))
    return retry.enqueue(*args, **{**kwargs, ATTEMPT_KWARG: attempt + 1})


# How long a failed task's worker keeps trying to queue the next attempt while the database is
# unreachable. Giving up at once lost the attempt when the database came back before the worker
# recorded the failure (tests/faults/test_postgres_restarted.py).
RETRY_ENQUEUE_PATIENCE_SECONDS = 60.0


def _enqueue_retry_when_possible(
    the_task: Task[Any, Any], args: Any, kwargs: dict[str, Any], attempt: int
) -> Any:
    """:func:`_enqueue_retry`, tried again while the database cannot be reached, for up to
    ``RETRY_ENQUEUE_PATIENCE_SECONDS``. If it stays down, the error propagates: the worker
    cannot record the failure either, stops, and its task is reclaimed (``tasks_reclaim_lost``).
    """
    if not isinstance(the_task.get_backend(), DatabaseBackend):
        return _enqueue_retry(the_task, args, kwargs, attempt)
    deadline = time.monotonic() + RETRY_ENQUEUE_PATIENCE_SECONDS
    wait = 0.25
    while True:
        try:
            return _enqueue_retry(the_task, args, kwargs, attempt)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() + wait > deadline:
                raise
            logger.warning(
                "Could not queue attempt %d of %s; trying again in %.2f s",
                attempt + 1,
                the_task.module_path,
                wait,
                exc_info=True,
            )
            connection.close()
            time.sleep(wait)
            wait = min(wait * 2, 5.0)


def retried_task(
    *, max_attempts: int | None = None, priority: int = 0, queue_name: str = "default"
) -> Callable[[Callable[P, T]], Task[Any, T]]:
    def decorator(func: Callable[P, T]) -> Task[Any, T]:
        the_task: Task[Any, T]

        @functools.wraps(func)
        def runner(*args: Any, **kwargs: Any) -> T:
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            try:
                return func(*args, **kwargs)
            except Exception:
                limit = max_attempts or settings.TASK_MAX_ATTEMPTS
                if attempt >= limit:
                    logger.exception(
                        "Task %s failed on its last attempt %d of %d",
                        the_task.module_path,
                        attempt,
                        limit,
                    )
                    raise
                logger.warning(
                    "Task %s failed on attempt %d of %d; retrying",
                    the_task.module_path,
                    attempt,
                    limit,
                    exc_info=True,
                )
                _enqueue_retry_when_possible(the_task, args, kwargs, attempt)
                raise

        setattr(runner, RETRY_LIMIT_ATTR, max_attempts or 0)
        the_task = task(priority=priority, queue_name=queue_name)(runner)
        return the_task

    return decorator


def enqueue_with_transaction(the_task: Task[Any, Any], **kwargs: Any) -> None:
    """Queue ``the_task`` with the writes of the current transaction.

    On the database backend the task's row is written inside the transaction: it commits with the
    change or rolls back with it, and no crash between the two can separate them. On other
    backends (the immediate backend of the tests runs the task at once) it is queued when the
    transaction commits; a queue that fails then is logged and does not undo the change.
    """
    if isinstance(the_task.get_backend(), DatabaseBackend):
        the_task.enqueue(**kwargs)
        return
    transaction.on_commit(lambda: the_task.enqueue(**kwargs), robust=True)


def _requeue_lost(row: Any, now: datetime) -> str | None:
    """Queue the next attempt of the lost task ``row`` (a ``DBTaskResult``); return its id, or
    ``None`` when there is none: the last attempt, a task that is not retried, or a task whose
    function no longer exists."""
    try:
        the_task = row.task
    except (ImportError, SuspiciousOperation):
        logger.exception("Lost task %s (%s) cannot be loaded to run again", row.pk, row.task_path)
        return None
    limit = getattr(the_task.func, RETRY_LIMIT_ATTR, None)
    if limit is None:
        logger.error("Lost task %s (%s) is not retried: not run again", row.pk, row.task_path)
        return None
    args = list(row.args_kwargs.get("args", []))
    kwargs = dict(row.args_kwargs.get("kwargs", {}))
    attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
    limit = limit or settings.TASK_MAX_ATTEMPTS
    if attempt >= limit:
        logger.error(
            "Lost task %s (%s) was on its last attempt %d of %d: not run again",
            row.pk,
            row.task_path,
            attempt,
            limit,
        )
        return None
    return str(_enqueue_retry(the_task, args, kwargs, attempt).id)


def tasks_reclaim_lost(*, now: datetime | None = None, own_worker: str = "") -> list[str]:
    """Fail the running tasks whose worker is gone and queue their next attempt.

    A worker is gone when it has not beaten (``WorkerHeartbeat``) for three heartbeat intervals,
    or never did; a task started more recently than that is left alone, its worker may not have
    beaten yet, and so are the tasks of ``own_worker`` (the caller, alive though its own beat may
    have failed). Each reclaimed attempt is marked FAILED with :class:`WorkerLost` (staff see it on
    the task page), audited as ``task.reclaim`` and logged. Returns the reclaimed tasks' ids.

    Two workers reclaiming at once reclaim each task once: the row changes only while it is
    still RUNNING with the same start time.
    """
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from bolashaq.audit.actions import audit_record
    from bolashaq.core.models import WorkerHeartbeat
    from bolashaq.core.selectors import heartbeat_horizon

    now = now or timezone.now()
    horizon = heartbeat_horizon(now)
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=horizon)
    )
    if not running:
        return []
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=horizon).values_list("worker_id", flat=True)
    )
    reclaimed: list[str] = []
    for row in running:
        worker = str(row.worker_ids[-1])[:64] if row.worker_ids else ""
        if worker in alive or (own_worker and worker == own_worker[:64]):
            continue
        with transaction.atomic():
            failed = DBTaskResult.objects.filter(
                pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"WorkerLost: worker {worker or '(unknown)'} stopped beating while running "
                    f"this task (started {row.started_at.isoformat()})\n"
                ),
            )
            if not failed:
                continue
            retry = _requeue_lost(row, now)
            audit_record(
                acting_user=None,
                action="task.reclaim",
                target=row,
                old={"status": TaskResultStatus.RUNNING, "worker": worker},
                new={"status": TaskResultStatus.FAILED, "task": row.task_path, "retry": retry},
            )
        logger.warning(
            "Task %s (%s) lost its worker %s; %s",
            row.pk,
            row.task_path,
            worker or "(unknown)",
            f"queued again as {retry}" if retry else "not run again",
        )
        reclaimed.append(str(row.pk))
    return reclaimed
