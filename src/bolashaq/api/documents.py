"""Documents of an application: upload, list and download, each permission-checked."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["documents"])
