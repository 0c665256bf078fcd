"""The applicant's history: every change in order, with reasons and notices, and no staff names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.models import Application
from bolashaq.applications.notify import application_notify
from bolashaq.applications.states import Event
from bolashaq.applications.timeline import application_timeline
from bolashaq.audit.actions import audit_record
from bolashaq.audit.models import AuditEvent
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme

GPA = {"kk": "GPA жеткіліксіз", "ru": "GPA ниже порога", "en": "GPA below the threshold"}
LETTER = {"kk": "Хат сканерленген", "ru": "Письмо отсканировано", "en": "The letter is a scan"}
DUE = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 18:00 in Astana


@pytest.fixture
def history(cast) -> Application:
    """Started, submitted, referred by the machine, refused by an operator, corrected."""
    now = timezone.now()
    intake = intake_create(
        acting_user=cast[Role.OPERATOR],
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    applicant = cast[Role.APPLICANT]
    User.objects.filter(pk=applicant.pk).update(email="a@example.kz", phone="+77011234567")
    operator = cast[Role.OPERATOR]
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    application = application_transition(
        acting_user=applicant, application=application, event=Event.SUBMIT
    )
    submitted = AuditEvent.objects.get(action="application.submit")
    application_notify.call(application_id=application.pk, event_id=submitted.pk)
    # Saving answers is audited on the application too, but is not a change of status.
    audit_record(
        acting_user=applicant,
        action="application.save_section",
        target=application,
        new={"section": "personal", "version": 2, "digest": "0" * 64},
    )
    Application.objects.filter(pk=application.pk).update(review_due_at=DUE)
    application = application_transition(
        acting_user=None,
        application=application,
        event=Event.REFER,
        reasons=[{"requirement": "letter", "message": LETTER}],
    )
    application = application_transition(
        acting_user=operator,
        application=application,
        event=Event.REFUSE,
        reasons=[{"requirement": "gpa", "message": GPA}],
    )
    return application_transition(
        acting_user=applicant, application=application, event=Event.CORRECT
    )


def test_the_timeline_lists_every_change_in_order_with_reasons(history, cast) -> None:
    with translation.override("en"):
        timeline = application_timeline(history)
    assert [entry.action for entry in timeline] == [
        "application.create",
        "application.submit",
        "application.refer",
        "application.refuse",
        "application.correct",
    ]
    assert [entry.state for entry in timeline] == [
        "draft",
        "submitted",
        "in_review",
        "refused",
        "draft",
    ]
    assert [entry.at for entry in timeline] == sorted(entry.at for entry in timeline)
    assert [entry.by for entry in timeline] == [
        "by the applicant",
        "by the applicant",
        "automatically",
        "by an operator",
        "by the applicant",
    ]
    _create, submit, refer, refuse, correct = timeline
    assert refer.reasons == ["The letter is a scan"]
    assert refer.deadline is not None
    assert refer.deadline.strftime("%d.%m.%Y %H:%M") == "01.12.2026 18:00"
    assert refuse.reasons == ["GPA below the threshold"]
    assert refuse.label == "Refused"
    assert submit.reasons == []
    assert correct.reasons == []
    # The notices sent about the submission belong to its entry.
    assert sorted(n.channel for n in submit.notices) == ["email", "sms"]
    assert refer.notices == []


def test_labels_and_reasons_follow_the_current_language(history) -> None:
    with translation.override("kk"):
        kk = application_timeline(history)
    with translation.override("ru"):
        ru = application_timeline(history)
    assert kk[3].reasons == [GPA["kk"]]
    assert ru[3].reasons == [GPA["ru"]]
    assert kk[3].by == "оператор"
    assert ru[3].by == "оператором"
    assert ru[1].label == "Подписана и подана"


def test_the_timeline_never_shows_staff_names(history, cast) -> None:
    operator = cast[Role.OPERATOR]
    for language in ("kk", "ru", "en"):
        with translation.override(language):
            timeline = application_timeline(history)
            html = render_to_string("web/portal/_timeline.html", {"timeline": timeline})
        for text in (html, repr(timeline)):
            assert operator.username not in text
            assert operator.first_name not in text
            assert operator.last_name not in text


def test_the_partial_is_an_ordered_list_with_machine_readable_times(history) -> None:
    with translation.override("ru"):
        html = render_to_string(
            "web/portal/_timeline.html", {"timeline": application_timeline(history)}
        )
    assert html.count('<li class="timeline-entry') == 5
    assert "<ol" in html
    assert "</ol>" in html
    assert 'aria-labelledby="timeline-heading"' in html
    assert "История заявки" in html
    assert "Подписана и подана" in html
    assert "GPA ниже порога" in html
    assert "Письмо отсканировано" in html
    assert '<time datetime="2026-12-01T18:00:00+05:00">01.12.2026 18:00</time>' in html
    assert html.count("+05:00") >= 7  # five changes, the deadline, the notices: Astana time
    assert "SMS: отправлено" in html


def test_an_application_without_history_says_so() -> None:
    with translation.override("en"):
        html = render_to_string("web/portal/_timeline.html", {"timeline": []})
    assert "No changes yet." in html
    assert "<ol" not in html


def test_each_referral_keeps_the_deadline_scheduled_for_it(cast) -> None:
    from bolashaq.applications.review import application_refer

    now = timezone.now()
    intake = intake_create(
        acting_user=cast[Role.OPERATOR],
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    applicant = cast[Role.APPLICANT]
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    deadlines = []
    for event in (Event.SUBMIT, Event.REFER, Event.REFUSE, Event.CORRECT, Event.SUBMIT):
        if event == Event.REFER:
            application = application_refer(
                acting_user=None,
                application=application,
                reasons=[{"requirement": "letter", "message": LETTER}],
            )
            deadlines.append(application.review_due_at)
        else:
            application = application_transition(
                acting_user=applicant if event != Event.REFUSE else cast[Role.OPERATOR],
                application=application,
                event=event,
            )
    # The second submission is later, so its referral gets a later deadline.
    Application.objects.filter(pk=application.pk).update(submitted_at=now + timedelta(days=7))
    application.refresh_from_db()
    application = application_refer(
        acting_user=None,
        application=application,
        reasons=[{"requirement": "gpa", "message": GPA}],
    )
    deadlines.append(application.review_due_at)
    assert deadlines[0] != deadlines[1]
    with translation.override("en"):
        timeline = application_timeline(application)
    referrals = [entry for entry in timeline if entry.action == "application.refer"]
    assert [entry.deadline for entry in referrals] == deadlines
    assert [entry.reasons for entry in referrals] == [[LETTER["en"]], [GPA["en"]]]
    # Scheduling is not a change of status: it only dates the referral before it.
    assert "review.schedule" not in [entry.action for entry in timeline]


def test_the_status_poll_brings_the_history_along(history, cast) -> None:
    """While the check runs the page polls its status; the history must move with it, or it
    would end at "submitted" under an "accepted" status until a reload (found in a browser)."""
    from django.urls import reverse

    client = cast.client(Role.APPLICANT)
    url = reverse("portal:application", args=[history.pk]) + "?part=status"
    response = client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="application-status"' in html
    assert '<section id="application-timeline" class="timeline"' in html
    assert 'hx-swap-oob="true"' in html
    assert html.count('<li class="timeline-entry') == 5
    # The full page carries the history once, in place, not as an out-of-band swap.
    page = client.get(reverse("portal:application", args=[history.pk])).content.decode()
    assert page.count('id="application-timeline"') == 1
    assert "hx-swap-oob" not in page
