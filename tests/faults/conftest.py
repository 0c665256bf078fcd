"""Fixtures of the fault suite: committed data (transactional tests), a real server, its
first applicant's client, a scriptable SMS gateway and task workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.gateway import FakeGateway
from tests.faults.harness import Client, Server, World, client_for, prepare, running_server
from tests.faults.workers import Workers, worker_env


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


@pytest.fixture
def client(world: World, server: Server, tmp_path: Path) -> Iterator[Client]:
    """The first applicant's client of ``server``, its ledger (``client.ledger``) in tmp_path."""
    started = client_for(server, world, tmp_path)
    try:
        yield started
    finally:
        started.close()
        started.ledger.close()


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as started:
        yield started


@pytest.fixture
def workers(server: Server, gateway: FakeGateway, tmp_path: Path) -> Iterator[Workers]:
    """Task workers for ``server`` whose SMS go through ``gateway``."""
    with Workers(worker_env({**server.env, **gateway.env()}), tmp_path) as pool:
        yield pool
