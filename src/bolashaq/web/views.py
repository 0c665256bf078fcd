"""Pages and preferences shared by every audience."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from bolashaq.accounts.actions import user_set_language
from bolashaq.accounts.models import Language
from bolashaq.accounts.selectors import signed_in_user
from bolashaq.core.db import DATABASE_OUTAGES
from bolashaq.core.middleware import try_again_later, unavailable_message
from bolashaq.web.context_processors import LOW_VISION_COOKIE

YEAR = 365 * 24 * 60 * 60


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_back(request))
    if language not in Language.values:
        return response
    if request.user.is_authenticated:
        user_set_language(acting_user=signed_in_user(request), language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
    return response


@login_not_required
@require_POST
def toggle_low_vision(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(_back(request))
    if request.POST.get("low_vision") == "1":
        response.set_cookie(
            LOW_VISION_COOKIE,
            "1",
            max_age=YEAR,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(LOW_VISION_COOKIE, samesite="Lax")
    return response


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/public/home.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is handled, so it can tell an outage of the database (often
    # raised before any view, by the session or the user) from a fault: an outage gets 503
    # with Retry-After, since every step may be repeated safely once the database is back.
    if isinstance(sys.exc_info()[1], DATABASE_OUTAGES):
        return try_again_later(
            request, "unavailable", unavailable_message, settings.RETRY_AFTER_SECONDS
        )
    return render(request, "web/500.html", status=500)
