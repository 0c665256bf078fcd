"""POST /api/v1/eligibility: the rules engine over HTTP (same input and output as the CLI)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from bolashaq.api.errors import ErrorEnvelope
from bolashaq.rules import ProfileError, evaluate, profile_json_schema

router = Router(tags=["eligibility"])


def _request_schema() -> dict[str, Any]:
    schema = dict(profile_json_schema())
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return schema


@router.post(
    "",
    auth=None,
    response={200: dict[str, Any], 400: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Check an applicant profile against the rule set in force",
    description=(
        "Public: no sign-in. The body is a profile (see `bolashaq eligibility schema`); the answer "
        "is the verdict, every requirement with its source, the language level, the documents, "
        "the post-award terms and what-if suggestions. Invalid profiles get 422 with the list "
        "of problems in `error.details`; a body that is not JSON gets 400 `invalid_json`."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _request_schema()}},
        },
    },
)
def eligibility(request: HttpRequest) -> HttpResponse:
    from bolashaq.api.main import api

    try:
        profile = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return api.create_response(
            request,
            {
                "error": {
                    "code": "invalid_json",
                    "message": _("The body is not valid JSON."),
                    "details": None,
                }
            },
            status=400,
        )
    if not isinstance(profile, dict):
        return api.create_response(
            request,
            {
                "error": {
                    "code": "invalid_input",
                    "message": _("The profile must be a JSON object."),
                    "details": None,
                }
            },
            status=422,
        )
    try:
        result = evaluate(profile)
    except ProfileError as exc:
        return api.create_response(
            request,
            {
                "error": {
                    "code": "invalid_profile",
                    "message": _("The profile has invalid fields."),
                    "details": list(exc.errors),
                }
            },
            status=422,
        )
    return api.create_response(request, result.to_dict(), status=200)
