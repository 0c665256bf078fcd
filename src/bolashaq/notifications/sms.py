"""SMS backends behind one interface.

``OutboxBackend`` (development, tests) only records the message, which the development outbox
page shows. ``HttpGatewayBackend`` (production) posts JSON ``{"phone", "text"}`` to
``SMS_GATEWAY_URL`` with ``Authorization: Bearer SMS_GATEWAY_TOKEN`` and
``Idempotency-Key: <key>``, and expects a 2xx answer carrying an optional ``{"id": ...}``.

The whole exchange (connecting, sending, waiting for and reading the answer) must end within
``SMS_GATEWAY_TIMEOUT_SECONDS``: a gateway that accepts and never answers, or answers a byte at
a time, costs a web request at most that long, then the send fails with :class:`SmsError`.

Delivery is at least once. A send that fails may still have reached the gateway (it took the
message but its answer was lost or late), and the caller may send it again: a notice retried by
its task, or one whose worker was killed mid-send. Every retry of one message carries the same
``Idempotency-Key``, so a gateway that honours the key (as the contract with the provider must
require) sends the SMS once; one that ignores it may send it twice.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings


class SmsError(Exception):
    """The gateway refused or did not answer; the caller decides whether to retry."""


class SmsBackend(Protocol):
    name: str

    def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
        """Deliver one message; return the provider's message id. Raise SmsError on failure.

        ``idempotency_key`` is the same for every attempt to deliver one message."""
        ...


class OutboxBackend:
    name = "outbox"

    def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
        return ""


class _Deadline:
    """Shuts a connection's socket when the time is up, so a blocked read or write returns."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.expired = threading.Event()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def expire(self) -> None:
        self.expired.set()
        self.shut()

    def shut(self) -> None:
        sock = self.connection.sock
        if sock is not None:
            # The plain socket's shutdown, also for TLS: the reading thread owns the TLS state.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class HttpGatewayBackend:
    name = "http"

    def __init__(self, url: str, token: str, timeout: float) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL")
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError("SMS_GATEWAY_URL must name a host")
        self.url, self.token, self.timeout = url, token, timeout
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _connection(self) -> http.client.HTTPConnection:
        if self.https:
            context = ssl.create_default_context()
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
        body = json.dumps({"phone": phone, "text": text}).encode("utf-8")
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
        }
        connection = self._connection()
        deadline = _Deadline(connection, self.timeout)
        deadline.timer.start()
        try:
            connection.connect()
            if deadline.expired.is_set():  # expired while connecting: no socket to shut then
                deadline.shut()
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read(4096)
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            reason = "TimeoutError" if deadline.expired.is_set() else type(exc).__name__
            raise SmsError(f"SMS gateway unreachable: {reason}") from exc
        finally:
            deadline.timer.cancel()
            connection.close()
        if deadline.expired.is_set():
            # The answer may have been cut short by the deadline: not a confirmation. (If it was
            # complete after all, the retry carries the same idempotency key.)
            raise SmsError("SMS gateway unreachable: TimeoutError")
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway refused: HTTP {status}")
        try:
            return str(json.loads(answer or b"{}").get("id", ""))
        except (ValueError, AttributeError):
            return ""


def get_backend() -> SmsBackend:
    if settings.SMS_BACKEND == "http":
        return HttpGatewayBackend(
            settings.SMS_GATEWAY_URL,
            settings.SMS_GATEWAY_TOKEN,
            settings.SMS_GATEWAY_TIMEOUT_SECONDS,
        )
    return OutboxBackend()
