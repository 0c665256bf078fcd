"""The applicant's applications: drafts, sections, review, signing and submission.

The same actions as the portal's pages, for the mobile app and the e-government integration.
Only applicants reach these endpoints, and only their own applications: anyone else's id is
"not found".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.accounts.selectors import signed_in_user
from bolashaq.api.errors import ErrorEnvelope
from bolashaq.applications import actions
from bolashaq.applications.forms import section_form_for
from bolashaq.applications.models import Application
from bolashaq.applications.selectors import (
    application_for_applicant,
    application_readiness,
    application_rules_result,
    applications_of,
)
from bolashaq.competitions.models import Intake
from bolashaq.core.errors import NotAllowed, NotFound

router = Router(tags=["applications"])

ERRORS: dict[int, Any] = {
    400: ErrorEnvelope,
    401: ErrorEnvelope,
    403: ErrorEnvelope,
    404: ErrorEnvelope,
    409: ErrorEnvelope,
    422: ErrorEnvelope,
    429: ErrorEnvelope,
}


def _applicant(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if user.role != Role.APPLICANT:
        raise NotAllowed(_("Only applicants have applications."))
    return user


def _own(request: HttpRequest, application_id: int) -> Application:
    return application_for_applicant(applicant=_applicant(request), pk=application_id)


class ApplicationOut(Schema):
    id: int
    intake: str
    programme: str
    category: str
    state: str
    version: int
    submitted_at: datetime | None
    decided_at: datetime | None
    review_due_at: datetime | None
    reasons: list[dict[str, Any]]
    referral_reasons: list[dict[str, Any]]


def _out(application: Application) -> ApplicationOut:
    return ApplicationOut(
        id=application.pk,
        intake=application.intake.code,
        programme=application.programme,
        category=application.category,
        state=application.state,
        version=application.version,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        review_due_at=application.review_due_at,
        reasons=application.reasons,
        referral_reasons=application.referral_reasons,
    )


class SectionStatusOut(Schema):
    id: str
    complete: bool
    missing: list[str]


class DetailOut(ApplicationOut):
    answers: dict[str, Any]
    sections: list[SectionStatusOut]
    documents: list[dict[str, Any]]
    ready_to_sign: bool
    rules: dict[str, Any]


class StartIn(Schema):
    intake: str
    category: str


class SectionIn(Schema):
    values: dict[str, str]
    expected_version: int | None = None


class SectionOut(Schema):
    version: int
    complete: bool
    errors: dict[str, list[str]]


class SignRequestOut(Schema):
    content_hash: str


class SubmitIn(Schema):
    content_hash: str
    code: str


@router.get("", response={200: list[ApplicationOut], **ERRORS}, summary="My applications")
def list_applications(request: HttpRequest) -> list[ApplicationOut]:
    return [_out(a) for a in applications_of(applicant=_applicant(request))]


@router.post(
    "",
    response={201: ApplicationOut, **ERRORS},
    summary="Start an application (or get the draft already started) in an open intake",
)
def start_application(request: HttpRequest, body: StartIn) -> Status[ApplicationOut]:
    intake = Intake.objects.filter(code=body.intake).first()
    if intake is None:
        raise NotFound(_("No such intake."))
    application = actions.application_start(
        acting_user=_applicant(request), intake=intake, category=body.category
    )
    return Status(201, _out(application))


@router.get("/{application_id}", response={200: DetailOut, **ERRORS}, summary="One application")
def get_application(request: HttpRequest, application_id: int) -> DetailOut:
    application = _own(request, application_id)
    readiness = application_readiness(application)
    return DetailOut(
        **_out(application).dict(),
        answers=application.answers,
        sections=[
            SectionStatusOut(id=s.section.id, complete=s.complete, missing=list(s.missing))
            for s in readiness.sections
        ],
        documents=[
            {"id": d["id"], "title": d["title"], "complete": d["complete"]}
            for d in readiness.documents
        ],
        ready_to_sign=readiness.ready,
        rules=application_rules_result(application).to_dict(),
    )


@router.put(
    "/{application_id}/sections/{section}",
    response={200: SectionOut, **ERRORS},
    summary="Save one section's answers (kept even when some are invalid; errors returned)",
)
def save_section(
    request: HttpRequest, application_id: int, section: str, body: SectionIn
) -> SectionOut:
    application = _own(request, application_id)
    form_class = section_form_for(application, section)
    if form_class is None:
        raise NotFound(_("This application has no such section."))
    values = {name: str(body.values.get(name, "")).strip()[:500] for name in form_class.base_fields}
    form = form_class(data=values)
    valid = form.is_valid()
    application = actions.application_save_section(
        acting_user=_applicant(request),
        application=application,
        section=section,
        values=values,
        expected_version=body.expected_version,
    )
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    return SectionOut(version=application.version, complete=valid, errors=errors)


@router.post(
    "/{application_id}/sign-request",
    response={200: SignRequestOut, **ERRORS},
    summary="Send the SMS code that signs exactly the current version",
)
def sign_request(request: HttpRequest, application_id: int) -> SignRequestOut:
    application = _own(request, application_id)
    content_hash = actions.application_sign_request(
        acting_user=_applicant(request), application=application
    )
    return SignRequestOut(content_hash=content_hash)


@router.post(
    "/{application_id}/submit",
    response={200: ApplicationOut, **ERRORS},
    summary="Sign with the SMS code and submit (idempotent: a retry returns the same submission)",
)
def submit(request: HttpRequest, application_id: int, body: SubmitIn) -> ApplicationOut:
    application = _own(request, application_id)
    application = actions.application_submit(
        acting_user=_applicant(request),
        application=application,
        content_hash=body.content_hash,
        code=body.code.strip(),
    )
    return _out(application)


@router.post(
    "/{application_id}/withdraw", response={200: ApplicationOut, **ERRORS}, summary="Withdraw"
)
def withdraw(request: HttpRequest, application_id: int) -> ApplicationOut:
    application = _own(request, application_id)
    return _out(
        actions.application_withdraw(acting_user=_applicant(request), application=application)
    )


@router.post(
    "/{application_id}/correct",
    response={200: ApplicationOut, **ERRORS},
    summary="After a refusal, reopen as a draft to correct and resubmit (window must be open)",
)
def correct(request: HttpRequest, application_id: int) -> ApplicationOut:
    application = _own(request, application_id)
    return _out(
        actions.application_correct(acting_user=_applicant(request), application=application)
    )
