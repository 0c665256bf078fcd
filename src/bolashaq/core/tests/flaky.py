"""Tasks used by the retry tests (tasks must live in an importable module)."""

from __future__ import annotations

from django_tasks import task

from bolashaq.core.tasks import retried_task

CALLS: list[str] = []


@retried_task(max_attempts=3)
def fails_twice(key: str) -> str:
    CALLS.append(key)
    if CALLS.count(key) < 3:
        raise RuntimeError(f"transient failure {CALLS.count(key)}")
    return f"done {key}"


@retried_task(max_attempts=2)
def always_fails(key: str) -> None:
    CALLS.append(key)
    raise ValueError("permanent failure")


@retried_task(max_attempts=2)
def succeeds(key: str) -> str:
    CALLS.append(key)
    return f"done {key}"


@task()
def not_retried(key: str) -> None:
    CALLS.append(key)
