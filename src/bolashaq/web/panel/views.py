"""The Independent Expert Commission's panel. Never imports identity models (import-linter)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bolashaq.accounts.roles import Role
from bolashaq.web.access import role_required


@role_required(Role.EXPERT)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/panel/home.html")
