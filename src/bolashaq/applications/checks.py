"""The automatic acceptance check, run in the background right after submission.

It judges the signed package against the rule set on the day of submission and gives one of
three answers: accepted for the competition; refused, with a reason per failing item in kk/ru/en;
or referred to an operator when a machine cannot decide (a diploma on a percent scale, a
scanned motivation letter, any requirement left unknown). The task is idempotent: it acts only
on an application still ``submitted`` with the hash it was given, so a retry or a second worker
changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.actions import application_transition
from bolashaq.applications.models import Application
from bolashaq.applications.selectors import application_rules_result
from bolashaq.applications.states import Event, State
from bolashaq.core.tasks import retried_task

logger = logging.getLogger(__name__)

LETTER_SLOT = "motivation_letter"


def in_every_language(message: str | Promise) -> dict[str, str]:
    """A translatable message rendered in each site language, as reasons are stored."""
    rendered = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = str(message)
    return rendered


@dataclass
class Decision:
    refusals: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def event(self) -> Event:
        if self.refusals:
            return Event.REFUSE
        if self.referrals:
            return Event.REFER
        return Event.ACCEPT


def _letter_is_scan(application: Application) -> bool:
    """True when the motivation letter has no text layer a machine can read."""
    from bolashaq.documents.selectors import documents_current

    # Set at upload for a letter that is an image or a PDF without a text layer.
    document = documents_current(application).get(LETTER_SLOT)
    return document is not None and document.needs_review


def decide(application: Application) -> Decision:
    """Judge the application as submitted; pure apart from reading its documents."""
    decision = Decision()
    result = application_rules_result(application, what_if=False)
    for requirement in result.requirements:
        reason = {"requirement": requirement.id, "message": dict(requirement.message)}
        if requirement.status == "unmet":
            decision.refusals.append(reason)
        elif requirement.status == "unknown":
            # A percent-scale diploma (gpa.manual_review) or anything the data leaves open.
            decision.referrals.append(reason)
    if _letter_is_scan(application):
        decision.referrals.append(
            {
                "requirement": LETTER_SLOT,
                "message": in_every_language(
                    _(
                        "The motivation letter is a scanned image: an operator checks its "
                        "length, language, date and signature."
                    )
                ),
            }
        )
    return decision


@retried_task()
def application_check(*, application_id: int, content_hash: str) -> str:
    """Accept, refuse or refer a submitted application; returns what it did."""
    from bolashaq.applications.review import application_refer

    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",), no_key=True)
            .select_related("intake", "applicant")
            .filter(pk=application_id)
            .first()
        )
        if (
            application is None
            or application.state != State.SUBMITTED
            or application.submitted_hash != content_hash
        ):
            return "skipped"
        decision = decide(application)
        event = decision.event
        if event == Event.REFER:
            application_refer(acting_user=None, application=application, reasons=decision.referrals)
        else:
            application_transition(
                acting_user=None,
                application=application,
                event=event,
                reasons=decision.refusals,
                locked=True,
            )
    logger.info("application %s checked: %s", application_id, event.value)
    return event.value
