"""The half-way state between "password right" (or "registered") and "signed in".

After the first step the session holds only the pending user's id, the code's purpose, where to
go next and when it started; Django's ``login`` happens only after the SMS code verifies. The
pages and the API share these helpers so both flows behave the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse

from bolashaq.accounts.actions import sign_in_code_ok_record, user_confirm_phone
from bolashaq.accounts.models import OtpPurpose, User
from bolashaq.accounts.selectors import client_address

PENDING_KEY = "bolashaq_pending"
# How long the second step may take before the user has to start again.
PENDING_MAX_AGE_SECONDS = 30 * 60


@dataclass(frozen=True)
class Pending:
    user: User
    purpose: OtpPurpose
    next_url: str


def pending_start(
    request: HttpRequest, *, user: User, purpose: OtpPurpose, next_url: str = ""
) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "purpose": str(purpose),
        "next": next_url,
        "at": int(time.time()),
    }


def pending_get(request: HttpRequest, *, purpose: OtpPurpose | None) -> Pending | None:
    """The pending step for ``purpose`` (None: whichever there is), or None when there is none,
    it is for another purpose, or it is too old."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or data.get("purpose") not in OtpPurpose.values:
        return None
    if purpose is not None and data.get("purpose") != purpose:
        return None
    if time.time() - int(data.get("at", 0)) > PENDING_MAX_AGE_SECONDS:
        pending_clear(request)
        return None
    user_id = data.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    return Pending(
        user=user, purpose=OtpPurpose(data["purpose"]), next_url=str(data.get("next", ""))
    )


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def sign_in_finish(request: HttpRequest, *, user: User) -> None:
    """The code verified: the phone is proved, start the session (a new session key)."""
    pending_clear(request)
    user_confirm_phone(acting_user=user)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    sign_in_code_ok_record(user=user, address=client_address(request))


def set_language_cookie(response: HttpResponse, user: User) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
