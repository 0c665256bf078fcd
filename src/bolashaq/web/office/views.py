"""The back office of the Center for International Programs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bolashaq.accounts.roles import Role
from bolashaq.applications.selectors import applications_per_state
from bolashaq.applications.states import State
from bolashaq.audit.selectors import audit_chain_verify
from bolashaq.competitions.selectors import intakes_open
from bolashaq.web.access import role_required
from bolashaq.web.office import selectors


@role_required(Role.OPERATOR)
def home(request: HttpRequest) -> HttpResponse:
    counts = applications_per_state()
    states = [(label, counts.get(value, 0)) for value, label in State.choices]
    return render(request, "web/office/home.html", {"states": states, "intakes": intakes_open()})


@role_required(Role.CONTRACTS)
def contracts(request: HttpRequest) -> HttpResponse:
    return render(request, "web/office/contracts.html")


@role_required(Role.ALUMNI)
def alumni(request: HttpRequest) -> HttpResponse:
    return render(request, "web/office/alumni.html")


@role_required(Role.AUDITOR, Role.ADMIN)
def audit(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/office/audit.html",
        {"report": audit_chain_verify(), "events": selectors.recent_audit_events()},
    )


@role_required(Role.ADMIN)
def admin(request: HttpRequest) -> HttpResponse:
    counts = selectors.users_per_role()
    roles = [(label, counts.get(value, 0)) for value, label in Role.choices]
    return render(request, "web/office/admin.html", {"roles": roles})


@role_required(Role.ADMIN, Role.OPERATOR)
def tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "web/office/tasks.html", {"failed": selectors.failed_tasks()})
