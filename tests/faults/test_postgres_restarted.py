"""PostgreSQL restarted under load: nothing acknowledged is lost, nothing is doubled.

Runs against a private, throwaway cluster (``tests/faults/cluster.py``), never the machine's
shared one: migrated, given an intake and applicants, and served by gunicorn. Several clients
run whole submissions; while they run, the cluster is stopped in ``immediate`` mode (every
backend killed at once, crash recovery at the next start, as after a crash), a request is seen
failing while it is down, and it is started again. The clients retry what got no answer and
finish; every submission is checked, and the ledger reconciles.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from bolashaq.accounts.otp import sending_seconds
from tests.faults.cluster import Cluster, private_cluster, sql, why_unavailable
from tests.faults.harness import (
    CODE,
    ROOT,
    Client,
    World,
    ledger_for,
    manage,
    reconcile,
    run_python,
    running_server,
    server_env,
    stop_process,
    wait_for,
)
from tests.faults.workers import worker_command

CLIENTS = 3
JOURNEYS_PER_CLIENT = 2


def _skip_reason() -> str | None:
    if connection.vendor != "postgresql":
        return "PostgreSQL restarts are tested only when the suite runs on PostgreSQL"
    return why_unavailable()


def sql_codes(url: str) -> Callable[[str], str | None]:
    """Read the newest SMS code to a phone from the outbox table, surviving a restart."""

    def read(phone: str) -> str | None:
        try:
            rows = sql(
                url,
                "SELECT body FROM notifications_smsmessage WHERE phone = %s "
                "ORDER BY id DESC LIMIT 1",
                phone,
            )
        except psycopg.OperationalError:
            return None  # down: the caller polls again
        found = CODE.search(rows[0][0]) if rows else None
        return found.group(1) if found else None

    return read


def prepare_in(env: dict[str, str], count: int) -> World:
    """The intake and applicants, created in the private cluster by a separate process."""
    code = f"from tests.faults.harness import prepare; print(prepare({count}).as_json())"
    return World.from_json(run_python(env, code))


def tasks_table(url: str) -> str:
    """The task queue, for a failure's message."""
    rows = sql(
        url,
        "SELECT task_path, status, args_kwargs, exception_class_path, worker_ids "
        "FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at",
    )
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def decided(url: str, ids: list[int]) -> dict[int, str]:
    rows = sql(url, "SELECT id, state FROM applications_application WHERE id = ANY(%s)", ids)
    return {int(pk): str(state) for pk, state in rows}


def test_postgres_restarted_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with private_cluster() as cluster:
        run(cluster, tmp_path)


class SupervisedWorker:
    """``manage.py worker`` under a process manager that restarts it when it exits, as the
    deployment guide requires (``docs/operations/deployment.md``)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**env, "WORKER_HEARTBEAT_SECONDS": "1"}
        self.log = log
        self.starts = 0
        self.stopping = threading.Event()
        self.process: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self.supervise, daemon=True)

    def spawn(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        with self.log.open("ab") as out:
            return subprocess.Popen(
                worker_command(interval=0.2),
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def supervise(self) -> None:
        while not self.stopping.is_set():
            self.process = self.spawn()
            self.process.wait()

    def __enter__(self) -> SupervisedWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self.process is not None:
            stop_process(self.process)
        self.thread.join(timeout=20)


def run(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database("bolashaq_faults")
    env = server_env(tmp_path / "setup", 0, url)
    manage(env, "migrate", "--no-input")
    world = prepare_in(env, CLIENTS * JOURNEYS_PER_CLIENT)
    ledger = ledger_for(tmp_path, world.intake)
    total = CLIENTS * JOURNEYS_PER_CLIENT
    with (
        running_server(tmp_path / "server", database=url) as server,
        SupervisedWorker(server.env, tmp_path / "worker.log"),
    ):
        wait_for(
            "the worker's first heartbeat",
            lambda: sql(url, "SELECT worker_id FROM core_workerheartbeat"),
            timeout=30,
        )
        applications: list[int] = []
        failures: list[BaseException] = []
        lock = threading.Lock()

        def client(number: int) -> None:
            people = world.applicants[number::CLIENTS]
            for who in people:
                api = Client(server.port, ledger, who, codes=sql_codes(url))
                try:
                    application = api.draft(world.intake, world.slots)
                    with lock:
                        applications.append(application)
                    api.sign_and_submit(application)
                except BaseException as exc:
                    with lock:
                        failures.append(exc)
                    return
                finally:
                    api.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        # Under load: restart once submissions are being made (and checked by the worker).
        wait_for(
            "a first submission",
            lambda: any(r["type"] == "submit" and r["acknowledged"] for r in ledger.requests),
        )
        stopped_at = time.time()
        cluster.stop("immediate")
        wait_for(
            "a request to fail while PostgreSQL is down",
            lambda: any(
                r["outcome"] == "unknown" and r["at"] >= stopped_at for r in ledger.requests
            ),
        )
        down = server.health()
        assert down.status == 503  # readiness is red while the database is down
        assert down.json()["checks"]["database"]["ok"] is False
        cluster.start()
        wait_for("readiness to turn green again", lambda: server.health().status == 200)
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        assert not any(thread.is_alive() for thread in threads)
        assert len(applications) == total
        assert [r for r in ledger.requests if r["outcome"] == "unknown"]
        # Nothing was refused, except perhaps a code asked for again after the restart cut short
        # the request that made one before its SMS was recorded: told to wait while that code
        # may still be on its way (``accounts.otp.sending_seconds``), which the client does.
        refused = [r for r in ledger.requests if r["outcome"] == "refused"]
        assert all(
            r["type"] == "sign_request"
            and r["error"] == "otp_throttled"
            and 0 < int(r["retry_after"]) <= sending_seconds()  # the server's settings too
            for r in refused
        ), refused
        # Every submission is checked: by the worker, or after a restart by its successor,
        # which gives a task the restart cut short another attempt.
        try:
            wait_for(
                "every submission to be checked",
                lambda: set(decided(url, applications).values()) == {"accepted"},
                timeout=60,
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{tasks_table(url)}") from None
    ledger.close()
    report = reconcile(server.env, ledger.path)
    assert report["acknowledged"] == total
