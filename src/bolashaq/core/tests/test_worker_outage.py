"""The task worker outlasts a database outage instead of exiting, and what it had started runs
again once.

``db_worker`` raised the first database error out of its loop and the process exited, relying
on a process manager. ``manage.py worker`` now closes its connection, backs off (0.5 s doubling
to 10 s, logged once per outage) and continues under a new worker id, so that a task left
RUNNING under the old id is reclaimed (``tasks_reclaim_lost``). The end-to-end cases, with a
real worker process and the database really gone, are in
``tests/faults/test_worker_database_outage.py``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from bolashaq.audit.models import AuditEvent
from bolashaq.core.management.commands import worker as command
from bolashaq.core.management.commands.worker import (
    Heartbeat,
    OutageTolerantWorker,
    WorkerIdentity,
)
from bolashaq.core.models import WorkerHeartbeat
from bolashaq.core.tasks import tasks_reclaim_lost
from bolashaq.core.tests import flaky
from bolashaq.core.tests.test_retried_task import DATABASE_TASKS, run_worker

LOGGER = "bolashaq.core.management.commands.worker"


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


def tolerant_worker(worker_id: str = "w1") -> OutageTolerantWorker:
    return OutageTolerantWorker(
        identity=WorkerIdentity(worker_id),
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        excluded_queue_names=[],
    )


def test_an_outage_is_waited_out_with_bounded_back_off_logged_once(monkeypatch, caplog) -> None:
    runs: list[str] = []
    outcomes = iter([OperationalError("server closed the connection unexpectedly"), None])

    def loop(self: Worker) -> None:
        runs.append(self.worker_id)
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    checks = iter([False] * 7 + [True])
    waits: list[float] = []
    monkeypatch.setattr(Worker, "run", loop)
    monkeypatch.setattr(command, "database_reachable", lambda: next(checks))
    monkeypatch.setattr(command, "pause", waits.append)
    worker = tolerant_worker()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        worker.run()

    assert waits == [0.5, 1, 2, 4, 8, 10, 10, 10]
    # Back under a new id, which the heartbeat thread shares.
    assert runs == ["w1", "w1.2"]
    assert worker.identity.current == "w1.2"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("Database unreachable (OperationalError: server closed")
    assert warnings[1].startswith("Database reachable again after")
    assert "worker w1 continues as w1.2" in warnings[1]


def test_each_outage_gives_a_new_id_and_a_lost_connection_counts_too(monkeypatch) -> None:
    runs: list[str] = []
    outcomes = iter(
        [OperationalError("terminating connection"), InterfaceError("connection closed"), None]
    )

    def loop(self: Worker) -> None:
        runs.append(self.worker_id)
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    monkeypatch.setattr(Worker, "run", loop)
    monkeypatch.setattr(command, "database_reachable", lambda: True)
    monkeypatch.setattr(command, "pause", lambda seconds: None)
    tolerant_worker("w1").run()
    assert runs == ["w1", "w1.2", "w1.3"]


def test_other_errors_still_end_the_worker(monkeypatch) -> None:
    def loop(self: Worker) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Worker, "run", loop)
    with pytest.raises(RuntimeError):
        tolerant_worker().run()


def test_a_long_worker_id_still_fits_after_many_outages() -> None:
    identity = WorkerIdentity("x" * 64)
    for _ in range(200):
        identity.renew()
    assert len(identity.current) <= 64
    assert identity.current.endswith(".201")


@pytest.mark.django_db(transaction=True)  # the worker loop closes its connection
def test_a_task_whose_end_could_not_be_recorded_runs_again_once(
    database_tasks, monkeypatch
) -> None:
    """The database goes away as a task ends: neither its success nor its failure can be
    recorded, and it stays RUNNING under the worker's id. Under the same id, which keeps
    beating, it would stay so for ever; under the new one it is reclaimed."""
    flaky.succeeds.enqueue("a")
    broken = {"set_successful": 1, "set_failed": 1}
    originals = {name: getattr(DBTaskResult, name) for name in broken}

    def failing(name: str) -> Any:
        def method(self: Any, *args: Any) -> None:
            if broken[name]:
                broken[name] -= 1
                raise OperationalError("the database system is shutting down")
            originals[name](self, *args)

        return method

    for name in broken:
        monkeypatch.setattr(DBTaskResult, name, failing(name))
    monkeypatch.setattr(command, "pause", lambda seconds: None)
    worker = tolerant_worker("w1")
    worker.run()  # returns: batch mode, and no task is ready any more

    assert flaky.CALLS == ["a"]
    row = DBTaskResult.objects.get()
    assert row.status == "RUNNING"
    assert row.worker_ids == ["w1"]
    # The worker beats under its new id only; the old id's last beat grows old.
    command.beat(worker.identity.current, timezone.now())
    WorkerHeartbeat.objects.create(
        worker_id="w1",
        hostname="here",
        pid=1,
        started_at=timezone.now() - timedelta(minutes=5),
        seen_at=timezone.now() - timedelta(minutes=5),
    )
    later = timezone.now() + timedelta(seconds=31)
    assert tasks_reclaim_lost(now=later, own_worker=worker.identity.current) == [str(row.pk)]
    assert tasks_reclaim_lost(now=later, own_worker=worker.identity.current) == []
    run_worker()
    assert flaky.CALLS == ["a", "a"]
    assert sorted(DBTaskResult.objects.values_list("status", "exception_class_path")) == [
        ("FAILED", "bolashaq.core.tasks.WorkerLost"),
        ("SUCCESSFUL", ""),
    ]
    assert AuditEvent.objects.filter(action="task.reclaim").count() == 1


@pytest.mark.django_db
def test_the_heartbeat_logs_an_outage_once_and_skips_what_needs_the_database(
    monkeypatch, caplog
) -> None:
    beats = iter([OperationalError("down"), OperationalError("down"), OperationalError("down")])

    def beat(worker_id: str, started_at: Any) -> None:
        error = next(beats, None)
        if error is not None:
            raise error

    reclaimed: list[str] = []
    monkeypatch.setattr(command, "beat", beat)
    monkeypatch.setattr(command, "reclaim_lost_tasks", reclaimed.append)
    monkeypatch.setattr(command, "escalate_reviews", lambda: None)
    monkeypatch.setattr(command, "_close_connection", lambda: None)
    identity = WorkerIdentity("w1")
    heartbeat = Heartbeat(identity)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        for _ in range(3):
            heartbeat.round()
        assert reclaimed == []
        identity.renew()
        heartbeat.round()
    assert reclaimed == ["w1.2"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Worker heartbeat failed (OperationalError: down); trying again every 10 s",
        "Worker heartbeat recorded again as w1.2",
    ]
