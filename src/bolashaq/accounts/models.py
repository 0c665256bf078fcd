"""Accounts: one user model for every audience, with its role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from bolashaq.accounts.roles import Role


class Language(models.TextChoices):
    KK = "kk", "Қазақша"
    RU = "ru", "Русский"
    EN = "en", "English"


class User(AbstractUser):
    """A person who signs in. Applicants sign in with their IIN as the username."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.APPLICANT)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.KK
    )
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    # Set when the holder proves the phone by entering a code sent to it (registration or
    # the first sign-in). Whatever changes the number must clear it.
    phone_confirmed_at = models.DateTimeField(_("phone confirmed at"), null=True, blank=True)
    iin = models.CharField(_("IIN"), max_length=12, null=True, blank=True, unique=True)
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
        ]

    @property
    def message_language(self) -> str:
        """The language to write to this person in: theirs, or the site's default if unknown."""
        available = {code for code, _name in settings.LANGUAGES}
        return self.language if self.language in available else settings.LANGUAGE_CODE

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class SignInAttempt(models.Model):
    """Every sign-in attempt, kept to throttle guessing across all web processes."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    succeeded = models.BooleanField()
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.username} {'ok' if self.succeeded else 'failed'} {self.at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for integrations. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class OtpPurpose(models.TextChoices):
    """What a one-time code is for. A code only ever works for the purpose it was sent for."""

    SIGN_IN = "sign_in", _("signing in")
    CONFIRM_PHONE = "confirm_phone", _("confirming the phone number")
    SIGN_APPLICATION = "sign_application", _("signing an application")


class OneTimeCode(models.Model):
    """A code sent by SMS. Only an HMAC of the code is stored (see ``accounts.otp``).

    ``binding`` ties the code to one object, e.g. the SHA-256 of the exact application version
    being signed; ``superseded_at`` is set when a newer code for the same user, purpose and
    binding is sent; ``used_at`` when it verifies (once); ``sent_at`` when the SMS gateway took
    it (empty while it is being sent, and for ever if the process sending it died first);
    ``delivery_failed`` when the gateway refused it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=OtpPurpose.choices)
    binding = models.CharField(max_length=128, blank=True)
    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    delivery_failed = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "purpose", "created_at"]),
            # The hourly cap per phone number reads the last hour's codes to one number on every
            # send: without this, a scan of every code ever sent (found by the load test).
            models.Index(fields=["phone", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for user {self.user_id} ({self.created_at:%Y-%m-%d %H:%M})"


class OtpAttempt(models.Model):
    """Each verification of a one-time code. Failures per user and purpose in a time window
    lock verification, whichever code they were made against."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="otp_attempts")
    purpose = models.CharField(max_length=20, choices=OtpPurpose.choices)
    succeeded = models.BooleanField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {'ok' if self.succeeded else 'failed'} {self.at:%Y-%m-%d %H:%M}"


class Consent(models.Model):
    """A user's acceptance of one version of the personal-data consent (``accounts.consent``)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consents")
    version = models.CharField(max_length=20)
    language = models.CharField(max_length=2, choices=Language.choices)
    text_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"consent {self.version} by user {self.user_id} at {self.accepted_at:%Y-%m-%d}"
