"""Kazakhstan phone numbers: one stored form, ``+7`` and 10 digits (no Django here)."""

from __future__ import annotations

import re

__all__ = ["mask_phone", "normalise_phone"]

# What people type between the digits: spaces (also non-breaking), dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()]")


def normalise_phone(value: str) -> str | None:
    """``+7XXXXXXXXXX`` for a number written as +7…, 8… or 7… with 10 digits after the prefix.

    Spaces, dashes, dots and brackets are ignored (``8 (701) 234-56-78``); anything else, or the
    wrong number of digits, gives ``None``.
    """
    compact = _SEPARATORS.sub("", value.strip())
    if compact.startswith("+7"):
        rest = compact[2:]
    elif len(compact) == 11 and compact[0] in "78":
        rest = compact[1:]
    else:
        return None
    if len(rest) != 10 or not all("0" <= c <= "9" for c in rest):
        return None
    return "+7" + rest


def mask_phone(phone: str) -> str:
    """The number with the middle hidden, for logs and screens: ``+7701*****78``."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:5] + "*" * (len(phone) - 7) + phone[-2:]
