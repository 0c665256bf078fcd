"""SMS backends behind one interface.

``OutboxBackend`` (development, tests) only records the message, which the development outbox
page shows. ``HttpGatewayBackend`` (production) posts JSON ``{"phone", "text"}`` to
``SMS_GATEWAY_URL`` with ``Authorization: Bearer SMS_GATEWAY_TOKEN`` and expects a 2xx answer
carrying an optional ``{"id": ...}``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings


class SmsError(Exception):
    """The gateway refused or did not answer; the caller decides whether to retry."""


class SmsBackend(Protocol):
    name: str

    def send(self, *, phone: str, text: str) -> str:
        """Deliver one message; return the provider's message id. Raise SmsError on failure."""
        ...


class OutboxBackend:
    name = "outbox"

    def send(self, *, phone: str, text: str) -> str:
        return ""


class HttpGatewayBackend:
    name = "http"

    def __init__(self, url: str, token: str, timeout: float) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, *, phone: str, text: str) -> str:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=json.dumps({"phone": phone, "text": text}).encode("utf-8"),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(4096)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        try:
            return str(json.loads(body or b"{}").get("id", ""))
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
