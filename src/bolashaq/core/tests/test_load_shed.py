"""Beyond capacity the service answers at once with 503 and Retry-After instead of timing out."""

from __future__ import annotations

import io
import logging
import threading
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from bolashaq.core.middleware import LoadShedMiddleware


class SlowSite:
    """A site whose /slow/ pages wait until released; every other page answers at once."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/slow/"):
            self.entered.release()
            self.release.wait(timeout=30)
        return HttpResponse("done")


@pytest.fixture
def limits(settings):
    settings.MAX_INFLIGHT_REQUESTS = 2
    settings.RETRY_AFTER_SECONDS = 7
    return settings


def _fill(middleware: LoadShedMiddleware, site: SlowSite, count: int) -> list[threading.Thread]:
    factory = RequestFactory()
    threads = [
        threading.Thread(target=middleware, args=(factory.get(f"/slow/{i}"),)) for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert site.entered.acquire(timeout=30), "a slow request never started"
    return threads


def test_requests_beyond_the_limit_are_refused_at_once_and_served_again_later(limits) -> None:
    site = SlowSite()
    middleware = LoadShedMiddleware(site)
    threads = _fill(middleware, site, 2)
    try:
        # Both places are taken by requests that are still running: the third is refused
        # without waiting for them (it would otherwise block here until they are released).
        refused = middleware(RequestFactory().get("/portal/", HTTP_ACCEPT_LANGUAGE="en"))
        assert refused.status_code == 503
        assert refused["Retry-After"] == "7"
        assert refused["Cache-Control"] == "no-store"
        assert "try again in 7 seconds" in refused.content.decode()
        # The load balancer's health check and static files are never refused.
        assert middleware(RequestFactory().get("/healthz")).status_code == 200
        static = RequestFactory().get(f"{django_settings.STATIC_URL}web/css/site.css")
        assert middleware(static).status_code == 200
    finally:
        site.release.set()
        for thread in threads:
            thread.join(timeout=30)
    assert middleware(RequestFactory().get("/portal/")).status_code == 200


def test_a_failing_view_frees_its_place(limits) -> None:
    def broken(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("boom")

    middleware = LoadShedMiddleware(broken)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            middleware(RequestFactory().get("/portal/"))
    assert middleware.slots.acquire(blocking=False)
    assert middleware.slots.acquire(blocking=False)


@pytest.fixture
def full(settings, db):
    """The real middleware stack with no place free: every request that can be shed is."""
    settings.MAX_INFLIGHT_REQUESTS = 0
    settings.RETRY_AFTER_SECONDS = 7
    return Client()


def test_the_load_shedder_runs_before_sessions_and_the_database() -> None:
    middleware = django_settings.MIDDLEWARE
    position = middleware.index("bolashaq.core.middleware.LoadShedMiddleware")
    assert middleware.index("bolashaq.core.middleware.SecurityHeadersMiddleware") < position
    assert position < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Please try again in 7 seconds."),
        ("ru", "Повторите попытку через 7 секунд."),
        ("kk", "7 секундтан кейін қайталап көріңіз."),
    ],
)
def test_a_refused_page_is_short_secure_and_in_the_visitors_language(full, language, text) -> None:
    response = full.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert text in body
    assert f'<html lang="{language}">' in body
    # Refused pages carry the same security headers as every other page.
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_refused_api_call_gets_the_error_envelope(full) -> None:
    response = full.post(
        "/api/v1/eligibility", data={}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    error = response.json()["error"]
    assert error["code"] == "overloaded"
    assert error["details"] == {"retry_after": 7}
    assert "Please try again in 7 seconds." in error["message"]


def test_shedding_is_logged_without_flooding_the_log(full, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            assert full.get("/portal/").status_code == 503
    # One warning for the burst, and not one error per refused request.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Overloaded: refused 1 request(s) beyond 0 in flight"
    ]


def test_health_is_answered_even_when_full(full) -> None:
    response = full.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def _upload(size: int) -> tuple[WSGIRequest, io.BytesIO]:
    """A POST with a ``size``-byte body read from a stream whose position the test can see."""
    body = io.BytesIO(b"x" * size)
    environ = dict(RequestFactory().post("/api/v1/applications/1/documents/passport").environ)
    environ.update({"wsgi.input": body, "CONTENT_LENGTH": str(size)})
    return WSGIRequest(environ), body


def test_a_refused_upload_is_read_to_its_end_and_kept_nowhere(limits) -> None:
    # Answered before its body is read, the server would close the connection with the body
    # unread and the client, still sending, would get a reset instead of the 503
    # (tests/faults/test_load_shed_upload.py).
    limits.DOCUMENT_MAX_BYTES = 1024 * 1024
    limits.MAX_INFLIGHT_REQUESTS = 0
    middleware = LoadShedMiddleware(lambda request: HttpResponse("served"))
    request, body = _upload(1024 * 1024 + 64 * 1024)  # the largest body the site accepts
    refused = middleware(request)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "7"
    assert body.tell() == 1024 * 1024 + 64 * 1024


def test_a_body_larger_than_any_upload_is_left_unread(limits) -> None:
    limits.DOCUMENT_MAX_BYTES = 1024 * 1024
    limits.MAX_INFLIGHT_REQUESTS = 0
    middleware = LoadShedMiddleware(lambda request: HttpResponse("served"))
    request, body = _upload(1024 * 1024 + 64 * 1024 + 1)
    assert middleware(request).status_code == 503
    assert body.tell() == 0


def test_a_client_that_leaves_mid_body_is_still_answered(limits) -> None:
    limits.MAX_INFLIGHT_REQUESTS = 0
    middleware = LoadShedMiddleware(lambda request: HttpResponse("served"))
    request, _body = _upload(4096)
    request._stream = mock.Mock(read=mock.Mock(side_effect=OSError("connection reset")))
    assert middleware(request).status_code == 503


def test_an_admitted_request_keeps_its_body_for_the_view(limits) -> None:
    seen: list[bytes] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.body)
        return HttpResponse("served")

    request, _body = _upload(4096)
    assert LoadShedMiddleware(view)(request).status_code == 200
    assert seen == [b"x" * 4096]
