"""Test helpers for the two-step sign-in: read the code the outbox backend kept."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from bolashaq.notifications.models import SmsMessage

CODE = re.compile(r"\b(\d{6})\b")


def last_code(phone: str) -> str:
    """The code in the newest SMS sent to ``phone``."""
    message = SmsMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS was sent to {phone}"
    found = CODE.search(message.body)
    assert found is not None, message.body
    return found.group(1)


def sign_in_with_code(client: Client, username: str, password: str, phone: str) -> Any:
    """Both steps through the pages; returns the response to the code step."""
    first = client.post(reverse("accounts:sign_in"), {"username": username, "password": password})
    assert first.status_code == 302, first.content.decode()[:2000]
    assert first["Location"] == reverse("accounts:sign_in_code")
    return client.post(reverse("accounts:sign_in_code"), {"code": last_code(phone)})
