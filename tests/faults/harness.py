"""The fault suite's harness: a real server, a client that keeps a ledger, the reconciliation.

A test (transactional, so what it sets up is committed and the server sees it) prepares an
intake and applicants through the real actions (:func:`prepare`), starts gunicorn on a free
loopback port against the test database (:class:`Server`, settings
``tests/faults/fault_settings.py``: the test settings without DEBUG, plus the fault injection of
``tests/faults/injection.py``), drives whole submissions over the API with :class:`Client`, which
writes every request attempt to a ledger in the format ``manage.py reconcile`` reads, injects a
fault, and ends with :func:`reconcile`, which runs that command in a separate process and asserts
it passes.

One gunicorn worker process (gthread), so a test can find its pid as the master's only child,
kill it and wait for the master to start another. Tasks the server queues (the automatic check,
notifications) stay in the database queue until the test runs them (:func:`run_tasks`).

On SQLite the test database must be a file (it is: ``DATABASES["default"]["TEST"]["NAME"]`` in
the settings), which the server opens too; on PostgreSQL the server connects to the test
database.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.faults.client import Answer, Http, Ledger, free_port, multipart, process_children, sha256

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
CODE = re.compile(r"\b(\d{6})\b")
# How long a client keeps retrying a request whose answer was lost, and the server start.
RETRY_FOR = 30.0
START_TIMEOUT = 60.0


class FaultSuiteError(AssertionError):
    """The harness could not do what a test asked (the server did not start, no SMS came, ...)."""


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise FaultSuiteError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


# --- the database and the server ---------------------------------------------------------------


def database_url() -> str:
    """The URL of the database this process is connected to (the test database), for the server.

    Refuses an in-memory SQLite database: another process cannot open it.
    """
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(params["NAME"])
        if name == ":memory:" or "mode=memory" in name or not Path(name).is_absolute():
            raise FaultSuiteError(
                f"the SQLite test database {name!r} is not a file the server can open; set "
                'DATABASES["default"]["TEST"]["NAME"] to a path'
            )
        return f"sqlite:///{name}"
    if connection.vendor != "postgresql":
        raise FaultSuiteError(
            f"the fault suite runs on SQLite or PostgreSQL, not {connection.vendor}"
        )
    user = quote(str(params.get("USER") or ""), safe="")
    password = quote(str(params.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}{host}:{params.get('PORT') or 5432}/{quote(str(params['NAME']))}"


def server_env(directory: Path, port: int, database: str) -> dict[str, str]:
    """The server's environment: every variable the settings read that matters is set, so
    neither the test process's variables nor a developer's ``.env`` decide anything here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.faults.fault_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database,
            "VAR_DIR": str(directory / "var"),
            "STATIC_ROOT": str(directory / "static"),
            "MEDIA_ROOT": str(directory / "media"),
            "FILE_STORAGE": "local",
            "TASK_BACKEND": "database",
            "SMS_BACKEND": "outbox",
            "EMAIL_BACKEND": "file",
            "SITE_URL": f"http://127.0.0.1:{port}",
            # A sign-request retried after a lost answer must not wait a minute for a new code.
            "OTP_RESEND_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "FAULT_DIR": str(directory / "faults"),
            # The server's temporary files (an upload Django spools to disk) land here.
            "TMPDIR": str(directory / "tmp"),
        }
    )
    return env


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, killed but not yet reaped, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@dataclass
class Server:
    """gunicorn (one gthread worker) on 127.0.0.1:``port``, started by :meth:`start`."""

    directory: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    announced: set[str] = field(default_factory=set)

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        database: str | None = None,
        threads: int = 4,
        env: dict[str, str] | None = None,
    ) -> Server:
        """Start it; ``env`` overrides variables of :func:`server_env`."""
        directory.mkdir(parents=True, exist_ok=True)
        port = free_port()
        environment = {**server_env(directory, port, database or database_url()), **(env or {})}
        server = cls(directory, port, environment)
        for sub in ("var", "media", "static", "faults", "tmp"):
            (directory / sub).mkdir(exist_ok=True)
        gunicorn = [
            str(Path(sys.executable).parent / "gunicorn"),
            "bolashaq.config.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "1",
            "--worker-class", "gthread",
            "--threads", str(threads),
            "--timeout", "30",
            "--graceful-timeout", "2",
            "--log-level", "warning",
            "--chdir", str(ROOT),
        ]  # fmt: skip
        with server.log.open("ab") as log:
            server.process = subprocess.Popen(
                gunicorn, env=server.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            server.wait_answering(START_TIMEOUT)
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def log(self) -> Path:
        return self.directory / "gunicorn.log"

    @property
    def media(self) -> Path:
        return Path(self.env["MEDIA_ROOT"])

    @property
    def tmp(self) -> Path:
        return Path(self.env["TMPDIR"])

    @property
    def master(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _check_master(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise FaultSuiteError(f"gunicorn exited; its log:\n{self.log_text()[-4000:]}")

    def workers(self) -> list[int]:
        """The master's live worker processes."""
        return sorted(p for p in process_children().get(self.master, []) if _alive(p))

    def worker(self) -> int:
        """The worker's pid (there is one)."""
        self._check_master()
        workers = wait_for("a gunicorn worker", self.workers)
        assert len(workers) == 1, workers
        return int(workers[0])

    def answers(self) -> bool:
        self._check_master()
        http = Http(self.port, 5)
        try:
            return http.request("GET", "/healthz/live").status == 200
        finally:
            http.close()

    def health(self, path: str = "/healthz/ready") -> Answer:
        http = Http(self.port, 10)
        try:
            return http.request("GET", path)
        finally:
            http.close()

    def wait_answering(self, timeout: float = 30.0) -> None:
        wait_for(f"the server on port {self.port} to answer", self.answers, timeout)

    def kill_worker(self, pid: int | None = None) -> int:
        """SIGKILL the worker (the master's child) and return its pid."""
        pid = pid or self.worker()
        assert pid in self.workers(), f"{pid} is not a worker of gunicorn {self.master}"
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_replaced(self, old: int, timeout: float = 30.0) -> int:
        """Wait until ``old`` is gone, the master has started another worker and it answers."""
        wait_for(f"worker {old} to die", lambda: not _alive(old), timeout)
        new = wait_for(
            "gunicorn to start a new worker",
            lambda: [p for p in self.workers() if p != old],
            timeout,
        )[0]
        self.wait_answering(timeout)
        return int(new)

    def wait_announced(self, timeout: float = 20.0) -> dict[str, Any]:
        """The next faulted request the server announced (``injection.announce``)."""
        faults = self.directory / "faults"

        def new() -> dict[str, Any] | None:
            for path in sorted(faults.glob("*.json")):
                if path.name not in self.announced:
                    self.announced.add(path.name)
                    found: dict[str, Any] = json.loads(path.read_text())
                    return found
            return None

        found: dict[str, Any] = wait_for("the server to announce a faulted request", new, timeout)
        return found

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # A worker the master lost track of must not outlive the test.
        for pid in process_children().get(self.process.pid, []):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running_server(directory: Path, **options: Any) -> Iterator[Server]:
    server = Server.start(directory, **options)
    try:
        yield server
    finally:
        server.stop()


def manage(
    env: dict[str, str], *argv: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a separate process with the server's environment."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def reconcile(
    env: dict[str, str], ledger: Path, *, unreferenced_files: bool = False
) -> dict[str, Any]:
    """``manage.py reconcile LEDGER`` against the server's database and files; asserts exit 0
    and, unless ``unreferenced_files``, that no stored file lacks its document row (nothing
    half-stored). Returns the report (``--json``)."""
    report_path = ledger.with_suffix(".reconcile.json")
    done = manage(env, "reconcile", str(ledger), "--json", str(report_path))
    assert done.returncode == 0, (
        f"reconcile failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    )
    report: dict[str, Any] = json.loads(report_path.read_text())
    if not unreferenced_files:
        assert report["unreferenced_files"] == [], done.stdout
    return report


def run_tasks(env: dict[str, str]) -> None:
    """Run every queued task (the automatic check, notifications) with the real worker in batch
    mode, in a separate process with the server's settings, and wait until it is done."""
    done = manage(env, "worker", "--batch", "--no-reload", "--no-startup-delay")
    assert done.returncode == 0, f"the worker failed:\n{done.stdout}{done.stderr}"


# --- the intake and the people -----------------------------------------------------------------


@dataclass
class Applicant:
    username: str
    phone: str
    token: str
    answers: dict[str, dict[str, str]]


@dataclass
class World:
    intake: str
    slots: list[str]
    applicants: list[Applicant]

    def as_json(self) -> str:
        return json.dumps(
            {
                "intake": self.intake,
                "slots": self.slots,
                "applicants": [vars(a) for a in self.applicants],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> World:
        data = json.loads(text)
        return cls(data["intake"], data["slots"], [Applicant(**a) for a in data["applicants"]])


def prepare(count: int, *, prefix: str = "fault") -> World:
    """An open master's intake (rule set 2023, "general": six documents) and ``count``
    applicants with a phone and an API token, created through the real actions."""
    import datetime as dt

    from django.utils import timezone

    from bolashaq.accounts.actions import api_token_create, user_create
    from bolashaq.accounts.roles import Role
    from bolashaq.applications.profile import evaluate_answers
    from bolashaq.applications.samples import eligible_answers
    from bolashaq.competitions.actions import intake_create
    from bolashaq.competitions.models import Programme

    now = timezone.now()
    today = timezone.localdate()
    code = f"{prefix}-{secrets.token_hex(4)}"
    intake_create(
        acting_user=None,
        code=code,
        titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's (faults)"},
        programme=Programme.MASTER,
        rule_set="2023",
        opens_at=now - dt.timedelta(days=30),
        closes_at=now + dt.timedelta(days=1),
    )
    answers = eligible_answers(today)
    result = evaluate_answers(
        answers, rule_set_id="2023", programme="master", category="general", on=today
    )
    slots = [d["id"] for d in result.to_dict()["documents"]]
    applicants = []
    base = random.randrange(10**6)
    for number in range(count):
        user = user_create(
            acting_user=None,
            username=f"{code}-{number}",
            password=None,
            role=Role.APPLICANT,
            first_name="Aruzhan",
            last_name="Bekova",
            phone=f"+7702{(base + number) % 10**7:07d}",
            language="en",
        )
        _token, secret = api_token_create(acting_user=None, user=user, name="fault suite")
        applicants.append(Applicant(user.username, user.phone, secret, answers))
    return World(code, slots, applicants)


def sample_document(label: str, size: int = 0) -> bytes:
    """A valid one-page PDF, unique (the label is in its text), padded to ``size`` bytes."""
    from bolashaq.applications.samples import sample_pdf

    return sample_pdf(f"{label} {secrets.token_hex(8)}", size)


def orm_codes(phone: str) -> str | None:
    """The newest SMS code sent to ``phone``, read from the outbox table as a phone would."""
    from django.db import close_old_connections

    from bolashaq.notifications.models import SmsMessage

    close_old_connections()
    body = (
        SmsMessage.objects.filter(phone=phone)
        .order_by("-pk")
        .values_list("body", flat=True)
        .first()
    )
    found = CODE.search(body or "")
    return found.group(1) if found else None


# --- the client --------------------------------------------------------------------------------


class Refused(AssertionError):
    """The server refused a step, or never answered it within the retries."""

    def __init__(self, kind: str, answer: Answer) -> None:
        super().__init__(
            f"{kind}: {answer.status or answer.error} {answer.error_code} {answer.body[:300]!r}"
        )
        self.answer = answer


def outcome_of(answer: Answer, ok: tuple[int, ...]) -> str:
    """``ok``; ``unknown`` when no answer came or it does not say what happened (a server
    error); else ``refused`` (the server said what it did not do, as 503 ``storage_failed``)."""
    if answer.status in ok:
        return "ok"
    if answer.status is None or (
        answer.status >= 500 and answer.error_code in ("", "server_error")
    ):
        return "unknown"
    return "refused"


@dataclass
class Client:
    """One applicant's API client: every attempt goes to the ledger (``reconcile``'s format).

    A request whose answer is lost (no answer, or a server error that does not say what
    happened) is sent again, unchanged, for up to ``retry_for`` seconds; a submit therefore
    carries the same content hash. ``fault`` puts an ``X-Fault`` header on the first attempt.
    """

    port: int
    ledger: Ledger
    who: Applicant
    codes: Callable[[str], str | None] = orm_codes
    timeout: float = 15.0
    retry_for: float = RETRY_FOR
    language: str = "en"
    http: Http = field(init=False)

    def __post_init__(self) -> None:
        self.http = Http(self.port, self.timeout)

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200,),
        payload: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        application: int | None = None,
        extra: dict[str, Any] | None = None,
        fault: str | None = None,
        retry: bool = True,
        check: bool = True,
    ) -> Answer:
        headers = {
            "Authorization": f"Bearer {self.who.token}",
            "Accept-Language": self.language,
            **(headers or {}),
        }
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        deadline = time.monotonic() + self.retry_for
        attempt = 0
        while True:
            attempt += 1
            sent = {**headers, "X-Fault": fault} if fault and attempt == 1 else headers
            answer = self.http.request(method, f"{API}{path}", body, sent)
            outcome = outcome_of(answer, ok)
            self.ledger.write(
                {
                    "kind": "request",
                    "phase": "faults",
                    "type": kind,
                    "application": application,
                    **(extra or {}),
                    "attempt": attempt,
                    "fault": sent.get("X-Fault"),
                    "at": round(answer.at, 6),
                    "latency": round(answer.latency, 6),
                    "status": answer.status,
                    "error": answer.error or answer.error_code or None,
                    "outcome": outcome,
                    "acknowledged": outcome == "ok",
                }
            )
            if outcome == "ok":
                return answer
            shed = answer.status in (429, 503) and answer.error_code == "overloaded"
            if retry and (outcome == "unknown" or shed) and time.monotonic() < deadline:
                time.sleep(min(0.05 * 2**attempt, 0.5))
                continue
            if check:
                raise Refused(kind, answer)
            return answer

    # The steps of a submission, as the mobile app makes them.

    def start(self, intake: str) -> int:
        answer = self.call(
            "start",
            "POST",
            "/applications",
            ok=(201,),
            payload={"intake": intake, "category": "general"},
        )
        return int(answer.json()["id"])

    def fill(self, application: int) -> None:
        for section, values in self.who.answers.items():
            self.call(
                "section",
                "PUT",
                f"/applications/{application}/sections/{section}",
                payload={"values": values},
                application=application,
                extra={"section": section},
            )

    def upload(self, application: int, slot: str, data: bytes, **options: Any) -> Answer:
        body, content_type = multipart("file", f"{slot}.pdf", data)
        digest = sha256(data)
        answer = self.call(
            "upload",
            "POST",
            f"/applications/{application}/documents/{slot}",
            ok=(201,),
            body=body,
            headers={"Content-Type": content_type},
            application=application,
            extra={"slot": slot, "sha256": digest, "size": len(data)},
            **options,
        )
        if answer.status == 201:
            assert answer.json()["sha256"] == digest, "the server's SHA-256 differs"
        return answer

    def upload_all(self, application: int, slots: list[str], *, skip: tuple[str, ...] = ()) -> None:
        for slot in slots:
            if slot not in skip:
                self.upload(application, slot, sample_document(slot))

    def sign_request(self, application: int) -> str:
        answer = self.call(
            "sign_request",
            "POST",
            f"/applications/{application}/sign-request",
            application=application,
        )
        return str(answer.json()["content_hash"])

    def code(self) -> str:
        found: str = wait_for(
            f"an SMS code to {self.who.phone}", lambda: self.codes(self.who.phone)
        )
        return found

    def submit(self, application: int, content_hash: str, code: str, **options: Any) -> Answer:
        answer = self.call(
            "submit",
            "POST",
            f"/applications/{application}/submit",
            payload={"content_hash": content_hash, "code": code},
            application=application,
            extra={"content_hash": content_hash},
            **options,
        )
        if answer.status == 200:
            assert answer.json()["state"] != "draft", "submit answered 200 but it is a draft"
        return answer

    def draft(self, intake: str, slots: list[str]) -> int:
        """Start, answer every section and upload every document: ready to sign."""
        application = self.start(intake)
        self.fill(application)
        self.upload_all(application, slots)
        return application

    def sign_and_submit(self, application: int, **options: Any) -> Answer:
        content_hash = self.sign_request(application)
        return self.submit(application, content_hash, self.code(), **options)


def ledger_for(directory: Path, intake: str) -> Ledger:
    """A new ledger whose run record scopes the reconciliation to ``intake``."""
    ledger = Ledger(directory / "ledger.jsonl")
    ledger.write({"kind": "run", "intake": intake, "started_at": time.time()})
    return ledger


def raw_partial_upload(
    port: int, token: str, application: int, slot: str, data: bytes, *, sent: float = 0.5
) -> Any:
    """Open a connection and send an upload's headers and the first ``sent`` share of its body,
    then stop; returns the socket (the caller closes it). The X-Fault ``announce`` header lets
    the test wait until the server is inside the request."""
    import socket

    body, content_type = multipart("file", f"{slot}.pdf", data)
    head = (
        f"POST {API}/applications/{application}/documents/{slot} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Fault: announce\r\n"
        "\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head + body[: int(len(body) * sent)])
    return sock
