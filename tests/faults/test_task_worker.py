"""A task worker killed mid-task: the task runs again, its effect happens once, it reconciles.

A submission goes through the real server (``tests/faults/harness.py``); its tasks (the
automatic check, a notice per change) are run by real ``manage.py worker`` processes whose SMS
backend is the production HTTP gateway backend, pointed at :class:`FakeGateway`, a gateway on
loopback that the test scripts. The gateway holds one chosen message without answering, so the
worker is known to be inside that task when the test SIGKILLs it. django-tasks-db would leave
the task RUNNING for ever; the next worker's heartbeat finds the dead worker's task, fails that
attempt as ``WorkerLost`` and queues the next one (``core.tasks.tasks_reclaim_lost``).

What "once" means for the SMS. The notice row (application, change, channel) is written before
the gateway is called and stamped after it answers, so a rerun sends only what has not been
confirmed: at least once, never skipped. A message whose first attempt never reached the gateway
is delivered once. One whose first attempt did reach it (the gateway took it, its answer was lost
with the worker) is sent to the gateway again, with the same ``Idempotency-Key``: a gateway that
honours the key (this one does; the provider's contract must say so) delivers it once, one that
ignores the key delivers it twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from bolashaq.applications.models import Application, Notice
from bolashaq.applications.notify import TRANSITION_ACTIONS
from bolashaq.audit.models import AuditEvent
from tests.faults.harness import (
    ROOT,
    Client,
    Server,
    World,
    ledger_for,
    reconcile,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHECK = "bolashaq.applications.checks.application_check"
NOTIFY = "bolashaq.applications.notify.application_notify"
SUBMITTED = "has been submitted"
ACCEPTED = "has been accepted"


# --- a scriptable SMS gateway ------------------------------------------------------------------


@dataclass
class GatewayRequest:
    key: str
    phone: str
    text: str
    # What the gateway did: "delivered", "duplicate" (same key as a delivered one: answered,
    # not sent again), "held" (kept without an answer, not sent) or "refused".
    outcome: str = ""
    client_left: threading.Event = field(default_factory=threading.Event)


@dataclass
class Plan:
    """What the gateway does with the next request whose text contains ``match``."""

    match: str
    # "hold": keep the request unanswered and never send it (as if it never arrived);
    # "deliver-then-hold": send the SMS, then keep the request unanswered (the answer is lost);
    # "dribble": answer a status line, then one byte of header at a time, never finishing.
    behaviour: str
    reached: threading.Event = field(default_factory=threading.Event)
    request: GatewayRequest | None = None
    used: bool = False


class FakeGateway:
    """An SMS gateway on loopback with the production backend's contract (JSON
    ``{"phone", "text"}``, bearer token, ``Idempotency-Key``), which de-duplicates by that key.

    ``down()`` makes it hold every request; ``plan()`` scripts the next matching one. A held
    request ends when the client leaves (its timeout, or its process killed), which the
    gateway notes on the request, or when the test ends.
    """

    token = "fault-suite-token"

    def __init__(self) -> None:
        self.requests: list[GatewayRequest] = []
        self.plans: list[Plan] = []
        self.is_down = False
        self.lock = threading.Lock()
        self.closing = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                gateway.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def env(self, timeout: int = 5) -> dict[str, str]:
        """Settings (environment variables) that send SMS through this gateway."""
        return {
            "SMS_BACKEND": "http",
            "SMS_GATEWAY_URL": self.url,
            "SMS_GATEWAY_TOKEN": self.token,
            "SMS_GATEWAY_TIMEOUT_SECONDS": str(timeout),
        }

    def plan(self, match: str, behaviour: str) -> Plan:
        plan = Plan(match, behaviour)
        with self.lock:
            self.plans.append(plan)
        return plan

    def down(self) -> None:
        self.is_down = True

    def up(self) -> None:
        self.is_down = False

    def delivered(self, match: str = "") -> list[GatewayRequest]:
        """The SMS this gateway sent on to phones (containing ``match``)."""
        return [r for r in self.requests if r.outcome == "delivered" and match in r.text]

    def received(self, match: str = "") -> list[GatewayRequest]:
        return [r for r in self.requests if match in r.text]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        request = GatewayRequest(
            key=handler.headers.get("Idempotency-Key") or "",
            phone=str(body.get("phone", "")),
            text=str(body.get("text", "")),
        )
        with self.lock:
            self.requests.append(request)
            plan = next((p for p in self.plans if not p.used and p.match in request.text), None)
            if plan is not None:
                plan.used, plan.request = True, request
            behaviour = plan.behaviour if plan else ("hold" if self.is_down else "deliver")
            if handler.headers.get("Authorization") != f"Bearer {self.token}":
                behaviour = "refuse"
            done_before = any(
                r.key == request.key and r.outcome == "delivered" for r in self.requests
            )
            if behaviour in ("deliver", "deliver-then-hold"):
                request.outcome = "duplicate" if done_before else "delivered"
            else:
                request.outcome = "refused" if behaviour == "refuse" else "held"
        if plan is not None:
            plan.reached.set()
        if behaviour == "refuse":
            handler.send_response(401)
            handler.end_headers()
        elif behaviour == "deliver":
            answer = json.dumps({"id": f"gw-{request.key[:8]}"}).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        elif behaviour == "dribble":
            self._dribble(handler, request)
        else:
            self._hold(handler.connection, request)

    def _wait_gone(self, connection: socket.socket, request: GatewayRequest, pause: float) -> bool:
        """Wait up to ``pause``; True once the client has closed its end (or the test ends)."""
        readable, _, _ = select.select([connection], [], [], pause)
        if readable:
            try:
                gone = connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                gone = True
            if gone:
                request.client_left.set()
                return True
        return self.closing.is_set()

    def _hold(self, connection: socket.socket, request: GatewayRequest) -> None:
        while not self._wait_gone(connection, request, 0.05):
            pass
        handler_close(connection)

    def _dribble(self, handler: BaseHTTPRequestHandler, request: GatewayRequest) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        handler.wfile.flush()
        while not self._wait_gone(handler.connection, request, 0.2):
            try:
                handler.wfile.write(b"z")
                handler.wfile.flush()
            except OSError:
                request.client_left.set()
                return

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def handler_close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as started:
        yield started


# --- task worker processes ---------------------------------------------------------------------

# A worker whose task queue blocks in ``DatabaseBackend.enqueue`` of the task named by
# FAULT_ENQUEUE_TASK: it connects to FAULT_CHECKPOINT (host:port), says so, and waits there until
# it is killed. The production code is unchanged; the test patches it in this process only.
BLOCKING_WORKER = """
import os, socket, sys
import django
django.setup()
from django_tasks_db.backend import DatabaseBackend
real_enqueue = DatabaseBackend.enqueue
blocked = []
def enqueue(self, task, args, kwargs):
    if task.module_path == os.environ["FAULT_ENQUEUE_TASK"] and not blocked:
        blocked.append(True)
        host, port = os.environ["FAULT_CHECKPOINT"].rsplit(":", 1)
        checkpoint = socket.create_connection((host, int(port)))
        checkpoint.sendall(b"enqueue " + task.module_path.encode() + b"\\n")
        checkpoint.recv(1)  # no answer comes: the test kills this process here
    return real_enqueue(self, task, args, kwargs)
DatabaseBackend.enqueue = enqueue
from django.core.management import execute_from_command_line
execute_from_command_line([sys.argv[0], *sys.argv[1:]])
"""


@dataclass
class Worker:
    """One ``manage.py worker`` process (or the blocking variant above)."""

    env: dict[str, str]
    log: Path
    worker_id: str = field(default_factory=lambda: f"fault-{uuid.uuid4().hex[:12]}")
    blocking: bool = False
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        program = ["-c", BLOCKING_WORKER] if self.blocking else [str(ROOT / "manage.py")]
        argv = [
            sys.executable,
            *program,
            "worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval", "0.05",
            "--worker-id", self.worker_id,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no ``finally``, as the kernel's out-of-memory killer does."""
        assert self.process is not None
        assert self.alive(), f"the worker had already exited:\n{self.log_text()[-3000:]}"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Workers:
    """Starts workers for one test and makes sure none outlives it (the test database is
    flushed after the test, which a running worker would block on PostgreSQL)."""

    env: dict[str, str]
    directory: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, *, blocking: bool = False, env: dict[str, str] | None = None) -> Worker:
        worker = Worker(
            {**self.env, **(env or {})},
            self.directory / f"worker-{len(self.started) + 1}.log",
            blocking=blocking,
        )
        self.started.append(worker)
        return worker.start()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.log_text()[-3000:]}" for w in self.started)

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


def worker_env(server: Server, gateway: FakeGateway, **extra: str) -> dict[str, str]:
    """The server's settings (same database, files and secret key), with the SMS going to the
    gateway, a one-second heartbeat (a dead worker is found after three) and retries at once."""
    return {
        **server.env,
        **gateway.env(),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "TASK_RETRY_BASE_SECONDS": "0",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@pytest.fixture
def workers(server: Server, gateway: FakeGateway, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(worker_env(server, gateway), tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


# --- what the test reads from the database -----------------------------------------------------


def open_tasks() -> int:
    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()


def settled(application: int, state: str) -> Callable[[], bool]:
    """True once the application reached ``state``, every notice went and no task is left."""

    def check() -> bool:
        return (
            Application.objects.filter(pk=application, state=state).exists()
            and not Notice.objects.filter(application_id=application, sent_at=None).exists()
            and open_tasks() == 0
        )

    return check


def running_task(path: str, worker: Worker) -> DBTaskResult[Any, Any]:
    row = DBTaskResult.objects.get(task_path=path, status="RUNNING")
    assert row.worker_ids[-1] == worker.worker_id
    return row


def assert_told_once(application: int, changes: list[str]) -> None:
    """One notice per change and channel (only SMS: the applicants have no e-mail), each sent."""
    notices = list(
        Notice.objects.filter(application_id=application).values_list("channel", "sent_at")
    )
    assert len(notices) == len(changes), notices
    assert all(channel == "sms" and sent is not None for channel, sent in notices), notices
    transitions = AuditEvent.objects.filter(
        object_type="applications.application",
        object_id=str(application),
        action__in=TRANSITION_ACTIONS,
    )
    assert sorted(transitions.values_list("action", flat=True)) == sorted(changes)


def assert_lost_and_reclaimed(row: DBTaskResult[Any, Any]) -> None:
    """The killed attempt is on record as lost, audited, and was followed by a successful one."""
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.exception_class_path == "bolashaq.core.tasks.WorkerLost"
    event = AuditEvent.objects.get(action="task.reclaim", object_id=str(row.pk))
    assert event.new is not None
    retry = DBTaskResult.objects.get(pk=event.new["retry"])
    assert retry.status == "SUCCESSFUL"
    assert retry.args_kwargs["kwargs"]["_attempt"] == 2


# --- the tests ---------------------------------------------------------------------------------


def test_a_worker_killed_while_its_sms_never_reached_the_gateway_sends_it_once(
    world: World, server: Server, gateway: FakeGateway, workers: Workers, tmp_path: Path
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.draft(world.intake, world.slots)
    client.sign_and_submit(application)
    held = gateway.plan(SUBMITTED, "hold")

    first = workers.start()
    wait_for("the worker to send the notice", held.reached.is_set)
    killed = running_task(NOTIFY, first)
    first.kill()
    assert held.request is not None
    wait_for("the gateway to see the worker gone", held.request.client_left.is_set)
    # Nothing else is running it: the task would stay RUNNING for ever without a reclaim.
    assert DBTaskResult.objects.get(pk=killed.pk).status == "RUNNING"

    workers.start()
    wait_for(
        f"the tasks to finish; worker logs:\n{workers.logs()}",
        settled(application, "accepted"),
        timeout=25,
    )
    assert_lost_and_reclaimed(killed)
    assert_told_once(application, ["application.submit", "application.accept"])
    # The held message was never sent; its rerun was, once; the decision's notice once.
    assert [r.outcome for r in gateway.received(SUBMITTED)] == ["held", "delivered"]
    assert len(gateway.delivered(SUBMITTED)) == 1
    assert len(gateway.delivered(ACCEPTED)) == 1
    reconcile(server.env, ledger.path)


def test_a_worker_killed_after_the_gateway_took_the_sms_sends_it_again_with_the_same_key(
    world: World, server: Server, gateway: FakeGateway, workers: Workers, tmp_path: Path
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.draft(world.intake, world.slots)
    client.sign_and_submit(application)
    taken = gateway.plan(ACCEPTED, "deliver-then-hold")

    first = workers.start()
    wait_for("the worker to send the decision's notice", taken.reached.is_set)
    killed = running_task(NOTIFY, first)
    first.kill()

    workers.start()
    wait_for(
        f"the tasks to finish; worker logs:\n{workers.logs()}",
        settled(application, "accepted"),
        timeout=25,
    )
    assert_lost_and_reclaimed(killed)
    assert_told_once(application, ["application.submit", "application.accept"])
    # At least once: the gateway got the message twice, both times under one key, and sent it
    # once because it honours the key.
    again = gateway.received(ACCEPTED)
    assert [r.outcome for r in again] == ["delivered", "duplicate"]
    assert again[0].key == again[1].key != ""
    assert len(gateway.delivered(ACCEPTED)) == 1
    assert len(gateway.delivered(SUBMITTED)) == 1
    reconcile(server.env, ledger.path)


@pytest.fixture
def checkpoint() -> Iterator[socket.socket]:
    """A loopback socket where a blocking worker says it reached its fault point."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(20)
        yield listener


def test_a_worker_killed_between_the_decision_and_queueing_its_notice_loses_neither(
    world: World,
    server: Server,
    gateway: FakeGateway,
    workers: Workers,
    checkpoint: socket.socket,
    tmp_path: Path,
) -> None:
    ledger = ledger_for(tmp_path, world.intake)
    client = Client(server.port, ledger, world.applicants[0])
    application = client.draft(world.intake, world.slots)
    client.sign_and_submit(application)

    host, port = checkpoint.getsockname()[:2]
    first = workers.start(
        blocking=True, env={"FAULT_ENQUEUE_TASK": NOTIFY, "FAULT_CHECKPOINT": f"{host}:{port}"}
    )
    try:
        reached, _address = checkpoint.accept()
    except TimeoutError:
        pytest.fail(f"the worker never queued the decision's notice:\n{workers.logs()}")
    with reached:
        assert reached.recv(100).startswith(b"enqueue " + NOTIFY.encode())
        # The check decided and is queueing the notice of its decision: kill it right there.
        killed = running_task(CHECK, first)
        first.kill()
    # The decision and its notice are one transaction: neither is left behind alone.
    assert Application.objects.get(pk=application).state == "submitted"

    workers.start()
    wait_for(
        f"the tasks to finish; worker logs:\n{workers.logs()}",
        settled(application, "accepted"),
        timeout=25,
    )
    assert_lost_and_reclaimed(killed)
    assert_told_once(application, ["application.submit", "application.accept"])
    assert len(gateway.delivered(ACCEPTED)) == 1
    assert len(gateway.delivered(SUBMITTED)) == 1
    reconcile(server.env, ledger.path)
