"""Security headers Django 5.2 does not set itself (Content-Security-Policy, Permissions-Policy),
and shedding load beyond what a process can serve."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import ngettext

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


logger = logging.getLogger(__name__)
# Paths never shed: the load balancer's health check, and static files (cheap, and a page that
# was let in needs them).
_NEVER_SHED = ("/healthz", "/healthz/live", "/healthz/ready")
# A refused request's body is read in pieces of this size and thrown away, for at most
# _DISCARD_SECONDS: as long as gunicorn itself gives a kept-alive connection's unread body.
_DISCARD_CHUNK = 64 * 1024
_DISCARD_SECONDS = 5.0


def unavailable_message(seconds: int) -> str:
    return ngettext(
        "The service cannot reach its records for a moment. Please try again in %(seconds)d "
        "second: repeating a step is safe, nothing is done twice.",
        "The service cannot reach its records for a moment. Please try again in %(seconds)d "
        "seconds: repeating a step is safe, nothing is done twice.",
        seconds,
    ) % {"seconds": seconds}


def try_again_later(
    request: HttpRequest, code: str, message: Callable[[int], str], retry_after: int
) -> HttpResponse:
    """503 with ``Retry-After`` in the visitor's language: the error envelope for the API, a
    page without the database (no session, no user) for the rest."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        text = message(retry_after)
        response: HttpResponse
        if request.path.startswith("/api/"):
            details = {"retry_after": retry_after}
            body = {"error": {"code": code, "message": text, "details": details}}
            response = JsonResponse(body, status=503)
        else:
            page = render_to_string("core/overloaded.html", {"message": text})
            response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    return response


def overloaded_message(seconds: int) -> str:
    return ngettext(
        "Too many people are using the service at this moment. Please try again in %(seconds)d "
        "second.",
        "Too many people are using the service at this moment. Please try again in %(seconds)d "
        "seconds.",
        seconds,
    ) % {"seconds": seconds}


class LoadShedMiddleware:
    """Refuse work beyond capacity at once, instead of letting every request time out.

    Each process serves at most ``MAX_INFLIGHT_REQUESTS`` requests at a time (a semaphore that
    is never waited on). One more gets 503 with ``Retry-After: RETRY_AFTER_SECONDS``: a short
    page in the visitor's language, or the API error envelope with code ``overloaded`` under
    ``/api/``. ``/healthz`` and static files are always served. A streamed response (a
    download) frees its place when the view returns, before the body is sent.

    A refused request's body (an upload still being sent) is read and thrown away first, up to
    the largest body the site accepts (a document plus 64 KiB of multipart framing) and for at
    most five seconds: answered before its body was read, the connection would be closed by the
    server with the body unread, and the client, still sending, would get a connection reset
    instead of the 503 (gunicorn drains only 64 KiB itself). A larger or slower body is left
    as it is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = settings.MAX_INFLIGHT_REQUESTS
        self.retry_after: int = settings.RETRY_AFTER_SECONDS
        self.slots = threading.BoundedSemaphore(self.limit)
        static = urlsplit(settings.STATIC_URL or "").path
        self.static_prefix = static if static.startswith("/") and static != "/" else None
        self._lock = threading.Lock()
        self._shed_since_warning = 0
        self._warned_at = 0.0
        self.discard_limit: int = settings.DOCUMENT_MAX_BYTES + 64 * 1024

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.exempt(request.path):
            return self.get_response(request)
        if not self.slots.acquire(blocking=False):
            self._note_shed()
            self.discard_body(request)
            return self.overloaded(request)
        try:
            return self.get_response(request)
        finally:
            self.slots.release()

    def exempt(self, path: str) -> bool:
        if path in _NEVER_SHED:
            return True
        return self.static_prefix is not None and path.startswith(self.static_prefix)

    def discard_body(self, request: HttpRequest) -> None:
        """Read the body of a request about to be refused and keep none of it (see above)."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return
        if length <= 0 or length > self.discard_limit:
            return
        deadline = time.monotonic() + _DISCARD_SECONDS
        try:
            while request.read(_DISCARD_CHUNK) and time.monotonic() < deadline:
                pass
        except OSError:  # UnreadablePostError: the client left or stalled; answer anyway
            return

    def _note_shed(self) -> None:
        # One warning every ten seconds at most: an overload must not also flood the logs.
        with self._lock:
            self._shed_since_warning += 1
            now = time.monotonic()
            if now - self._warned_at < 10:
                return
            count, self._shed_since_warning, self._warned_at = self._shed_since_warning, 0, now
        logger.warning("Overloaded: refused %d request(s) beyond %d in flight", count, self.limit)

    def overloaded(self, request: HttpRequest) -> HttpResponse:
        response = try_again_later(request, "overloaded", overloaded_message, self.retry_after)
        # This answer skips the middleware below this one, which sets the frame policy.
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        # Django logs every 5xx as an error; _note_shed already counts these in one warning.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
