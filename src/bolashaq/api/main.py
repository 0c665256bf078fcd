"""The API object and its routers."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router, Schema

from bolashaq.accounts.selectors import signed_in_user
from bolashaq.api.accounts import router as registration_router
from bolashaq.api.applications import router as applications_router
from bolashaq.api.auth import session_auth, token_auth
from bolashaq.api.documents import router as documents_router
from bolashaq.api.eligibility import router as eligibility_router
from bolashaq.api.errors import ErrorEnvelope, install_error_handlers

api = NinjaAPI(
    title="Bolashaq API",
    version="1",
    description=(
        "API of the Bolashak scholarship competition system. Errors always use the envelope "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    # The token first: a bearer token needs no CSRF token, and the session check would refuse a
    # cookie-less POST before the token was looked at.
    auth=[token_auth, session_auth],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


class Me(Schema):
    username: str
    role: str
    language: str


accounts_router = Router(tags=["accounts"])


@accounts_router.get("/me", response={200: Me, 401: ErrorEnvelope}, summary="Who am I")
def me(request: HttpRequest) -> Me:
    user = signed_in_user(request)
    return Me(username=user.get_username(), role=user.role, language=user.language)


api.add_router("/accounts", accounts_router)
api.add_router("/accounts", registration_router)
api.add_router("/eligibility", eligibility_router)
api.add_router("/applications", applications_router)
api.add_router("/applications", documents_router)


def api_urls() -> list[URLPattern | URLResolver]:
    """The API's URL patterns, exempt from LoginRequiredMiddleware: ninja authenticates itself."""
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            # LoginRequiredMiddleware reads this attribute (what @login_not_required sets).
            setattr(pattern.callback, "login_required", False)  # noqa: B010
    return list(patterns)
