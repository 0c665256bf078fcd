"""Telling the applicant about every change of their application, by e-mail and SMS.

``application_transition`` calls ``application_notify_later`` with the audit event that recorded
the change; once the transaction commits, the background task ``application_notify`` writes to
the applicant in their own language: an e-mail (subject and body from
``applications/email/<state>.txt``) if they have an address, and a short SMS if they have a
phone. Each message is sent at most once: a ``Notice`` row (application, audit event id,
channel) is created before sending and stamped ``sent_at`` after, so a retried task sends only
what has not gone yet. A failed channel keeps its error on the row and the task raises, so
``retried_task`` tries again later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.models import Application, Notice, NoticeChannel
from bolashaq.applications.states import Event, State
from bolashaq.applications.timeline import ASTANA, reason_text, referral_deadline
from bolashaq.audit.models import AuditEvent
from bolashaq.core.tasks import enqueue_with_transaction, retried_task
from bolashaq.notifications.actions import sms_send
from bolashaq.notifications.sms import SmsError

logger = logging.getLogger(__name__)

# What the applicant is told, by the state the change reached. Only the number and the status:
# an SMS may be read by anyone holding the phone.
SMS_TEXTS: dict[str, str | Promise] = {
    State.SUBMITTED: _("Bolashaq: application No. %(number)s has been submitted. %(url)s"),
    State.ACCEPTED: _(
        "Bolashaq: application No. %(number)s has been accepted for the competition. %(url)s"
    ),
    State.REFUSED: _("Bolashaq: application No. %(number)s has been refused. Reasons: %(url)s"),
    State.IN_REVIEW: _(
        "Bolashaq: application No. %(number)s has been passed to an operator for a check. %(url)s"
    ),
    State.WITHDRAWN: _("Bolashaq: application No. %(number)s has been withdrawn. %(url)s"),
    State.DRAFT: _(
        "Bolashaq: application No. %(number)s has been returned to draft for correction. %(url)s"
    ),
}
SMS_REFERRED_BY: str | Promise = _(
    "Bolashaq: application No. %(number)s has been passed to an operator for a check by "
    "%(deadline)s (Astana time). %(url)s"
)

# Audit actions that change the state (``application.create`` starts a draft: nothing to tell).
TRANSITION_ACTIONS = frozenset(f"application.{event.value}" for event in Event)
DATE_FORMAT = "d.m.Y H:i"


def application_url(application: Application) -> str:
    """The absolute address of the applicant's page for ``application``."""
    try:
        path = reverse("portal:application", kwargs={"pk": application.pk})
    except NoReverseMatch:
        path = reverse("portal:home")
    return f"{settings.SITE_URL}{path}"


def _deadline(application: Application, event: AuditEvent) -> datetime | None:
    """The operator's deadline: the one recorded for the referral, else the application's."""
    return referral_deadline(event) or application.review_due_at


def _reasons(application: Application, event: AuditEvent, state: str) -> list[Any]:
    recorded = (event.new or {}).get("reasons")
    if recorded:
        return list(recorded)
    if state == State.REFUSED:
        return list(application.reasons or [])
    if state == State.IN_REVIEW:
        return list(application.referral_reasons or [])
    return []


def _email_text(state: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``applications/email/<state>.txt``: its first line is the subject."""
    rendered = render_to_string(f"applications/email/{state}.txt", context)
    subject, _newline, body = rendered.lstrip().partition("\n")
    lines = [line.rstrip() for line in body.splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return f"{settings.SITE_NAME}: {subject.strip()}", body


def _notices(
    application: Application, key: str, channels: list[NoticeChannel]
) -> dict[str, Notice]:
    """The notice rows of this change, one per channel, made if missing (two queries for all
    channels; a concurrent attempt's rows are found, not duplicated)."""
    rows = [Notice(application=application, key=key, channel=channel) for channel in channels]
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    found = Notice.objects.filter(application=application, key=key, channel__in=channels)
    return {notice.channel: notice for notice in found}


def _deliver(notice: Notice, send: Callable[[str], object]) -> Exception | None:
    """Send through the notice's channel unless it went already; return the failure, if any.

    ``send`` gets the notice's name, the same for every attempt (the SMS gateway's idempotency
    key is made from it)."""
    if notice.sent_at is not None:
        return None
    try:
        send(f"notice:{notice.pk}")
    except Exception as exc:  # every failure is kept on the row and re-raised by the task
        # SMS gateway messages are ours; others (SMTP) may quote addresses: keep the type only.
        detail = f": {exc}" if isinstance(exc, SmsError) else ""
        notice.error = f"{type(exc).__name__}{detail}"[:300]
        notice.save(update_fields=["error"])
        return exc
    notice.sent_at, notice.error = timezone.now(), ""
    notice.save(update_fields=["sent_at", "error"])
    return None


@retried_task()
def application_notify(*, application_id: int, event_id: int) -> str:
    """Tell the applicant about the change recorded by audit event ``event_id``.

    Idempotent: each channel is sent at most once per event. Returns what it did.
    """
    application = (
        Application.objects.select_related("applicant", "intake").filter(pk=application_id).first()
    )
    event = AuditEvent.objects.filter(pk=event_id).first()
    if (
        application is None
        or event is None
        or event.action not in TRANSITION_ACTIONS
        or event.object_type != Application._meta.label_lower
        or event.object_id != str(application.pk)
    ):
        logger.warning("No notice for application %s, event %s", application_id, event_id)
        return "skipped"
    state = str((event.new or {}).get("state", ""))
    if state not in SMS_TEXTS:
        return "skipped"
    user = application.applicant
    key = str(event.pk)
    url = application_url(application)
    failures: list[Exception] = []
    channels = [NoticeChannel.EMAIL] if user.email else []
    channels += [NoticeChannel.SMS] if user.phone else []
    notices = _notices(application, key, channels)
    with translation.override(user.message_language):
        language = translation.get_language() or settings.LANGUAGE_CODE
        due = _deadline(application, event) if state == State.IN_REVIEW else None
        deadline = dateformat.format(timezone.localtime(due, ASTANA), DATE_FORMAT) if due else ""
        if user.email:
            subject, body = _email_text(
                state,
                {
                    "name": user.get_full_name(),
                    "number": application.pk,
                    "intake_title": application.intake.title,
                    "reasons": [
                        reason_text(r, language) for r in _reasons(application, event, state)
                    ],
                    "deadline": deadline,
                    "url": url,
                    "site_name": settings.SITE_NAME,
                },
            )
            message = EmailMessage(
                subject, body, to=[user.email], headers={"Auto-Submitted": "auto-generated"}
            )
            failure = _deliver(notices[NoticeChannel.EMAIL], lambda _name: message.send())
            if failure is not None:
                failures.append(failure)
        if user.phone:
            template = SMS_REFERRED_BY if deadline else SMS_TEXTS[state]
            text = str(template) % {"number": application.pk, "url": url, "deadline": deadline}
            phone = user.phone
            failure = _deliver(
                notices[NoticeChannel.SMS],
                lambda name: sms_send(phone=phone, text=text, message_name=name),
            )
            if failure is not None:
                failures.append(failure)
    if failures:
        raise failures[0]
    return "sent"


def application_notify_later(application: Application, event_id: int) -> None:
    """Queue ``application_notify`` with the current transaction (``enqueue_with_transaction``).

    A change that rolls back tells nobody, and a worker or web process that dies right after
    committing the change cannot lose its notice.
    """
    enqueue_with_transaction(application_notify, application_id=application.pk, event_id=event_id)
