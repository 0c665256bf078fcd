"""Faults a request asks for with an ``X-Fault`` header (the fault suite's server only).

``X-Fault: <fault> [<app_label.model>]``, where ``<fault>`` is one of

``announce``
    only announce the request (below), e.g. so the test can kill the process mid-upload;
``kill-before-response``
    SIGKILL this process after the view returned, before the response is written;
``kill-after-commit <model>``
    SIGKILL this process right after the transaction that first saved a ``<model>`` committed,
    before that transaction's other ``on_commit`` callbacks run;
``kill-in-transaction <model>``
    SIGKILL this process when a ``<model>`` is saved, inside its transaction;
``kill-db <model>``
    when a ``<model>`` is saved, kill this request's database connection (PostgreSQL:
    ``pg_terminate_backend`` from a second connection; SQLite: its handle is closed), so the
    transaction cannot finish;
``hold``
    keep the request waiting just before its view, inside every other middleware (so it holds
    its place in ``LoadShedMiddleware``), until the test creates ``<FAULT_DIR>/release``
    (:data:`HOLD_LIMIT_SECONDS` at most). It is announced when it starts waiting, not before.

Every other faulted request is announced first: a file ``<FAULT_DIR>/<pid>-<n>.json`` with this
process's id and the fault, written before the view runs, which the test can wait for.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

FAULTS = frozenset(
    {
        "announce",
        "kill-before-response",
        "kill-after-commit",
        "kill-in-transaction",
        "kill-db",
        "hold",
    }
)
# A held request is let go after this long even if the test never releases it.
HOLD_LIMIT_SECONDS = 30.0


@dataclass
class Fault:
    name: str
    model: str
    fired: bool = False


_current: ContextVar[Fault | None] = ContextVar("fault", default=None)
_serial = itertools.count(1)


def kill() -> None:
    """Die at once, as the kernel's OOM killer or a power cut would end the process."""
    os.kill(os.getpid(), signal.SIGKILL)


def kill_connection() -> None:
    """End this thread's database connection from outside, in the middle of its transaction."""
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.settings_dict
        backend = connection.connection.info.backend_pid
        with psycopg.connect(
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            dbname=params["NAME"],
            autocommit=True,
        ) as other:
            # Waits (up to 5 s) until the backend has exited.
            other.execute("SELECT pg_terminate_backend(%s, 5000)", [backend])
    else:
        connection.connection.close()  # SQLite rolls the open transaction back


def announce(fault: Fault) -> None:
    directory = os.environ.get("FAULT_DIR")
    if not directory:
        return
    name = f"{os.getpid()}-{next(_serial)}"
    path = Path(directory) / f"{name}.json"
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"pid": os.getpid(), "fault": fault.name, "model": fault.model}))
    partial.rename(path)  # the test never reads half a file


def hold() -> None:
    """Wait until the test creates ``<FAULT_DIR>/release`` (or :data:`HOLD_LIMIT_SECONDS`)."""
    release = Path(os.environ.get("FAULT_DIR", ".")) / "release"
    deadline = time.monotonic() + HOLD_LIMIT_SECONDS
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def on_save(sender: type[Any], **kwargs: Any) -> None:
    """``post_save``: fire the current request's fault at the first save of its model."""
    fault = _current.get()
    if fault is None or fault.fired or sender._meta.label_lower != fault.model:
        return
    if fault.name == "kill-after-commit":
        fault.fired = True
        transaction.on_commit(kill)  # registered before the action's own callbacks
    elif fault.name == "kill-in-transaction":
        fault.fired = True
        kill()
    elif fault.name == "kill-db":
        fault.fired = True
        kill_connection()


class FaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("X-Fault", "")
        if not header:
            return self.get_response(request)
        name, _sep, model = header.strip().partition(" ")
        if name not in FAULTS:
            return HttpResponse(f"unknown fault {name!r}", status=400)
        fault = Fault(name, model.strip().lower())
        if fault.name != "hold":  # announced in process_view, once it holds its place
            announce(fault)
        token = _current.set(fault)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if fault.name == "kill-before-response":
            kill()
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        """Run after every middleware's ``__call__`` has let the request in, before the view
        (and before the other middleware's ``process_view``, this middleware being first)."""
        fault = _current.get()
        if fault is not None and fault.name == "hold" and not fault.fired:
            fault.fired = True
            announce(fault)
            hold()
