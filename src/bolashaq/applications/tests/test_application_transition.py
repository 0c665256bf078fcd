from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.states import TRANSITIONS, Event, State, next_state
from bolashaq.audit.models import AuditEvent
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.core.errors import IllegalTransition


@pytest.fixture
def intake(cast):
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


@pytest.mark.parametrize("pair", list(TRANSITIONS))
def test_every_transition_in_the_table_is_allowed(pair) -> None:
    state, event = pair
    assert next_state(state, event) == TRANSITIONS[pair]


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", list(Event))
def test_everything_else_is_refused(state, event) -> None:
    if (state, event) in TRANSITIONS:
        return
    with pytest.raises(IllegalTransition):
        next_state(state, event)


def test_transition_is_audited_with_old_and_new_state(cast, intake) -> None:
    applicant = cast[Role.APPLICANT]
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    application = application_transition(
        acting_user=applicant, application=application, event=Event.SUBMIT
    )
    assert application.state == State.SUBMITTED
    assert application.submitted_at is not None
    event = AuditEvent.objects.get(action="application.submit")
    assert event.old == {"state": "draft"}
    assert event.new == {"state": "submitted", "reasons": []}
    assert event.actor == applicant


def test_refusal_keeps_its_reasons(cast, intake) -> None:
    applicant = cast[Role.APPLICANT]
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="rural"
    )
    application_transition(acting_user=applicant, application=application, event=Event.SUBMIT)
    reasons = [{"requirement": "gpa", "message": {"kk": "GPA", "ru": "GPA", "en": "GPA"}}]
    refused = application_transition(
        acting_user=None, application=application, event=Event.REFUSE, reasons=reasons
    )
    assert refused.state == State.REFUSED
    assert refused.reasons == reasons
    with pytest.raises(IllegalTransition):
        application_transition(acting_user=None, application=refused, event=Event.ACCEPT)


def test_database_allows_one_active_application_per_intake(cast, intake) -> None:
    applicant = cast[Role.APPLICANT]
    first = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        application_create(
            acting_user=applicant, applicant=applicant, intake=intake, category="rural"
        )
    application_transition(acting_user=applicant, application=first, event=Event.WITHDRAW)
    again = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="rural"
    )
    assert again.state == State.DRAFT


def test_the_documented_diagram_is_the_table() -> None:
    from pathlib import Path

    from bolashaq.applications.states import mermaid

    doc = Path(__file__).resolve().parents[4] / "docs" / "concepts" / "application-states.md"
    assert mermaid() in doc.read_text(encoding="utf-8")
