"""Submission load test: the deadline hour against gunicorn, a task worker and PostgreSQL.

    .venv/bin/python benchmarks/submission_load.py [options]      # or: make loadtest

What it does, in order (everything on this machine, loopback only):

1. Refuses any database whose name does not end in ``_load`` or that is not on a loopback
   address; drops and re-creates it, and migrates it (``DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/bolashaq_load``).
2. Prepares an open master's intake (rule set 2023, category "general": six documents) and
   the applicants through the real actions: submitters with a phone and an API token, and
   separate sign-in users with a phone and a password.
3. Starts gunicorn (gthread) on 127.0.0.1 and one ``manage.py worker`` with production settings
   (``DEBUG=false``, a random ``SECRET_KEY``, ``SECURE_SSL_REDIRECT=false`` because there is no
   TLS proxy here, ``ALLOWED_HOSTS=127.0.0.1``), and waits for ``/healthz`` to be green.
4. Runs ``--clients`` concurrent clients for ``--duration`` seconds. Each repeatedly picks, by
   ``--mix`` weights, one of: a **full submission** (start, five sections, three 1 MB and three
   small PDF uploads, sign-request, the code read from the SMS outbox table, submit), a **status
   read** (``GET /api/v1/applications/{id}``) of an application started earlier, or a
   **sign-in** (``POST /api/v1/accounts/sign-in`` and ``/sign-in/confirm`` with the SMS code).
   A 503 or 429 is waited out (``Retry-After``) and tried again; a submit whose answer is lost
   (timeout, dropped connection, 5xx) is retried with the same content hash.
5. Keeps a ledger (``ledger.jsonl``): one line per request attempt with its type, application,
   content hash (the submission's idempotency key), upload SHA-256, status, latency and
   whether it was acknowledged.
6. Waits for the worker to decide every acknowledged submission, stops the servers, runs
   ``manage.py reconcile`` on the ledger, and writes ``report.md`` and ``report.json`` with
   throughput and p50/p95/p99 per request type, submissions per second, 429/503 counts and the
   automatic check's lag, in ``var/loadtest/<time>/``. Exit 0 only when reconciliation passes.

The documents of the run are deleted after reconciliation unless ``--keep-files``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import ipaddress
import itertools
import json
import math
import os
import platform
import queue
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.faults.client import (  # noqa: E402 (after the path is set)
    Answer,
    Http,
    Ledger,
    free_port,
    multipart,
    process_children,
)
from tests.faults.client import sha256 as _sha256  # noqa: E402
from tests.faults.harness import (  # noqa: E402
    Applicant,
    eligible_slots,
    new_applicant,
    open_intake,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bolashaq_load"
PASSWORD = "load-test-password-2026"  # noqa: S105 (the prepared sign-in users' password)
CODE = re.compile(r"\b(\d{6})\b")
API = "/api/v1"
TYPES = (
    "start",
    "section",
    "upload",
    "sign_request",
    "submit",
    "status",
    "sign_in",
    "sign_in_confirm",
)


# --- settings and safety -----------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL on a loopback address; its name must end in _load (it is re-created)",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="actions started per second across all clients, paced evenly (an offered load, "
        "as people arrive); 0: each client starts its next action as soon as one ends",
    )
    parser.add_argument(
        "--applicants", type=int, default=600, help="submitters prepared (at most one each)"
    )
    parser.add_argument("--sign-in-users", type=int, default=300, help="sign-in users prepared")
    parser.add_argument(
        "--mix",
        default="submit=1,status=4,sign_in=1",
        help="weights of the actions a client picks: submit, status, sign_in",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per process")
    parser.add_argument(
        "--max-inflight",
        type=int,
        default=0,
        help="MAX_INFLIGHT_REQUESTS per process (0: threads - 2, at least 1)",
    )
    parser.add_argument("--task-workers", type=int, default=1, help="manage.py worker processes")
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="fill in and upload every submitter's draft before the timed phase (not measured); "
        "a submission in the timed phase is then only sign-request, code and submit",
    )
    parser.add_argument("--big-docs", type=int, default=3, help="documents uploaded at --big-size")
    parser.add_argument("--big-size", type=int, default=1024 * 1024, help="bytes")
    parser.add_argument("--small-size", type=int, default=20_000, help="bytes")
    parser.add_argument(
        "--refused-share", type=float, default=0.2, help="share of submitters the check refuses"
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    parser.add_argument("--retries", type=int, default=3, help="retries of an unanswered request")
    parser.add_argument(
        "--retry-after-cap",
        type=float,
        default=None,
        help="wait at most this long on Retry-After (default: as the server asks)",
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=180, help="seconds to wait for the checks"
    )
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "loadtest")
    parser.add_argument("--label", default="", help="a name for this run in the report")
    parser.add_argument("--keep-files", action="store_true", help="keep the uploaded documents")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500:
        parser.error("--clients must be 1..500")
    if not 0 <= args.rate <= 10_000:
        parser.error("--rate must be 0..10000 actions per second")
    if not 1 <= args.duration <= 3600:
        parser.error("--duration must be 1..3600 seconds")
    if not 1 <= args.applicants <= 20_000 or not 0 <= args.sign_in_users <= 20_000:
        parser.error("--applicants must be 1..20000 and --sign-in-users 0..20000")
    if not 1 <= args.web_workers <= 16 or not 1 <= args.threads <= 128:
        parser.error("--web-workers must be 1..16 and --threads 1..128")
    if args.max_inflight <= 0:
        args.max_inflight = max(1, args.threads - 2)
    args.mix_weights = parse_mix(parser, args.mix)
    return args


def parse_mix(parser: argparse.ArgumentParser, text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, _sep, value = part.partition("=")
        if name.strip() not in ("submit", "status", "sign_in"):
            parser.error(f"--mix: unknown action {name!r}")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            parser.error(f"--mix: {part!r} is not name=weight")
    if sum(weights.values()) <= 0:
        parser.error("--mix needs a positive weight")
    return weights


@dataclass(frozen=True)
class Database:
    url: str
    name: str
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> Database:
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise SystemExit(f"refusing {parts.scheme!r}: the load test needs PostgreSQL")
        name = unquote(parts.path.lstrip("/"))
        if not name.endswith("_load"):
            raise SystemExit(
                f"refusing database {name!r}: the load test drops and re-creates its database, "
                "so its name must end in _load"
            )
        host = parts.hostname or ""
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise SystemExit(f"refusing host {host!r}: the load test runs on loopback only")
        return cls(
            url=url,
            name=name,
            host=host,
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
        )

    def connect(self, dbname: str | None = None) -> Any:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.name,
            autocommit=True,
        )

    def recreate(self) -> None:
        from psycopg import sql

        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def server_version(self) -> str:
        with self.connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            cores = conn.execute("SHOW max_connections").fetchone()
        return f"PostgreSQL {row[0]} (max_connections {cores[0]})"


def server_env(args: argparse.Namespace, run_dir: Path, port: int) -> dict[str, str]:
    """Production-like settings; every variable the settings read is set, so no .env leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bolashaq.config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": args.database_url,
            "VAR_DIR": str(run_dir / "var"),
            "STATIC_ROOT": str(args.out / "static"),
            "MEDIA_ROOT": str(run_dir / "var" / "media"),
            "FILE_STORAGE": "local",
            "TASK_BACKEND": "database",
            "SMS_BACKEND": "outbox",
            "EMAIL_BACKEND": "file",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "MAX_INFLIGHT_REQUESTS": str(args.max_inflight),
            "RETRY_AFTER_SECONDS": "5",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env: dict[str, str], *argv: str, log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *argv],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


# --- the fixture: intake and people ------------------------------------------------------------


# A submitter is the fault suite's applicant: username, phone, API token and answers.
Submitter = Applicant


@dataclass
class SignInUser:
    username: str
    phone: str


@dataclass
class Fixture:
    intake: str
    slots: list[str]
    submitters: list[Submitter]
    sign_in_users: list[SignInUser]


def prepare(args: argparse.Namespace, env: dict[str, str]) -> Fixture:
    """Create the intake and the people through the real actions (audited as in production)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connections
    from django.utils import timezone

    from bolashaq.accounts.actions import user_create
    from bolashaq.accounts.models import User
    from bolashaq.accounts.roles import Role
    from bolashaq.applications.samples import eligible_answers, refused_answers

    now = timezone.now()
    today = timezone.localdate()
    code = f"load-{now:%Y%m%d-%H%M%S}"
    # The window closes within the hour after the run: the deadline hour.
    closes = now + dt.timedelta(seconds=args.duration + args.drain_timeout + 3600)
    titles = {"kk": "Магистратура (жүктеме)", "ru": "Магистратура (нагрузка)", "en": "Load"}
    open_intake(code, titles, closes)
    eligible, refused = eligible_answers(today), refused_answers(today)
    rng = random.Random(args.seed)
    submitters = []
    for number in range(1, args.applicants + 1):
        answers = refused if rng.random() < args.refused_share else eligible
        submitters.append(
            new_applicant(
                f"load-a{number:05d}", f"+7700{number:07d}", answers, api_client="load test"
            )
        )
    sign_in_users = []
    ids = []
    for number in range(1, args.sign_in_users + 1):
        user = user_create(
            acting_user=None,
            username=f"load-s{number:05d}",
            password=None,
            role=Role.APPLICANT,
            first_name="Dias",
            last_name="Sarsenov",
            phone=f"+7701{number:07d}",
            language="en",
        )
        ids.append(user.pk)
        sign_in_users.append(SignInUser(user.username, user.phone))
    # One Argon2 hash for all of them (a fixture shortcut: hashing each takes a third of a
    # second); verifying it at sign-in costs exactly what a real account's does.
    User.objects.filter(pk__in=ids).update(password=make_password(PASSWORD))
    connections.close_all()
    return Fixture(code, eligible_slots(), submitters, sign_in_users)


# --- HTTP --------------------------------------------------------------------------------------


class Documents:
    """Sample PDFs of two sizes; every upload gets unique bytes (a serial in the filler)."""

    def __init__(self, big: int, small: int) -> None:
        from bolashaq.applications.samples import sample_pdf

        self.templates = {"big": sample_pdf("Load test", big), "small": sample_pdf("Load", small)}
        self.offsets = {k: v.find(b"0" * 64) for k, v in self.templates.items()}
        self.serial = itertools.count(1)

    def make(self, kind: str) -> bytes:
        data, offset = self.templates[kind], self.offsets[kind]
        if offset < 0:
            return data
        stamp = f"{next(self.serial):032d}".encode()
        return data[:offset] + stamp + data[offset + len(stamp) :]


class Codes:
    """Reads the newest SMS code sent to a phone from the outbox table, as a phone would."""

    def __init__(self, database: Database, size: int) -> None:
        self.pool: queue.Queue[Any] = queue.Queue()
        self.database = database
        for _ in range(size):
            self.pool.put(database.connect())

    def latest(self, phone: str, after: int = 0) -> tuple[int, str] | None:
        conn = self.pool.get()
        try:
            row = conn.execute(
                "SELECT id, body FROM notifications_smsmessage WHERE phone = %s AND id > %s "
                "ORDER BY id DESC LIMIT 1",
                (phone, after),
            ).fetchone()
        finally:
            self.pool.put(conn)
        if row is None:
            return None
        found = CODE.search(row[1])
        return (int(row[0]), found.group(1)) if found else None

    def wait(self, phone: str, after: int = 0, timeout: float = 10) -> tuple[int, str] | None:
        deadline = time.monotonic() + timeout
        while True:
            found = self.latest(phone, after)
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def close(self) -> None:
        while not self.pool.empty():
            self.pool.get().close()


# --- the ledger and the clients ----------------------------------------------------------------


class Aborted(Exception):
    """A step was refused or never answered after its retries: the action stops."""


@dataclass
class Load:
    args: argparse.Namespace
    port: int
    fixture: Fixture
    ledger: Ledger
    codes: Codes
    documents: Documents
    submitters: queue.Queue[Submitter] = field(default_factory=queue.Queue)
    sign_ins: queue.Queue[SignInUser] = field(default_factory=queue.Queue)
    started: list[tuple[int, str]] = field(default_factory=list)
    started_lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    outcomes_lock: threading.Lock = field(default_factory=threading.Lock)
    drafts: queue.Queue[tuple[Submitter, int]] = field(default_factory=queue.Queue)
    phase: str = "load"
    began: float = 0.0
    stop_at: float = 0.0
    hard_stop_at: float = 0.0

    def note(self, outcome: str) -> None:
        with self.outcomes_lock:
            self.outcomes[outcome] += 1

    # One request, with the retry rules, every attempt in the ledger.
    def call(
        self,
        http: Http,
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
    ) -> Answer:
        headers = dict(headers or {})
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        lost = 0
        refusals = 0
        attempt = 0
        while True:
            attempt += 1
            answer = http.request(method, path, body, headers)
            shed = answer.status in (429, 503) and answer.error_code in (
                "overloaded",
                "otp_throttled",
                "sign_in_paused",
                "",
            )
            if answer.status in ok:
                outcome = "ok"
            elif answer.status is None or (answer.status >= 500 and not shed):
                outcome = "unknown"  # no answer, or one that does not say what happened
            else:
                outcome = "refused"
            self.ledger.request(
                phase=self.phase,
                kind=kind,
                application=application,
                extra=extra or {},
                attempt=attempt,
                answer=answer,
                outcome=outcome,
            )
            if outcome == "ok":
                return answer
            if time.monotonic() > self.hard_stop_at:
                raise Aborted(f"{kind}: out of time")
            if outcome == "unknown" and lost < self.args.retries:
                lost += 1
                time.sleep(0.2 * lost)
                continue  # the same request again: a submit carries the same content hash
            if outcome == "refused" and shed and refusals < 20:
                refusals += 1
                wait = float(answer.headers.get("retry-after") or 1)
                if self.args.retry_after_cap is not None:
                    wait = min(wait, self.args.retry_after_cap)
                time.sleep(wait * (0.5 + random.random()))
                continue
            raise Aborted(f"{kind}: {answer.status or answer.error} {answer.error_code}".strip())

    def journey(self, http: Http, who: Submitter) -> None:
        """One applicant's whole submission, as the mobile app would make it."""
        self.finish(http, who, self.draft(http, who))

    def draft(self, http: Http, who: Submitter) -> int:
        """Start the application, answer every section and upload every document."""
        auth = {"Authorization": f"Bearer {who.token}"}
        started = self.call(
            http,
            "start",
            "POST",
            f"{API}/applications",
            ok=(201,),
            payload={"intake": self.fixture.intake, "category": "general"},
            headers=auth,
        )
        application = int(started.json()["id"])
        with self.started_lock:
            self.started.append((application, who.token))
        base = f"{API}/applications/{application}"
        for section, values in who.answers.items():
            self.call(
                http,
                "section",
                "PUT",
                f"{base}/sections/{section}",
                payload={"values": values},
                headers=auth,
                application=application,
                extra={"section": section},
            )
        for index, slot in enumerate(self.fixture.slots):
            data = self.documents.make("big" if index < self.args.big_docs else "small")
            body, content_type = multipart("file", f"{slot}.pdf", data)
            digest = _sha256(data)
            answer = self.call(
                http,
                "upload",
                "POST",
                f"{base}/documents/{slot}",
                ok=(201,),
                body=body,
                headers={**auth, "Content-Type": content_type},
                application=application,
                extra={"slot": slot, "sha256": digest, "size": len(data)},
            )
            if (answer.json() or {}).get("sha256") != digest:
                raise Aborted("upload: the server's SHA-256 differs from the bytes sent")
        return application

    def finish(self, http: Http, who: Submitter, application: int) -> None:
        """Sign-request, read the code from the SMS, submit (retried with the same hash)."""
        auth = {"Authorization": f"Bearer {who.token}"}
        base = f"{API}/applications/{application}"
        signed = self.call(
            http,
            "sign_request",
            "POST",
            f"{base}/sign-request",
            headers=auth,
            application=application,
        )
        content_hash = str(signed.json()["content_hash"])
        code = self.codes.wait(who.phone)
        if code is None:
            raise Aborted("sign_request: no SMS arrived")
        answer = self.call(
            http,
            "submit",
            "POST",
            f"{base}/submit",
            payload={"content_hash": content_hash, "code": code[1]},
            headers=auth,
            application=application,
            extra={"content_hash": content_hash},
        )
        if (answer.json() or {}).get("state") == "draft":
            raise Aborted("submit: answered 200 but still a draft")

    def status(self, http: Http) -> bool:
        with self.started_lock:
            if not self.started:
                return False
            application, token = random.choice(self.started)
        self.call(
            http,
            "status",
            "GET",
            f"{API}/applications/{application}",
            headers={"Authorization": f"Bearer {token}"},
            application=application,
        )
        return True

    def sign_in(self, http: Http, who: SignInUser) -> None:
        first = self.call(
            http,
            "sign_in",
            "POST",
            f"{API}/accounts/sign-in",
            payload={"username": who.username, "password": PASSWORD},
        )
        cookies = _cookies(first.headers.get("set-cookie", ""))
        code = self.codes.wait(who.phone)
        if code is None:
            raise Aborted("sign_in: no SMS arrived")
        self.call(
            http,
            "sign_in_confirm",
            "POST",
            f"{API}/accounts/sign-in/confirm",
            payload={"code": code[1]},
            headers={"Cookie": cookies},
        )

    def client(self, number: int) -> None:
        http = Http(self.port, self.args.timeout)
        rng = random.Random(self.args.seed + number)
        actions = list(self.args.mix_weights)
        weights = [self.args.mix_weights[a] for a in actions]
        # With --rate, client n starts its k-th action at began + (k * clients + n) / rate, or
        # at once when it is behind (the server is then the limit, as without --rate).
        interval = self.args.clients / self.args.rate if self.args.rate else 0.0
        next_start = self.began + number / self.args.rate if self.args.rate else 0.0
        try:
            while time.monotonic() < self.stop_at:
                if interval:
                    wait = next_start - time.monotonic()
                    if wait > 0:
                        time.sleep(min(wait, max(0.0, self.stop_at - time.monotonic())))
                        if time.monotonic() >= self.stop_at:
                            break
                    next_start += interval
                action = rng.choices(actions, weights)[0]
                try:
                    if action == "sign_in":
                        try:
                            who = self.sign_ins.get_nowait()
                        except queue.Empty:
                            action = "status"
                        else:
                            self.sign_in(http, who)
                    if action == "status" and not self.status(http):
                        action = "submit"
                    if action == "submit" and self.args.prepared:
                        try:
                            submitter, application = self.drafts.get_nowait()
                        except queue.Empty:
                            if not self.status(http):
                                return
                            continue
                        self.finish(http, submitter, application)
                    elif action == "submit":
                        try:
                            submitter = self.submitters.get_nowait()
                        except queue.Empty:
                            if not self.status(http):
                                return
                            continue
                        self.journey(http, submitter)
                    self.note(f"{action}: completed")
                except Aborted as exc:
                    self.note(f"{action}: aborted ({exc})")
        finally:
            http.close()

    def warm_up(self, number: int) -> None:
        """Prepare drafts until the submitters run out (the phase before the deadline hour)."""
        http = Http(self.port, self.args.timeout)
        try:
            while True:
                try:
                    who = self.submitters.get_nowait()
                except queue.Empty:
                    return
                try:
                    application = self.draft(http, who)
                except Aborted as exc:
                    self.note(f"prepare: aborted ({exc})")
                    continue
                self.drafts.put((who, application))
        finally:
            http.close()


def _cookies(header: str) -> str:
    # http.client joins several Set-Cookie headers with ", "; keep each name=value.
    pairs = re.findall(r"(?:^|,\s*)([A-Za-z0-9_\-]+)=([^;,]*)", header)
    return "; ".join(f"{name}={value}" for name, value in pairs if name != "expires")


# --- processes ---------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(
    args: argparse.Namespace, env: dict[str, str], run_dir: Path, port: int
) -> Iterator[list[subprocess.Popen[bytes]]]:
    bin_dir = Path(sys.executable).parent
    gunicorn = [
        str(bin_dir / "gunicorn"),
        "bolashaq.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.web_workers),
        "--worker-class", "gthread",
        "--threads", str(args.threads),
        "--timeout", "60",
        "--graceful-timeout", "10",
        "--keep-alive", "10",
        "--log-level", "warning",
    ]  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        log = (run_dir / "gunicorn.log").open("ab")
        logs.append(log)
        processes.append(
            subprocess.Popen(gunicorn, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        )
        for number in range(args.task_workers):
            log = (run_dir / f"worker-{number + 1}.log").open("ab")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [sys.executable, str(ROOT / "manage.py"), "worker", "--no-reload"],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_healthy(port, processes)
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def wait_healthy(port: int, processes: list[subprocess.Popen[bytes]]) -> None:
    http = Http(port, 5)
    deadline = time.monotonic() + 90
    last: Answer | None = None
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"a server process exited early ({process.args!r})")
        last = http.request("GET", "/healthz")
        if last.status == 200:
            http.close()
            return
        time.sleep(0.5)
    raise SystemExit(f"/healthz never turned green: {last.status if last else None}")


def _cpu(pid: int) -> float:
    """User and system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(
    processes: list[subprocess.Popen[bytes]], database: str
) -> dict[str, dict[int, float]]:
    """CPU seconds so far, per process, of the web server (with its workers), the task workers,
    this database's PostgreSQL backends and this client process."""
    tree = process_children()

    def with_descendants(pid: int) -> list[int]:
        found, todo = [], [pid]
        while todo:
            current = todo.pop()
            found.append(current)
            todo += tree.get(current, [])
        return found

    backends = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            text = cmdline.read_bytes().decode(errors="replace")
            if text.startswith("postgres: ") and f" {database} " in text:
                backends.append(int(cmdline.parent.name))
    own = os.times()
    return {
        "web": {p: _cpu(p) for p in with_descendants(processes[0].pid)},
        "tasks": {p: _cpu(p) for proc in processes[1:] for p in with_descendants(proc.pid)},
        "postgres": {p: _cpu(p) for p in backends},
        "client": {os.getpid(): own.user + own.system},
    }


def cpu_used(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
) -> dict[str, float]:
    """CPU seconds used between two snapshots (a process that ended in between is not counted:
    PostgreSQL backends come and go with connections)."""
    return {
        group: round(sum(t - before[group].get(pid, 0.0) for pid, t in now.items()), 2)
        for group, now in after.items()
    }


class LoadSampler(threading.Thread):
    """The machine's load average and the CPU of this run's processes, every few seconds (so
    a PostgreSQL backend that ends with its connection still counts up to its last sample)."""

    def __init__(self, processes: list[subprocess.Popen[bytes]], database: str) -> None:
        super().__init__(daemon=True)
        self.processes, self.database = processes, database
        self.samples: list[float] = []
        self.seen: dict[str, dict[int, float]] = defaultdict(dict)
        self.stop = threading.Event()

    def snapshot(self) -> dict[str, dict[int, float]]:
        """The CPU per process now, or when last seen for a process that has ended."""
        now = cpu_snapshot(self.processes, self.database)
        for group, times in now.items():
            seen = self.seen[group]
            for pid, cpu in times.items():
                seen[pid] = max(cpu, seen.get(pid, 0.0))
        return {group: dict(times) for group, times in self.seen.items()}

    def run(self) -> None:
        while not self.stop.wait(5):
            self.samples.append(os.getloadavg()[0])
            self.snapshot()


# --- measurement -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def request_stats(records: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_type[record["type"]].append(record)
    stats: dict[str, Any] = {}
    for kind in (*TYPES, *sorted(set(by_type) - set(TYPES))):
        rows = by_type.get(kind)
        if not rows:
            continue
        answered = [r["latency"] for r in rows if r["status"] is not None]
        ok = [r["latency"] for r in rows if r["acknowledged"]]
        shed = [r["latency"] for r in rows if r["status"] in (429, 503)]
        stats[kind] = {
            "attempts": len(rows),
            "ok": len(ok),
            "per_second": round(len(ok) / seconds, 2),
            "statuses": dict(Counter(str(r["status"]) for r in rows)),
            "p50": percentile(answered, 0.50),
            "p95": percentile(answered, 0.95),
            "p99": percentile(answered, 0.99),
            "max": max(answered) if answered else None,
            "ok_p99": percentile(ok, 0.99),
            "shed_p99": percentile(shed, 0.99),
            "shed_with_retry_after": sum(
                1 for r in rows if r["status"] in (429, 503) and r.get("retry_after")
            ),
        }
    return stats


def wait_for_checks(ids: list[int], timeout: float) -> float:
    """Seconds until no acknowledged submission waits for its check (or the timeout)."""
    from django.db import close_old_connections

    from bolashaq.applications.models import Application

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        close_old_connections()
        waiting = Application.objects.filter(pk__in=ids, state="submitted").count()
        if waiting == 0:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def check_lag(ids: list[int]) -> dict[str, Any]:
    """From submission to the check's decision (accept, refuse, refer), per application."""
    from django_tasks_db.models import DBTaskResult

    from bolashaq.applications.models import Application
    from bolashaq.audit.models import AuditEvent

    submitted = dict(
        Application.objects.filter(pk__in=ids).values_list("pk", "submitted_at").order_by("pk")
    )
    decided: dict[int, dt.datetime] = {}
    events = AuditEvent.objects.filter(
        object_type="applications.application",
        object_id__in=[str(i) for i in ids],
        action__in=("application.accept", "application.refuse", "application.refer"),
    ).values_list("object_id", "at")
    for object_id, at in events:
        decided.setdefault(int(object_id), at)
    states = Counter(Application.objects.filter(pk__in=ids).values_list("state", flat=True))
    pairs = []
    for pk, decided_at in decided.items():
        submitted_at = submitted.get(pk)
        if submitted_at is not None:
            pairs.append((submitted_at, (decided_at - submitted_at).total_seconds()))
    pairs.sort()
    lags = [lag for _at, lag in pairs]
    quarter = max(1, len(pairs) // 4)
    tasks: dict[str, Any] = {}
    for path in sorted(set(DBTaskResult.objects.values_list("task_path", flat=True))):
        rows = DBTaskResult.objects.filter(task_path=path).values_list(
            "enqueued_at", "started_at", "finished_at", "status"
        )
        waits = [(s - e).total_seconds() for e, s, _f, _st in rows if s is not None]
        runs = [(f - s).total_seconds() for _e, s, f, _st in rows if s and f]
        tasks[path.rsplit(".", 1)[-1]] = {
            "count": len(rows),
            "statuses": dict(Counter(st for *_x, st in rows)),
            "queue_wait_p50": percentile(waits, 0.5),
            "queue_wait_max": max(waits) if waits else None,
            "run_p50": percentile(runs, 0.5),
        }
    return {
        "submitted": len(submitted),
        "decided": len(lags),
        "states": dict(states),
        "p50": percentile(lags, 0.5),
        "p95": percentile(lags, 0.95),
        "p99": percentile(lags, 0.99),
        "max": max(lags) if lags else None,
        "first_quarter_p50": percentile(lags[:quarter], 0.5),
        "last_quarter_p50": percentile(lags[-quarter:], 0.5),
        "tasks": tasks,
    }


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        total = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
        memory = f"{int(total) // 1024 // 1024 + 1} GiB"
    from importlib.metadata import version

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "system": platform.platform(),
        "gunicorn": version("gunicorn"),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def fmt(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if unit == "ms" else f"{value:.2f} s"


def write_report(run_dir: Path, result: dict[str, Any]) -> None:
    (run_dir / "report.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    s = result["settings"]
    m = result["machine"]
    lag = result["check_lag"]
    lines = [
        f"# Submission load test {result['run']}" + (f" — {s['label']}" if s["label"] else ""),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['system']}; Python "
        f"{m['python']}; {result['database']}; gunicorn {m['gunicorn']}.",
        f"Load average before {m['load_average_before']}, during (max of 5 s samples) "
        f"{result['load_average_max']}, after {result['load_average_after']}.",
        "",
        f"Command: `{result['command']}`",
        "",
        f"Settings: gunicorn {s['web_workers']} × {s['threads']} threads (gthread), "
        f"MAX_INFLIGHT_REQUESTS={s['max_inflight']}, {s['task_workers']} task worker(s); "
        f"{s['clients']} clients for {s['duration']} s"
        + (f" offered {s['rate']} actions/s" if float(s["rate"]) else " (closed loop)")
        + f", mix {s['mix']}; documents: "
        f"{s['big_docs']} × {s['big_size']} B + the rest × {s['small_size']} B"
        + (
            "; drafts prepared before the timed phase, so a submission here is sign-request, "
            "code and submit."
            if s["prepared"] == "True"
            else "; a submission here is the whole journey."
        ),
        "",
        f"Load phase: {result['seconds']:.1f} s. Acknowledged submissions: "
        f"{result['submissions']} (**{result['submissions_per_second']:.2f}/s**); requests "
        f"answered: {result['requests_answered']} ({result['requests_per_second']:.1f}/s); "
        f"429: {result['status_429']}, 503: {result['status_503']}, no answer: "
        f"{result['no_answer']}.",
        "",
        "CPU seconds during the load phase (of "
        f"{result['seconds'] * (m['cores'] or 1):.0f} core-seconds): "
        + ", ".join(f"{k} {v:.1f}" for k, v in result["cpu_seconds"].items())
        + "; until the queue drained: "
        + ", ".join(f"{k} {v:.1f}" for k, v in result["cpu_seconds_with_drain"].items())
        + ".",
        "",
        "| request | ok | ok/s | p50 | p95 | p99 | max | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, st in result["requests"].items():
        statuses = ", ".join(
            f"{'no answer' if k == 'None' else k}: {v}" for k, v in sorted(st["statuses"].items())
        )
        lines.append(
            f"| {kind} | {st['ok']} | {st['per_second']} | {fmt(st['p50'])} | {fmt(st['p95'])} "
            f"| {fmt(st['p99'])} | {fmt(st['max'])} | {statuses} |"
        )
    lines += [
        "",
        "Latencies are of every answered attempt (refusals included), measured by the client.",
        "",
        f"Automatic check: {lag['decided']} of {lag['submitted']} decided "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(lag['states'].items()))}); from submission "
        f"to decision p50 {fmt(lag['p50'], 's')}, p95 {fmt(lag['p95'], 's')}, max "
        f"{fmt(lag['max'], 's')}; first quarter p50 {fmt(lag['first_quarter_p50'], 's')}, "
        f"last quarter p50 {fmt(lag['last_quarter_p50'], 's')}; queue drained "
        f"{result['drain_seconds']:.1f} s after the load stopped.",
        "",
        "| task | count | queue wait p50 | queue wait max | run p50 |",
        "|---|---|---|---|---|",
    ]
    for name, t in lag["tasks"].items():
        lines.append(
            f"| {name} | {t['count']} | {fmt(t['queue_wait_p50'], 's')} | "
            f"{fmt(t['queue_wait_max'], 's')} | {fmt(t['run_p50'])} |"
        )
    lines += ["", "Actions:", ""]
    lines += [f"- {k}: {v}" for k, v in sorted(result["actions"].items())]
    lines += ["", "Reconciliation (`manage.py reconcile`):", "", "```", *result["reconcile"], "```"]
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = Database.from_url(args.database_url)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.out = args.out.absolute()
    run_dir = args.out / stamp
    run_dir.mkdir(parents=True, exist_ok=False)
    port = args.port or free_port()
    env = server_env(args, run_dir, port)
    info = machine()
    print(f"run {stamp}: {run_dir}")
    print(f"re-creating database {database.name} and migrating ...")
    database.recreate()
    manage(env, "migrate", "--no-input", log=run_dir / "setup.log")
    manage(env, "collectstatic", "--no-input", log=run_dir / "setup.log")
    print(f"preparing {args.applicants} submitters and {args.sign_in_users} sign-in users ...")
    fixture = prepare(args, env)
    ledger = Ledger(run_dir / "ledger.jsonl")
    ledger.write(
        {
            "kind": "run",
            "intake": fixture.intake,
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "settings": {k: v for k, v in vars(args).items() if k not in ("out",)},
        }
    )
    codes = Codes(database, size=min(8, args.clients))
    load = Load(args, port, fixture, ledger, codes, Documents(args.big_size, args.small_size))
    for submitter in fixture.submitters:
        load.submitters.put(submitter)
    for user in fixture.sign_in_users:
        load.sign_ins.put(user)
    with servers(args, env, run_dir, port) as processes:
        print(
            f"load: {args.clients} clients for {args.duration:.0f} s against "
            f"{args.web_workers}×{args.threads} gunicorn on port {port} ..."
        )
        if args.prepared:
            load.phase = "prepare"
            load.stop_at = load.hard_stop_at = time.monotonic() + 3600
            print(f"preparing {args.applicants} drafts through the API (not measured) ...")
            preparing = [
                threading.Thread(target=load.warm_up, args=(n,), daemon=True)
                for n in range(args.clients)
            ]
            for thread in preparing:
                thread.start()
            for thread in preparing:
                thread.join()
            load.phase = "load"
            print(f"{load.drafts.qsize()} drafts ready")
        sampler = LoadSampler(processes, database.name)
        cpu_before = sampler.snapshot()
        sampler.start()
        began = time.monotonic()
        load.began = began
        load.stop_at = began + args.duration
        load.hard_stop_at = load.stop_at + 120
        threads = [
            threading.Thread(target=load.client, args=(n,), daemon=True)
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, load.hard_stop_at + args.timeout - time.monotonic()))
        seconds = time.monotonic() - began
        cpu_after = sampler.snapshot()
        ledger.close()
        acknowledged = sorted(
            {
                r["application"]
                for r in ledger.requests
                if r["type"] == "submit" and r["acknowledged"] and r["phase"] == "load"
            }
        )
        print(f"load done: {len(acknowledged)} submissions in {seconds:.1f} s; waiting for checks")
        drain = wait_for_checks(acknowledged, args.drain_timeout)
        cpu_drained = sampler.snapshot()
        sampler.stop.set()
        lag = check_lag(acknowledged)
    codes.close()
    from django.db import connections

    connections.close_all()
    reconcile = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "reconcile",
            str(run_dir / "ledger.jsonl"),
            "--json",
            str(run_dir / "reconcile.json"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    records = [r for r in ledger.requests if r["phase"] == "load"]
    result: dict[str, Any] = {
        "run": stamp,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": info,
        "database": database.server_version(),
        "settings": {k: str(v) for k, v in vars(args).items() if k != "mix_weights"},
        "seconds": seconds,
        "submissions": len(acknowledged),
        "submissions_per_second": len(acknowledged) / seconds,
        "requests_answered": sum(1 for r in records if r["status"] is not None),
        "requests_per_second": sum(1 for r in records if r["status"] is not None) / seconds,
        "status_429": sum(1 for r in records if r["status"] == 429),
        "status_503": sum(1 for r in records if r["status"] == 503),
        "no_answer": sum(1 for r in records if r["status"] is None),
        "requests": request_stats(records, seconds),
        "actions": dict(load.outcomes),
        "drain_seconds": drain,
        "cpu_seconds": cpu_used(cpu_before, cpu_after),
        "cpu_seconds_with_drain": cpu_used(cpu_before, cpu_drained),
        "check_lag": lag,
        "load_average_max": round(max(sampler.samples, default=0.0), 2),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "reconcile_exit": reconcile.returncode,
        "reconcile": (reconcile.stdout + reconcile.stderr).strip().splitlines(),
    }
    result["settings"]["label"] = args.label
    result["settings"]["mix"] = args.mix
    write_report(run_dir, result)
    if not args.keep_files:
        shutil.rmtree(run_dir / "var" / "media", ignore_errors=True)
    print((run_dir / "report.md").read_text())
    return 0 if reconcile.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
