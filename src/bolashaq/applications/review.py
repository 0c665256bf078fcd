"""The operator's review of applications a machine cannot decide: deadline, queue, escalation,
decision. ``docs/concepts/review.md`` explains the rules; this module is their one home.

**The deadline.** The law gives the service 2 working days (``REVIEW_WORKING_DAYS``) to answer.
The clock starts when the applicant submitted (not when the background check got round to the
referral) and runs only on working days of Kazakhstan's calendar (``bolashaq.lib.workdays``:
five-day week, holidays, moved holidays, the Government's day transfers), in Astana time
(Asia/Almaty). Precisely:

* submitted on a working day D at clock time T: due on the n-th working day after D at T
  (Friday 17:00 → Tuesday 17:00; Tuesday 15 December 2026 10:00 → Friday 18 December 10:00,
  as 16 December is Independence Day);
* submitted on a day off (weekend, holiday, transfer rest day): the clock starts with the next
  working day, so the case is due at the end (23:59:59.999999) of the n-th working day after it.

Both are "n × 24 hours of working-day time" (time on days off does not run), which is also how
the queue counts the *working time left* and how ``REVIEW_ESCALATE_BEFORE_HOURS`` is measured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_transition
from bolashaq.applications.models import Application
from bolashaq.applications.selectors import application_rules_result
from bolashaq.applications.states import Event, State
from bolashaq.audit.actions import audit_record
from bolashaq.core.errors import DomainError, IllegalTransition, NotAllowed, NotFound
from bolashaq.lib.workdays import Calendar, DateOutOfRangeError

logger = logging.getLogger(__name__)

# The requirement id of an operator's own words in a refusal, kept as written.
OPERATOR_COMMENT = "operator_comment"
COMMENT_MAX_LENGTH = 2000
LANGUAGE_CODES = ("kk", "ru", "en")
DATE_FORMAT = "d.m.Y H:i"
_ONE_DAY = timedelta(days=1)


def _calendar() -> Calendar:
    return Calendar.load()


def astana_time(moment: datetime) -> datetime:
    """``moment`` in Astana time (the calendar's zone, Asia/Almaty)."""
    return moment.astimezone(_calendar().timezone)


# -- deadlines -----------------------------------------------------------------------------


def review_due_at_for(referred_at: datetime) -> datetime:
    """When an operator must have decided a case submitted at ``referred_at`` (aware).

    ``settings.REVIEW_WORKING_DAYS`` working days later, by the rules in the module docstring;
    returned in Astana time. Raises ``DateOutOfRangeError`` when the calendar data does not
    cover the dates (add the year to ``lib/data/kz_calendar.yaml``).
    """
    if timezone.is_naive(referred_at):
        raise ValueError("referred_at must be timezone-aware")
    calendar = _calendar()
    days: int = settings.REVIEW_WORKING_DAYS
    local = referred_at.astimezone(calendar.timezone)
    if not calendar.is_working_day(local.date()):
        return calendar.add_working_days(local, days)
    day = local.date()
    for _step in range(days):
        day = calendar.next_working_day(day)
    return datetime.combine(day, local.time(), tzinfo=calendar.timezone)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """The time from ``start`` to ``end`` that falls on working days (negative if ``end`` is
    earlier). Raises ``DateOutOfRangeError`` outside the calendar's years."""
    if end < start:
        return -working_time_between(end, start)
    calendar = _calendar()
    zone = calendar.timezone
    total = timedelta(0)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if calendar.is_working_day(day):
            # Arithmetic in UTC, so a change of the zone's offset cannot skew a day's length.
            day_start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
            day_end = datetime.combine(day + _ONE_DAY, time.min, tzinfo=zone).astimezone(UTC)
            low, high = max(start, day_start), min(end, day_end)
            if high > low:
                total += high - low
        day += _ONE_DAY
    return total


def _escalate_before() -> timedelta:
    return timedelta(hours=settings.REVIEW_ESCALATE_BEFORE_HOURS)


# -- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """One case waiting for an operator, with its deadline in Astana time.

    ``working_time_left`` is negative once the case is overdue, ``None`` when the case has no
    deadline or the calendar does not cover it. ``due_soon`` means "not overdue, and at most
    ``REVIEW_ESCALATE_BEFORE_HOURS`` of working time left".
    """

    application: Application
    due_at: datetime | None
    working_time_left: timedelta | None
    due_soon: bool
    overdue: bool
    escalated: bool

    @property
    def hours_minutes(self) -> tuple[int, int] | None:
        """Whole hours and minutes of working time left (or past the deadline when overdue)."""
        if self.working_time_left is None:
            return None
        minutes = int(abs(self.working_time_left).total_seconds() // 60)
        return minutes // 60, minutes % 60

    @property
    def hours(self) -> int | None:
        hm = self.hours_minutes
        return None if hm is None else hm[0]

    @property
    def minutes(self) -> int | None:
        hm = self.hours_minutes
        return None if hm is None else hm[1]


def _entry(application: Application, now: datetime) -> QueueEntry:
    due = application.review_due_at
    if due is None:
        return QueueEntry(
            application, None, None, False, False, application.escalated_at is not None
        )
    try:
        left: timedelta | None = working_time_between(now, due)
    except DateOutOfRangeError:
        logger.warning("The working-day calendar does not cover review deadline %s", due)
        left = None
    overdue = now > due
    return QueueEntry(
        application=application,
        due_at=astana_time(due),
        working_time_left=left,
        due_soon=not overdue and left is not None and left <= _escalate_before(),
        overdue=overdue,
        escalated=application.escalated_at is not None,
    )


def review_queue_entry(application: Application, *, now: datetime | None = None) -> QueueEntry:
    """The deadline, working time left and flags of one case (as in the queue)."""
    return _entry(application, now or timezone.now())


def _in_review() -> QuerySet[Application]:
    return (
        Application.objects.filter(state=State.IN_REVIEW)
        .select_related("intake")
        .order_by(F("review_due_at").asc(nulls_last=True), "pk")
    )


def review_queue(*, now: datetime | None = None) -> list[QueueEntry]:
    """Every application waiting for an operator, the earliest deadline first."""
    moment = now or timezone.now()
    return [_entry(application, moment) for application in _in_review()]


@dataclass(frozen=True)
class QueueSummary:
    total: int
    due_soon: int
    overdue: int


def review_queue_summary(*, now: datetime | None = None) -> QueueSummary:
    entries = review_queue(now=now)
    return QueueSummary(
        total=len(entries),
        due_soon=sum(e.due_soon for e in entries),
        overdue=sum(e.overdue for e in entries),
    )


def review_case(*, pk: int) -> Application:
    """An application that is, or was, referred to an operator; anything else is not found."""
    application = (
        Application.objects.select_related("intake", "applicant")
        .filter(Q(state=State.IN_REVIEW) | Q(review_due_at__isnull=False), pk=pk)
        .first()
    )
    if application is None:
        raise NotFound(_("No such case in the operator's review."))
    return application


def review_refusal_choices(application: Application) -> list[dict[str, Any]]:
    """What a refusal may cite: the requirements the rules engine finds unmet or cannot decide,
    then the referral's own reasons (a scanned letter, ...) not already listed.

    Each is ``{"requirement", "message": {"kk", "ru", "en"}, "status"}``.
    """
    choices: dict[str, dict[str, Any]] = {}
    result = application_rules_result(application, what_if=False)
    for requirement in result.requirements:
        if requirement.status in ("unmet", "unknown"):
            choices[requirement.id] = {
                "requirement": requirement.id,
                "message": dict(requirement.message),
                "status": requirement.status,
            }
    for reason in application.referral_reasons or []:
        rid = str(reason.get("requirement", "")) if isinstance(reason, dict) else ""
        if rid and rid not in choices and isinstance(reason.get("message"), dict):
            choices[rid] = {
                "requirement": rid,
                "message": {code: str(reason["message"].get(code, "")) for code in LANGUAGE_CODES},
                "status": "referred",
            }
    return list(choices.values())


# -- writes ----------------------------------------------------------------------------------


def application_refer(
    *, acting_user: User | None, application: Application, reasons: list[dict[str, Any]]
) -> Application:
    """Pass a submitted application to an operator, with why and by when.

    ``reasons`` have the shape of refusal reasons (``{"requirement": id, "message": {"kk",
    "ru", "en"}}``). The deadline counts from the submission (see the module docstring).
    """
    with transaction.atomic():
        referred = application_transition(
            acting_user=acting_user, application=application, event=Event.REFER, reasons=reasons
        )
        due = review_due_at_for(referred.submitted_at or timezone.now())
        referred.referral_reasons = list(reasons)
        referred.review_due_at = due
        referred.escalated_at = None
        referred.save(update_fields=["referral_reasons", "review_due_at", "escalated_at"])
        audit_record(
            acting_user=acting_user,
            action="review.schedule",
            target=referred,
            new={
                "review_due_at": due.isoformat(),
                "working_days": settings.REVIEW_WORKING_DAYS,
            },
        )
    return referred


def review_decide(
    *,
    acting_user: User,
    application: Application,
    accept: bool,
    reasons: list[dict[str, Any]],
    comment: str,
) -> Application:
    """An operator's decision on a case in review: accept, or refuse with reasons.

    A refusal cites requirements from ``review_refusal_choices`` (only their ``requirement`` id
    is read; the stored message is the rules engine's or the referral's, in kk/ru/en) and/or an
    operator's comment, stored last as ``{"requirement": "operator_comment", "message": {...}}``
    with the text exactly as written in every language. It needs at least one of the two.
    An acceptance takes neither.
    """
    if acting_user.role != Role.OPERATOR:
        raise NotAllowed(_("Only a CIP operator can decide a case."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise DomainError(
            _("The comment is too long: at most %(n)s characters.") % {"n": COMMENT_MAX_LENGTH},
            code="comment_too_long",
        )
    with transaction.atomic():
        locked = Application.objects.select_for_update().filter(pk=application.pk).first()
        if locked is None:
            raise NotFound(_("No such case in the operator's review."))
        if locked.state != State.IN_REVIEW:
            raise IllegalTransition(
                _(
                    "This application is not waiting for an operator's decision "
                    "(status “%(state)s”)."
                )
                % {"state": locked.get_state_display()}
            )
        if accept:
            if reasons or comment:
                raise DomainError(
                    _("An acceptance takes no reasons or comment: choose “Refuse” to give them."),
                    code="accept_with_reasons",
                )
            stored: list[dict[str, Any]] = []
        else:
            stored = _refusal_reasons(locked, reasons, comment)
        return application_transition(
            acting_user=acting_user,
            application=locked,
            event=Event.ACCEPT if accept else Event.REFUSE,
            reasons=stored,
        )


def _refusal_reasons(
    application: Application, reasons: list[dict[str, Any]], comment: str
) -> list[dict[str, Any]]:
    choices = {c["requirement"]: c for c in review_refusal_choices(application)}
    stored: list[dict[str, Any]] = []
    seen: set[str] = set()
    for reason in reasons:
        rid = str(reason.get("requirement", ""))
        if rid not in choices:
            raise DomainError(
                _("A refusal can only cite a requirement that is not met or not decided."),
                code="bad_reason",
            )
        if rid not in seen:
            seen.add(rid)
            stored.append({"requirement": rid, "message": dict(choices[rid]["message"])})
    if comment:
        stored.append(
            {"requirement": OPERATOR_COMMENT, "message": dict.fromkeys(LANGUAGE_CODES, comment)}
        )
    if not stored:
        raise DomainError(
            _("Give at least one reason or a comment for a refusal."), code="no_reasons"
        )
    return stored


def review_escalate(*, now: datetime | None = None) -> list[Application]:
    """Mark the cases that are due soon or overdue and not yet escalated, and tell the staff.

    "Due soon" is at most ``REVIEW_ESCALATE_BEFORE_HOURS`` of working time left. Each case is
    escalated once: a second run (or another worker at the same moment) finds nothing to do.
    After the commit, every active operator and administrator with an e-mail address gets one
    message in their own language listing the cases by number and deadline only.
    """
    moment = now or timezone.now()
    limit = _escalate_before()
    escalated: list[Application] = []
    with transaction.atomic():
        candidates = _in_review().filter(escalated_at__isnull=True, review_due_at__isnull=False)
        for application in candidates:
            due = application.review_due_at
            if due is None:  # excluded by the filter; keeps the type checker informed
                continue
            try:
                left = working_time_between(moment, due)
            except DateOutOfRangeError:
                logger.warning("The working-day calendar does not cover review deadline %s", due)
                continue
            if left > limit:
                break  # ordered by deadline: every later case has at least as much time left
            # The condition in the UPDATE makes escalation happen once across workers.
            won = Application.objects.filter(
                pk=application.pk, state=State.IN_REVIEW, escalated_at__isnull=True
            ).update(escalated_at=moment, updated_at=moment)
            if not won:
                continue
            application.escalated_at = moment
            audit_record(
                acting_user=None,
                action="review.escalate",
                target=application,
                new={"escalated_at": moment.isoformat(), "review_due_at": due.isoformat()},
            )
            escalated.append(application)
        if escalated:
            cases = [(a.pk, a.review_due_at) for a in escalated]
            transaction.on_commit(lambda: _mail_staff(cases))
    return escalated


def _mail_staff(cases: list[tuple[int, datetime | None]]) -> None:
    """One message per active operator and administrator, in their language. A failure to
    reach one person is logged and does not stop the others (the queue shows the flag too)."""
    recipients = User.objects.filter(is_active=True, role__in=[Role.OPERATOR, Role.ADMIN]).exclude(
        email=""
    )
    site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    for user in recipients:
        with translation.override(user.message_language):
            subject, body = _escalation_text(cases, site)
        try:
            send_mail(subject, body, None, [user.email])
        except Exception:  # one unreachable address must not stop the rest
            logger.exception("Review escalation mail to user %s failed", user.pk)


def _escalation_text(cases: list[tuple[int, datetime | None]], site: str) -> tuple[str, str]:
    count = len(cases)
    subject = ngettext(
        "%(site)s: %(count)s application is close to or past its review deadline",
        "%(site)s: %(count)s applications are close to or past their review deadline",
        count,
    ) % {"site": settings.SITE_NAME, "count": count}
    lines = [
        _(
            "These applications referred to an operator are close to or past their deadline "
            "of %(days)s working days. Please decide them in the review queue."
        )
        % {"days": settings.REVIEW_WORKING_DAYS},
        "",
    ]
    for number, due in cases:
        deadline = dateformat.format(astana_time(due), DATE_FORMAT) if due else "—"
        lines.append(
            _("Application No. %(number)s: due %(deadline)s (Astana time)")
            % {"number": number, "deadline": deadline}
            + f" {site}{reverse('office:review_case', kwargs={'pk': number})}"
        )
    lines += ["", _("Review queue: %(url)s") % {"url": f"{site}{reverse('office:review_queue')}"}]
    return subject, "\n".join(lines) + "\n"
