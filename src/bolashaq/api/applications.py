"""The applicant's applications: drafts, sections, review, signing and submission."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["applications"])
