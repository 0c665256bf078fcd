"""Fuzz the API against its own OpenAPI document, as every role and anonymously.

Schemathesis reads ``/api/v1/openapi.json`` from the Django application in-process (its WSGI
transport, no server) and generates requests for every operation: valid ones and, as often,
invalid ones (wrong types, missing fields, odd strings). Each answer must

* not be a server error (in tests the SMS outbox and the storage never fail, so no 5xx at all);
* have a status code the operation declares, a declared content type, and a body that matches
  the declared schema (the error envelope for errors);
* and grant nothing without the right: anonymously every signed-in operation answers 401; for
  anyone but the applicant who owns it, an application endpoint answers 401/403/404, never 2xx.
  CIP staff who check or audit applications (operator, administrator, auditor) may read an
  application's documents (``documents.selectors.READER_ROLES``), and nothing else of it.

Half of the generated requests aim at real objects: the applicant's application (every section
answered, every document uploaded), its real section and document names, the open intake.
Every example runs in a savepoint that is rolled back, so examples cannot affect one another
and a failure replays exactly.

``BOLASHAQ_FUZZ_EXAMPLES`` (default 25 per operation and role) and ``BOLASHAQ_FUZZ_SEED`` make a
longer or a different campaign: see ``docs/operations/fuzzing.md``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bolashaq.accounts.actions import api_token_create
from bolashaq.accounts.roles import Role
from bolashaq.applications import actions
from bolashaq.applications.samples import eligible_answers, fill_answers, upload_documents
from bolashaq.applications.selectors import application_checklist, application_readiness
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.documents.selectors import READER_ROLES

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _operations() -> dict[str, Any]:
    """Every operation of the document; one that schemathesis cannot read fails loudly."""
    found: dict[str, Any] = {}
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found[result.ok().label] = result.ok()
    return found


OPERATIONS = _operations()

EXAMPLES = int(os.environ.get("BOLASHAQ_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("BOLASHAQ_FUZZ_SEED")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

ANONYMOUS = "anonymous"
WHO = [
    ANONYMOUS,
    Role.APPLICANT,
    Role.OPERATOR,
    Role.EXPERT,
    Role.COMMISSION,
    Role.AUDITOR,
    Role.ADMIN,
]


@dataclass(frozen=True)
class World:
    """Real objects for requests to aim at: the applicant's application and its parts."""

    application_id: int
    sections: list[str]
    slots: list[str]
    intake: str
    category: str


@pytest.fixture
def world(cast, media) -> World:
    applicant = cast[Role.APPLICANT]
    now = timezone.now()
    intake = intake_create(
        acting_user=cast[Role.OPERATOR],
        code="master-fuzz",
        programme=Programme.MASTER,
        titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    application = actions.application_start(
        acting_user=applicant, intake=intake, category="general"
    )
    application = fill_answers(
        applicant=applicant,
        application=application,
        answers=eligible_answers(timezone.localdate()),
    )
    upload_documents(applicant=applicant, application=application)
    application.refresh_from_db()
    readiness = application_readiness(application)
    assert readiness.ready, "the fuzzed application should be complete, to reach signing"
    return World(
        application_id=application.pk,
        sections=[s.section.id for s in readiness.sections],
        slots=[item["id"] for item in application_checklist(application)],
        intake=intake.code,
        category="general",
    )


def _path_names(operation: Any) -> set[str]:
    return set(re.findall(r"{(\w+)}", operation.path))


def strategy(operation: Any, world: World) -> st.SearchStrategy[Any]:
    """Valid and invalid requests, half of them aimed at the world's real objects."""
    generated = [
        operation.as_strategy(),
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    ]
    names = _path_names(operation)
    aimed: list[st.SearchStrategy[Any]] = []
    if "application_id" in names:
        parts = {"slot": world.slots, "section": world.sections}
        choices = {name: st.sampled_from(values) for name, values in parts.items() if name in names}
        aimed.append(
            st.fixed_dictionaries(choices).flatmap(
                lambda chosen: operation.as_strategy(
                    path_parameters={"application_id": world.application_id, **chosen}
                )
            )
        )
    if operation.method.upper() == "POST" and operation.path == "/api/v1/applications":
        aimed.append(
            operation.as_strategy(body={"intake": world.intake, "category": world.category})
        )
    return st.one_of(*generated, *aimed) if aimed else st.one_of(*generated)


def secured(operation: Any) -> bool:
    """Whether the operation needs a signed-in user (public ones declare no security)."""
    return operation.definition.raw.get("security") is not None


def rights_problem(who: str, operation: Any, response: Any) -> str | None:
    """Why this answer grants more than ``who`` may have, or None."""
    status = response.status_code
    if who == ANONYMOUS and secured(operation) and status != 401:
        return f"anonymous got {status}, not 401"
    if not operation.path.startswith("/api/v1/applications") or who == Role.APPLICANT:
        return None
    if not 200 <= status < 300:
        return None
    reads_documents = operation.method.upper() == "GET" and "/documents" in operation.path
    if reads_documents and who in READER_ROLES:
        return None
    return f"{who} got {status}"


def fuzz(operation: Any, who: str, headers: dict[str, str], world: World) -> None:
    """Run the examples for one operation; raise on the first failing one (shrunk)."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy(operation, world))
    def run(case: Any) -> None:
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=CHECKS, headers=headers)
        problem = rights_problem(who, operation, response)
        assert problem is None, f"{case.method} {case.formatted_path}: {problem}"

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()


def describe(exc: BaseException) -> str:
    """The failure with every sub-failure of a group (schemathesis groups its findings)."""
    text = str(exc)
    if isinstance(exc, BaseExceptionGroup):
        text += "".join(f"\n  - {describe(sub)}" for sub in exc.exceptions)
    return text


@pytest.mark.parametrize("who", WHO)
def test_every_operation_answers_within_its_schema_and_rights(
    who: str, cast, world: World, wsgi_app
) -> None:
    headers: dict[str, str] = {}
    if who != ANONYMOUS:
        _token, secret = api_token_create(
            acting_user=None, user=cast[Role(who)], name=f"fuzz {who}"
        )
        headers["Authorization"] = f"Bearer {secret}"
    failures: list[str] = []
    for label, operation in OPERATIONS.items():
        if who != ANONYMOUS and not secured(operation):
            continue  # public operations ignore the token: fuzzed once, anonymously
        try:
            fuzz(operation, who, headers, world)
        # Schemathesis raises its findings as a BaseExceptionGroup.
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{label}: {describe(exc)}")
    assert not failures, "\n\n".join(failures)


def test_an_anonymous_write_is_told_to_sign_in(db) -> None:
    # Found by the fuzzer: without a session, the session auth's CSRF check answered 403
    # "CSRF check Failed" (untranslated) before anyone asked for a credential.
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/applications",
        {"intake": "x", "category": "general"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
