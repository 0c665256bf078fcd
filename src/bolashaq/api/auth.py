"""API authentication: the web session (with CSRF) or a bearer token for integrations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer, SessionAuth

from bolashaq.accounts.models import ApiToken
from bolashaq.accounts.selectors import api_token_for

# How stale a token's "last used" time may be.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    openapi_description = "Integration token created with `manage.py create_api_token`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = api_token_for(token)
        if found is None:
            return None
        # At most once a minute: a write on every call cost each API request a commit (and
        # the row just read says whether it is due, so most calls make no second query).
        now = timezone.now()
        stale = now - LAST_USED_PRECISION
        if found.last_used_at is None or found.last_used_at < stale:
            ApiToken.objects.filter(pk=found.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
            ).update(last_used_at=now)
        request.user = found.user
        return found.user


class SignedInSessionAuth(SessionAuth):
    """The web session, its CSRF token checked only when the session is signed in.

    A request without a signed-in session carries no credential for CSRF to protect: it gets
    401 ("sign in"), not ninja's untranslated 403 "CSRF check Failed" (found by fuzzing).
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


session_auth: APIKeyCookie = SignedInSessionAuth(csrf=True)
token_auth = TokenAuth()
