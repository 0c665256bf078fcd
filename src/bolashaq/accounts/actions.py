"""Writes about accounts. Each runs in one transaction and records one audit event."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from bolashaq.accounts.models import ApiToken, SignInAttempt, User
from bolashaq.accounts.roles import Role
from bolashaq.accounts.selectors import token_hash
from bolashaq.audit.actions import audit_record


def user_create(
    *,
    acting_user: User | None,
    username: str,
    password: str | None,
    role: Role,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    iin: str | None = None,
    language: str = "kk",
) -> User:
    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            iin=iin,
            language=language,
        )
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        # Personal data stays out of the log: the role and the username identify the account.
        audit_record(
            acting_user=acting_user,
            action="user.create",
            target=user,
            new={"username": username, "role": str(role)},
        )
    return user


def user_set_language(*, acting_user: User, language: str) -> User:
    with transaction.atomic():
        old = acting_user.language
        if old == language:
            return acting_user
        acting_user.language = language
        acting_user.save(update_fields=["language"])
        audit_record(
            acting_user=acting_user,
            action="user.set_language",
            target=acting_user,
            old={"language": old},
            new={"language": language},
        )
    return acting_user


def sign_in_attempt_record(
    *, username: str, address: str | None, user: User | None, succeeded: bool
) -> SignInAttempt:
    with transaction.atomic():
        attempt = SignInAttempt.objects.create(
            username=username.lower()[:150],
            address=address,
            succeeded=succeeded,
            at=timezone.now(),
        )
        audit_record(
            acting_user=user if user is not None else AnonymousUser(),
            actor_label="" if user is not None else username.lower()[:150],
            action="auth.sign_in" if succeeded else "auth.sign_in_failed",
            target=attempt,
            new={"address": address},
        )
    return attempt


def sign_out_record(*, acting_user: User) -> None:
    audit_record(acting_user=acting_user, action="auth.sign_out", target=acting_user)


def api_token_create(*, acting_user: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret, which is never stored."""
    secret = "bq_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[3:11], key_hash=token_hash(secret)
        )
        audit_record(
            acting_user=acting_user,
            action="api_token.create",
            target=token,
            new={"user": user.username, "name": name},
        )
    return token, secret


def api_token_revoke(*, acting_user: User, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            acting_user=acting_user,
            action="api_token.revoke",
            target=token,
            new={"revoked_at": token.revoked_at},
        )
    return token
