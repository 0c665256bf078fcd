"""From draft to the automatic answer: signing, the window, idempotency and the check."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client, TestCase
from django.utils import timezone

from bolashaq.accounts.models import OneTimeCode, User
from bolashaq.accounts.roles import Role
from bolashaq.applications import actions
from bolashaq.applications.models import Application, LevelAward
from bolashaq.applications.samples import (
    eligible_answers,
    fill_answers,
    refused_answers,
    upload_documents,
)
from bolashaq.applications.states import Event, State
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme
from bolashaq.core.errors import Conflict, DomainError, IllegalTransition, NotAllowed
from bolashaq.notifications.models import SmsMessage


def last_code(user: User) -> str:
    message = SmsMessage.objects.filter(phone=user.phone).order_by("-pk").first()
    assert message is not None, "no SMS was sent"
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def applicant(cast) -> User:
    user: User = cast[Role.APPLICANT]
    if not user.phone:
        user.phone = "+77011234567"
        user.save(update_fields=["phone"])
    return user


@pytest.fixture
def intake(cast) -> Intake:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="master-test",
        programme=Programme.MASTER,
        titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


def ready(
    applicant: User, intake: Intake, answers: dict[str, dict[str, str]] | None = None
) -> Application:
    application = actions.application_start(
        acting_user=applicant, intake=intake, category="general"
    )
    today = timezone.localdate()
    application = fill_answers(
        applicant=applicant, application=application, answers=answers or eligible_answers(today)
    )
    upload_documents(applicant=applicant, application=application)
    application.refresh_from_db()
    return application


def sign_and_submit(applicant: User, application: Application) -> Application:
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    # The check is enqueued after the commit; run those callbacks as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return actions.application_submit(
            acting_user=applicant,
            application=application,
            content_hash=content_hash,
            code=last_code(applicant),
        )


def test_eligible_application_is_accepted_by_the_automatic_check(applicant, intake) -> None:
    application = ready(applicant, intake)
    sign_and_submit(applicant, application)
    application.refresh_from_db()
    # Tests run tasks immediately: the check ran right after the commit.
    assert application.state == State.ACCEPTED
    assert application.reasons == []
    assert application.submitted_hash


def test_expired_certificate_is_refused_with_a_reason_in_three_languages(applicant, intake) -> None:
    application = ready(applicant, intake, refused_answers(timezone.localdate()))
    sign_and_submit(applicant, application)
    application.refresh_from_db()
    assert application.state == State.REFUSED
    [reason] = application.reasons
    assert reason["requirement"] == "foreign_language"
    assert set(reason["message"]) == {"kk", "ru", "en"}
    assert "expired" in reason["message"]["en"].lower() or "valid" in reason["message"]["en"]


def test_percent_scale_diploma_goes_to_an_operator_with_a_deadline(cast, applicant) -> None:
    now = timezone.now()
    intake = intake_create(
        acting_user=cast[Role.OPERATOR],
        code="master-rural",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    answers = eligible_answers(timezone.localdate())
    answers["education"] |= {"gpa": "85", "gpa_scale": "100"}
    answers["rural"] = {"residence_months": "30", "work_months": "30"}
    application = actions.application_start(acting_user=applicant, intake=intake, category="rural")
    fill_answers(applicant=applicant, application=application, answers=answers)
    upload_documents(applicant=applicant, application=application)
    application.refresh_from_db()
    sign_and_submit(applicant, application)
    application.refresh_from_db()
    assert application.state == State.IN_REVIEW
    assert application.review_due_at is not None
    assert application.review_due_at > now
    assert [r["requirement"] for r in application.referral_reasons] == ["gpa"]


def test_a_code_for_another_version_does_not_sign(applicant, intake) -> None:
    application = ready(applicant, intake)
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    code = last_code(applicant)
    # The applicant changes an answer after asking for the code: the review is stale.
    answers = eligible_answers(timezone.localdate())["education"] | {"specialty": "Physics"}
    actions.application_save_section(
        acting_user=applicant, application=application, section="education", values=answers
    )
    with pytest.raises(Conflict) as excinfo:
        actions.application_submit(
            acting_user=applicant, application=application, content_hash=content_hash, code=code
        )
    assert excinfo.value.code == "changed_since_review"
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_wrong_code_does_not_submit(applicant, intake) -> None:
    application = ready(applicant, intake)
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    wrong = "000000" if last_code(applicant) != "000000" else "111111"
    with pytest.raises(DomainError):
        actions.application_submit(
            acting_user=applicant, application=application, content_hash=content_hash, code=wrong
        )
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_signing_locks_after_repeated_wrong_codes(applicant, intake, settings) -> None:
    from bolashaq.accounts.otp import OtpLocked

    application = ready(applicant, intake)
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    right = last_code(applicant)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(settings.OTP_MAX_FAILURES):
        with pytest.raises(DomainError):
            actions.application_submit(
                acting_user=applicant,
                application=application,
                content_hash=content_hash,
                code=wrong,
            )
    # Even the right code is refused now: the failures were counted, not rolled back.
    with pytest.raises(OtpLocked):
        actions.application_submit(
            acting_user=applicant, application=application, content_hash=content_hash, code=right
        )
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_retry_after_success_gives_the_same_single_submission(applicant, intake) -> None:
    application = ready(applicant, intake)
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    code = last_code(applicant)
    first = actions.application_submit(
        acting_user=applicant, application=application, content_hash=content_hash, code=code
    )
    again = actions.application_submit(
        acting_user=applicant, application=application, content_hash=content_hash, code=code
    )
    assert first.pk == again.pk
    assert Application.objects.filter(applicant=applicant).count() == 1
    from bolashaq.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="application.submit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_give_one_submission(cast, applicant, intake) -> None:
    application = ready(applicant, intake)
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    code = last_code(applicant)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            actions.application_submit(
                acting_user=applicant,
                application=application,
                content_hash=content_hash,
                code=code,
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok", "ok"]
    from bolashaq.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="application.submit").count() == 1


def test_submission_outside_the_window_is_refused(applicant, intake) -> None:
    application = ready(applicant, intake)
    content_hash = actions.application_sign_request(acting_user=applicant, application=application)
    Intake.objects.filter(pk=intake.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(actions.WindowClosed):
        actions.application_submit(
            acting_user=applicant,
            application=application,
            content_hash=content_hash,
            code=last_code(applicant),
        )
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_cannot_start_in_a_closed_intake(applicant, intake) -> None:
    Intake.objects.filter(pk=intake.pk).update(opens_at=timezone.now() + timedelta(days=1))
    intake.refresh_from_db()
    with pytest.raises(actions.WindowClosed):
        actions.application_start(acting_user=applicant, intake=intake, category="general")


def test_once_per_level(applicant, intake) -> None:
    LevelAward.objects.create(person=applicant, programme=Programme.MASTER, awarded_on="2019-06-01")
    with pytest.raises(NotAllowed):
        actions.application_start(acting_user=applicant, intake=intake, category="general")


def test_database_refuses_a_second_award_at_one_level(applicant) -> None:
    from django.db import IntegrityError, transaction

    LevelAward.objects.create(person=applicant, programme=Programme.MASTER, awarded_on="2019-06-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelAward.objects.create(
            person=applicant, programme=Programme.MASTER, awarded_on="2020-06-01"
        )


def test_starting_twice_returns_the_same_draft(applicant, intake) -> None:
    first = actions.application_start(acting_user=applicant, intake=intake, category="general")
    second = actions.application_start(acting_user=applicant, intake=intake, category="general")
    assert first.pk == second.pk


def test_refused_application_can_be_corrected_and_resubmitted(applicant, intake) -> None:
    application = ready(applicant, intake, refused_answers(timezone.localdate()))
    sign_and_submit(applicant, application)
    application.refresh_from_db()
    assert application.state == State.REFUSED
    application = actions.application_correct(acting_user=applicant, application=application)
    assert application.state == State.DRAFT
    # Later that day: the one-minute pause between codes has long passed.
    OneTimeCode.objects.update(created_at=F("created_at") - timedelta(minutes=5))
    fill_answers(
        applicant=applicant,
        application=application,
        answers={"foreign_language": eligible_answers(timezone.localdate())["foreign_language"]},
    )
    application.refresh_from_db()
    sign_and_submit(applicant, application)
    application.refresh_from_db()
    assert application.state == State.ACCEPTED


def test_withdrawn_application_frees_the_place(applicant, intake) -> None:
    application = ready(applicant, intake)
    actions.application_withdraw(acting_user=applicant, application=application)
    again = actions.application_start(acting_user=applicant, intake=intake, category="general")
    assert again.pk != application.pk


def test_answers_of_a_submitted_application_cannot_change(applicant, intake) -> None:
    application = ready(applicant, intake)
    sign_and_submit(applicant, application)
    with pytest.raises(Conflict):
        actions.application_save_section(
            acting_user=applicant, application=application, section="education", values={}
        )


def test_check_is_idempotent(applicant, intake) -> None:
    from bolashaq.applications.checks import application_check

    application = ready(applicant, intake)
    sign_and_submit(applicant, application)
    application.refresh_from_db()
    assert application.state == State.ACCEPTED
    # A second delivery of the same task changes nothing.
    result = application_check.call(
        application_id=application.pk, content_hash=application.submitted_hash
    )
    assert result == "skipped"


def test_illegal_transition_message(applicant, intake) -> None:
    application = ready(applicant, intake)
    with pytest.raises(IllegalTransition):
        actions.application_transition(
            acting_user=applicant, application=application, event=Event.ACCEPT
        )


def test_other_applicant_cannot_open_the_application(cast, applicant, intake) -> None:
    application = ready(applicant, intake)
    other = User.objects.create_user(username="061211600012", role=Role.APPLICANT)
    client = Client()
    client.force_login(other)
    for url in (
        f"/portal/applications/{application.pk}/",
        f"/portal/applications/{application.pk}/review/",
        f"/portal/applications/{application.pk}/education/",
    ):
        assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/applications/{application.pk}").status_code == 404
