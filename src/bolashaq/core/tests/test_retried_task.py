"""Failed tasks are retried by the real database worker and stay visible to staff."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from bolashaq.accounts.roles import Role
from bolashaq.core.tests import flaky

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker() -> None:
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def database_tasks():
    flaky.CALLS.clear()
    with override_settings(
        TASKS=DATABASE_TASKS, TASK_BACKEND="database", TASK_RETRY_BASE_SECONDS=0
    ):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_retried_until_it_succeeds(database_tasks) -> None:
    flaky.fails_twice.enqueue("a")
    run_worker()
    assert flaky.CALLS == ["a", "a", "a"]
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_retries_stop_at_the_limit_and_staff_see_the_failures(database_tasks, cast) -> None:
    flaky.always_fails.enqueue("b")
    run_worker()
    assert flaky.CALLS == ["b", "b"]
    assert DBTaskResult.objects.filter(status="FAILED").count() == 2
    page = cast.client(Role.ADMIN).get("/office/tasks/").content.decode()
    assert "bolashaq.core.tests.flaky.always_fails" in page
    assert "builtins.ValueError" in page
    # Arguments may hold personal data; the page does not show them.
    assert "permanent failure" not in page


@pytest.mark.django_db(transaction=True)
def test_the_failures_page_is_closed_to_applicants(database_tasks, cast) -> None:
    assert cast.client(Role.APPLICANT).get("/office/tasks/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_next_attempt_is_queued_once_the_database_answers_again(
    database_tasks, monkeypatch
) -> None:
    """A task that fails while the database is down must not lose its next attempt when queueing
    it fails too and the database is back by the time the failure is recorded."""
    from django.db import OperationalError

    from bolashaq.core import tasks

    real = tasks._enqueue_retry
    refusals = iter([OperationalError("connection refused")] * 2)

    def down_twice(*args, **kwargs):
        refused = next(refusals, None)
        if refused is not None:
            raise refused
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "_enqueue_retry", down_twice)
    monkeypatch.setattr("bolashaq.core.tasks.time.sleep", lambda seconds: None)
    flaky.fails_twice.enqueue("c")
    run_worker()
    assert flaky.CALLS == ["c", "c", "c"]
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]
