"""A scriptable SMS gateway on loopback, for the fault tests of SMS and of the task workers.

It has the production HTTP backend's contract (``notifications.sms.HttpGatewayBackend``: JSON
``{"phone", "text"}``, a bearer token, an ``Idempotency-Key`` it de-duplicates by) and can be
told to hold a request without answering, to send a message and lose the answer, or to answer a
byte at a time; it notes when a held client leaves.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
