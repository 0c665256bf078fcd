"""Writes about accounts. Each runs in one transaction and records one audit event."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bolashaq.accounts.consent import ConsentText
from bolashaq.accounts.models import ApiToken, Consent, SignInAttempt, User
from bolashaq.accounts.phones import normalise_phone
from bolashaq.accounts.roles import Role
from bolashaq.accounts.selectors import token_hash, username_pseudonym
from bolashaq.audit.actions import audit_record
from bolashaq.core.errors import Conflict, DomainError
from bolashaq.lib.iin import birth_date_warning, validate_iin

IIN_TAKEN = _(
    "An account with this IIN is already registered. Sign in with it, or contact the Center "
    "for International Programs if you did not register it."
)


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
    patronymic: str = "",
    birth_date: date | None = None,
) -> User:
    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            first_name=first_name,
            last_name=last_name,
            patronymic=patronymic,
            birth_date=birth_date,
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


@dataclass(frozen=True)
class Registration:
    user: User
    # The declared birth date differs from the one encoded in the IIN: shown as a warning only
    # (since 2013 an IIN need not encode the real birth date).
    birth_date_differs: bool


def applicant_register(
    *,
    acting_user: User | None,
    iin: str,
    last_name: str,
    first_name: str,
    patronymic: str,
    birth_date: date,
    phone: str,
    email: str,
    password: str,
    language: str,
    consent: ConsentText,
    address: str | None,
) -> Registration:
    """Create an applicant account (username = IIN) and record the consent accepted.

    The caller has validated the password against ``AUTH_PASSWORD_VALIDATORS``. The account can
    sign in only with a code sent to ``phone``, so the phone is proved before any session exists.
    Raises ``Conflict`` when the IIN is already registered (the database's unique constraint
    decides a race).
    """
    iin = iin.strip()
    if not validate_iin(iin).valid:
        raise DomainError(_("This is not a valid IIN."), code="invalid_iin")
    normalised = normalise_phone(phone)
    if normalised is None:
        raise DomainError(_("Enter a mobile number as +7 and 10 digits."), code="invalid_phone")
    if User.objects.filter(Q(iin=iin) | Q(username=iin)).exists():
        raise Conflict(IIN_TAKEN, code="iin_taken")
    try:
        with transaction.atomic():
            user = user_create(
                acting_user=acting_user,
                username=iin,
                password=password,
                role=Role.APPLICANT,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                patronymic=patronymic.strip(),
                birth_date=birth_date,
                email=email.strip(),
                phone=normalised,
                iin=iin,
                language=language,
            )
            consent_record(acting_user=user, text=consent, language=language, address=address)
    except IntegrityError as exc:
        raise Conflict(IIN_TAKEN, code="iin_taken") from exc
    return Registration(user=user, birth_date_differs=birth_date_warning(iin, birth_date))


def consent_record(
    *, acting_user: User, text: ConsentText, language: str, address: str | None
) -> Consent:
    """Record that ``acting_user`` accepted ``text`` as shown in ``language``, now."""
    shown = text.language_shown(language)
    with transaction.atomic():
        consent = Consent.objects.create(
            user=acting_user,
            version=text.version,
            language=shown,
            text_sha256=text.sha256(shown),
            accepted_at=timezone.now(),
            address=address,
        )
        audit_record(
            acting_user=acting_user,
            action="consent.accept",
            target=consent,
            new={"version": text.version, "language": shown, "text_sha256": consent.text_sha256},
        )
    return consent


def user_confirm_phone(*, acting_user: User) -> User:
    """Mark the user's phone as proved (a code sent to it was entered). Idempotent."""
    with transaction.atomic():
        if acting_user.phone_confirmed_at is not None:
            return acting_user
        acting_user.phone_confirmed_at = timezone.now()
        acting_user.save(update_fields=["phone_confirmed_at"])
        audit_record(
            acting_user=acting_user,
            action="user.confirm_phone",
            target=acting_user,
            old={"phone_confirmed_at": None},
            new={"phone_confirmed_at": acting_user.phone_confirmed_at},
        )
    return acting_user


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
            # Who typed what is personal data (an IIN): the log keeps a keyed pseudonym that
            # staff can match against a known username (accounts.selectors.username_pseudonym).
            actor_label="" if user is not None else username_pseudonym(username),
            action="auth.sign_in" if succeeded else "auth.sign_in_failed",
            target=attempt,
            new={"address": address},
        )
    return attempt


def sign_in_password_ok_record(*, user: User, username: str, address: str | None) -> None:
    """The password was right and a code is on its way: not signed in yet."""
    with transaction.atomic():
        attempt = SignInAttempt.objects.create(
            username=username.lower()[:150], address=address, succeeded=True, at=timezone.now()
        )
        audit_record(
            acting_user=user,
            action="auth.sign_in_password",
            target=attempt,
            new={"address": address},
        )


def sign_in_code_ok_record(*, user: User, address: str | None) -> None:
    """The code from the SMS verified: the session starts now."""
    audit_record(
        acting_user=user,
        action="auth.sign_in",
        target=user,
        new={"address": address, "second_factor": "sms"},
    )


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
