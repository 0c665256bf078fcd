from __future__ import annotations

import json

import pytest
from django.test import Client

from bolashaq.rules import evaluate

ELIGIBLE_MASTER = {
    "date": "2026-05-10",
    "programme": "master",
    "category": "general",
    "kaztest": {"score": 110, "max": 150, "date": "2025-09-01"},
    "foreign_language": [{"test": "ielts", "score": 6.5, "date": "2025-10-01"}],
    "invitation": {
        "unconditional": True,
        "recommended_university": True,
        "priority_specialty": True,
    },
}


def _post(body: object, language: str = "en"):  # -> the test client response
    return Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/eligibility", data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.django_db
def test_anyone_can_check_a_profile_and_gets_what_the_cli_gives() -> None:
    response = _post(ELIGIBLE_MASTER)
    assert response.status_code == 200
    body = response.json()
    assert body == json.loads(json.dumps(evaluate(ELIGIBLE_MASTER).to_dict()))
    assert body["verdict"] == "eligible"
    assert all(r["source"] for r in body["requirements"])


@pytest.mark.django_db
def test_a_failing_profile_gets_the_unmet_requirement() -> None:
    profile = {
        **ELIGIBLE_MASTER,
        "foreign_language": [{"test": "ielts", "score": 5.5, "date": "2025-10-01"}],
    }
    body = _post(profile).json()
    assert body["verdict"] == "not_eligible"
    assert any(r["status"] == "unmet" for r in body["requirements"])
    assert body["what_if"]


@pytest.mark.django_db
def test_an_invalid_profile_gets_the_envelope_with_every_problem() -> None:
    response = _post({"date": "yesterday"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_profile"
    assert error["message"] == "The profile has invalid fields."
    assert any("date" in problem for problem in error["details"])


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "status"), [("not json{", 400), ("[1, 2]", 422)])
def test_malformed_bodies_are_refused(body: str, status: int) -> None:
    response = Client().post("/api/v1/eligibility", data=body, content_type="application/json")
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.django_db
def test_the_profile_schema_is_in_the_openapi_document() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/eligibility"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "programme" in schema["properties"]
