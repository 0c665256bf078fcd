"""Appending to the audit chain: the one write every other action makes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from bolashaq.audit.hashing import event_hash, normalise
from bolashaq.audit.models import AuditEvent, AuditHead


def audit_record(
    *,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    old: Any = None,
    new: Any = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event. Call it inside the caller's transaction so both commit or neither.

    ``target`` fills ``object_type`` (``app_label.model``) and ``object_id`` from a model
    instance. ``old`` and ``new`` are JSON-able dicts of the fields that changed.
    """
    if target is not None:
        object_type = target._meta.label_lower
        object_id = str(target.pk)
    actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
    if actor is not None and not actor_label:
        actor_label = actor.get_username()
    old_n, new_n = normalise(old), normalise(new)
    # No savepoint inside the caller's transaction: if the append fails, the caller's writes
    # must not commit without it anyway, and two fewer statements per event add up (about
    # 20 events per submission).
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        # The same fields are hashed and stored, so verification can recompute the hash.
        fields: dict[str, Any] = {
            "seq": head.seq + 1,
            "at": timezone.now(),
            "actor_id": int(actor.pk) if actor is not None else None,
            "actor_label": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "old": old_n,
            "new": new_n,
            "prev_hash": head.hash,
        }
        digest = event_hash(**fields)
        event = AuditEvent.objects.create(**fields, hash=digest)
        seq = fields["seq"]
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    return event


def changes(instance: models.Model, fields: list[str], before: dict[str, Any]) -> dict[str, Any]:
    """The new values of ``fields`` on ``instance`` that differ from ``before``."""
    return {f: getattr(instance, f) for f in fields if before.get(f) != getattr(instance, f)}
