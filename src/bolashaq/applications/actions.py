"""Writes about applications: each one transition, one transaction, one audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bolashaq.accounts.models import User
from bolashaq.applications.models import Application
from bolashaq.applications.states import Event, State, next_state
from bolashaq.audit.actions import audit_record
from bolashaq.competitions.models import Intake


def application_create(
    *, acting_user: User, applicant: User, intake: Intake, category: str
) -> Application:
    with transaction.atomic():
        application = Application.objects.create(
            applicant=applicant, intake=intake, programme=intake.programme, category=category
        )
        audit_record(
            acting_user=acting_user,
            action="application.create",
            target=application,
            new={"intake": intake.code, "programme": intake.programme, "category": category},
        )
    return application


def application_transition(
    *,
    acting_user: User | None,
    application: Application,
    event: Event,
    reasons: list[dict[str, Any]] | None = None,
) -> Application:
    """Move ``application`` along the transition table, recording who did it and why."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        old_state = locked.state
        locked.state = next_state(old_state, event)
        fields = ["state", "updated_at"]
        now = timezone.now()
        if locked.state == State.SUBMITTED:
            locked.submitted_at = now
            fields.append("submitted_at")
        if locked.state in (State.ACCEPTED, State.REFUSED):
            locked.decided_at = now
            locked.reasons = reasons or []
            fields += ["decided_at", "reasons"]
        locked.save(update_fields=fields)
        audit_record(
            acting_user=acting_user,
            action=f"application.{event.value}",
            target=locked,
            old={"state": old_state},
            new={"state": locked.state, "reasons": reasons or []},
        )
    return locked
