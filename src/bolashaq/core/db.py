"""Small database helpers shared by actions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import InterfaceError, OperationalError, transaction

# What the database raises when it cannot be reached (down, restarting, connection cut), as
# opposed to refusing a statement: the step may be repeated once it is back.
DATABASE_OUTAGES = (OperationalError, InterfaceError)


@contextmanager
def joined_transaction() -> Iterator[None]:
    """A transaction of its own when called outside one; inside the caller's, no savepoint.

    For writes whose refusals (domain errors) are all raised before their first write: a
    refusal then leaves the caller's transaction as it was, to commit or not, and the caller
    saves the two statements a savepoint costs. A database error fails the caller's
    transaction, as it would anyway on PostgreSQL.
    """
    if transaction.get_connection().in_atomic_block:
        yield
    else:
        with transaction.atomic():
            yield
