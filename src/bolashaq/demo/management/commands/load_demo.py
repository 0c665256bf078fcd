"""Load the demo data (idempotent). Refuses to run unless DEBUG is on.

Demo applications go through the same actions as real ones: answers are saved section by
section, one sample PDF is uploaded per document on the checklist, and submitted applications
get their answer from the real automatic check (accepted, refused with reasons, or referred to
an operator with a working-day deadline).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.applications.actions import (
    application_content_hash,
    application_start,
    application_transition,
)
from bolashaq.applications.checks import application_check
from bolashaq.applications.samples import (
    eligible_answers,
    fill_answers,
    refused_answers,
    upload_documents,
)
from bolashaq.applications.states import Event
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme
from bolashaq.demo.data import ALL, DEMO_APPLICATIONS, DEMO_INTAKE, DEMO_PASSWORD, DemoApplication


def demo_answers(kind: str) -> dict[str, dict[str, str]]:
    today = timezone.localdate()
    if kind == "expired_certificate":
        return refused_answers(today)
    answers = eligible_answers(today)
    if kind == "percent_gpa":
        answers["education"] |= {"gpa": "87", "gpa_scale": "100"}
        answers["rural"] = {"residence_months": "36", "work_months": "30"}
    return answers


class Command(BaseCommand):
    help = "Create one demo user per role and demo applications at several stages (development)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data has public passwords; load it only with DEBUG=true.")
        created = 0
        for demo in ALL:
            if User.objects.filter(username=demo.username).exists():
                continue
            user_create(
                acting_user=None,
                username=demo.username,
                password=DEMO_PASSWORD,
                role=demo.role,
                first_name=demo.first_name,
                last_name=demo.last_name,
                language=demo.language,
                phone=demo.phone,
                iin=demo.username if demo.username.isdigit() else None,
            )
            created += 1
        intake = self._intake()
        for demo_application in DEMO_APPLICATIONS:
            self._application(intake, demo_application)
        self.stdout.write(f"Demo data ready ({created} users created).")

    def _application(self, intake: Intake, demo: DemoApplication) -> None:
        applicant = User.objects.get(username=demo.iin)
        if applicant.applications.filter(intake=intake).exists():
            return
        application = application_start(
            acting_user=applicant, intake=intake, category=demo.category
        )
        fill_answers(
            applicant=applicant, application=application, answers=demo_answers(demo.answers)
        )
        application.refresh_from_db()
        upload_documents(applicant=applicant, application=application)
        if demo.stage != "submitted":
            return
        # The applicant's SMS signature is the one step demo data skips: the hash is recorded
        # as if signed, then the real check decides.
        with transaction.atomic():
            application.refresh_from_db()
            application = application_transition(
                acting_user=applicant,
                application=application,
                event=Event.SUBMIT,
                submitted_hash=application_content_hash(application),
            )
        application_check.call(
            application_id=application.pk, content_hash=application.submitted_hash
        )

    def _intake(self) -> Intake:
        existing = Intake.objects.filter(code=DEMO_INTAKE.code).first()
        if existing is not None:
            return existing
        now = timezone.now()
        return intake_create(
            acting_user=None,
            code=DEMO_INTAKE.code,
            titles=DEMO_INTAKE.titles,
            programme=Programme.MASTER,
            rule_set=DEMO_INTAKE.rule_set,
            opens_at=now - timedelta(days=DEMO_INTAKE.opened_days_ago),
            closes_at=now + timedelta(days=DEMO_INTAKE.closes_in_days),
        )
