"""Reads about accounts and sign-in."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from bolashaq.accounts.models import ApiToken, SignInAttempt, User
from bolashaq.accounts.roles import HOME_URL_NAME


def client_address(request: HttpRequest) -> str | None:
    """The client's address, trusting only as many X-Forwarded-For hops as proxies we run."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return str(forwarded[-hops])
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def sign_in_locked(*, username: str, address: str | None) -> bool:
    """True when recent failures for this account or this address reach the limit."""
    since = timezone.now() - timedelta(seconds=settings.SIGN_IN_WINDOW_SECONDS)
    recent = SignInAttempt.objects.filter(at__gte=since, succeeded=False)
    if (
        recent.filter(username=username.lower()).count()
        >= settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT
    ):
        return True
    return (
        address is not None
        and recent.filter(address=address).count() >= settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS
    )


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; refuses (403) when nobody is signed in."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def home_url_for(user: User) -> str:
    return reverse(HOME_URL_NAME[user.role])


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def api_token_for(secret: str) -> ApiToken | None:
    """The live token with this secret, its user loaded; ``None`` if unknown or revoked."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def username_pseudonym(username: str) -> str:
    """A stable stand-in for a typed username (often an IIN) in logs: ``anon:`` and 16 hex
    characters of an HMAC keyed with SECRET_KEY. The same username always gives the same
    pseudonym, so repeated failures are visible, but the IIN is not in the log."""
    digest = hmac.new(
        settings.SECRET_KEY.encode("utf-8"), username.strip().lower().encode("utf-8"), "sha256"
    ).hexdigest()
    return f"anon:{digest[:16]}"
