"""Background tasks that retry, queued with the change that causes them.

django-tasks runs a task once. ``retried_task`` wraps a function so that a failure re-enqueues
it with exponential back-off until ``TASK_MAX_ATTEMPTS``; each failed attempt stays in the task
table (status FAILED) where staff see it on the back-office task page. Task functions must be
idempotent: an attempt may have done part of its work before it failed, and a worker killed
mid-task leaves its row to be picked up again.

``enqueue_with_transaction`` queues a task as part of the current transaction on the database
backend, so a process that dies right after committing a change cannot lose the task that
follows from it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPT_KWARG = "_attempt"


def retry_delay(attempt: int) -> timedelta:
    """Back-off before attempt ``attempt + 1``: base, 2×base, 4×base, … capped at one hour."""
    seconds = settings.TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, 3600))


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
                retry = the_task
                if default_task_backend.supports_defer:
                    retry = the_task.using(run_after=timezone.now() + retry_delay(attempt))
                retry.enqueue(*args, **{**kwargs, ATTEMPT_KWARG: attempt + 1})
                raise

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
