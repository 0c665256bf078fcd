"""Accounts: one user model for every audience, with its role."""

from __future__ import annotations

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
    iin = models.CharField(_("IIN"), max_length=12, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
        ]

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
