"""Bolashaq rules engine: Bolashak eligibility rules as dated, cited data.

Pure Python, no Django. The public API::

    from bolashaq.rules import evaluate, load_rule_sets, profile_json_schema, ProfileError

    result = evaluate({"date": "2026-05-10", "programme": "internship", "category": "media", ...})
    result.verdict          # "eligible" | "not_eligible" | "incomplete"
    result.to_dict()        # the JSON output (requirements, language level, documents, ...)

Rule sets live in ``bolashaq/rules/data/*.yaml``; see docs/concepts/rules.md.
"""

from __future__ import annotations

from .diff import DiffReport, diff_rule_sets
from .engine import RequirementResult, Result, evaluate
from .loader import RuleSetError, clear_cache, load_rule_set_file, load_rule_sets
from .models import Profile, ProfileError, parse_profile, profile_json_schema
from .ruleset import NoRuleSetError, RuleBook, RuleSet

__all__ = [
    "DiffReport",
    "NoRuleSetError",
    "Profile",
    "ProfileError",
    "RequirementResult",
    "Result",
    "RuleBook",
    "RuleSet",
    "RuleSetError",
    "clear_cache",
    "diff_rule_sets",
    "evaluate",
    "load_rule_set_file",
    "load_rule_sets",
    "parse_profile",
    "profile_json_schema",
]
