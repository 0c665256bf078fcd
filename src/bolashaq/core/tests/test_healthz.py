from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bolashaq.core.management.commands.worker import beat
from bolashaq.core.models import WorkerHeartbeat


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
def test_health_is_not_cached() -> None:
    assert "no-cache" in Client().get("/healthz")["Cache-Control"]
