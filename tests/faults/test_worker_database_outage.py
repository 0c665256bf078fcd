"""The task worker outlasts a database outage, and a task the outage cut short runs again once.

One ``manage.py worker`` process, under no supervisor: it used to exit at the first database
error of its loop, relying on a process manager to start it again. Now it closes its
connection, waits with back-off (0.5 s doubling to 10 s), logs the outage once, and takes tasks
again under a new worker id, so that a task it had claimed under the old id, whose end it could
not record, is reclaimed (``core.tasks.tasks_reclaim_lost``) and run again, once.

SQLite: the database file is replaced by a folder for a few seconds (opening it then fails);
the worker, idle, survives it and runs a task queued afterwards. PostgreSQL: a private,
throwaway cluster (``tests/faults/cluster.py``, never the machine's shared one) is stopped in
``immediate`` mode while the worker runs a task (``tests.faults.tasks.held``), which then ends
while the database is down; after the start, the attempt is failed as ``WorkerLost`` and the
next one succeeds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import override_settings

from tests.faults.cluster import private_cluster, sql, why_unavailable
from tests.faults.harness import database_url, manage, run_python, server_env, wait_for
from tests.faults.workers import Worker, worker_env

UNREACHABLE = "Database unreachable"
REACHABLE = "Database reachable again"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def outage_worker(directory: Path, database: str) -> Worker:
    """A worker on ``database`` with no supervisor, logging to ``directory/worker.log``."""
    env = worker_env(server_env(directory, 0, database), LOG_LEVEL="WARNING")
    return Worker(env, directory / "worker.log", interval=0.2)


def log_lines(log: Path, text: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if text in line]


# --- SQLite: the database file gone for a moment ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlasts_its_sqlite_file_going_missing(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL has its own below")
    from django_tasks_db.models import DBTaskResult

    from bolashaq.core.models import WorkerHeartbeat
    from tests.faults.tasks import held

    path = Path(str(connection.settings_dict["NAME"]))
    away = path.with_name(path.name + ".away")
    (tmp_path / "release-after").touch()
    worker = outage_worker(tmp_path, database_url())
    log = worker.log
    with worker:
        wait_for("the worker's first heartbeat", WorkerHeartbeat.objects.exists, timeout=30)
        first_id = WorkerHeartbeat.objects.get().worker_id
        os.rename(path, away)
        path.mkdir()  # opening the database now fails ("unable to open database file")
        try:
            wait_for(
                "the worker to notice",
                lambda: log_lines(log, UNREACHABLE) or not worker.alive(),
                timeout=10,
            )
            time.sleep(2.5)  # a few checks, each failing
            worker.assert_alive()
        finally:
            path.rmdir()
            os.rename(away, path)
        wait_for("the worker to notice the database is back", lambda: log_lines(log, REACHABLE))
        with override_settings(TASKS=DATABASE_TASKS, TASK_BACKEND="database"):
            queued = held.enqueue(str(tmp_path), "after")
        wait_for(
            "the task queued after the outage to run",
            lambda: DBTaskResult.objects.filter(pk=queued.id, status="SUCCESSFUL").exists(),
            timeout=20,
        )
        worker.assert_alive()
        assert DBTaskResult.objects.get(pk=queued.id).worker_ids == [f"{first_id}.2"]
    # Logged once for the outage, however many checks it took.
    assert len(log_lines(log, UNREACHABLE)) == 1
    assert len(log_lines(log, REACHABLE)) == 1
    assert len(log_lines(log, "Worker heartbeat failed")) <= 1
    assert "Traceback" not in log.read_text().split(REACHABLE, 1)[1]


# --- PostgreSQL: the server stopped while a task runs ---------------------------------------------


def enqueue_held(env: dict[str, str], directory: Path, key: str) -> str:
    code = (
        f"from tests.faults.tasks import held; print(held.enqueue({str(directory)!r}, {key!r}).id)"
    )
    return run_python({**env, "TASK_BACKEND": "database"}, code, timeout=60)


def test_a_task_cut_short_by_a_postgres_restart_runs_again_once(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL restarts are tested only when the suite runs on PostgreSQL")
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    with private_cluster() as cluster:
        url = cluster.create_database("bolashaq_outage")
        worker = outage_worker(tmp_path, url)
        manage(worker.env, "migrate", "--no-input")
        log = worker.log
        with worker:
            wait_for(
                "the worker's first heartbeat",
                lambda: sql(url, "SELECT worker_id FROM core_workerheartbeat"),
                timeout=30,
            )
            first_id = str(sql(url, "SELECT worker_id FROM core_workerheartbeat")[0][0])
            task = enqueue_held(worker.env, tmp_path, "cut")
            started = tmp_path / "cut.log"
            wait_for("the task to start", started.exists, timeout=20)

            # Every backend killed at once; the task then ends while the server is down, so
            # neither its success nor its failure can be recorded.
            cluster.stop("immediate")
            (tmp_path / "release-cut").touch()
            wait_for(
                "the worker to notice",
                lambda: log_lines(log, UNREACHABLE) or not worker.alive(),
                timeout=15,
            )
            time.sleep(2)
            worker.assert_alive()
            cluster.start()

            def finished() -> list[tuple[object, ...]]:
                try:
                    return sql(
                        url,
                        "SELECT id FROM django_tasks_database_dbtaskresult "
                        "WHERE status = 'SUCCESSFUL'",
                    )
                except psycopg.OperationalError:
                    return []

            wait_for("the task's next attempt to succeed", finished, timeout=30)
            worker.assert_alive()
            rows = sql(
                url,
                "SELECT id::text, status, exception_class_path, worker_ids "
                "FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at",
            )
            reclaims = sql(
                url, "SELECT object_id FROM audit_auditevent WHERE action = %s", "task.reclaim"
            )
        assert [(r[0], r[1], r[2], r[3]) for r in rows[:1]] == [
            (task, "FAILED", "bolashaq.core.tasks.WorkerLost", [first_id])
        ]
        assert [(r[1], r[3]) for r in rows[1:]] == [("SUCCESSFUL", [f"{first_id}.2"])]
        assert reclaims == [(task,)]
        assert started.read_text().splitlines() == ["started", "started"]
        assert len(log_lines(log, UNREACHABLE)) == 1
        assert len(log_lines(log, REACHABLE)) == 1
