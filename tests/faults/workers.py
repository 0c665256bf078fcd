"""Task worker processes for the fault suite: real ``manage.py worker`` processes a test can kill.

A worker gets the settings of the server it works for (the same database, files and secret key;
``worker_env``), a one-second heartbeat, so the next worker finds a killed one's task after three
seconds, and retries without back-off. :class:`Workers` makes sure none outlives its test: the
test database is flushed after the test, which a running worker would block on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.harness import ROOT, FaultSuiteError, stop_process, wait_for

CHECK = "bolashaq.applications.checks.application_check"
NOTIFY = "bolashaq.applications.notify.application_notify"

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


def worker_command(*, interval: float, blocking: bool = False) -> list[str]:
    """The command line of a ``manage.py worker`` (or of the blocking variant above) that polls
    the queue every ``interval`` seconds."""
    program = ["-c", BLOCKING_WORKER] if blocking else [str(ROOT / "manage.py")]
    return [
        sys.executable,
        *program,
        "worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval", str(interval),
    ]  # fmt: skip


def worker_env(base: dict[str, str], **extra: str) -> dict[str, str]:
    """``base`` (a server's settings) with a one-second heartbeat (a dead worker is found after
    three) and retries at once; ``extra`` overrides."""
    return {
        **base,
        "WORKER_HEARTBEAT_SECONDS": "1",
        "TASK_RETRY_BASE_SECONDS": "0",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class Worker:
    """One ``manage.py worker`` process (or the blocking variant); a context manager that starts
    it and stops it."""

    env: dict[str, str]
    log: Path
    worker_id: str = field(default_factory=lambda: f"fault-{uuid.uuid4().hex[:12]}")
    blocking: bool = False
    interval: float = 0.05
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        argv = [
            *worker_command(interval=self.interval, blocking=self.blocking),
            "--worker-id",
            self.worker_id,
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def assert_alive(self) -> None:
        assert self.process is not None
        assert self.alive(), (
            f"the worker exited ({self.process.returncode}):\n{self.log_text()[-4000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: no clean-up, no ``finally``, as the kernel's out-of-memory killer does."""
        self.assert_alive()
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Workers:
    """Starts workers for one test with ``env`` and logs in ``directory``; stops them all when
    the ``with`` block ends."""

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

    def wait_settled(self, application: int, timeout: float = 25) -> None:
        """Wait until ``application`` is accepted, every notice went and no task is left;
        the workers' logs are in the failure's message."""
        try:
            wait_for("the tasks to finish", settled(application, "accepted"), timeout)
        except FaultSuiteError as exc:
            raise FaultSuiteError(f"{exc}; worker logs:\n{self.logs()}") from None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self.started:
            worker.stop()


def open_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()


def settled(application: int, state: str) -> Callable[[], bool]:
    """True once the application reached ``state``, every notice went and no task is left."""
    from bolashaq.applications.models import Application, Notice

    def check() -> bool:
        return (
            Application.objects.filter(pk=application, state=state).exists()
            and not Notice.objects.filter(application_id=application, sent_at=None).exists()
            and open_tasks() == 0
        )

    return check
