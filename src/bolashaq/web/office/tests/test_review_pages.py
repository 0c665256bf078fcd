"""The operator's review pages: the queue with its flags, the case and the decision form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.models import Application
from bolashaq.applications.review import application_refer, review_escalate
from bolashaq.applications.states import Event, State
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Programme

ASTANA = ZoneInfo("Asia/Almaty")
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


def astana(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ASTANA)


@pytest.fixture
def intake(cast):
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="m-2026",
        programme=Programme.MASTER,
        titles={"kk": "Магистратура 2026", "ru": "Магистратура 2026", "en": "Master's 2026"},
        rule_set="2023",
        opens_at=astana(2026, 1, 1),
        closes_at=astana(2027, 12, 31),
    )


def referred_case(intake, *, submitted: datetime, n: int = 1) -> Application:
    applicant = user_create(
        acting_user=None,
        username=f"applicant{n}",
        password=None,
        role=Role.APPLICANT,
        first_name="Dana",
        last_name="Nurlankyzy",
        language="en",
    )
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    application.answers = {"education": {"gpa": "87", "gpa_scale": "100"}}
    application.save(update_fields=["answers"])
    with time_machine.travel(submitted, tick=False):
        application = application_transition(
            acting_user=applicant, application=application, event=Event.SUBMIT
        )
        return application_refer(acting_user=None, application=application, reasons=REFERRAL)


NOW = astana(2026, 2, 5, 9, 0)  # Thursday


@pytest.fixture
def cases(intake):
    late = referred_case(intake, submitted=astana(2026, 2, 2, 9, 0), n=1)  # due Wed 4 Feb 09:00
    soon = referred_case(intake, submitted=astana(2026, 2, 3, 16, 0), n=2)  # due Thu 5 Feb 16:00
    calm = referred_case(intake, submitted=astana(2026, 2, 5, 8, 0), n=3)  # due Mon 9 Feb 08:00
    return late, soon, calm


def get(client: Client, url: str):
    with time_machine.travel(NOW, tick=False):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


# -- who gets in -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_operators_and_administrators_see_the_queue_and_the_case(cast, cases, role) -> None:
    client = cast.client(role)
    expected = 200 if role in (Role.OPERATOR, Role.ADMIN) else 403
    assert get(client, reverse("office:review_queue")).status_code == expected
    case_url = reverse("office:review_case", kwargs={"pk": cases[0].pk})
    assert get(client, case_url).status_code == expected


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(reverse("office:review_queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


def test_an_application_never_referred_is_not_a_case(cast, intake) -> None:
    applicant = cast[Role.APPLICANT]
    draft = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    url = reverse("office:review_case", kwargs={"pk": draft.pk})
    assert cast.client(Role.OPERATOR).get(url).status_code == 404


# -- the queue ---------------------------------------------------------------------------------


def test_the_queue_shows_deadlines_in_astana_time_and_flags_in_words(cast, cases) -> None:
    with time_machine.travel(NOW, tick=False):
        review_escalate(now=NOW)  # the overdue and the due-soon case are escalated
    html = get(cast.client(Role.OPERATOR), reverse("office:review_queue")).content.decode()
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert [f"No. {c.pk}" in row for row, c in zip(rows, cases, strict=True)] == [True] * 3
    late_row, soon_row, calm_row = rows
    assert "Overdue" in late_row
    assert "Escalated" in late_row
    assert "24 h 0 min past the deadline" in late_row
    assert "Due soon" in soon_row
    assert "Escalated" in soon_row
    assert "Thu 05.02.2026 16:00" in soon_row
    assert "7 h 0 min" in soon_row
    for flag in ("Overdue", "Due soon", "Escalated"):
        assert flag not in calm_row
    assert "Mon 09.02.2026 08:00" in calm_row


def test_the_queue_reads_a_fixed_number_of_queries(cast, intake, django_assert_num_queries) -> None:
    client = cast.client(Role.OPERATOR)
    url = reverse("office:review_queue")
    referred_case(intake, submitted=astana(2026, 2, 2, 9, 0), n=1)
    get(client, url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        get(client, url)
    for n in range(2, 6):
        referred_case(intake, submitted=astana(2026, 2, 2, 9, 0), n=n)
    with django_assert_num_queries(len(one.captured_queries)):
        get(client, url)


def test_the_office_home_links_the_queue_with_its_count(cast, cases) -> None:
    html = get(cast.client(Role.OPERATOR), reverse("office:home")).content.decode()
    assert reverse("office:review_queue") in html
    assert "Review queue: 3 cases waiting for an operator" in html
    assert "overdue: 1, due soon: 1" in html


# -- the case and the decision -----------------------------------------------------------------


def test_the_case_shows_the_referral_the_rules_the_answers_and_the_form(cast, cases) -> None:
    case = cases[0]
    url = reverse("office:review_case", kwargs={"pk": case.pk})
    html = get(cast.client(Role.OPERATOR), url).content.decode()
    assert "The diploma is on a percent scale: an operator checks it." in html
    # The rules engine per requirement, with its source in the competition documents.
    assert "Unconditional invitation from a foreign university" in html
    assert "Cannot be decided automatically" in html
    assert "000_ae4fa7f8f80c9f9c.txt" in html
    # The answers and the decision form.
    assert "87" in html
    assert 'name="decision"' in html
    assert 'value="kaztest"' in html
    assert 'value="gpa"' in html


def test_an_administrator_looks_but_cannot_decide(cast, cases) -> None:
    case = cases[0]
    url = reverse("office:review_case", kwargs={"pk": case.pk})
    client = cast.client(Role.ADMIN)
    html = get(client, url).content.decode()
    assert 'name="decision"' not in html
    assert "Only a CIP operator can decide a case." in html
    with time_machine.travel(NOW, tick=False):
        response = client.post(url, {"decision": "accept"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == State.IN_REVIEW


def test_an_operator_refuses_with_reasons_and_a_comment(cast, cases) -> None:
    case = cases[0]
    url = reverse("office:review_case", kwargs={"pk": case.pk})
    with time_machine.travel(NOW, tick=False):
        response = cast.client(Role.OPERATOR).post(
            url,
            {
                "decision": "refuse",
                "reasons": ["kaztest", "gpa"],
                "comment": "Upload a clear scan.",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("office:review_queue")
    case.refresh_from_db()
    assert case.state == State.REFUSED
    assert [r["requirement"] for r in case.reasons] == ["kaztest", "gpa", "operator_comment"]
    for reason in case.reasons:
        assert set(reason["message"]) == {"kk", "ru", "en"}
        assert all(reason["message"].values())
    assert case.reasons[1]["message"] == REFERRAL[0]["message"]
    assert case.reasons[2]["message"]["kk"] == "Upload a clear scan."


def test_an_operator_accepts(cast, cases) -> None:
    case = cases[1]
    url = reverse("office:review_case", kwargs={"pk": case.pk})
    with time_machine.travel(NOW, tick=False):
        response = cast.client(Role.OPERATOR).post(
            url, {"decision": "accept"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.ACCEPTED


def test_a_refusal_without_reasons_is_sent_back(cast, cases) -> None:
    case = cases[0]
    url = reverse("office:review_case", kwargs={"pk": case.pk})
    with time_machine.travel(NOW, tick=False):
        response = cast.client(Role.OPERATOR).post(
            url, {"decision": "refuse"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400
    assert "Give at least one reason or a comment for a refusal." in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.IN_REVIEW


def test_a_case_decided_meanwhile_is_not_decided_again(cast, cases) -> None:
    case = cases[0]
    url = reverse("office:review_case", kwargs={"pk": case.pk})
    operator = cast.client(Role.OPERATOR)
    with time_machine.travel(NOW, tick=False):
        assert (
            operator.post(url, {"decision": "accept"}, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
        )
        second = operator.post(
            url, {"decision": "refuse", "comment": "Too late"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert second.status_code == 409
    html = second.content.decode()
    assert "is not waiting for an operator" in html
    assert 'name="decision"' not in html
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert case.decided_at is not None
    assert case.decided_at - NOW < timedelta(minutes=1)


def test_the_case_lists_the_documents_with_download_links(cast, intake, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bolashaq.documents.actions import document_upload
    from bolashaq.lib.tests import corpus

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/media-not-served/"},
        },
    }
    applicant = cast[Role.APPLICANT]
    application = application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="general"
    )
    pdf = corpus.text_pdf(["Diploma of higher education", "Nazarbayev University"])
    document = document_upload(
        acting_user=applicant,
        application=application,
        slot="diploma",
        upload=SimpleUploadedFile("diploma.pdf", pdf, content_type="application/pdf"),
    )
    with time_machine.travel(astana(2026, 2, 2, 9, 0), tick=False):
        application = application_transition(
            acting_user=applicant, application=application, event=Event.SUBMIT
        )
        application_refer(acting_user=None, application=application, reasons=REFERRAL)
    operator = cast.client(Role.OPERATOR)
    html = get(operator, reverse("office:review_case", kwargs={"pk": application.pk})).content
    link = reverse("documents:download", kwargs={"public_id": document.public_id})
    assert f'href="{link}"' in html.decode()
    assert "diploma.pdf" in html.decode()
    assert operator.get(link).status_code == 200
