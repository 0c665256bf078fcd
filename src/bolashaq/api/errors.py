"""One error envelope for every API failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel

from bolashaq.accounts.otp import OtpThrottled
from bolashaq.core.errors import DomainError
from bolashaq.core.middleware import try_again_later, unavailable_message


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return api.create_response(request, body, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            api, request, 422, "invalid_input", _("The request has invalid fields."), exc.errors
        )

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api, request, 401, "unauthenticated", _("Sign in or give a valid token.")
        )

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", _("You do not have access to this."))

    @api.exception_handler(Http404)
    def on_missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(api, request, exc.status_code, "http_error", str(exc))

    @api.exception_handler(DomainError)
    def on_domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, str(exc.message))

    @api.exception_handler(OtpThrottled)
    def on_throttled(request: HttpRequest, exc: OtpThrottled) -> HttpResponse:
        # The wait in a form a client can act on, as for a shed request (LoadShedMiddleware).
        details = {"retry_after": exc.retry_after}
        response = error_response(api, request, exc.status, exc.code, str(exc.message), details)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def on_database_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Every step may be repeated once the database is back (a submission is idempotent),
        # so this is "try again", not a crash; it is still logged as an error.
        logging.getLogger("bolashaq.api").error("Database unreachable: %s", type(exc).__name__)
        return try_again_later(
            request, "unavailable", unavailable_message, settings.RETRY_AFTER_SECONDS
        )

    @api.exception_handler(Exception)
    def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        logging.getLogger("bolashaq.api").exception("Unhandled API error")
        return error_response(
            api, request, 500, "server_error", _("Something went wrong. Try again later.")
        )
