"""An upload refused beyond capacity gets the whole 503, not a connection reset.

The server (``tests/faults/harness.py``) serves one request at a time
(``MAX_INFLIGHT_REQUESTS=1``); a request held just before its view (``X-Fault: hold``,
``tests/faults/injection.py``) keeps that place. A 1 MiB document upload then sent over a raw
socket is refused by ``LoadShedMiddleware``. Answered before its body was read, gunicorn reads
at most 128 KiB of it and closes the connection, and the client, still sending, gets a reset
instead of the answer (the load test saw 247 of 779 refused uploads end so). The upload here
pauses after its first 256 KiB, so that close is certain to come first if the server does not
read the body: the test sees the reset every time rather than some of the time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.client import HTTPResponse
from pathlib import Path

import pytest

from tests.faults.client import Answer, Http
from tests.faults.harness import (
    Client,
    Server,
    World,
    client_for,
    raw_upload_request,
    reconcile,
    running_server,
    sample_document,
)

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024
# The upload's first part: more than gunicorn reads of a body the application left unread
# (64 KiB before it closes, 64 KiB more while closing), so its close is certain to leave some
# unread, and the kernel then resets the connection.
FIRST = 256 * 1024


def raw_upload(
    api: Client, application: int, slot: str, data: bytes
) -> tuple[int, dict[str, str], bytes]:
    """POST ``data`` as a multipart upload over a raw socket, pausing after ``FIRST`` bytes of
    its body; return the answer's status, headers and whole body. Raises ``OSError`` (a reset)
    if the server closed the connection before the client had sent the body and read the
    answer."""
    head, body = raw_upload_request(
        api.port, api.who.token, application, slot, data, {"Accept-Language": "en"}
    )
    with socket.create_connection(("127.0.0.1", api.port), timeout=20) as sock:
        sock.sendall(head + body[:FIRST])
        # Long enough for a server that answered at once to have closed the connection.
        time.sleep(0.5)
        sock.sendall(body[FIRST:])
        response = HTTPResponse(sock, method="POST")
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def hold_the_only_place(server: Server) -> tuple[threading.Thread, list[Answer]]:
    """A request that waits inside the server (holding its one place) until released."""
    answers: list[Answer] = []

    def held() -> None:
        http = Http(server.port, 60)
        try:
            answers.append(http.request("GET", "/", headers={"X-Fault": "hold"}))
        finally:
            http.close()

    thread = threading.Thread(target=held)
    thread.start()
    found = server.wait_announced()
    assert found["fault"] == "hold"
    return thread, answers


def test_a_refused_upload_gets_the_whole_503_and_the_retry_stores_it(
    world: World, tmp_path: Path
) -> None:
    with running_server(tmp_path / "server", env={"MAX_INFLIGHT_REQUESTS": "1"}) as server:
        api = client_for(server, world, tmp_path)
        application = api.start(world.intake)
        slot = world.slots[0]
        data = sample_document(slot, MIB)

        thread, held = hold_the_only_place(server)
        try:
            try:
                status, headers, body = raw_upload(api, application, slot, data)
            except OSError as exc:
                pytest.fail(f"the refused upload got {exc!r} instead of the 503")
            assert status == 503, body[:300]
            assert headers["retry-after"] == "5"
            # The whole envelope arrived.
            assert json.loads(body)["error"]["code"] == "overloaded"
            # The same through the ledger-keeping client: refused, told to come back.
            refused = api.upload(application, slot, data, retry=False, check=False)
            assert refused.status == 503, refused
            assert refused.error_code == "overloaded"
        finally:
            (server.directory / "faults" / "release").touch()
            thread.join(timeout=60)
        assert [answer.status for answer in held] == [200], held

        # Capacity is back: the retry stores the document; nothing else was stored.
        stored = api.upload(application, slot, data)
        assert stored.status == 201
        api.close()
    api.ledger.close()
    reconcile(server.env, api.ledger.path)
