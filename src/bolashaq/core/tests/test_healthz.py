"""Health: ``/healthz/live`` (the process answers), ``/healthz/ready`` (database and worker) and
``/healthz`` (every check, as before)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from bolashaq.core.management.commands.worker import beat
from bolashaq.core.middleware import LoadShedMiddleware
from bolashaq.core.models import WorkerHeartbeat

HEALTH = ["/healthz", "/healthz/live", "/healthz/ready"]


@pytest.fixture
def queued_tasks(settings):
    settings.TASK_BACKEND = "database"
    settings.WORKER_HEARTBEAT_SECONDS = 10


@pytest.mark.django_db
def test_health_is_red_without_a_worker(queued_tasks) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False


@pytest.mark.django_db
def test_health_is_green_with_a_recent_heartbeat(queued_tasks) -> None:
    beat("worker-1", timezone.now())
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == {"ok": True, "detail": "1 alive"}


@pytest.mark.django_db
def test_health_is_red_when_the_heartbeat_is_stale(queued_tasks) -> None:
    beat("worker-1", timezone.now())
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=5))
    body = Client().get("/healthz").json()
    assert body["checks"]["worker"]["ok"] is False
    assert "last heartbeat" in body["checks"]["worker"]["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", HEALTH)
def test_health_is_not_cached(path: str) -> None:
    assert "no-cache" in Client().get(path)["Cache-Control"]


# No database marker: pytest-django fails the test if the page touches the database.
def test_liveness_answers_without_the_database(queued_tasks) -> None:
    response = Client().get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


@pytest.mark.django_db
def test_liveness_stays_green_when_the_worker_and_database_are_gone(queued_tasks) -> None:
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.cursor",
        side_effect=OperationalError("connection refused"),
    ):
        assert Client().get("/healthz/live").status_code == 200
        assert Client().get("/healthz/ready").status_code == 503


@pytest.mark.django_db
def test_readiness_needs_a_fresh_worker_heartbeat(queued_tasks) -> None:
    response = Client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "detail": "no worker has reported"}

    beat("worker-1", timezone.now())
    response = Client().get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    # Only what readiness is about: no storage round trip on every probe.
    assert set(body["checks"]) == {"database", "worker"}

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=5))
    assert Client().get("/healthz/ready").status_code == 503


@pytest.mark.django_db
def test_readiness_is_red_when_the_database_does_not_answer(queued_tasks) -> None:
    beat("worker-1", timezone.now())
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.cursor",
        side_effect=OperationalError("connection refused"),
    ):
        response = Client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": {"ok": False, "detail": "OperationalError"}}


@pytest.mark.parametrize("path", HEALTH)
def test_health_is_never_shed(path: str) -> None:
    assert LoadShedMiddleware(lambda request: None).exempt(path)  # type: ignore[arg-type,return-value]
