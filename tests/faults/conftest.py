"""Fixtures of the fault suite: committed data (transactional tests) and a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import Server, World, prepare, running_server


@pytest.fixture
def world(transactional_db: None) -> World:
    """An open intake and two applicants with API tokens, committed for the server to see."""
    return prepare(2)


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[Server]:
    """gunicorn with the fault settings against the test database; stopped before the test
    database is flushed."""
    with running_server(tmp_path / "server") as started:
        yield started
