"""The application's history as the applicant sees it, read from the audit chain.

Each change of state is one audit event (``application.create`` and ``application.<event>``);
the timeline lists them in order with the state reached, a label in the current language, the
reasons of a refusal or referral, and the e-mails and SMS sent about it. It says who acted only
as "the applicant", "an operator" or "automatically": never a staff member's name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.models import Application, Notice
from bolashaq.applications.states import State
from bolashaq.audit.models import AuditEvent

# Kazakhstan keeps one time zone, UTC+5 (Asia/Almaty in the tz database), called Astana time.
ASTANA = ZoneInfo("Asia/Almaty")

LABELS: dict[str, str | Promise] = {
    "application.create": _("Application started"),
    "application.submit": _("Signed and submitted"),
    "application.accept": _("Accepted for the competition"),
    "application.refuse": _("Refused"),
    "application.refer": _("Passed to an operator for a check"),
    "application.correct": _("Returned to draft for correction"),
    "application.withdraw": _("Withdrawn"),
}
# ``review.application_refer`` records the operator's deadline as its own event after the change.
SCHEDULE_ACTION = "review.schedule"
BY_APPLICANT = _("by the applicant")
BY_OPERATOR = _("by an operator")
BY_SYSTEM = _("automatically")


@dataclass(frozen=True)
class TimelineNotice:
    channel: str  # "email" or "sms"
    label: str
    sent_at: datetime  # Astana time


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # Astana time
    action: str  # the audit action, e.g. "application.refuse"
    state: str  # the state reached
    state_label: str
    label: str
    by: str
    reasons: list[str] = field(default_factory=list)
    deadline: datetime | None = None  # an operator's deadline for a referral, Astana time
    notices: list[TimelineNotice] = field(default_factory=list)


def reason_text(reason: Any, language: str) -> str:
    """One stored reason (``{"requirement", "message": {"kk", "ru", "en"}}``) in ``language``."""
    if isinstance(reason, str):
        return reason
    if not isinstance(reason, dict):
        return str(reason)
    message = reason.get("message")
    if isinstance(message, dict):
        for code in (language, "kk", "ru", "en"):
            if message.get(code):
                return str(message[code])
    if isinstance(message, str) and message:
        return message
    return str(reason.get("requirement", ""))


def _deadline(new: dict[str, Any]) -> datetime | None:
    raw = new.get("review_due_at")
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None:
        return None
    return timezone.localtime(
        parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, ASTANA), ASTANA
    )


def referral_deadline(event: AuditEvent) -> datetime | None:
    """The deadline recorded for the referral ``event`` (Astana time), if any."""
    recorded = _deadline(event.new if isinstance(event.new, dict) else {})
    if recorded is not None:
        return recorded
    following = (
        AuditEvent.objects.filter(
            object_type=event.object_type,
            object_id=event.object_id,
            seq__gt=event.seq,
            action__in=[*LABELS, SCHEDULE_ACTION],
        )
        .order_by("seq")
        .only("action", "new")
        .first()
    )
    if following is None or following.action != SCHEDULE_ACTION:
        return None
    return _deadline(following.new if isinstance(following.new, dict) else {})


def application_timeline(application: Application) -> list[TimelineEntry]:
    """Every change of ``application``, oldest first, in the current language."""
    language = translation.get_language() or "kk"
    events = list(
        AuditEvent.objects.filter(
            object_type=Application._meta.label_lower,
            object_id=str(application.pk),
            action__in=[*LABELS, SCHEDULE_ACTION],
        )
        .order_by("seq")
        .only("pk", "seq", "at", "actor_id", "action", "new")
    )
    notices: dict[str, list[TimelineNotice]] = defaultdict(list)
    for notice in Notice.objects.filter(application=application, sent_at__isnull=False).order_by(
        "sent_at", "channel"
    ):
        if notice.sent_at is None:
            continue
        notices[notice.key].append(
            TimelineNotice(
                channel=notice.channel,
                label=str(notice.get_channel_display()),
                sent_at=timezone.localtime(notice.sent_at, ASTANA),
            )
        )
    last_refer = max((e.seq for e in events if e.action == "application.refer"), default=None)
    entries: list[TimelineEntry] = []
    for event in events:
        new = event.new if isinstance(event.new, dict) else {}
        if event.action == SCHEDULE_ACTION:
            if entries and entries[-1].action == "application.refer":
                entries[-1] = replace(entries[-1], deadline=_deadline(new) or entries[-1].deadline)
            continue
        state = str(new.get("state", State.DRAFT))
        reasons = list(new.get("reasons") or [])
        deadline = None
        if event.action == "application.refer":
            deadline = _deadline(new)
            if event.seq == last_refer:
                # A referral may keep its reasons and deadline on the application only.
                reasons = reasons or list(application.referral_reasons or [])
                if deadline is None and application.review_due_at is not None:
                    deadline = timezone.localtime(application.review_due_at, ASTANA)
        if event.actor_id is None:
            by = BY_SYSTEM
        elif event.actor_id == application.applicant_id:
            by = BY_APPLICANT
        else:
            by = BY_OPERATOR
        entries.append(
            TimelineEntry(
                at=timezone.localtime(event.at, ASTANA),
                action=event.action,
                state=state,
                state_label=str(State(state).label) if state in State.values else state,
                label=str(LABELS[event.action]),
                by=str(by),
                reasons=[reason_text(r, language) for r in reasons]
                if state in (State.REFUSED, State.IN_REVIEW)
                else [],
                deadline=deadline,
                notices=notices.get(str(event.pk), []),
            )
        )
    return entries
