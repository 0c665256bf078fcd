"""The applicant's portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bolashaq.accounts.roles import Role
from bolashaq.accounts.selectors import signed_in_user
from bolashaq.applications.selectors import applications_of
from bolashaq.competitions.selectors import intakes_open
from bolashaq.web.access import role_required


@role_required(Role.APPLICANT)
def home(request: HttpRequest) -> HttpResponse:
    applicant = signed_in_user(request)
    return render(
        request,
        "web/portal/home.html",
        {"applications": applications_of(applicant=applicant), "intakes": intakes_open()},
    )
