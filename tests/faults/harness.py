"""The fault suite's harness: a real server, a client that keeps a ledger, the reconciliation.

A test (transactional, so what it sets up is committed and the server sees it) prepares an
intake and applicants through the real actions (:func:`prepare`), starts gunicorn on a free
loopback port against the test database (:class:`Server`, settings
``tests/faults/fault_settings.py``: the test settings without DEBUG, plus the fault injection of
``tests/faults/injection.py``), drives whole submissions over the API with :class:`Client`, which
writes every request attempt to a ledger in the format ``manage.py reconcile`` reads, injects a
fault, and ends with :func:`reconcile`, which runs that command in a separate process and asserts
it passes. Task workers and the scripted SMS gateway some tests need are in
``tests/faults/workers.py`` and ``tests/faults/gateway.py``.

One gunicorn worker process (gthread), so a test can find its pid as the master's only child,
kill it and wait for the master to start another. Tasks the server queues (the automatic check,
notifications) stay in the database queue until the test runs them (:func:`run_tasks`).

On SQLite the test database must be a file (it is: ``DATABASES["default"]["TEST"]["NAME"]`` in
the settings), which the server opens too; on PostgreSQL the server connects to the test
database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.faults.client import Answer, Http, Ledger, free_port, multipart, process_children, sha256

if TYPE_CHECKING:
    from bolashaq.competitions.models import Intake

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
CODE = re.compile(r"\b(\d{6})\b")
# How long a client keeps sending a request again (its answer lost, it was shed, or it asked
# for a code too soon), and how long the server may take to start.
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
            # Production's interval between two codes (the settings' default), which the client
            # waits out when a sign-request retried after a lost answer is told to wait.
            "OTP_RESEND_SECONDS": "60",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "FAULT_DIR": str(directory / "faults"),
            # The server's temporary files (an upload Django spools to disk) land here.
            "TMPDIR": str(directory / "tmp"),
        }
    )
    return env


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM ``process`` and wait for it; SIGKILL it if it is not gone within ``timeout``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
        stop_process(self.process)
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


def _python(env: dict[str, str], *argv: str, timeout: float) -> str:
    """Run this Python with ``argv`` in a separate process with ``env``; assert it exits 0 and
    return what it printed."""
    done = subprocess.run(
        [sys.executable, *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (
        f"{' '.join(argv)[:200]} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    )
    return done.stdout


def manage(env: dict[str, str], *argv: str, timeout: float = 120) -> str:
    """``manage.py`` in a separate process with ``env`` (the server's, say); asserts it exits 0
    and returns what it printed."""
    return _python(env, str(ROOT / "manage.py"), *argv, timeout=timeout)


def run_python(env: dict[str, str], code: str, *, timeout: float = 120) -> str:
    """Run ``code`` with Django set up (the settings of ``env``) in a separate process; assert
    it exits 0 and return the last line it printed."""
    printed = _python(env, "-c", f"import django; django.setup(); {code}", timeout=timeout)
    return printed.strip().splitlines()[-1]


def reconcile(
    env: dict[str, str], ledger: Path, *, unreferenced_files: bool = False
) -> dict[str, Any]:
    """``manage.py reconcile LEDGER`` against the server's database and files; asserts exit 0
    and, unless ``unreferenced_files``, that no stored file lacks its document row (nothing
    half-stored). Returns the report (``--json``)."""
    report_path = ledger.with_suffix(".reconcile.json")
    printed = manage(env, "reconcile", str(ledger), "--json", str(report_path))
    report: dict[str, Any] = json.loads(report_path.read_text())
    if not unreferenced_files:
        assert report["unreferenced_files"] == [], printed
    return report


def run_tasks(env: dict[str, str]) -> None:
    """Run every queued task (the automatic check, notifications) with the real worker in batch
    mode, in a separate process with the server's settings, and wait until it is done."""
    manage(env, "worker", "--batch", "--no-reload", "--no-startup-delay")


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


def open_intake(code: str, titles: dict[str, str], closes_at: dt.datetime) -> Intake:
    """Open a master's intake ``code`` (rule set 2023, opened 30 days ago, until ``closes_at``)
    through the real action. Shared with the load test (``benchmarks/submission_load.py``)."""
    from django.utils import timezone

    from bolashaq.competitions.actions import intake_create
    from bolashaq.competitions.models import Programme

    return intake_create(
        acting_user=None,
        code=code,
        titles=titles,
        programme=Programme.MASTER,
        rule_set="2023",
        opens_at=timezone.now() - dt.timedelta(days=30),
        closes_at=closes_at,
    )


def eligible_slots() -> list[str]:
    """The document slots of an eligible applicant in category "general" of such an intake
    (six)."""
    from django.utils import timezone

    from bolashaq.applications.profile import evaluate_answers
    from bolashaq.applications.samples import eligible_answers

    today = timezone.localdate()
    answers = eligible_answers(today)
    result = evaluate_answers(
        answers, rule_set_id="2023", programme="master", category="general", on=today
    )
    return [d["id"] for d in result.to_dict()["documents"]]


def new_applicant(
    username: str, phone: str, answers: dict[str, dict[str, str]], *, api_client: str
) -> Applicant:
    """An applicant (in English, no password) with ``phone`` and an API token named for
    ``api_client``, created through the real actions. Shared with the load test."""
    from bolashaq.accounts.actions import api_token_create, user_create
    from bolashaq.accounts.roles import Role

    user = user_create(
        acting_user=None,
        username=username,
        password=None,
        role=Role.APPLICANT,
        first_name="Aruzhan",
        last_name="Bekova",
        phone=phone,
        language="en",
    )
    _token, secret = api_token_create(acting_user=None, user=user, name=api_client)
    return Applicant(user.username, user.phone, secret, answers)


def prepare(count: int, *, prefix: str = "fault") -> World:
    """An open master's intake (:func:`open_intake`) and ``count`` applicants with eligible
    answers, a phone and an API token (:func:`new_applicant`)."""
    from django.utils import timezone

    from bolashaq.applications.samples import eligible_answers

    code = f"{prefix}-{secrets.token_hex(4)}"
    titles = {"kk": "Магистратура", "ru": "Магистратура", "en": "Master's (faults)"}
    open_intake(code, titles, timezone.now() + dt.timedelta(days=1))
    answers = eligible_answers(timezone.localdate())
    base = random.randrange(10**6)
    applicants = [
        new_applicant(
            f"{code}-{number}",
            f"+7702{(base + number) % 10**7:07d}",
            answers,
            api_client="fault suite",
        )
        for number in range(count)
    ]
    return World(code, eligible_slots(), applicants)


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


# --- what the tests check ----------------------------------------------------------------------

# What the notices of a submission and of its acceptance say (in English).
SUBMITTED = "has been submitted"
ACCEPTED = "has been accepted"
SUBMIT_AND_ACCEPT = ["application.submit", "application.accept"]


def stored_files(server: Server, application: int) -> set[str]:
    """The names of the files the server stored for ``application``'s documents."""
    folder = server.media / "documents" / str(application)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def document_files(application: int) -> set[str]:
    """The names of the files ``application``'s document rows refer to."""
    from bolashaq.documents.models import Document

    return {
        Path(name).name
        for name in Document.objects.filter(application_id=application).values_list(
            "stored_name", flat=True
        )
    }


def assert_submitted_once(application: int) -> None:
    from bolashaq.audit.models import AuditEvent

    submits = AuditEvent.objects.filter(action="application.submit", object_id=str(application))
    assert submits.count() == 1


def assert_accepted_after_tasks(env: dict[str, str], application: int) -> None:
    """What follows a submission was queued with its commit: run it (:func:`run_tasks`); the
    automatic check accepts the application."""
    from bolashaq.applications.models import Application

    run_tasks(env)
    assert Application.objects.get(pk=application).state == "accepted"


def assert_told_once(application: int, changes: list[str]) -> None:
    """One notice per change and channel (only SMS: the applicants have no e-mail), each sent."""
    from bolashaq.applications.models import Notice
    from bolashaq.applications.notify import TRANSITION_ACTIONS
    from bolashaq.audit.models import AuditEvent

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


# --- the client --------------------------------------------------------------------------------


class Refused(AssertionError):
    """The server refused a step, or never answered it within the retries."""

    def __init__(self, kind: str, answer: Answer) -> None:
        super().__init__(
            f"{kind}: {answer.status or answer.error} {answer.error_code} {answer.body[:300]!r}"
        )
        self.answer = answer


def retry_wait(answer: Answer, outcome: str, attempt: int, *, throttled: bool) -> float | None:
    """How long to wait before sending a request that was not acknowledged again, or None not
    to send it again: a short back-off after a lost answer or a shed request (``overloaded``);
    after a code asked for too soon (429 ``otp_throttled``), if ``throttled``, exactly the wait
    the server gave (:attr:`Answer.retry_after`)."""
    if outcome == "unknown" or (answer.status in (429, 503) and answer.error_code == "overloaded"):
        return min(0.05 * 2.0**attempt, 0.5)
    if throttled and answer.status == 429 and answer.error_code == "otp_throttled":
        return answer.retry_after
    return None


def outcome_of(answer: Answer, ok: tuple[int, ...]) -> str:
    """``ok``; ``unknown`` when no answer came or it does not say what happened (a server
    error, or 503 ``unavailable``: the database was lost mid-step); else ``refused`` (the
    server said what it did not do, as 503 ``storage_failed``)."""
    if answer.status in ok:
        return "ok"
    if answer.status is None or (
        answer.status >= 500 and answer.error_code in ("", "server_error", "unavailable")
    ):
        return "unknown"
    return "refused"


@dataclass
class Client:
    """One applicant's API client: every attempt goes to the ledger (``reconcile``'s format).

    A request whose answer is lost (no answer, or a server error that does not say what
    happened) is sent again, unchanged, and so is one the server shed or, after the wait it was
    given, a code asked for too soon (:func:`retry_wait`), as long as that wait ends within
    ``retry_for`` seconds of the first attempt; a submit therefore carries the same content
    hash. ``retry=False`` sends a request once; ``wait_throttled=False`` does not wait out a
    code asked for too soon. ``fault`` puts an ``X-Fault`` header on the first attempt.
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
        wait_throttled: bool = True,
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
            self.ledger.request(
                phase="faults",
                kind=kind,
                application=application,
                extra={**(extra or {}), "fault": sent.get("X-Fault")},
                attempt=attempt,
                answer=answer,
                outcome=outcome,
            )
            if outcome == "ok":
                return answer
            wait = retry_wait(answer, outcome, attempt, throttled=wait_throttled)
            if retry and wait is not None and time.monotonic() + wait < deadline:
                if wait >= 1:
                    self.http.close()  # the server would close it, idle that long (keep-alive)
                time.sleep(wait)
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

    def upload_all(self, application: int, slots: list[str]) -> None:
        for slot in slots:
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
        """Start, answer every section and upload a document to each of ``slots`` (all of
        them: ready to sign)."""
        application = self.start(intake)
        self.fill(application)
        self.upload_all(application, slots)
        return application

    def sign_and_submit(self, application: int, **options: Any) -> Answer:
        content_hash = self.sign_request(application)
        return self.submit(application, content_hash, self.code(), **options)

    def journey(self, intake: str, slots: list[str]) -> int:
        """A whole submission, every step acknowledged; the application's id."""
        application = self.draft(intake, slots)
        self.sign_and_submit(application)
        return application


def ledger_for(directory: Path, intake: str) -> Ledger:
    """A new ledger whose run record scopes the reconciliation to ``intake``."""
    ledger = Ledger(directory / "ledger.jsonl")
    ledger.write({"kind": "run", "intake": intake, "started_at": time.time()})
    return ledger


def upload_with_fault(
    client: Client, application: int, slot: str, fault: str
) -> list[dict[str, Any]]:
    """Upload a new document to ``slot`` with ``fault`` on the first attempt; the client sends
    it again until it is acknowledged. Returns the upload's attempts from the ledger."""
    client.upload(application, slot, sample_document(slot), fault=fault)
    attempts = [r for r in client.ledger.attempts("upload") if r["slot"] == slot]
    assert attempts[-1]["acknowledged"]
    return attempts


def submit_with_fault(client: Client, application: int, fault: str) -> dict[str, Any]:
    """Sign and submit with ``fault`` on the submit's first attempt, whose answer says nothing
    of what happened; the client's retry, with the same hash, submits. Returns that first
    attempt from the ledger."""
    answer = client.sign_and_submit(application, fault=fault)
    assert answer.json()["state"] == "submitted"
    first, *retries = client.ledger.attempts("submit")
    assert first["outcome"] == "unknown"
    assert retries[-1]["acknowledged"]
    return first


def client_for(server: Server, world: World, directory: Path, **options: Any) -> Client:
    """The first applicant's client, with a new ledger (``client.ledger``) in ``directory``."""
    return Client(server.port, ledger_for(directory, world.intake), world.applicants[0], **options)


def raw_upload_request(
    port: int, token: str, application: int, slot: str, data: bytes, headers: dict[str, str]
) -> tuple[bytes, bytes]:
    """An upload of ``data`` as written on the wire, for a test that sends it by hand: the head
    (with ``headers``) and the multipart body."""
    body, content_type = multipart("file", f"{slot}.pdf", data)
    lines = [
        f"POST {API}/applications/{application}/documents/{slot} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Authorization: Bearer {token}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), body


def raw_partial_upload(
    port: int, token: str, application: int, slot: str, data: bytes, *, sent: float = 0.5
) -> socket.socket:
    """Open a connection and send an upload's headers and the first ``sent`` share of its body,
    then stop; returns the socket (the caller closes it). The X-Fault ``announce`` header lets
    the test wait until the server is inside the request."""
    head, body = raw_upload_request(port, token, application, slot, data, {"X-Fault": "announce"})
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head + body[: int(len(body) * sent)])
    return sock
