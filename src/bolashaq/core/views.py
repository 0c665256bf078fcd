"""Health endpoints for load balancers, orchestrators and monitoring.

``/healthz/live``: the process is up and answers (no database, no storage): restart it if not.
``/healthz/ready``: the database answers and a task worker has beaten recently: the deployment
can do its work. ``/healthz``: every check (database, storage, worker), for monitoring; as before.
Each answers JSON, 200 when every check passes and 503 otherwise, and is never cached.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bolashaq.core.selectors import Check, check_database, check_worker, health_checks


def _answer(checks: list[Check]) -> JsonResponse:
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "fail",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=200 if ok else 503)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return _answer(health_checks())


@login_not_required
@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    return _answer([])


@login_not_required
@never_cache
@require_GET
def healthz_ready(request: HttpRequest) -> JsonResponse:
    database = check_database()
    if not database.ok:  # the worker check reads the database too
        return _answer([database])
    return _answer([database, check_worker()])
