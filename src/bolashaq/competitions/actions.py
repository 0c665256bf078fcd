"""Writes about intakes."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from bolashaq.accounts.models import User
from bolashaq.audit.actions import audit_record
from bolashaq.competitions.models import Intake, Programme


def intake_create(
    *,
    acting_user: User | None,
    code: str,
    titles: dict[str, str],
    programme: Programme,
    rule_set: str,
    opens_at: datetime,
    closes_at: datetime,
) -> Intake:
    with transaction.atomic():
        intake = Intake(
            code=code,
            title_kk=titles["kk"],
            title_ru=titles["ru"],
            title_en=titles["en"],
            programme=programme,
            rule_set=rule_set,
            opens_at=opens_at,
            closes_at=closes_at,
        )
        intake.full_clean()
        intake.save()
        audit_record(
            acting_user=acting_user,
            action="intake.create",
            target=intake,
            new={
                "code": code,
                "programme": str(programme),
                "rule_set": rule_set,
                "opens_at": opens_at,
                "closes_at": closes_at,
            },
        )
    return intake
