"""A task worker killed mid-task: the task runs again, its effect happens once, it reconciles.

A submission goes through the real server (``tests/faults/harness.py``); its tasks (the
automatic check, a notice per change) are run by real ``manage.py worker`` processes whose SMS
backend is the production HTTP gateway backend, pointed at a gateway on loopback that the test
scripts (``tests/faults/gateway.py``). The gateway holds one chosen message without answering,
so the worker is known to be inside that task when the test SIGKILLs it. django-tasks-db would leave
the task RUNNING for ever; the next worker's heartbeat finds the dead worker's task, fails that
attempt as ``WorkerLost`` and queues the next one (``core.tasks.tasks_reclaim_lost``).

What "once" means for the SMS. The notice row (application, change, channel) is written before
the gateway is called and stamped after it answers, so a rerun sends only what has not been
confirmed: at least once, never skipped. A message whose first attempt never reached the gateway
is delivered once. One whose first attempt did reach it (the gateway took it, its answer was lost
with the worker) is sent to the gateway again, with the same ``Idempotency-Key``: a gateway that
honours the key (this one does; the provider's contract must say so) delivers it once, one that
ignores the key delivers it twice.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from bolashaq.applications.models import Application
from bolashaq.audit.models import AuditEvent
from tests.faults.gateway import FakeGateway, Plan
from tests.faults.harness import (
    ACCEPTED,
    SUBMIT_AND_ACCEPT,
    SUBMITTED,
    Client,
    Server,
    World,
    assert_told_once,
    reconcile,
    wait_for,
)
from tests.faults.workers import CHECK, NOTIFY, Worker, Workers

pytestmark = pytest.mark.django_db(transaction=True)


def running_task(path: str, worker: Worker) -> DBTaskResult[Any, Any]:
    row = DBTaskResult.objects.get(task_path=path, status="RUNNING")
    assert row.worker_ids[-1] == worker.worker_id
    return row


def assert_lost_and_reclaimed(row: DBTaskResult[Any, Any]) -> None:
    """The killed attempt is on record as lost, audited, and was followed by a successful one."""
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.exception_class_path == "bolashaq.core.tasks.WorkerLost"
    event = AuditEvent.objects.get(action="task.reclaim", object_id=str(row.pk))
    assert event.new is not None
    retry = DBTaskResult.objects.get(pk=event.new["retry"])
    assert retry.status == "SUCCESSFUL"
    assert retry.args_kwargs["kwargs"]["_attempt"] == 2


def killed_sending(workers: Workers, plan: Plan) -> DBTaskResult[Any, Any]:
    """Start a worker, let it run the tasks until its notice reaches the gateway's ``plan``,
    and SIGKILL it there; the row of the task it was running."""
    first = workers.start()
    wait_for(f"the worker to send the notice with {plan.match!r}", plan.reached.is_set)
    killed = running_task(NOTIFY, first)
    first.kill()
    return killed


def recovered(workers: Workers, application: int, killed: DBTaskResult[Any, Any]) -> None:
    """A new worker finishes what the killed one left: the killed task's next attempt
    succeeds, the application is decided and the applicant told once of each change."""
    workers.start()
    workers.wait_settled(application)
    assert_lost_and_reclaimed(killed)
    assert_told_once(application, SUBMIT_AND_ACCEPT)


def assert_delivered_once_each(gateway: FakeGateway) -> None:
    assert len(gateway.delivered(SUBMITTED)) == 1
    assert len(gateway.delivered(ACCEPTED)) == 1


# --- the tests ---------------------------------------------------------------------------------


def test_a_worker_killed_while_its_sms_never_reached_the_gateway_sends_it_once(
    world: World, server: Server, client: Client, gateway: FakeGateway, workers: Workers
) -> None:
    application = client.journey(world.intake, world.slots)
    held = gateway.plan(SUBMITTED, "hold")

    killed = killed_sending(workers, held)
    assert held.request is not None
    wait_for("the gateway to see the worker gone", held.request.client_left.is_set)
    # Nothing else is running it: the task would stay RUNNING for ever without a reclaim.
    assert DBTaskResult.objects.get(pk=killed.pk).status == "RUNNING"

    recovered(workers, application, killed)
    # The held message was never sent; its rerun was, once; the decision's notice once.
    assert [r.outcome for r in gateway.received(SUBMITTED)] == ["held", "delivered"]
    assert_delivered_once_each(gateway)
    reconcile(server.env, client.ledger.path)


def test_a_worker_killed_after_the_gateway_took_the_sms_sends_it_again_with_the_same_key(
    world: World, server: Server, client: Client, gateway: FakeGateway, workers: Workers
) -> None:
    application = client.journey(world.intake, world.slots)
    taken = gateway.plan(ACCEPTED, "deliver-then-hold")

    killed = killed_sending(workers, taken)

    recovered(workers, application, killed)
    # At least once: the gateway got the message twice, both times under one key, and sent it
    # once because it honours the key.
    again = gateway.received(ACCEPTED)
    assert [r.outcome for r in again] == ["delivered", "duplicate"]
    assert again[0].key == again[1].key != ""
    assert_delivered_once_each(gateway)
    reconcile(server.env, client.ledger.path)


@pytest.fixture
def checkpoint() -> Iterator[socket.socket]:
    """A loopback socket where a blocking worker says it reached its fault point."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(20)
        yield listener


def test_a_worker_killed_between_the_decision_and_queueing_its_notice_loses_neither(
    world: World,
    server: Server,
    client: Client,
    gateway: FakeGateway,
    workers: Workers,
    checkpoint: socket.socket,
) -> None:
    application = client.journey(world.intake, world.slots)

    host, port = checkpoint.getsockname()[:2]
    first = workers.start(
        blocking=True, env={"FAULT_ENQUEUE_TASK": NOTIFY, "FAULT_CHECKPOINT": f"{host}:{port}"}
    )
    try:
        reached, _address = checkpoint.accept()
    except TimeoutError:
        pytest.fail(f"the worker never queued the decision's notice:\n{workers.logs()}")
    with reached:
        assert reached.recv(100).startswith(b"enqueue " + NOTIFY.encode())
        # The check decided and is queueing the notice of its decision: kill it right there.
        killed = running_task(CHECK, first)
        first.kill()
    # The decision and its notice are one transaction: neither is left behind alone.
    assert Application.objects.get(pk=application).state == "submitted"

    recovered(workers, application, killed)
    assert_delivered_once_each(gateway)
    reconcile(server.env, client.ledger.path)
