"""Template helpers for document slots: ``{% load document_tags %}``."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.conf import settings
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localised(texts: Mapping[str, str] | None) -> str:
    """The text for the active language from ``{"kk": ..., "ru": ..., "en": ...}``."""
    if not texts:
        return ""
    language = (get_language() or "kk")[:2]
    return texts.get(language) or texts.get("kk") or next(iter(texts.values()), "")


@register.simple_tag
def document_max_bytes() -> int:
    """The largest file accepted (``DOCUMENT_MAX_BYTES``)."""
    size: int = settings.DOCUMENT_MAX_BYTES
    return size
