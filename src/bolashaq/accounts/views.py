"""Sign-in and sign-out pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from bolashaq.accounts.actions import sign_in_attempt_record, sign_out_record
from bolashaq.accounts.forms import SignInForm
from bolashaq.accounts.models import User
from bolashaq.accounts.selectors import (
    client_address,
    home_url_for,
    sign_in_locked,
    signed_in_user,
)


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_not_required
@sensitive_post_parameters("password")
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_for(signed_in_user(request)))
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        address = client_address(request)
        if sign_in_locked(username=username, address=address):
            form.errors.clear()
            form.add_error(
                None,
                _(
                    "Too many failed attempts. For your safety sign-in is paused; "
                    "try again in %(minutes)d minutes."
                )
                % {"minutes": settings.SIGN_IN_WINDOW_SECONDS // 60},
            )
            status = 429
        elif form.is_valid():
            user: User = form.get_user()
            login(request, user)
            sign_in_attempt_record(username=username, address=address, user=user, succeeded=True)
            response = HttpResponseRedirect(_safe_next(request) or home_url_for(user))
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
            return response
        else:
            sign_in_attempt_record(username=username, address=address, user=None, succeeded=False)
            status = 400
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": _safe_next(request) or ""},
        status=status,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        sign_out_record(acting_user=signed_in_user(request))
    logout(request)
    return redirect("web:home")


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their audience's home page."""
    return redirect(home_url_for(signed_in_user(request)))
