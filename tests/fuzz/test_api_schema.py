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
longer or a different campaign: see ``docs/operations/fuzzing.md``. Every request and failure is
counted in ``var/fuzz/report.md`` and ``report.json`` (``tests/fuzz/report.py``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction
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
from tests.fuzz.report import RIGHTS_CHECK, FuzzReport, database_description, finding

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

# Failing examples kept while Hypothesis shrinks, to find the ones it ends with.
KEPT_FAILURES = 20

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


def fuzz(
    operation: Any,
    who: str,
    headers: dict[str, str],
    world: World,
    report: FuzzReport,
    examples: int = EXAMPLES,
) -> None:
    """Run the examples for one operation; raise on the first failing one (shrunk).

    Every request is counted in ``report``, and the failure Hypothesis ends with is recorded
    there with the example that shows it.
    """
    failing: dict[int, tuple[BaseException, Any]] = {}

    @settings(
        max_examples=examples,
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
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        report.record(operation.label, who, response.status_code, negative=negative)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
            problem = rights_problem(who, operation, response)
            assert problem is None, f"{case.method} {case.formatted_path}: {problem}"
        except (Exception, BaseExceptionGroup) as exc:
            # Hypothesis ends by replaying the shrunk examples: they are the last ones here.
            failing[id(exc)] = (exc, case)
            if len(failing) > KEPT_FAILURES:
                del failing[next(iter(failing))]
            raise

    if SEED is not None:
        run = seed(int(SEED))(run)
    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:
        for found, case in _examples_of(exc, failing):
            report.fail(
                finding(
                    operation=operation.label,
                    caller=who,
                    exc=found,
                    reproduction=_curl(case, headers),
                    checks=[check.__name__ for check in CHECKS],
                )
            )
        raise


def _examples_of(
    exc: BaseException, failing: dict[int, tuple[BaseException, Any]]
) -> list[tuple[BaseException, Any]]:
    """The failures Hypothesis raised, each with the (shrunk) example that raised it.

    Hypothesis raises the final, shrunk example's own exception, or a group of them when it
    found distinct failures; anything else is shown with the last failing example.
    """

    def raised(exc: BaseException) -> list[tuple[BaseException, Any]]:
        if id(exc) in failing:
            return [failing[id(exc)]]
        if isinstance(exc, BaseExceptionGroup):
            return [pair for sub in exc.exceptions for pair in raised(sub)]
        return []

    last = list(failing.values())[-1][1] if failing else None
    return raised(exc) or [(exc, last)]


def _curl(case: Any, headers: dict[str, str]) -> str:
    """A curl command that replays ``case`` (never raising over the failure it shows)."""
    if case is None:
        return ""
    try:
        return str(case.as_curl_command(headers=headers))
    except Exception as exc:
        return f"(no curl command: {exc!r})"


def describe(exc: BaseException) -> str:
    """The failure with every sub-failure of a group (schemathesis groups its findings)."""
    text = str(exc)
    if isinstance(exc, BaseExceptionGroup):
        text += "".join(f"\n  - {describe(sub)}" for sub in exc.exceptions)
    return text


@pytest.fixture(scope="session")
def fuzz_report() -> FuzzReport:
    """One report for the session's runs, written after each caller's run."""
    return FuzzReport(
        examples=EXAMPLES,
        seed=SEED,
        operations=list(OPERATIONS),
        public=[label for label, operation in OPERATIONS.items() if not secured(operation)],
    )


@pytest.mark.parametrize("who", WHO)
def test_every_operation_answers_within_its_schema_and_rights(
    who: str, cast, world: World, wsgi_app, fuzz_report: FuzzReport
) -> None:
    fuzz_report.database = database_description()
    headers: dict[str, str] = {}
    if who != ANONYMOUS:
        _token, secret = api_token_create(
            acting_user=None, user=cast[Role(who)], name=f"fuzz {who}"
        )
        headers["Authorization"] = f"Bearer {secret}"
    failures: list[str] = []
    with fuzz_report.running(who):
        for label, operation in OPERATIONS.items():
            if who != ANONYMOUS and not secured(operation):
                continue  # public operations ignore the token: fuzzed once, anonymously
            try:
                fuzz(operation, who, headers, world, fuzz_report)
            # Schemathesis raises its findings as a BaseExceptionGroup.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{label}: {describe(exc)}")
    assert not failures, "\n\n".join(failures)


def test_the_report_counts_every_request_and_shows_each_failure(
    cast, world: World, wsgi_app, tmp_path: Path
) -> None:
    report = FuzzReport(
        examples=3, seed=None, operations=list(OPERATIONS), public=[], directory=tmp_path
    )
    report.database = database_description()
    label = "GET /api/v1/applications"
    _token, secret = api_token_create(acting_user=None, user=cast[Role.APPLICANT], name="report")
    headers = {"Authorization": f"Bearer {secret}"}
    with report.running(Role.APPLICANT):
        fuzz(OPERATIONS[label], Role.APPLICANT, headers, world, report, examples=3)
    # Passed off as anonymous, the applicant's token is let in: the rights check fails.
    with report.running(ANONYMOUS), pytest.raises(AssertionError, match="anonymous got"):
        fuzz(OPERATIONS[label], ANONYMOUS, headers, world, report, examples=3)

    data = json.loads((tmp_path / "report.json").read_text())
    assert data["examples_per_operation"] == 3
    assert data["derandomize"] is True
    assert data["seed"] is None
    assert data["database"].startswith(connection.vendor)
    assert data["callers"] == ["applicant", "anonymous"]
    assert data["operations"] == len(OPERATIONS)
    assert data["schemathesis"] == version("schemathesis")
    results = {(row["operation"], row["caller"]): row for row in data["results"]}
    assert set(results) == {(label, "applicant"), (label, "anonymous")}
    assert 0 < results[(label, "applicant")]["requests"] <= 3
    assert results[(label, "anonymous")]["failures"] == 1
    assert data["requests"] == sum(row["requests"] for row in data["results"])
    for row in data["results"]:
        assert sum(row["statuses"].values()) == row["requests"]
        assert row["negative"] <= row["requests"]
    [failure] = data["failures"]
    assert (failure["operation"], failure["caller"]) == (label, "anonymous")
    assert failure["checks"] == [RIGHTS_CHECK]
    assert failure["reproduction"].startswith("curl ")
    assert "/api/v1/applications" in failure["reproduction"]
    assert secret not in failure["reproduction"], "the token is filtered"

    markdown = (tmp_path / "report.md").read_text()
    for heading in ("# API fuzzing report", "## What is checked", "## Per caller"):
        assert f"\n{heading}\n" in f"\n{markdown}"
    assert f"| `{label}` | applicant |" in markdown
    assert f"### `{label}` as anonymous" in markdown
    assert f"| requests | {data['requests']} |" in markdown


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
