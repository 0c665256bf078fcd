"""Load the demo data (idempotent). Refuses to run unless DEBUG is on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.applications.actions import application_create, application_transition
from bolashaq.applications.states import Event
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme
from bolashaq.demo.data import ALL, DEMO_APPLICATIONS, DEMO_INTAKE, DEMO_PASSWORD

DEMO_REFUSAL = [
    {
        "requirement": "rural_residence",
        "message": {
            "kk": "Ауылдық елді мекенде кемінде 2 жыл тұрғаныңыз расталмады.",
            "ru": "Не подтверждено проживание в сельском населённом пункте не менее 2 лет.",
            "en": "At least 2 years of residence in a rural settlement is not confirmed.",
        },
    }
]


class Command(BaseCommand):
    help = "Create one demo user per role and demo applicants (development only)."

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
        for iin, category, events in DEMO_APPLICATIONS:
            applicant = User.objects.get(username=iin)
            if applicant.applications.filter(intake=intake).exists():
                continue
            application = application_create(
                acting_user=applicant, applicant=applicant, intake=intake, category=category
            )
            for event in events:
                application = application_transition(
                    acting_user=applicant if event == "submit" else None,
                    application=application,
                    event=Event(event),
                    reasons=DEMO_REFUSAL if event == "refuse" else None,
                )
        self.stdout.write(f"Demo data ready ({created} users created).")

    def _intake(self) -> Intake:
        existing = Intake.objects.filter(code=DEMO_INTAKE["code"]).first()
        if existing is not None:
            return existing
        now = timezone.now()
        return intake_create(
            acting_user=None,
            code=str(DEMO_INTAKE["code"]),
            titles=DEMO_INTAKE["titles"],  # type: ignore[arg-type]
            programme=Programme.MASTER,
            rule_set=str(DEMO_INTAKE["rule_set"]),
            opens_at=now - timedelta(days=int(DEMO_INTAKE["opened_days_ago"])),  # type: ignore[call-overload]
            closes_at=now + timedelta(days=int(DEMO_INTAKE["closes_in_days"])),  # type: ignore[call-overload]
        )
