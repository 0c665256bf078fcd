"""API authentication: the web session (with CSRF) or a bearer token for integrations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer, SessionAuth

from bolashaq.accounts.models import ApiToken
from bolashaq.accounts.selectors import api_token_user, token_hash


class TokenAuth(HttpBearer):
    openapi_description = "Integration token created with `manage.py create_api_token`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is None:
            return None
        ApiToken.objects.filter(key_hash=token_hash(token)).update(last_used_at=timezone.now())
        request.user = user
        return user


session_auth: APIKeyCookie = SessionAuth(csrf=True)
token_auth = TokenAuth()
