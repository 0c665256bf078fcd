"""Fixtures for fuzzing: the WSGI application in-process, inside the test's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    """Django's WSGI handler, called in-process by schemathesis' WSGI transport.

    As Django's test client does, the handler must not close the database connection at the
    start and end of each request: the test's transaction would be lost with it.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """Uploaded documents go to a fresh folder per test."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": "/media-not-served/"},
        },
    }
    return root
