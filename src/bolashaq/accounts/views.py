"""Registration, sign-in (password, then a code sent by SMS) and sign-out pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from bolashaq.accounts.actions import (
    Registration,
    sign_in_attempt_record,
    sign_in_password_ok_record,
    sign_out_record,
)
from bolashaq.accounts.consent import CURRENT_CONSENT
from bolashaq.accounts.forms import CodeForm, RegistrationForm, SignInForm
from bolashaq.accounts.models import OtpPurpose, User
from bolashaq.accounts.otp import (
    OtpError,
    OtpThrottled,
    otp_latest,
    otp_resend_wait,
    otp_send,
    otp_verify,
)
from bolashaq.accounts.pending import (
    Pending,
    pending_clear,
    pending_get,
    pending_start,
    set_language_cookie,
    sign_in_finish,
)
from bolashaq.accounts.phones import mask_phone
from bolashaq.accounts.selectors import (
    client_address,
    home_url_for,
    sign_in_locked,
    signed_in_user,
)
from bolashaq.core.errors import Conflict
from bolashaq.notifications.selectors import dev_outbox_enabled


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _signed_in_response(request: HttpRequest, user: User, next_url: str | None) -> HttpResponse:
    response = HttpResponseRedirect(next_url or home_url_for(user))
    set_language_cookie(response, user)
    return response


@login_not_required
@sensitive_post_parameters("password")
@never_cache
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
            if not user.phone:
                # No phone to send a code to (some staff accounts): the password is enough.
                login(request, user)
                sign_in_attempt_record(
                    username=username, address=address, user=user, succeeded=True
                )
                return _signed_in_response(request, user, _safe_next(request))
            sign_in_password_ok_record(user=user, username=username, address=address)
            pending_start(
                request, user=user, purpose=OtpPurpose.SIGN_IN, next_url=_safe_next(request) or ""
            )
            try:
                otp_send(user=user, purpose=OtpPurpose.SIGN_IN)
            except OtpThrottled as exc:
                # A code sent a moment ago is still valid: go on to enter it.
                messages.info(request, str(exc.message))
            except OtpError as exc:
                pending_clear(request)
                form.add_error(None, str(exc.message))
                status = exc.status
            if status == 200:
                return redirect("accounts:sign_in_code")
        else:
            sign_in_attempt_record(username=username, address=address, user=None, succeeded=False)
            status = 400
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": _safe_next(request) or "", "dev_outbox": dev_outbox_enabled()},
        status=status,
    )


def _code_step(request: HttpRequest, pending: Pending) -> tuple[CodeForm, int, bool]:
    """Handle a code page's POST: resend, or verify. Returns (form, status, verified)."""
    user, purpose = pending.user, pending.purpose
    form = CodeForm(data=request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return form, 200, False
    if "resend" in request.POST:
        form = CodeForm()
        try:
            otp_send(user=user, purpose=purpose)
        except OtpError as exc:
            messages.error(request, str(exc.message))
            return form, exc.status, False
        messages.success(
            request,
            _("A new code has been sent to %(phone)s.") % {"phone": mask_phone(user.phone)},
        )
        return form, 200, False
    if not form.is_valid():
        return form, 400, False
    try:
        otp_verify(user=user, purpose=purpose, code=form.cleaned_data["code"])
    except OtpError as exc:
        form.add_error("code", str(exc.message))
        return form, exc.status, False
    return form, 200, True


def _code_page(
    request: HttpRequest, pending: Pending, form: CodeForm, status: int, context: dict[str, Any]
) -> HttpResponse:
    latest = otp_latest(user=pending.user, purpose=pending.purpose)
    return render(
        request,
        "accounts/code.html",
        {
            **context,
            "form": form,
            "phone": mask_phone(pending.user.phone),
            "expires_at": latest.expires_at if latest else None,
            "resend_wait": otp_resend_wait(user=pending.user, purpose=pending.purpose),
            "dev_outbox": dev_outbox_enabled(),
        },
        status=status,
    )


@login_not_required
@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = pending_get(request, purpose=OtpPurpose.SIGN_IN)
    if pending is None:
        messages.info(request, _("Sign in with your password first."))
        return redirect("accounts:sign_in")
    form, status, verified = _code_step(request, pending)
    if verified:
        sign_in_finish(request, user=pending.user)
        return _signed_in_response(request, pending.user, pending.next_url)
    context = {
        "title": _("Enter the code from the SMS"),
        "action": reverse("accounts:sign_in_code"),
        "submit": _("Sign in"),
    }
    return _code_page(request, pending, form, status, context)


@login_not_required
@sensitive_post_parameters("password1", "password2")
@never_cache
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_for(signed_in_user(request)))
    language = get_language() or "kk"
    initial = {"language": language, "consent_version": CURRENT_CONSENT.version}
    form = RegistrationForm(
        data=request.POST if request.method == "POST" else None, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                registration = form.register(address=client_address(request))
            except Conflict as exc:
                form.add_error("iin", str(exc.message))
            else:
                return _after_registration(request, registration)
    return render(
        request,
        "accounts/register.html",
        {
            "form": form,
            "consent_title": CURRENT_CONSENT.title(language),
            "consent_paragraphs": CURRENT_CONSENT.paragraphs(language),
            "consent_language": CURRENT_CONSENT.language_shown(language),
            "dev_outbox": dev_outbox_enabled(),
        },
        status=status,
    )


def _after_registration(request: HttpRequest, registration: Registration) -> HttpResponse:
    user = registration.user
    pending_start(request, user=user, purpose=OtpPurpose.CONFIRM_PHONE)
    if registration.birth_date_differs:
        messages.warning(
            request,
            _(
                "The date of birth you entered differs from the one in your IIN. That can be "
                "right (IINs issued since 2013 need not match); if it is a typo, tell the Center "
                "for International Programs."
            ),
        )
    try:
        otp_send(user=user, purpose=OtpPurpose.CONFIRM_PHONE)
    except OtpError as exc:
        messages.error(request, str(exc.message))
    return redirect("accounts:register_confirm")


@login_not_required
@never_cache
def register_confirm(request: HttpRequest) -> HttpResponse:
    pending = pending_get(request, purpose=OtpPurpose.CONFIRM_PHONE)
    if pending is None:
        messages.info(
            request,
            _("To finish registering, sign in with your IIN and password; a code will be sent."),
        )
        return redirect("accounts:sign_in")
    form, status, verified = _code_step(request, pending)
    if verified:
        sign_in_finish(request, user=pending.user)
        messages.success(request, _("Your phone number is confirmed. Welcome to Bolashaq!"))
        return _signed_in_response(request, pending.user, None)
    context = {
        "title": _("Confirm your phone number"),
        "action": reverse("accounts:register_confirm"),
        "submit": _("Confirm"),
    }
    return _code_page(request, pending, form, status, context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        sign_out_record(acting_user=signed_in_user(request))
    logout(request)
    return redirect("web:home")


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their audience's home page."""
    return redirect(home_url_for(signed_in_user(request)))
