"""Profiles built from the seed facts, shared by the tests."""

from __future__ import annotations

import copy
from typing import Any

KAZTEST_OK = {"score": 110, "max": 150, "date": "2025-09-01"}
BLOCKS_OK = {
    "listening": 14,
    "lexico_grammar": 30,
    "reading": 25,
    "writing": 31,
    "speaking": 33,
}
INVITATION_OK = {"unconditional": True, "recommended_university": True, "priority_specialty": True}


def master_general(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "date": "2026-05-10",
        "programme": "master",
        "category": "general",
        "kaztest": dict(KAZTEST_OK),
        "foreign_language": [{"test": "ielts", "score": 6.5, "date": "2025-10-01"}],
        "invitation": dict(INVITATION_OK),
    }
    p.update(over)
    return p


def master_rural(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "date": "2023-04-10",
        "programme": "master",
        "category": "rural",
        "kaztest": {"score": 105, "max": 150, "date": "2023-02-01"},
        "foreign_language": [{"test": "ielts", "score": 5.0, "date": "2022-12-01"}],
        "gpa": {"value": 3.0, "scale": 4.0},
        "rural": {"residence_months": 24, "work_months": 24},
        "related_specialty": True,
    }
    p.update(over)
    return p


def master_engineering(**over: Any) -> dict[str, Any]:
    p = master_rural(category="engineering")
    del p["rural"]
    p.update({"production_role": True, "experience": {"total_months": 12}})
    p.update(over)
    return p


def master_medical(**over: Any) -> dict[str, Any]:
    p = master_rural(category="medical")
    del p["rural"]
    p.update({"medical_practice": True, "experience": {"total_months": 30, "field_months": 12}})
    p.update(over)
    return p


def academic(programme: str, **over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "date": "2023-06-10",
        "programme": programme,
        "category": "general",
        "kaztest": {"score": 120, "max": 150, "date": "2023-01-15"},
        "invitation": dict(INVITATION_OK),
    }
    p.update(over)
    return p


def internship_2023(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "date": "2023-08-01",
        "programme": "internship",
        "category": "civil_service",
        "kaztest": {"score": 105, "max": 150, "date": "2023-03-01"},
        "foreign_language": [{"test": "det", "score": 75, "date": "2023-05-01"}],
        "invitation": {"unconditional": True},
        "experience": {"total_months": 36, "field_months": 12},
    }
    p.update(over)
    return p


def internship_2026(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "date": "2026-05-10",
        "programme": "internship",
        "category": "ai_users",
        "kaztest": {"blocks": dict(BLOCKS_OK), "date": "2025-09-01"},
        "foreign_language": [{"test": "ielts", "score": 5.0, "date": "2025-10-01"}],
        "invitation": {"unconditional": True},
        "experience": {"total_months": 40, "field_months": 14, "field_continuous_months": 12},
    }
    p.update(over)
    return p


def statuses(result: Any) -> dict[str, str]:
    return {r.id: r.status for r in result.requirements}


def deep(p: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(p)
