"""The application's state machine: every allowed transition, as one table.

An action changes state only through ``next_state``; anything not in the table raises
``IllegalTransition``. ``docs/concepts/application-states.md`` shows this table as a diagram.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bolashaq.core.errors import IllegalTransition


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("Checked by an operator")
    ACCEPTED = "accepted", _("Accepted for the competition")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Event(models.TextChoices):
    SUBMIT = "submit", _("submit")
    REFER = "refer", _("refer to an operator")
    ACCEPT = "accept", _("accept")
    REFUSE = "refuse", _("refuse")
    CORRECT = "correct", _("correct and resubmit")
    WITHDRAW = "withdraw", _("withdraw")


TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.DRAFT, Event.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Event.ACCEPT): State.ACCEPTED,
    (State.SUBMITTED, Event.REFUSE): State.REFUSED,
    (State.SUBMITTED, Event.REFER): State.IN_REVIEW,
    (State.IN_REVIEW, Event.ACCEPT): State.ACCEPTED,
    (State.IN_REVIEW, Event.REFUSE): State.REFUSED,
    (State.REFUSED, Event.CORRECT): State.DRAFT,
    (State.DRAFT, Event.WITHDRAW): State.WITHDRAWN,
    (State.SUBMITTED, Event.WITHDRAW): State.WITHDRAWN,
    (State.IN_REVIEW, Event.WITHDRAW): State.WITHDRAWN,
    (State.REFUSED, Event.WITHDRAW): State.WITHDRAWN,
    (State.ACCEPTED, Event.WITHDRAW): State.WITHDRAWN,
}

# States that still hold the applicant's one place in an intake.
ACTIVE_STATES = frozenset(State) - {State.WITHDRAWN}


def next_state(current: str, event: Event) -> State:
    try:
        return TRANSITIONS[(State(current), event)]
    except KeyError:
        raise IllegalTransition(
            _("The action “%(event)s” is not possible for an application in status “%(state)s”.")
            % {"state": State(current).label, "event": event.label}
        ) from None


def mermaid() -> str:
    """The transition table as a Mermaid state diagram (docs/concepts/application-states.md)."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    lines += [f"    {s.value} --> {t.value}: {e.value}" for (s, e), t in TRANSITIONS.items()]
    return "\n".join(lines)
