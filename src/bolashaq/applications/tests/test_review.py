"""The operator's review: working-day deadlines, the queue, escalation and the decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.models import Application
from bolashaq.applications.review import (
    OPERATOR_COMMENT,
    application_refer,
    review_decide,
    review_due_at_for,
    review_escalate,
    review_queue,
    review_refusal_choices,
    working_time_between,
)
from bolashaq.applications.states import Event, State
from bolashaq.audit.models import AuditEvent
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme
from bolashaq.core.errors import DomainError, IllegalTransition, NotAllowed

ASTANA = ZoneInfo("Asia/Almaty")


def astana(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ASTANA)


# -- the deadline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("referred", "due"),
    [
        # An ordinary week: Monday → Wednesday, same clock time.
        (astana(2026, 2, 2, 9, 30), astana(2026, 2, 4, 9, 30)),
        # Across a weekend: Friday 17:00 → Tuesday 17:00.
        (astana(2026, 2, 6, 17, 0), astana(2026, 2, 10, 17, 0)),
        # The working day before Independence Day (Wednesday 16 December 2026): Thursday 17
        # (no longer a holiday since 2022) and Friday 18 count.
        (astana(2026, 12, 15, 10, 0), astana(2026, 12, 18, 10, 0)),
        # A transfer from the calendar data: Saturday 4 May 2024 was worked (for Wednesday
        # 8 May), so a Thursday referral is due that Saturday.
        (astana(2024, 5, 2, 11, 0), astana(2024, 5, 4, 11, 0)),
        # ... and Monday 6 May 2024 skips 7 May (Defender Day), 8 May (transfer rest day) and
        # 9 May (Victory Day): Friday 10 May and Monday 13 May count.
        (astana(2024, 5, 6, 11, 0), astana(2024, 5, 13, 11, 0)),
    ],
)
def test_the_deadline_is_two_working_days_at_the_same_clock_time(
    referred: datetime, due: datetime
) -> None:
    assert review_due_at_for(referred) == due


def test_on_a_day_off_the_clock_starts_with_the_next_working_day() -> None:
    # Submitted on Independence Day: Thursday 17 and Friday 18 December are the two days.
    due = review_due_at_for(astana(2026, 12, 16, 14, 0))
    assert (due.date(), due.hour, due.minute) == (date(2026, 12, 18), 23, 59)
    # Submitted on a Saturday: Monday and Tuesday.
    due = review_due_at_for(astana(2026, 2, 7, 10, 0))
    assert due.date() == date(2026, 2, 10)
    assert due.hour == 23


def test_the_deadline_is_computed_in_astana_time() -> None:
    # 20:00 UTC on Friday is 01:00 on Saturday in Astana: a day off.
    due = review_due_at_for(datetime(2026, 2, 6, 20, 0, tzinfo=UTC))
    assert due.date() == date(2026, 2, 10)
    assert due.utcoffset() == timedelta(hours=5)


def test_the_number_of_working_days_is_a_setting(settings) -> None:
    settings.REVIEW_WORKING_DAYS = 3
    assert review_due_at_for(astana(2026, 2, 6, 17, 0)) == astana(2026, 2, 11, 17, 0)


def test_working_time_skips_days_off() -> None:
    # Friday 17:00 → Tuesday 17:00 is 48 hours of working-day time.
    assert working_time_between(astana(2026, 2, 6, 17), astana(2026, 2, 10, 17)) == timedelta(
        hours=48
    )
    # A weekend alone holds no working time; reversed, it is negative.
    assert working_time_between(astana(2026, 2, 7, 0), astana(2026, 2, 9, 0)) == timedelta(0)
    assert working_time_between(astana(2026, 2, 10, 17), astana(2026, 2, 9, 17)) == -timedelta(
        hours=24
    )


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def intake(cast):
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"},
        rule_set="2023",
        opens_at=astana(2026, 1, 1),
        closes_at=astana(2027, 12, 31),
    )


def make_applicant(n: int):
    from bolashaq.accounts.actions import user_create

    return user_create(
        acting_user=None,
        username=f"applicant{n}",
        password=None,
        role=Role.APPLICANT,
        first_name="Dana",
        last_name=f"Secretname{n}",
        language="en",
    )


REFERRAL = [
    {
        "requirement": "gpa",
        "message": {
            "kk": "Диплом пайыздық шкаламен: оператор тексереді.",
            "ru": "Диплом в процентной шкале: проверяет оператор.",
            "en": "The diploma is on a percent scale: an operator checks it.",
        },
    }
]


def referred_case(intake, *, submitted: datetime, n: int = 1) -> Application:
    applicant = make_applicant(n)
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    with time_machine.travel(submitted, tick=False):
        application = application_transition(
            acting_user=applicant, application=application, event=Event.SUBMIT
        )
    with time_machine.travel(submitted + timedelta(minutes=1), tick=False):
        return application_refer(acting_user=None, application=application, reasons=REFERRAL)


# -- referral ------------------------------------------------------------------------------------


def test_refer_sets_the_deadline_from_the_submission_and_keeps_the_reasons(intake) -> None:
    applicant = make_applicant(1)
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    with time_machine.travel(astana(2026, 2, 6, 17, 0), tick=False):
        application = application_transition(
            acting_user=applicant, application=application, event=Event.SUBMIT
        )
    # The background check runs late, on Monday: the clock still started on Friday.
    with time_machine.travel(astana(2026, 2, 9, 8, 0), tick=False):
        referred = application_refer(acting_user=None, application=application, reasons=REFERRAL)
    referred.refresh_from_db()
    assert referred.state == State.IN_REVIEW
    assert referred.referral_reasons == REFERRAL
    assert referred.review_due_at == astana(2026, 2, 10, 17, 0)
    assert referred.escalated_at is None
    refer = AuditEvent.objects.get(action="application.refer", object_id=str(referred.pk))
    assert refer.new is not None
    assert refer.new["reasons"] == REFERRAL
    schedule = AuditEvent.objects.get(action="review.schedule", object_id=str(referred.pk))
    assert schedule.new is not None
    assert schedule.new["review_due_at"] == astana(2026, 2, 10, 17, 0).isoformat()
    assert schedule.seq == refer.seq + 1


def test_only_a_submitted_application_can_be_referred(intake) -> None:
    applicant = make_applicant(1)
    draft = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    with pytest.raises(IllegalTransition):
        application_refer(acting_user=None, application=draft, reasons=REFERRAL)
    draft.refresh_from_db()
    assert draft.review_due_at is None
    assert draft.state == State.DRAFT


# -- the queue ---------------------------------------------------------------------------------


def test_the_queue_orders_by_deadline_and_flags_due_soon_and_overdue(intake) -> None:
    late = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0), n=1)  # due Wed 4 Feb 09:00
    soon = referred_case(intake, submitted=astana(2026, 2, 3, 16, 0), n=2)  # due Thu 5 Feb 16:00
    calm = referred_case(intake, submitted=astana(2026, 2, 5, 10, 0), n=3)  # due Mon 9 Feb 10:00
    now = astana(2026, 2, 5, 9, 0)
    entries = review_queue(now=now)
    assert [e.application.pk for e in entries] == [late.pk, soon.pk, calm.pk]
    by_pk = {e.application.pk: e for e in entries}
    assert by_pk[late.pk].overdue
    assert not by_pk[late.pk].due_soon
    assert by_pk[late.pk].working_time_left == -timedelta(hours=24)
    assert by_pk[soon.pk].due_soon
    assert not by_pk[soon.pk].overdue
    assert (by_pk[soon.pk].hours, by_pk[soon.pk].minutes) == (7, 0)
    assert not by_pk[calm.pk].due_soon
    assert not by_pk[calm.pk].overdue
    # Over the weekend only Friday's 15 hours and Monday's 10 count.
    assert by_pk[calm.pk].working_time_left == timedelta(hours=15 + 24 + 10)
    due_at = by_pk[calm.pk].due_at
    assert due_at is not None
    assert due_at.tzinfo == ASTANA


def test_decided_cases_leave_the_queue(cast, intake) -> None:
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    review_decide(
        acting_user=cast[Role.OPERATOR], application=case, accept=True, reasons=[], comment=""
    )
    assert review_queue(now=astana(2026, 2, 3, 9, 0)) == []


# -- escalation ----------------------------------------------------------------------------------


@pytest.fixture
def staff(cast):
    operator, admin = cast[Role.OPERATOR], cast[Role.ADMIN]
    operator.email, operator.language = "olga@cip.example.kz", "kk"
    admin.email, admin.language = "ainur@cip.example.kz", "ru"
    operator.save()
    admin.save()
    retired = make_applicant(99)
    retired.role, retired.email, retired.is_active = Role.OPERATOR, "gone@cip.example.kz", False
    retired.save()
    auditor = cast[Role.AUDITOR]
    auditor.email = "arman@cip.example.kz"
    auditor.save()
    return operator, admin


def test_escalation_happens_once_and_tells_every_active_operator_and_admin(
    intake, staff, django_capture_on_commit_callbacks
) -> None:
    operator, admin = staff
    soon = referred_case(intake, submitted=astana(2026, 2, 3, 16, 0), n=1)  # due Thu 16:00
    calm = referred_case(intake, submitted=astana(2026, 2, 5, 10, 0), n=2)  # due Mon 10:00
    now = astana(2026, 2, 5, 9, 0)  # 7 working hours before the first deadline

    with django_capture_on_commit_callbacks(execute=True):
        escalated = review_escalate(now=now)
    assert [a.pk for a in escalated] == [soon.pk]
    soon.refresh_from_db()
    calm.refresh_from_db()
    assert soon.escalated_at == now
    assert calm.escalated_at is None
    event = AuditEvent.objects.get(action="review.escalate")
    assert event.object_id == str(soon.pk)
    assert event.actor is None

    assert sorted(m.to[0] for m in mail.outbox) == [admin.email, operator.email]
    to_operator = next(m for m in mail.outbox if m.to == [operator.email])
    to_admin = next(m for m in mail.outbox if m.to == [admin.email])
    for message in (to_operator, to_admin):
        text = f"{message.subject}\n{message.body}"
        assert str(soon.pk) in text
        assert "05.02.2026 16:00" in text
        # Number and deadline only: nothing about the applicant.
        assert "Secretname" not in text
        assert "Dana" not in text
        assert f"/office/review/{soon.pk}/" in message.body
    # Each in their own language (the operator's is Kazakh, the administrator's Russian).
    assert "өтінім" in to_operator.subject.lower() or "өтінім" in to_operator.body.lower()
    assert "заявк" in to_admin.subject.lower()

    # A second run, or a later one, finds nothing new and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert review_escalate(now=now) == []
        assert review_escalate(now=now + timedelta(hours=1)) == []
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="review.escalate").count() == 1


def test_an_overdue_case_never_escalated_is_escalated(intake, staff) -> None:
    late = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    assert [a.pk for a in review_escalate(now=astana(2026, 2, 9, 12, 0))] == [late.pk]


def test_the_escalation_threshold_counts_working_hours(intake, staff, settings) -> None:
    # Due Monday 10:00; on Friday at 20:00 there are 4 + 10 = 14 working hours left.
    case = referred_case(intake, submitted=astana(2026, 2, 5, 10, 0))
    settings.REVIEW_ESCALATE_BEFORE_HOURS = 13
    assert review_escalate(now=astana(2026, 2, 6, 20, 0)) == []
    settings.REVIEW_ESCALATE_BEFORE_HOURS = 14
    assert [a.pk for a in review_escalate(now=astana(2026, 2, 6, 20, 0))] == [case.pk]


def test_the_command_escalates(intake, staff, capsys) -> None:
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    with time_machine.travel(astana(2026, 2, 4, 8, 0), tick=False):
        call_command("escalate_reviews")
    assert f"escalated 1: {case.pk}" in capsys.readouterr().out
    case.refresh_from_db()
    assert case.escalated_at is not None


def test_the_worker_survives_a_failing_escalation(monkeypatch, caplog) -> None:
    from bolashaq.applications import review
    from bolashaq.core.management.commands import worker

    def broken(**kwargs: object) -> list[Application]:
        raise RuntimeError("database away")

    monkeypatch.setattr(review, "review_escalate", broken)
    worker.escalate_reviews()  # does not raise
    assert "Review escalation failed" in caplog.text


# -- the decision --------------------------------------------------------------------------------


def test_an_operator_accepts(cast, intake) -> None:
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    decided = review_decide(
        acting_user=cast[Role.OPERATOR], application=case, accept=True, reasons=[], comment=""
    )
    assert decided.state == State.ACCEPTED
    assert decided.reasons == []
    event = AuditEvent.objects.get(action="application.accept")
    assert event.actor == cast[Role.OPERATOR]


def test_an_operator_refuses_with_reasons_in_three_languages_and_a_comment(cast, intake) -> None:
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    choices = {c["requirement"]: c for c in review_refusal_choices(case)}
    # The rules engine's undecided requirements (empty answers) and the referral's own reason.
    assert "kaztest" in choices
    assert choices["kaztest"]["status"] == "unknown"
    assert choices["gpa"]["message"] == REFERRAL[0]["message"]
    comment = "Скан диплома нечитаем; загрузите, пожалуйста, цветную копию."
    decided = review_decide(
        acting_user=cast[Role.OPERATOR],
        application=case,
        accept=False,
        # Only the id is read: the stored text is the rules engine's own, in kk/ru/en.
        reasons=[{"requirement": "kaztest", "message": "ignored"}, {"requirement": "gpa"}],
        comment=f"  {comment}\n",
    )
    assert decided.state == State.REFUSED
    assert [r["requirement"] for r in decided.reasons] == ["kaztest", "gpa", OPERATOR_COMMENT]
    kaztest = decided.reasons[0]["message"]
    assert set(kaztest) == {"kk", "ru", "en"}
    assert all(kaztest.values())
    assert kaztest == choices["kaztest"]["message"]
    assert decided.reasons[2]["message"] == {"kk": comment, "ru": comment, "en": comment}
    event = AuditEvent.objects.get(action="application.refuse")
    assert event.actor == cast[Role.OPERATOR]
    assert event.new is not None
    assert event.new["reasons"] == decided.reasons


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.APPLICANT, Role.EXPERT])
def test_only_an_operator_decides(cast, intake, role) -> None:
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    with pytest.raises(NotAllowed):
        review_decide(acting_user=cast[role], application=case, accept=True, reasons=[], comment="")
    case.refresh_from_db()
    assert case.state == State.IN_REVIEW


def test_a_case_not_in_review_cannot_be_decided(cast, intake) -> None:
    applicant = make_applicant(1)
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    submitted = application_transition(
        acting_user=applicant, application=application, event=Event.SUBMIT
    )
    with pytest.raises(IllegalTransition):
        review_decide(
            acting_user=cast[Role.OPERATOR],
            application=submitted,
            accept=True,
            reasons=[],
            comment="",
        )
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0), n=2)
    operator = cast[Role.OPERATOR]
    review_decide(acting_user=operator, application=case, accept=True, reasons=[], comment="")
    with pytest.raises(IllegalTransition):  # a second operator, a moment too late
        review_decide(
            acting_user=operator, application=case, accept=False, reasons=[], comment="late"
        )


@pytest.mark.parametrize(
    ("accept", "reasons", "comment", "code"),
    [
        (False, [], "", "no_reasons"),
        (False, [{"requirement": "not_a_failing_requirement"}], "", "bad_reason"),
        (True, [{"requirement": "kaztest"}], "", "accept_with_reasons"),
        (True, [], "Well done", "accept_with_reasons"),
        (False, [], "x" * 2001, "comment_too_long"),
    ],
)
def test_a_decision_must_make_sense(cast, intake, accept, reasons, comment, code) -> None:
    case = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0))
    with pytest.raises(DomainError) as caught:
        review_decide(
            acting_user=cast[Role.OPERATOR],
            application=case,
            accept=accept,
            reasons=reasons,
            comment=comment,
        )
    assert caught.value.code == code
    case.refresh_from_db()
    assert case.state == State.IN_REVIEW
