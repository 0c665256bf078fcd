"""Row locks that every applicant shares would serialise, and deadlock, the deadline hour.

On PostgreSQL a foreign key is checked at commit with a KEY SHARE lock on the row it points to,
after the audit head was locked. A transaction holding FOR UPDATE on that row while waiting for
the audit head deadlocks with it (the load test found both cases below). So a draft being
edited must lock only its own row, never its intake, and the per-user lock for one-time codes
must not stop others from recording events about that user. SQLite has no row locks: skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.accounts.otp import _lock_user
from bolashaq.accounts.roles import Role
from bolashaq.applications import actions
from bolashaq.applications.models import Application
from bolashaq.audit.actions import audit_record
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks exist on PostgreSQL only"
    ),
]


def person(number: int) -> User:
    return user_create(
        acting_user=None,
        username=f"lock-{number}",
        password=None,
        role=Role.APPLICANT,
        phone=f"+7700111{number:04d}",
    )


@pytest.fixture
def intake() -> Intake:
    now = timezone.now()
    return intake_create(
        acting_user=None,
        code="master-locks",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
    )


@contextmanager
def held(lock: Callable[[], object]) -> Iterator[None]:
    """Run ``lock`` in another connection's open transaction until the block ends."""
    taken, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                lock()
                taken.set()
                release.wait(10)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
            taken.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()
    assert not errors, errors


def without_waiting(write: Callable[[], object]) -> None:
    """``write`` in a transaction that may not wait for any lock for long."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        write()


def test_a_draft_being_edited_does_not_lock_its_intake(intake) -> None:
    editing, starting = person(1), person(2)
    draft = actions.application_create(
        acting_user=editing, applicant=editing, intake=intake, category="general"
    )

    with held(lambda: actions._owned_draft(editing, draft.pk)):
        # Another applicant starts in the same intake meanwhile: its row points at the intake.
        without_waiting(
            lambda: actions.application_create(
                acting_user=starting, applicant=starting, intake=intake, category="general"
            )
        )

    assert Application.objects.filter(intake=intake).count() == 2


def test_a_code_being_sent_does_not_stop_events_about_that_user() -> None:
    user = person(1)

    with held(lambda: _lock_user(user)):
        without_waiting(
            lambda: audit_record(acting_user=user, action="test.event", target=user, new={})
        )
