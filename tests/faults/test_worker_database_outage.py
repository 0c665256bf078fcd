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
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import override_settings

from tests.faults.cluster import private_cluster, why_unavailable
from tests.faults.harness import (
    ROOT,
    database_url,
    manage,
    server_env,
    wait_for,
)

UNREACHABLE = "Database unreachable"
REACHABLE = "Database reachable again"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def worker_env(directory: Path, database: str) -> dict[str, str]:
    return {
        **server_env(directory, 0, database),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "TASK_RETRY_BASE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, str(ROOT / "manage.py"), "worker", "--no-reload"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--no-startup-delay", "--interval", "0.2"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def log_lines(log: Path, text: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if text in line]


def assert_alive(process: subprocess.Popen[bytes], log: Path) -> None:
    assert process.poll() is None, (
        f"the worker exited ({process.returncode}):\n{log.read_text(errors='replace')[-4000:]}"
    )


# --- SQLite: the database file gone for a moment ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlasts_its_sqlite_file_going_missing(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL has its own below")
    from django_tasks_db.models import DBTaskResult

    from bolashaq.core.models import WorkerHeartbeat
    from tests.faults.tasks import held

    env = worker_env(tmp_path, database_url())
    log = tmp_path / "worker.log"
    path = Path(str(connection.settings_dict["NAME"]))
    away = path.with_name(path.name + ".away")
    (tmp_path / "release-after").touch()
    with worker_process(env, log) as process:
        wait_for("the worker's first heartbeat", WorkerHeartbeat.objects.exists, timeout=30)
        first_id = WorkerHeartbeat.objects.get().worker_id
        os.rename(path, away)
        path.mkdir()  # opening the database now fails ("unable to open database file")
        try:
            wait_for(
                "the worker to notice",
                lambda: log_lines(log, UNREACHABLE) or process.poll() is not None,
                timeout=10,
            )
            time.sleep(2.5)  # a few checks, each failing
            assert_alive(process, log)
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
        assert_alive(process, log)
        assert DBTaskResult.objects.get(pk=queued.id).worker_ids == [f"{first_id}.2"]
    # Logged once for the outage, however many checks it took.
    assert len(log_lines(log, UNREACHABLE)) == 1
    assert len(log_lines(log, REACHABLE)) == 1
    assert len(log_lines(log, "Worker heartbeat failed")) <= 1
    assert "Traceback" not in log.read_text().split(REACHABLE, 1)[1]


# --- PostgreSQL: the server stopped while a task runs ---------------------------------------------


def sql(url: str, query: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        return list(conn.execute(query, params).fetchall())


def enqueue_held(env: dict[str, str], directory: Path, key: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from tests.faults.tasks import held; "
            f"print(held.enqueue({str(directory)!r}, {key!r}).id)",
        ],
        env={**env, "TASK_BACKEND": "database"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_task_cut_short_by_a_postgres_restart_runs_again_once(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL restarts are tested only when the suite runs on PostgreSQL")
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    with private_cluster() as cluster:
        url = cluster.create_database("bolashaq_outage")
        env = worker_env(tmp_path, url)
        migrated = manage(env, "migrate", "--no-input")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        log = tmp_path / "worker.log"
        with worker_process(env, log) as process:
            wait_for(
                "the worker's first heartbeat",
                lambda: sql(url, "SELECT worker_id FROM core_workerheartbeat"),
                timeout=30,
            )
            first_id = str(sql(url, "SELECT worker_id FROM core_workerheartbeat")[0][0])
            task = enqueue_held(env, tmp_path, "cut")
            started = tmp_path / "cut.log"
            wait_for("the task to start", started.exists, timeout=20)

            # Every backend killed at once; the task then ends while the server is down, so
            # neither its success nor its failure can be recorded.
            cluster.stop("immediate")
            (tmp_path / "release-cut").touch()
            wait_for(
                "the worker to notice",
                lambda: log_lines(log, UNREACHABLE) or process.poll() is not None,
                timeout=15,
            )
            time.sleep(2)
            assert_alive(process, log)
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
            assert_alive(process, log)
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
