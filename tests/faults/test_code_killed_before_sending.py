"""The web worker killed between committing a signing code and handing it to the gateway.

The person got no SMS; their retry used to be refused (429) for ``OTP_RESEND_SECONDS`` (60 s)
because the interval counted the code nobody received. Now a code counts once the gateway took
it (``sent_at``), and an unsent one only while it may still be being sent by a live process
(``accounts.otp.sending_seconds``: the gateway's timeout, 1 s here, plus 5 s). So the retry is
refused for a few seconds at most, then gets a code that signs; no SMS is sent twice, and the
ledger reconciles. The server keeps the production interval, as in every fault test
(``harness.server_env``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bolashaq.accounts.models import OneTimeCode
from bolashaq.accounts.otp import SENDING_MARGIN_SECONDS
from bolashaq.notifications.models import SmsMessage
from tests.faults.harness import World, client_for, reconcile, running_server

pytestmark = pytest.mark.django_db(transaction=True)

GATEWAY_TIMEOUT = 1
SENDING = GATEWAY_TIMEOUT + SENDING_MARGIN_SECONDS
SECONDS = re.compile(r"in (\d+) seconds?")


def test_a_code_lost_before_the_gateway_does_not_block_the_retry(
    world: World, tmp_path: Path
) -> None:
    env = {"SMS_GATEWAY_TIMEOUT_SECONDS": str(GATEWAY_TIMEOUT)}
    with running_server(tmp_path / "server", env=env) as server:
        api = client_for(server, world, tmp_path)
        who = api.who
        application = api.draft(world.intake, world.slots)
        worker = server.worker()

        # Killed right after the code's transaction commits, before the SMS: no answer. The
        # client sends the request again at once, to a new worker; the lost code may still be
        # on its way for all the server knows, so that retry is told to wait, briefly. (The
        # client would wait that out by itself; here it stops, to show the answer.)
        first = api.call(
            "sign_request",
            "POST",
            f"/applications/{application}/sign-request",
            application=application,
            fault="kill-after-commit accounts.onetimecode",
            wait_throttled=False,
            check=False,
        )
        assert server.wait_replaced(worker)
        assert first.status == 429, first
        assert first.error_code == "otp_throttled"
        found = SECONDS.search(first.json()["error"]["message"])
        assert found is not None, first.json()
        wait = int(found.group(1))
        assert 0 < wait <= SENDING, f"told to wait {wait} s for a code that was never sent"
        assert first.retry_after == wait  # Retry-After says the same, for the client
        lost = OneTimeCode.objects.get(user__username=who.username)
        assert lost.sent_at is None
        assert not SmsMessage.objects.filter(phone=who.phone).exists()

        # Asked again now, the client is told what is left of that wait and waits it out.
        submitted = api.sign_and_submit(application)
        assert submitted.status == 200
        api.close()

    lost.refresh_from_db()
    assert lost.superseded_at is not None  # the lost code can never sign
    codes = OneTimeCode.objects.filter(user__username=who.username).exclude(pk=lost.pk)
    assert [code.sent_at is not None and code.used_at is not None for code in codes] == [True]
    assert SmsMessage.objects.filter(phone=who.phone).count() == 1
    api.ledger.close()
    report = reconcile(server.env, api.ledger.path)
    assert report["acknowledged"] == 1
