"""Registration, sign-in with a one-time code, and one-time codes."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["accounts"])
