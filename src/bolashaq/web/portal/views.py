"""The applicant's portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bolashaq.accounts.roles import Role
from bolashaq.web.access import role_required


@role_required(Role.APPLICANT)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal/home.html")
