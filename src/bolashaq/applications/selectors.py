"""Reads about applications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bolashaq.accounts.models import User
from bolashaq.applications.models import Application
from bolashaq.applications.profile import evaluate_answers, track_for
from bolashaq.applications.sections import SectionStatus, sections_status
from bolashaq.core.errors import NotFound
from bolashaq.rules import Result

if TYPE_CHECKING:
    from bolashaq.documents.models import Document


def applications_of(*, applicant: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=applicant).select_related("intake")


def applications_per_state() -> dict[str, int]:
    rows = Application.objects.values("state").annotate(n=Count("id")).order_by("state")
    return {row["state"]: row["n"] for row in rows}


def application_today() -> dt.date:
    """Today in Kazakhstan (server time, Asia/Almaty): the date rules and windows are judged on."""
    return timezone.localdate()


def application_rules_result(application: Application, *, what_if: bool = True) -> Result:
    """The rules engine's live verdict on the application's current answers.

    Answers are kept as typed, valid or not: one the engine cannot read (a KAZTEST score of -1,
    "NaN") counts as unanswered instead of breaking every page of the application (found by
    the workflow state machine).
    """
    return evaluate_answers(
        application.answers,
        rule_set_id=application.intake.rule_set,
        programme=application.programme,
        category=application.category,
        on=(timezone.localdate(application.submitted_at) if application.submitted_at else None)
        or application_today(),
        what_if=what_if,
        skip_unreadable=True,
    )


def application_checklist(application: Application) -> list[dict[str, Any]]:
    """The documents this applicant must upload: ``[{"id", "title": {"kk", "ru", "en"}}]``."""
    documents: list[dict[str, Any]] = application_rules_result(
        application, what_if=False
    ).to_dict()["documents"]
    return documents


@dataclass(frozen=True)
class Readiness:
    """What is still missing before the applicant can sign: sections and documents."""

    sections: list[SectionStatus]
    documents: list[dict[str, Any]]

    @property
    def ready(self) -> bool:
        return all(s.complete for s in self.sections) and all(d["complete"] for d in self.documents)


def application_readiness(
    application: Application, *, current: Mapping[str, Document] | None = None
) -> Readiness:
    """``current``: the application's current documents by slot, if the caller has read them."""
    from bolashaq.applications.forms import section_form_for
    from bolashaq.documents.selectors import checklist_status

    track = track_for(application.intake.rule_set, application.programme, application.category)
    sections = sections_status(application.answers, track) if track is not None else []
    checked = []
    for status in sections:
        # Answered is not enough: what was typed must also be valid (kept as typed when not).
        form_class = section_form_for(application, status.section.id)
        given = application.answers.get(status.section.id) or {}
        if status.complete and form_class is not None and not form_class(data=given).is_valid():
            status = SectionStatus(status.section, False, status.missing)
        checked.append(status)
    return Readiness(sections=checked, documents=checklist_status(application, current=current))


def application_for_applicant(*, applicant: User, pk: int) -> Application:
    """The applicant's own application; anyone else's is "not found", so ids do not leak."""
    application = applications_of(applicant=applicant).filter(pk=pk).first()
    if application is None:
        raise NotFound(_("No such application."))
    return application
