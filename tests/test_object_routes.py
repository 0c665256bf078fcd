"""Every route that takes an object's id, tried with someone else's objects: never a success.

Applicant A owns two applications (a complete draft and one referred to an operator) and their
documents. Every URL pattern that takes an object id (an ``int`` or ``uuid`` converter in
Django's resolver, an integer or uuid path parameter in the API's OpenAPI document) is requested
with A's ids by another applicant, by every staff role and anonymously, with GET and POST on
the pages and the declared method in the API. None may answer 200, 201 or 204, nor redirect
anywhere but to the sign-in page; and A's applications must be exactly as they were
afterwards. ``ALLOWED`` lists who may (CIP staff reading documents, operators and
administrators on the review case): those requests are not made here, and a second test shows
they, and the owner's, do succeed, so the ids are real.

The routes found must equal ``PAGE_ROUTES`` and ``API_ROUTES``: a new object route fails this
test until someone decides who may use it and lists it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter
from django.utils import timezone

from bolashaq.accounts.actions import api_token_create, user_create
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.api.main import api
from bolashaq.applications import actions
from bolashaq.applications.models import Application
from bolashaq.applications.samples import (
    eligible_answers,
    fill_answers,
    sample_pdf,
    upload_documents,
)
from bolashaq.applications.states import State
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.documents.models import Document
from bolashaq.documents.selectors import document_hashes

# Pages (Django's resolver) whose URL holds an object id.
PAGE_ROUTES = {
    "portal/applications/<int:pk>/",
    "portal/applications/<int:pk>/review/",
    "portal/applications/<int:pk>/submit/",
    "portal/applications/<int:pk>/withdraw/",
    "portal/applications/<int:pk>/correct/",
    "portal/applications/<int:pk>/<slug:section>/",
    "documents/applications/<int:application_id>/<slug:slot>/",
    "documents/<uuid:public_id>/",
    "documents/<uuid:public_id>/remove/",
    "office/review/<int:pk>/",
}

# API operations whose path holds an object id.
API_ROUTES = {
    "GET /api/v1/applications/{application_id}",
    "PUT /api/v1/applications/{application_id}/sections/{section}",
    "POST /api/v1/applications/{application_id}/sign-request",
    "POST /api/v1/applications/{application_id}/submit",
    "POST /api/v1/applications/{application_id}/withdraw",
    "POST /api/v1/applications/{application_id}/correct",
    "GET /api/v1/applications/{application_id}/documents",
    "POST /api/v1/applications/{application_id}/documents/{slot}",
    "DELETE /api/v1/applications/{application_id}/documents/{slot}",
    "GET /api/v1/applications/{application_id}/documents/{slot}/file",
}

READERS: set[str] = {Role.OPERATOR, Role.ADMIN, Role.AUDITOR}  # documents READER_ROLES

# Who may succeed on someone else's object, and why.
ALLOWED: dict[tuple[str, str], set[str]] = {
    # CIP staff who check or audit applications read their documents (docs/concepts/documents.md).
    ("documents/<uuid:public_id>/", "GET"): READERS,
    ("GET /api/v1/applications/{application_id}/documents", "GET"): READERS,
    ("GET /api/v1/applications/{application_id}/documents/{slot}/file", "GET"): READERS,
    # The review case: operators decide, administrators look (docs/concepts/review.md).
    ("office/review/<int:pk>/", "GET"): {Role.OPERATOR, Role.ADMIN},
    ("office/review/<int:pk>/", "POST"): {Role.OPERATOR},
}

OTHER_IIN = "061211600012"
ANONYMOUS = "anonymous"
OTHER_APPLICANT = "other applicant"
SUCCESS = {200, 201, 204}
SECTION = "education"


# --- discovery ----------------------------------------------------------------------------------


def _patterns(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, route)
        else:
            yield route, pattern


def page_object_routes() -> set[str]:
    """Routes whose pattern converts an int or a uuid (the API's are found from its schema)."""
    found = set()
    for route, pattern in _patterns(get_resolver().url_patterns):
        converters = getattr(pattern.pattern, "converters", {})
        if any(isinstance(c, IntConverter | UUIDConverter) for c in converters.values()):
            found.add(route)
    return found


def api_object_routes() -> set[str]:
    """API operations with an integer or uuid path parameter, from the OpenAPI document."""
    found = set()
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and (
                    schema.get("type") == "integer" or schema.get("format") == "uuid"
                ):
                    found.add(f"{method.upper()} {path}")
    return found


def test_every_object_route_is_listed_here() -> None:
    assert page_object_routes() == PAGE_ROUTES
    assert api_object_routes() == API_ROUTES


# --- A's objects ----------------------------------------------------------------------------------


@dataclass
class Owned:
    draft: Application
    referred: Application
    slot: str
    document: Document
    content_hash: str


def _intake(cast, code: str) -> Any:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code=code,
        programme=Programme.MASTER,
        titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


@pytest.fixture
def owned(cast, settings, tmp_path) -> Owned:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media-not-served/"},
        },
    }
    applicant = cast[Role.APPLICANT]
    today = timezone.localdate()
    # A complete draft, signed for (so a code exists for it).
    draft = actions.application_start(
        acting_user=applicant, intake=_intake(cast, "master-open"), category="general"
    )
    fill_answers(applicant=applicant, application=draft, answers=eligible_answers(today))
    [document, *_rest] = upload_documents(applicant=applicant, application=draft)
    draft.refresh_from_db()
    content_hash = actions.application_sign_request(acting_user=applicant, application=draft)
    # One referred to an operator: a diploma on a percent scale in the rural category.
    referred = actions.application_start(
        acting_user=applicant, intake=_intake(cast, "master-rural"), category="rural"
    )
    answers = eligible_answers(today)
    answers["education"] |= {"gpa": "85", "gpa_scale": "100"}
    answers["rural"] = {"residence_months": "30", "work_months": "30"}
    fill_answers(applicant=applicant, application=referred, answers=answers)
    upload_documents(applicant=applicant, application=referred)
    referred.refresh_from_db()
    # The resend pause is for people: the second code may be sent at once.
    applicant.one_time_codes.update(created_at=timezone.now() - timedelta(hours=1))
    referred_hash = actions.application_sign_request(acting_user=applicant, application=referred)
    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.application_submit(
            acting_user=applicant,
            application=referred,
            content_hash=referred_hash,
            code=last_code(applicant.phone),
        )
    referred.refresh_from_db()
    assert referred.state == State.IN_REVIEW
    return Owned(draft, referred, document.slot, document, content_hash)


def _snapshot(owned: Owned) -> list[Any]:
    rows = []
    for application in (owned.draft, owned.referred):
        application = Application.objects.get(pk=application.pk)
        rows.append(
            (
                application.state,
                application.version,
                application.answers,
                application.submitted_hash,
                application.reasons,
                document_hashes(application),
            )
        )
    return rows


# --- requests -----------------------------------------------------------------------------------


def _fill(route: str, values: dict[str, str]) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    return "/" + re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path).lstrip("/")


def _page_values(owned: Owned, application: Application) -> dict[str, str]:
    document = Document.objects.filter(application=application, is_current=True).first()
    assert document is not None
    return {
        "pk": str(application.pk),
        "application_id": str(application.pk),
        "section": SECTION,
        "slot": owned.slot,
        "public_id": str(document.public_id),
    }


def _page_data(route: str, owned: Owned) -> dict[str, Any]:
    """A body the owner's request would be accepted with, so only the rights can refuse it."""
    if route.startswith("documents/applications/"):
        return {"file": SimpleUploadedFile("x.pdf", sample_pdf("other"), "application/pdf")}
    if route.endswith("/submit/"):
        return {"content_hash": owned.content_hash, "code": "123456"}
    if route.endswith("<slug:section>/"):
        return eligible_answers(timezone.localdate())[SECTION]
    if route.startswith("office/review/"):
        return {"decision": "accept"}
    return {}


def _api_call(client: Client, operation: str, path: str, owned: Owned) -> Any:
    method = operation.split(" ", 1)[0]
    if method == "GET":
        return client.get(path)
    if method == "DELETE":
        return client.delete(path)
    if method == "PUT":
        values = eligible_answers(timezone.localdate())[SECTION]
        return client.put(path, {"values": values}, content_type="application/json")
    if operation.endswith("/documents/{slot}"):
        upload = SimpleUploadedFile("x.pdf", sample_pdf("other"), "application/pdf")
        return client.post(path, {"file": upload})
    if operation.endswith("/submit"):
        body = {"content_hash": owned.content_hash, "code": "123456"}
        return client.post(path, body, content_type="application/json")
    return client.post(path)


def _clients(cast) -> dict[str, tuple[Client, Client]]:
    """Who asks: (a page client with a session, an API client with a bearer token)."""
    other = user_create(
        acting_user=None,
        username=OTHER_IIN,
        password=None,
        role=Role.APPLICANT,
        first_name="Dana",
        last_name="Other",
        iin=OTHER_IIN,
        phone="+77019990001",
        language="en",
    )
    users = {OTHER_APPLICANT: other} | {
        str(role): cast[role] for role in Role if role != Role.APPLICANT
    }
    clients = {ANONYMOUS: (Client(), Client())}
    for who, user in users.items():
        page = Client()
        page.force_login(user)
        _token, secret = api_token_create(acting_user=None, user=user, name="sweep")
        clients[who] = (page, Client(HTTP_AUTHORIZATION=f"Bearer {secret}"))
    return clients


def _problem(who: str, key: tuple[str, str], response: Any) -> str | None:
    status = response.status_code
    if status in SUCCESS:
        return f"{who} got {status}"
    if 300 <= status < 400:
        location = response.get("Location", "")
        if not location.startswith(resolve_url(django_settings.LOGIN_URL) + "?"):
            return f"{who} was sent to {location!r} ({status})"
    return None


def test_no_one_else_gets_an_applicants_objects(cast, owned: Owned) -> None:
    before = _snapshot(owned)
    problems: list[str] = []
    for who, (page, api_client) in _clients(cast).items():
        for application in (owned.draft, owned.referred):
            values = _page_values(owned, application)
            for route in sorted(PAGE_ROUTES):
                path = _fill(route, values)
                for method in ("GET", "POST"):
                    if who in ALLOWED.get((route, method), set()):
                        continue  # a right, not a leak (and the decision would change A's)
                    if method == "GET":
                        response = page.get(path)
                    else:
                        response = page.post(path, _page_data(route, owned))
                    problem = _problem(who, (route, method), response)
                    if problem:
                        problems.append(f"{method} {path}: {problem}")
            for operation in sorted(API_ROUTES):
                method, template = operation.split(" ", 1)
                if who in ALLOWED.get((operation, method), set()):
                    continue
                path = _fill(template, values)
                response = _api_call(api_client, operation, path, owned)
                problem = _problem(who, (operation, method), response)
                if problem:
                    problems.append(f"{operation} ({path}): {problem}")
    assert problems == []
    assert _snapshot(owned) == before, "someone else changed the applicant's applications"


def test_the_owner_and_the_allowed_staff_do_get_them(cast, owned: Owned) -> None:
    """The sweep's ids are real: the same requests succeed for those who have the right."""
    applicant = cast.client(Role.APPLICANT)
    _token, secret = api_token_create(acting_user=None, user=cast[Role.APPLICANT], name="own")
    own_api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    values = _page_values(owned, owned.draft)
    for route in sorted(PAGE_ROUTES):
        if route.startswith("office/") or not _is_read(route):
            continue
        assert applicant.get(_fill(route, values)).status_code == 200, route
    for operation in sorted(API_ROUTES):
        if operation.startswith("GET "):
            path = _fill(operation.split(" ", 1)[1], values)
            assert own_api.get(path).status_code == 200, operation
    case = _fill("office/review/<int:pk>/", _page_values(owned, owned.referred))
    for role in (Role.OPERATOR, Role.ADMIN):
        assert cast.client(role).get(case).status_code == 200, role
    download = _fill("documents/<uuid:public_id>/", values)
    for role in (Role.OPERATOR, Role.ADMIN, Role.AUDITOR):
        assert cast.client(role).get(download).status_code == 200, role


def _is_read(route: str) -> bool:
    """Page routes answered by GET (the others only take POST)."""
    return not route.endswith(("/submit/", "/withdraw/", "/correct/", "/remove/")) and not (
        route.startswith("documents/applications/")
    )
