"""Registration, sign-in with a one-time code, and one-time codes.

The same two steps as the pages: the first call (register, or password) leaves a pending step
in the session cookie and sends a code by SMS; the confirm call verifies the code and starts the
session. These endpoints are public (``auth=None``); the session cookie carries the pending step,
so a client must keep cookies between the calls.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.contrib.auth import authenticate, login
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router, Schema, Status
from ninja.errors import ValidationError

from bolashaq.accounts.actions import (
    IIN_TAKEN,
    sign_in_attempt_record,
    sign_in_password_ok_record,
)
from bolashaq.accounts.consent import CURRENT_CONSENT
from bolashaq.accounts.forms import RegistrationForm
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
    sign_in_finish,
)
from bolashaq.accounts.phones import mask_phone
from bolashaq.accounts.selectors import client_address, home_url_for, sign_in_locked
from bolashaq.api.errors import ErrorEnvelope
from bolashaq.core.errors import Conflict, DomainError

router = Router(tags=["accounts"])

ERRORS: dict[int, Any] = {
    400: ErrorEnvelope,
    401: ErrorEnvelope,
    409: ErrorEnvelope,
    422: ErrorEnvelope,
    429: ErrorEnvelope,
    503: ErrorEnvelope,
}


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401


class SignInPaused(DomainError):
    code = "sign_in_paused"
    status = 429


class NoPendingStep(Conflict):
    code = "no_pending_step"


# --- schemas -----------------------------------------------------------------------------------


class RegisterIn(Schema):
    iin: str
    last_name: str
    first_name: str
    patronymic: str = ""
    birth_date: date
    phone: str
    email: str
    password: str
    language: Literal["kk", "ru", "en"] = "kk"
    consent_version: str
    consent: bool


class Notice(Schema):
    code: str
    message: str


class CodeSent(Schema):
    phone: str
    code_sent: bool
    code_expires_at: datetime | None
    resend_after: int


class RegisterOut(CodeSent):
    username: str
    warnings: list[Notice]


class CodeIn(Schema):
    code: str


class SignedIn(Schema):
    username: str
    role: str
    language: str
    home_url: str


class SignInIn(Schema):
    username: str
    password: str


class SignInOut(Schema):
    status: Literal["code_sent", "signed_in"]
    code: CodeSent | None = None
    user: SignedIn | None = None


class ConsentOut(Schema):
    version: str
    language: str
    title: str
    paragraphs: list[str]


# --- helpers -----------------------------------------------------------------------------------

FIELD_NAMES = {"password1": "password", "password2": "password"}


def _form_errors(form: RegistrationForm) -> ValidationError:
    errors = [
        {
            "loc": ["body", "payload", FIELD_NAMES.get(field, field)],
            "msg": str(error.message % error.params if error.params else error.message),
            "type": error.code or "invalid",
        }
        for field, field_errors in form.errors.as_data().items()
        for error in field_errors
    ]
    return ValidationError(errors)


def _code_sent(pending_user: User, purpose: OtpPurpose, sent: bool) -> CodeSent:
    latest = otp_latest(user=pending_user, purpose=purpose)
    return CodeSent(
        phone=mask_phone(pending_user.phone),
        code_sent=sent,
        code_expires_at=latest.expires_at if latest else None,
        resend_after=otp_resend_wait(user=pending_user, purpose=purpose),
    )


def _signed_in(user: User) -> SignedIn:
    return SignedIn(
        username=user.get_username(),
        role=user.role,
        language=user.language,
        home_url=home_url_for(user),
    )


def _pending(request: HttpRequest, purpose: OtpPurpose | None) -> Pending:
    pending = pending_get(request, purpose=purpose)
    if pending is None:
        raise NoPendingStep(
            gettext_lazy("There is no code to confirm. Register or sign in with a password first.")
        )
    return pending


def _confirm(request: HttpRequest, purpose: OtpPurpose, body: CodeIn) -> SignedIn:
    pending = _pending(request, purpose)
    otp_verify(user=pending.user, purpose=purpose, code=body.code)
    sign_in_finish(request, user=pending.user)
    return _signed_in(pending.user)


# --- endpoints ---------------------------------------------------------------------------------


@router.get(
    "/consent",
    auth=None,
    response={200: ConsentOut, 422: ErrorEnvelope},
    summary="The current consent text",
    description="The personal-data consent that registration must accept, in the language "
    "asked for (`?language=kk|ru|en`). Send its `version` as `consent_version`.",
)
def consent_text(request: HttpRequest, language: Literal["kk", "ru", "en"] = "kk") -> ConsentOut:
    return ConsentOut(
        version=CURRENT_CONSENT.version,
        language=CURRENT_CONSENT.language_shown(language),
        title=CURRENT_CONSENT.title(language),
        paragraphs=list(CURRENT_CONSENT.paragraphs(language)),
    )


@router.post(
    "/register",
    auth=None,
    response={201: RegisterOut, **ERRORS},
    summary="Register an applicant",
    description="Creates the applicant (username = IIN), records the consent and sends a code "
    "to the phone. Confirm it with `POST /register/confirm` in the same session. A birth date "
    "that differs from the IIN's is a warning (`birth_date_differs`), never a refusal. 409 "
    "`iin_taken` when the IIN is already registered; 422 lists each invalid field.",
)
def register(request: HttpRequest, payload: RegisterIn) -> Status[RegisterOut]:
    form = RegistrationForm(
        data={
            **payload.model_dump(exclude={"password", "consent"}),
            "password1": payload.password,
            "password2": payload.password,
            "consent": "on" if payload.consent else "",
        }
    )
    if not form.is_valid():
        if any(e.code == "iin_taken" for e in form.errors.as_data().get("iin", [])):
            raise Conflict(IIN_TAKEN, code="iin_taken")
        raise _form_errors(form)
    registration = form.register(address=client_address(request))
    user = registration.user
    pending_start(request, user=user, purpose=OtpPurpose.CONFIRM_PHONE)
    warnings: list[Notice] = []
    if registration.birth_date_differs:
        warnings.append(
            Notice(
                code="birth_date_differs",
                message=_("The date of birth differs from the one in the IIN."),
            )
        )
    sent = True
    try:
        otp_send(user=user, purpose=OtpPurpose.CONFIRM_PHONE)
    except OtpError as exc:
        sent = False
        warnings.append(Notice(code=exc.code, message=str(exc.message)))
    code = _code_sent(user, OtpPurpose.CONFIRM_PHONE, sent)
    return Status(
        201, RegisterOut(username=user.get_username(), warnings=warnings, **code.model_dump())
    )


@router.post(
    "/register/confirm",
    auth=None,
    response={200: SignedIn, **ERRORS},
    summary="Confirm the phone with the code",
    description="Verifies the code sent at registration; the phone is confirmed and the session "
    "is signed in. Errors: `otp_wrong_code`, `otp_expired`, `otp_used`, `otp_superseded`, "
    "`otp_wrong_purpose`, 429 `otp_locked`, 409 `no_pending_step`.",
)
def register_confirm(request: HttpRequest, payload: CodeIn) -> SignedIn:
    return _confirm(request, OtpPurpose.CONFIRM_PHONE, payload)


@router.post(
    "/sign-in",
    auth=None,
    response={200: SignInOut, **ERRORS},
    summary="Sign in with a password",
    description="A right password for an account with a phone sends a code by SMS "
    "(`status: code_sent`; confirm with `POST /sign-in/confirm`); an account without a phone "
    "is signed in at once (`status: signed_in`). 401 `invalid_credentials`; 429 "
    "`sign_in_paused` after repeated failures.",
)
def sign_in(request: HttpRequest, payload: SignInIn) -> SignInOut:
    username = payload.username.strip()
    address = client_address(request)
    if sign_in_locked(username=username, address=address):
        raise SignInPaused(
            _("Too many failed attempts. For your safety sign-in is paused; try again later.")
        )
    user = authenticate(request, username=username, password=payload.password)
    if not isinstance(user, User):
        sign_in_attempt_record(username=username, address=address, user=None, succeeded=False)
        raise InvalidCredentials(
            _("The IIN or username and password do not match. Check both and try again.")
        )
    if not user.phone:
        login(request, user)
        sign_in_attempt_record(username=username, address=address, user=user, succeeded=True)
        return SignInOut(status="signed_in", user=_signed_in(user))
    sign_in_password_ok_record(user=user, username=username, address=address)
    pending_start(request, user=user, purpose=OtpPurpose.SIGN_IN)
    try:
        otp_send(user=user, purpose=OtpPurpose.SIGN_IN)
    except OtpThrottled:
        pass  # the code sent a moment ago is still valid
    except OtpError:
        pending_clear(request)
        raise
    return SignInOut(status="code_sent", code=_code_sent(user, OtpPurpose.SIGN_IN, True))


@router.post(
    "/sign-in/confirm",
    auth=None,
    response={200: SignedIn, **ERRORS},
    summary="Finish signing in with the code",
    description="Verifies the SMS code; the session cookie is then signed in. Errors as for "
    "`/register/confirm`.",
)
def sign_in_confirm(request: HttpRequest, payload: CodeIn) -> SignedIn:
    return _confirm(request, OtpPurpose.SIGN_IN, payload)


@router.post(
    "/codes/resend",
    auth=None,
    response={200: CodeSent, **ERRORS},
    summary="Send a new code",
    description="Sends a new code for the pending step (registration or sign-in); earlier codes "
    "stop working. 429 `otp_throttled` with the wait in the message when asked too soon, "
    "503 `otp_send_failed` when the SMS gateway refuses.",
)
def codes_resend(request: HttpRequest) -> CodeSent:
    pending = _pending(request, None)
    otp_send(user=pending.user, purpose=pending.purpose)
    return _code_sent(pending.user, pending.purpose, True)
