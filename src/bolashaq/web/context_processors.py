from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bolashaq.accounts.models import Language

LOW_VISION_COOKIE = "bolashaq_low_vision"


def ui(request: HttpRequest) -> dict[str, Any]:
    return {
        "low_vision": request.COOKIES.get(LOW_VISION_COOKIE) == "1",
        "ui_languages": Language.choices,
    }
