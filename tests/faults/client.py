"""The HTTP side of a client that keeps a ledger: shared by the fault suite and the load test.

``benchmarks/submission_load.py`` and ``tests/faults/harness.py`` both drive the API over real
sockets and write every request attempt to a ledger that ``manage.py reconcile`` reads (its
format is described in ``bolashaq.applications.reconcile``). Standard library only, so the load
test can import it without Django set up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any


@dataclass
class Answer:
    status: int | None
    latency: float
    at: float
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def error_code(self) -> str:
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return str(data["error"].get("code", ""))
        return ""

    @property
    def retry_after(self) -> float | None:
        """The seconds the answer asks to wait before asking again: its ``Retry-After``, else
        its error's ``details.retry_after``; None when it names no wait."""
        header = self.headers.get("retry-after", "").strip()
        if header.isdigit():
            return float(header)
        data = self.json()
        error = data.get("error") if isinstance(data, dict) else None
        details = error.get("details") if isinstance(error, dict) else None
        wait = details.get("retry_after") if isinstance(details, dict) else None
        return float(wait) if isinstance(wait, int | float) else None


class Http:
    """One keep-alive connection per client thread."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        at = time.time()
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
            received: dict[str, str] = {}
            for name, value in response.getheaders():
                name = name.lower()
                received[name] = f"{received[name]}, {value}" if name in received else value
            answer = Answer(response.status, time.perf_counter() - started, at, received, data)
            if response.will_close:
                self.close()
            return answer
        except (OSError, HTTPException) as exc:
            self.close()
            return Answer(None, time.perf_counter() - started, at, error=type(exc).__name__)


def multipart(field_name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one PDF file, and its Content-Type."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Ledger:
    """JSON lines, flushed one by one (a line written is on record even if the client dies)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = path.open("a", encoding="utf-8")
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self.lock:
            self.handle.write(line)
            self.handle.flush()
            if record.get("kind") == "request":
                self.requests.append(record)

    def request(
        self,
        *,
        phase: str,
        kind: str,
        application: int | None,
        extra: dict[str, Any],
        attempt: int,
        answer: Answer,
        outcome: str,
    ) -> None:
        """Record one request attempt as ``manage.py reconcile`` reads it: ``outcome`` is
        ``ok`` (acknowledged), ``refused`` or ``unknown`` (no answer that says what happened)."""
        self.write(
            {
                "kind": "request",
                "phase": phase,
                "type": kind,
                "application": application,
                **extra,
                "attempt": attempt,
                "at": round(answer.at, 6),
                "latency": round(answer.latency, 6),
                "status": answer.status,
                "error": answer.error or answer.error_code or None,
                "retry_after": answer.headers.get("retry-after"),
                "outcome": outcome,
                "acknowledged": outcome == "ok",
            }
        )

    def attempts(self, kind: str) -> list[dict[str, Any]]:
        """The request attempts of type ``kind`` written so far, in order."""
        with self.lock:
            return [r for r in self.requests if r["type"] == kind]

    def close(self) -> None:
        self.handle.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_children() -> dict[int, list[int]]:
    """Every process's children, from /proc (Linux)."""
    tree: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            tree[int(fields[1])].append(int(stat.parent.name))
    return tree
