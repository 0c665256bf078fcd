"""Verifying the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from bolashaq.audit.hashing import event_hash
from bolashaq.audit.models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order; report the first altered, missing or reordered event."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_pk = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_pk).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return ChainReport(
                    False,
                    checked,
                    f"event #{expected_seq} is missing (next is #{event.seq})",
                    expected_seq,
                )
            if event.prev_hash != prev_hash:
                return ChainReport(
                    False,
                    checked,
                    f"event #{event.seq} does not link to the event before it",
                    event.seq,
                )
            digest = event_hash(
                seq=event.seq,
                at=event.at,
                actor_id=event.actor_id,
                actor_label=event.actor_label,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                old=event.old,
                new=event.new,
                prev_hash=event.prev_hash,
            )
            if digest != event.hash:
                return ChainReport(False, checked, f"event #{event.seq} was altered", event.seq)
            prev_hash = event.hash
            expected_seq += 1
            checked += 1
            last_pk = event.seq
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        if head_seq > checked:
            return ChainReport(
                False,
                checked,
                f"event #{checked + 1} is missing (the chain ends early)",
                checked + 1,
            )
        return ChainReport(False, checked, "the chain head does not match the last event", head_seq)
    return ChainReport(True, checked)
