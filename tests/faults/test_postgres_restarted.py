"""PostgreSQL restarted under load: nothing acknowledged is lost, nothing is doubled.

Runs against a private, throwaway cluster (``tests/faults/cluster.py``), never the machine's
shared one: migrated, given an intake and applicants, and served by gunicorn. Several clients
run whole submissions; while they run, the cluster is stopped in ``immediate`` mode (every
backend killed at once, crash recovery at the next start, as after a crash), a request is seen
failing while it is down, and it is started again. The clients retry what got no answer and
finish; every submission is checked, and the ledger reconciles.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.faults.cluster import Cluster, private_cluster, why_unavailable
from tests.faults.harness import (
    ROOT,
    Client,
    World,
    ledger_for,
    manage,
    reconcile,
    run_tasks,
    running_server,
    server_env,
    wait_for,
)

CLIENTS = 3
JOURNEYS_PER_CLIENT = 2
CODE = re.compile(r"\b(\d{6})\b")


def _skip_reason() -> str | None:
    if connection.vendor != "postgresql":
        return "PostgreSQL restarts are tested only when the suite runs on PostgreSQL"
    return why_unavailable()


def sql_codes(url: str) -> Callable[[str], str | None]:
    """Read the newest SMS code to a phone from the outbox table, surviving a restart."""
    conninfo = url.replace("postgres://", "postgresql://", 1)

    def read(phone: str) -> str | None:
        try:
            with psycopg.connect(conninfo, connect_timeout=2) as conn:
                row = conn.execute(
                    "SELECT body FROM notifications_smsmessage WHERE phone = %s "
                    "ORDER BY id DESC LIMIT 1",
                    (phone,),
                ).fetchone()
        except psycopg.OperationalError:
            return None  # down: the caller polls again
        found = CODE.search(row[0]) if row else None
        return found.group(1) if found else None

    return read


def prepare_in(env: dict[str, str], count: int) -> World:
    """The intake and applicants, created in the private cluster by a separate process."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from tests.faults.harness import prepare; "
            f"print(prepare({count}).as_json())",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return World.from_json(done.stdout.strip().splitlines()[-1])


def decided(url: str, ids: list[int]) -> dict[int, str]:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        rows = conn.execute(
            "SELECT id, state FROM applications_application WHERE id = ANY(%s)", (ids,)
        ).fetchall()
    return {int(pk): str(state) for pk, state in rows}


def test_postgres_restarted_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with private_cluster() as cluster:
        run(cluster, tmp_path)


def run(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database("bolashaq_faults")
    env = server_env(tmp_path / "setup", 0, url)
    migrated = manage(env, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    world = prepare_in(env, CLIENTS * JOURNEYS_PER_CLIENT)
    ledger = ledger_for(tmp_path, world.intake)
    with running_server(tmp_path / "server", database=url) as server:
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
        # Under load: restart once the clients are well into their submissions.
        wait_for("the load to flow", lambda: sum(r["acknowledged"] for r in ledger.requests) >= 12)
        stopped_at = time.time()
        cluster.stop("immediate")
        wait_for(
            "a request to fail while PostgreSQL is down",
            lambda: any(
                r["outcome"] == "unknown" and r["at"] >= stopped_at for r in ledger.requests
            ),
        )
        cluster.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        assert not any(thread.is_alive() for thread in threads)
        assert len(applications) == CLIENTS * JOURNEYS_PER_CLIENT
        lost = [r for r in ledger.requests if r["outcome"] == "unknown"]
        assert lost, "no request failed during the restart"
        assert all(r["outcome"] != "refused" for r in ledger.requests)
    ledger.close()
    env = server.env  # its files
    run_tasks(env)
    assert set(decided(url, applications).values()) == {"accepted"}
    report = reconcile(env, ledger.path)
    assert report["acknowledged"] == CLIENTS * JOURNEYS_PER_CLIENT
