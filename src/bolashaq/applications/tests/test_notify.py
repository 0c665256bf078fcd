"""The applicant hears about every change once, by e-mail and SMS, in their own language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.models import Application, Notice
from bolashaq.applications.notify import (
    application_notify,
    application_notify_later,
    application_url,
)
from bolashaq.applications.states import Event, State
from bolashaq.applications.timeline import ASTANA
from bolashaq.audit.models import AuditEvent
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.notifications.models import SmsMessage, SmsStatus
from bolashaq.notifications.sms import SmsError

PHONE = "+77011234567"
EMAIL = "aruzhan@example.kz"
GPA = {"kk": "GPA талапқа сай емес", "ru": "GPA ниже порога", "en": "GPA below the threshold"}
LETTER = {"kk": "Хат сканерленген", "ru": "Письмо отсканировано", "en": "The letter is a scan"}
DUE = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 18:00 in Astana

# What each language says, per state reached: (e-mail subject, SMS) fragments.
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        State.SUBMITTED: ("has been submitted", "has been submitted"),
        State.REFUSED: ("has been refused", "has been refused"),
        State.DRAFT: ("returned to draft", "returned to draft for correction"),
        State.IN_REVIEW: ("passed to an operator", "by 01.12.2026 18:00 (Astana time)"),
        State.ACCEPTED: ("accepted for the competition", "accepted for the competition"),
        State.WITHDRAWN: ("has been withdrawn", "has been withdrawn"),
    },
    "kk": {
        State.SUBMITTED: ("өтінім жіберілді", "өтінім жіберілді"),
        State.REFUSED: ("бойынша бас тартылды", "бойынша бас тартылды"),
        State.DRAFT: ("жобаға қайтарылды", "түзету үшін жобаға қайтарылды"),
        State.IN_REVIEW: ("операторға жіберілді", "мерзімі — 01.12.2026 18:00 (Астана уақыты)"),
        State.ACCEPTED: ("конкурсқа қабылданды", "конкурсқа қабылданды"),
        State.WITHDRAWN: ("кері қайтарылды", "кері қайтарылды"),
    },
    "ru": {
        State.SUBMITTED: ("подана", "подана"),
        State.REFUSED: ("отказано", "отказано"),
        State.DRAFT: ("возвращена в черновик", "возвращена в черновик для исправления"),
        State.IN_REVIEW: ("передана оператору", "срок ответа — 01.12.2026 18:00 (время Астаны)"),
        State.ACCEPTED: ("принята к участию в конкурсе", "принята к участию в конкурсе"),
        State.WITHDRAWN: ("отозвана", "отозвана"),
    },
}
# The refusal and referral reasons appear in the e-mail in the applicant's language.
REASON_WORDS = {"en": "GPA below the threshold", "kk": "GPA талапқа сай емес", "ru": "GPA ниже"}


@pytest.fixture
def intake(cast):
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "Магистратура 2026", "ru": "Магистратура 2026", "en": "Master's 2026"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


def reachable(user: User, *, language: str, email: str = EMAIL, phone: str = PHONE) -> User:
    User.objects.filter(pk=user.pk).update(language=language, email=email, phone=phone)
    user.refresh_from_db()
    return user


def last_event(application: Application) -> AuditEvent:
    return AuditEvent.objects.filter(
        object_type="applications.application", object_id=str(application.pk)
    ).latest("seq")


def change(django_capture_on_commit_callbacks, application, event, **kwargs: Any) -> Application:
    """One transition, committed: the applicant is told once the transaction commits."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        changed = application_transition(
            acting_user=kwargs.pop("acting_user", None),
            application=application,
            event=event,
            **kwargs,
        )
        # application_transition queues this itself; a second call changes nothing.
        application_notify_later(changed, last_event(changed).pk)
    return changed


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_each_change_sends_one_email_and_one_sms_in_the_applicants_language(
    cast, intake, language, django_capture_on_commit_callbacks
) -> None:
    applicant = reachable(cast[Role.APPLICANT], language=language)
    operator = cast[Role.OPERATOR]
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    assert mail.outbox == []  # starting a draft tells nobody
    refusal = [{"requirement": "gpa", "message": GPA}]
    steps: list[tuple[Event, dict[str, Any]]] = [
        (Event.SUBMIT, {"acting_user": applicant}),
        (Event.REFUSE, {"reasons": refusal}),
        (Event.CORRECT, {"acting_user": applicant}),
        (Event.SUBMIT, {"acting_user": applicant}),
        (Event.REFER, {"reasons": [{"requirement": "letter", "message": LETTER}]}),
        (Event.ACCEPT, {"acting_user": operator}),
        (Event.WITHDRAW, {"acting_user": applicant}),
    ]
    for number, (event, kwargs) in enumerate(steps, start=1):
        if event == Event.REFER:
            Application.objects.filter(pk=application.pk).update(review_due_at=DUE)
        application = change(django_capture_on_commit_callbacks, application, event, **kwargs)
        assert len(mail.outbox) == number, event
        assert SmsMessage.objects.count() == number, event
        email = mail.outbox[-1]
        sms = SmsMessage.objects.latest("pk")
        subject_words, sms_words = EXPECTED[language][application.state]
        assert email.to == [EMAIL]
        assert email.subject.startswith("Bolashaq: ")
        assert subject_words in email.subject
        assert f"{application.pk}" in email.subject
        assert application_url(application) in email.body
        assert sms.phone == PHONE
        assert sms.status == SmsStatus.SENT
        assert sms_words in sms.body
        assert sms.body.startswith("Bolashaq: ")
        assert application_url(application) in sms.body
        # The SMS carries the number and the status only: no name, no reasons, no IIN.
        assert applicant.first_name not in sms.body
        assert applicant.username not in sms.body
        assert REASON_WORDS[language] not in sms.body
        if application.state == State.REFUSED:
            assert REASON_WORDS[language] in email.body
        if application.state == State.IN_REVIEW:
            assert LETTER[language] in email.body
            assert "01.12.2026 18:00" in email.body
    assert Notice.objects.filter(application=application, sent_at__isnull=False).count() == 14
    # The e-mail greets the applicant by name and is in their language only.
    assert applicant.first_name in mail.outbox[0].body
    if language != "en":
        assert "has been" not in mail.outbox[0].body


def test_a_retry_of_the_same_task_sends_nothing_more(
    cast, intake, django_capture_on_commit_callbacks
) -> None:
    applicant = reachable(cast[Role.APPLICANT], language="en")
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    application = change(
        django_capture_on_commit_callbacks, application, Event.SUBMIT, acting_user=applicant
    )
    event = last_event(application)
    assert len(mail.outbox) == 1
    for _ in range(2):
        application_notify.enqueue(application_id=application.pk, event_id=event.pk)
    assert len(mail.outbox) == 1
    assert SmsMessage.objects.count() == 1
    assert Notice.objects.filter(application=application).count() == 2


def test_no_address_means_no_message_on_that_channel(
    cast, intake, django_capture_on_commit_callbacks
) -> None:
    applicant = reachable(cast[Role.APPLICANT], language="en", email="", phone=PHONE)
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    change(django_capture_on_commit_callbacks, application, Event.SUBMIT, acting_user=applicant)
    assert mail.outbox == []
    assert SmsMessage.objects.count() == 1
    assert list(Notice.objects.values_list("channel", flat=True)) == ["sms"]


def test_a_change_that_rolls_back_tells_nobody(
    cast, intake, django_capture_on_commit_callbacks
) -> None:
    applicant = reachable(cast[Role.APPLICANT], language="en")
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )

    def change_then_fail() -> None:
        with transaction.atomic():
            changed = application_transition(
                acting_user=applicant, application=application, event=Event.SUBMIT
            )
            application_notify_later(changed, last_event(changed).pk)
            raise RuntimeError("the request failed after the change")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_then_fail()
    assert mail.outbox == []
    assert SmsMessage.objects.count() == 0


def submitted_quietly(cast, intake) -> tuple[Application, AuditEvent]:
    """A submission whose notice has not run yet (its on-commit callback is discarded)."""
    applicant = reachable(cast[Role.APPLICANT], language="ru")
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    application = application_transition(
        acting_user=applicant, application=application, event=Event.SUBMIT
    )
    return application, last_event(application)


@override_settings(TASK_MAX_ATTEMPTS=1)
def test_a_failing_sms_gateway_is_recorded_and_raised_and_a_later_retry_sends(cast, intake) -> None:
    application, event = submitted_quietly(cast, intake)
    down = SmsError("SMS gateway unreachable: URLError")
    with (
        mock.patch("bolashaq.notifications.sms.OutboxBackend.send", side_effect=down),
        pytest.raises(SmsError),
    ):
        application_notify.call(application_id=application.pk, event_id=event.pk)
    sms_notice = Notice.objects.get(application=application, channel="sms")
    assert sms_notice.sent_at is None
    assert sms_notice.error == "SmsError: SMS gateway unreachable: URLError"
    # The e-mail went out anyway and is not sent again by the retry.
    assert len(mail.outbox) == 1
    assert Notice.objects.get(application=application, channel="email").sent_at is not None
    assert SmsMessage.objects.get().status == SmsStatus.FAILED

    assert application_notify.call(application_id=application.pk, event_id=event.pk) == "sent"
    sms_notice.refresh_from_db()
    assert sms_notice.sent_at is not None
    assert sms_notice.error == ""
    assert len(mail.outbox) == 1
    sent = SmsMessage.objects.get(status=SmsStatus.SENT)
    assert "подана" in sent.body


def test_the_task_retries_a_failed_sms_by_itself(cast, intake) -> None:
    application, event = submitted_quietly(cast, intake)
    flaky = [SmsError("SMS gateway unreachable: TimeoutError"), "provider-1"]
    with mock.patch("bolashaq.notifications.sms.OutboxBackend.send", side_effect=flaky):
        # The test task backend runs at once, so retried_task's retry runs at once too.
        application_notify.enqueue(application_id=application.pk, event_id=event.pk)
    statuses = sorted(SmsMessage.objects.values_list("status", flat=True))
    assert statuses == [SmsStatus.FAILED, SmsStatus.SENT]
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(application=application, sent_at__isnull=True).count() == 0


def test_an_event_of_another_application_or_not_a_change_is_skipped(cast, intake) -> None:
    application, event = submitted_quietly(cast, intake)
    created = AuditEvent.objects.get(action="application.create", object_id=str(application.pk))
    assert application_notify.call(application_id=application.pk, event_id=created.pk) == "skipped"
    assert application_notify.call(application_id=application.pk + 1, event_id=event.pk) == (
        "skipped"
    )
    assert mail.outbox == []
    assert not Notice.objects.exists()


def test_links_use_the_site_url(cast, intake, settings) -> None:
    settings.SITE_URL = "https://bolashaq.example.kz"
    application, _event = submitted_quietly(cast, intake)
    url = application_url(application)
    assert url.startswith("https://bolashaq.example.kz/portal/")


def test_a_referral_tells_the_deadline_the_review_scheduled(
    cast, intake, django_capture_on_commit_callbacks
) -> None:
    from bolashaq.applications.review import application_refer

    applicant = reachable(cast[Role.APPLICANT], language="en")
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    application = application_transition(
        acting_user=applicant, application=application, event=Event.SUBMIT
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        # application_transition queues the notice; the deadline is scheduled after it.
        referred = application_refer(
            acting_user=None,
            application=application,
            reasons=[{"requirement": "letter", "message": LETTER}],
        )
    assert referred.review_due_at is not None
    due = timezone.localtime(referred.review_due_at, ASTANA).strftime("%d.%m.%Y %H:%M")
    sms = SmsMessage.objects.get()
    assert f"by {due} (Astana time)" in sms.body
    assert f"by {due} (Astana time)" in mail.outbox[0].body
    assert LETTER["en"] in mail.outbox[0].body
