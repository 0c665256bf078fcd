from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bolashaq.accounts.actions import IIN_TAKEN, Registration, applicant_register
from bolashaq.accounts.consent import CURRENT_CONSENT
from bolashaq.accounts.models import Language, User
from bolashaq.accounts.phones import normalise_phone
from bolashaq.lib.iin import validate_iin


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("IIN or username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "The IIN or username and password do not match. Check both and try again."
        ),
        "inactive": _("This account is disabled. Contact the Center for International Programs."),
    }


class RegistrationForm(forms.Form):
    """An applicant's registration. Checks the form of each field and that the IIN is free; the
    birth date is compared with the IIN only to warn (see ``accounts.actions``)."""

    iin = forms.CharField(
        label=_("IIN"),
        max_length=20,
        help_text=_("Individual identification number: 12 digits, as in your identity document."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Surname"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    patronymic = forms.CharField(
        label=_("Patronymic (if you have one)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "additional-name"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        help_text=_(
            "+7 and 10 digits, for example +7 701 234 56 78. Codes for signing in and for "
            "signing applications come to this number."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_(
            "At least 10 characters, not only digits, not a common password and not similar "
            "to your name, IIN or e-mail."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(
        label=_("Language for messages"),
        choices=Language.choices,
        help_text=_("E-mails and SMS from Bolashaq will be in this language."),
    )
    consent_version = forms.CharField(widget=forms.HiddenInput)
    consent = forms.BooleanField(
        label=_("I have read the consent above and agree to the processing of my personal data."),
        error_messages={
            "required": _("To register you need to agree to the processing of your personal data.")
        },
    )

    def clean_iin(self) -> str:
        iin = "".join(self.cleaned_data["iin"].split())
        check = validate_iin(iin)
        if not check.valid:
            raise forms.ValidationError(IIN_ERRORS[check.error or "checksum"], code=check.error)
        if User.objects.filter(Q(iin=iin) | Q(username=iin)).exists():
            raise forms.ValidationError(IIN_TAKEN, code="iin_taken")
        return iin

    def clean_birth_date(self) -> date:
        born: date = self.cleaned_data["birth_date"]
        if born > timezone.localdate() or born.year < 1900:
            raise forms.ValidationError(_("Enter your real date of birth."), code="birth_date")
        return born

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError(
                _("Enter a mobile number as +7 and 10 digits, for example +7 701 234 56 78."),
                code="phone",
            )
        return phone

    def clean_consent_version(self) -> str:
        version: str = self.cleaned_data["consent_version"]
        if version != CURRENT_CONSENT.version:
            raise forms.ValidationError(
                _(
                    "The consent text has changed since the page was opened. "
                    "Read it and agree again."
                ),
                code="consent_version",
            )
        return version

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        password, repeated = data.get("password1"), data.get("password2")
        if password and repeated and password != repeated:
            self.add_error("password2", _("The two passwords do not match."))
        elif password:
            candidate = User(
                username=data.get("iin", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(password, user=candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        if "consent_version" in self.errors:
            # The hidden field has no place on the page: say it where it is seen.
            self.add_error("consent", self.errors.pop("consent_version"))
        return data

    def register(self, *, address: str | None) -> Registration:
        """Create the account from the valid form (raises ``Conflict`` for a taken IIN)."""
        data = self.cleaned_data
        return applicant_register(
            acting_user=None,
            iin=data["iin"],
            last_name=data["last_name"],
            first_name=data["first_name"],
            patronymic=data["patronymic"],
            birth_date=data["birth_date"],
            phone=data["phone"],
            email=data["email"],
            password=data["password1"],
            language=data["language"],
            consent=CURRENT_CONSENT,
            address=address,
        )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


IIN_ERRORS = {
    "length": _("An IIN has exactly 12 digits."),
    "digits": _("An IIN consists of digits only."),
    "century": _("This is not a valid IIN: its 7th digit must be from 1 to 6."),
    "checksum": _("This IIN is not valid: its check digit does not match. Check it for typos."),
}
