"""A task whose worker died mid-task is failed as ``WorkerLost`` and run again, once.

django-tasks-db leaves such a task RUNNING for ever; ``tasks_reclaim_lost`` (run by every live
``manage.py worker`` on each heartbeat) takes it back when its worker's heartbeat is older than
three intervals. The end-to-end case, with a worker process killed while it sends an SMS, is in
``tests/faults/test_task_worker.py``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bolashaq.audit.models import AuditEvent
from bolashaq.audit.selectors import audit_chain_verify
from bolashaq.core.management.commands.worker import beat
from bolashaq.core.models import WorkerHeartbeat
from bolashaq.core.tasks import ATTEMPT_KWARG, tasks_reclaim_lost
from bolashaq.core.tests import flaky
from bolashaq.core.tests.test_retried_task import DATABASE_TASKS, run_worker

LONG_AGO = timedelta(minutes=5)


@pytest.fixture
def database_tasks():
    flaky.CALLS.clear()
    with override_settings(
        TASKS=DATABASE_TASKS,
        TASK_BACKEND="database",
        TASK_RETRY_BASE_SECONDS=0,
        WORKER_HEARTBEAT_SECONDS=10,
    ):
        yield


def running(task, key: str, *, worker: str, started_ago: timedelta, attempt: int = 1) -> str:
    """A task claimed by ``worker`` ``started_ago``, as a worker that then died leaves it."""
    kwargs = {ATTEMPT_KWARG: attempt} if attempt > 1 else {}
    result = task.enqueue(key, **kwargs)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim(worker)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - started_ago)
    return str(row.pk)


def dead(worker: str) -> None:
    """A worker whose last beat was long ago."""
    beat(worker, timezone.now() - LONG_AGO)
    WorkerHeartbeat.objects.filter(worker_id=worker).update(seen_at=timezone.now() - LONG_AGO)


@pytest.mark.django_db(transaction=True)  # the real worker loop below closes its connection
def test_a_task_of_a_dead_worker_fails_as_lost_and_runs_again_once(database_tasks, caplog) -> None:
    dead("worker-killed")
    lost = running(flaky.succeeds, "a", worker="worker-killed", started_ago=LONG_AGO)

    with caplog.at_level(logging.WARNING, logger="bolashaq.core.tasks"):
        assert tasks_reclaim_lost() == [lost]
    row = DBTaskResult.objects.get(pk=lost)
    assert row.status == "FAILED"
    assert row.exception_class_path == "bolashaq.core.tasks.WorkerLost"
    assert "worker-killed stopped beating" in row.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.task_path == row.task_path
    assert retry.args_kwargs == {"args": ["a"], "kwargs": {ATTEMPT_KWARG: 2}}
    assert "lost its worker worker-killed; queued again" in caplog.text

    event = AuditEvent.objects.get(action="task.reclaim")
    assert (event.object_type, event.object_id) == ("django_tasks_database.dbtaskresult", lost)
    assert event.old == {"status": "RUNNING", "worker": "worker-killed"}
    assert event.new == {"status": "FAILED", "task": row.task_path, "retry": str(retry.pk)}
    assert audit_chain_verify().ok

    # A second reclaimer, or the next beat, finds nothing more to do.
    assert tasks_reclaim_lost() == []
    run_worker()
    assert flaky.CALLS == ["a"]
    assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"


@pytest.mark.django_db
def test_a_worker_that_never_beat_is_dead_too(database_tasks) -> None:
    lost = running(flaky.succeeds, "a", worker="plain-db-worker", started_ago=LONG_AGO)
    assert tasks_reclaim_lost() == [lost]


@pytest.mark.django_db
def test_tasks_of_live_workers_and_fresh_tasks_are_left_alone(database_tasks) -> None:
    beat("worker-alive", timezone.now())
    running(flaky.succeeds, "a", worker="worker-alive", started_ago=LONG_AGO)
    # Claimed a moment ago by a worker that has not beaten yet.
    running(flaky.succeeds, "b", worker="worker-starting", started_ago=timedelta(seconds=1))
    # The caller's own task, though its own beat is stale (its beat failed, it still runs).
    dead("worker-self")
    running(flaky.succeeds, "c", worker="worker-self", started_ago=LONG_AGO)

    assert tasks_reclaim_lost(own_worker="worker-self") == []
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 3
    assert not AuditEvent.objects.filter(action="task.reclaim").exists()


@pytest.mark.django_db
def test_a_task_lost_on_its_last_attempt_is_not_run_again(database_tasks, caplog) -> None:
    dead("worker-killed")
    lost = running(flaky.succeeds, "a", worker="worker-killed", started_ago=LONG_AGO, attempt=2)
    with caplog.at_level(logging.ERROR, logger="bolashaq.core.tasks"):
        assert tasks_reclaim_lost() == [lost]
    assert "was on its last attempt 2 of 2: not run again" in caplog.text
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED"]
    assert AuditEvent.objects.get(action="task.reclaim").new == {
        "status": "FAILED",
        "task": "bolashaq.core.tests.flaky.succeeds",
        "retry": None,
    }


@pytest.mark.django_db
def test_a_task_that_is_not_retried_is_failed_but_not_run_again(database_tasks, caplog) -> None:
    dead("worker-killed")
    running(flaky.not_retried, "a", worker="worker-killed", started_ago=LONG_AGO)
    with caplog.at_level(logging.ERROR, logger="bolashaq.core.tasks"):
        assert len(tasks_reclaim_lost()) == 1
    assert "is not retried: not run again" in caplog.text
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED"]


@pytest.mark.django_db
def test_staff_see_the_lost_attempt_on_the_failures_page(database_tasks, cast) -> None:
    from bolashaq.accounts.roles import Role

    dead("worker-killed")
    running(flaky.succeeds, "a", worker="worker-killed", started_ago=LONG_AGO)
    tasks_reclaim_lost()
    page = cast.client(Role.ADMIN).get("/office/tasks/").content.decode()
    assert "bolashaq.core.tests.flaky.succeeds" in page
    assert "bolashaq.core.tasks.WorkerLost" in page
