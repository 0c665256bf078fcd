from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from bolashaq.accounts.roles import Role
from bolashaq.audit.actions import audit_record
from bolashaq.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from bolashaq.audit.selectors import audit_chain_verify


def _events(n: int) -> list[AuditEvent]:
    return [
        audit_record(
            acting_user=None,
            action="test.write",
            object_type="test.thing",
            object_id=i,
            old={"value": i},
            new={"value": i + 1, "note": "Қазақша ✓"},
        )
        for i in range(n)
    ]


def _tamper(sql: str, params: list[str | int]) -> None:
    """Change the table behind the application's back, as a hostile DBA would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser session that skips triggers, as a hostile DBA could open.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute(sql, params)


@pytest.mark.django_db
def test_events_chain_each_to_the_one_before() -> None:
    events = _events(3)
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (3, events[2].hash)
    report = audit_chain_verify()
    assert report.ok
    assert report.checked == 3


@pytest.mark.django_db
def test_record_keeps_old_and_new_values_and_actor(cast) -> None:
    operator = cast[Role.OPERATOR]
    event = audit_record(
        acting_user=operator,
        action="test.edit",
        target=operator,
        old={"phone": ""},
        new={"phone": "+77010000000"},
    )
    event.refresh_from_db()
    assert event.actor_id == operator.pk
    assert event.actor_label == operator.username
    assert event.object_type == "accounts.user"
    assert event.object_id == str(operator.pk)
    assert event.old == {"phone": ""}
    assert event.new == {"phone": "+77010000000"}


@pytest.mark.django_db
def test_editing_a_row_is_detected() -> None:
    events = _events(5)
    _tamper("UPDATE audit_auditevent SET new = %s WHERE seq = %s", ['{"value": 999}', 3])
    report = audit_chain_verify()
    assert not report.ok
    assert report.seq == 3
    assert "altered" in report.problem
    assert events[2].seq == 3


@pytest.mark.django_db
def test_deleting_a_row_in_the_middle_is_detected() -> None:
    _events(5)
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    report = audit_chain_verify()
    assert not report.ok
    assert report.seq == 2
    assert "missing" in report.problem


@pytest.mark.django_db
def test_deleting_the_newest_row_is_detected() -> None:
    _events(4)
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [4])
    report = audit_chain_verify()
    assert not report.ok
    assert report.seq == 4


@pytest.mark.django_db
def test_rewriting_a_row_with_a_fresh_hash_breaks_the_next_link() -> None:
    from bolashaq.audit.hashing import event_hash

    events = _events(3)
    forged = events[1]
    digest = event_hash(
        seq=forged.seq,
        at=forged.at,
        actor_id=None,
        actor_label="",
        action="test.write",
        object_type="test.thing",
        object_id="1",
        old={"value": 1},
        new={"value": 0},
        prev_hash=forged.prev_hash,
    )
    _tamper(
        "UPDATE audit_auditevent SET new = %s, hash = %s WHERE seq = 2", ['{"value": 0}', digest]
    )
    report = audit_chain_verify()
    assert not report.ok
    assert report.seq == 3
    assert "does not link" in report.problem


@pytest.mark.django_db
def test_database_refuses_updates_to_events() -> None:
    _events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="something.else")


@pytest.mark.django_db
def test_verify_audit_command_exits_non_zero_and_names_the_event(capsys) -> None:
    _events(3)
    call_command("verify_audit")
    assert "intact: 3 events" in capsys.readouterr().out
    _tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["forged", 2])
    with pytest.raises(CommandError, match="event #2 was altered"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_a_failed_transaction_leaves_no_event() -> None:
    def write_then_fail() -> None:
        with transaction.atomic():
            audit_record(acting_user=None, action="test.rolled_back")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert audit_chain_verify().ok
