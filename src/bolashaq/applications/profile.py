"""From an application's answers to a rules-engine profile, and which questions a track needs.

The rules engine (``bolashaq.rules``) judges a *profile*; the application stores the applicant's
*answers* per section. This module is the one bridge between them, used by the task list (live
verdict), the automatic acceptance check and the public self-check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from bolashaq.rules import ProfileError, Result, evaluate, load_rule_sets, parse_profile
from bolashaq.rules.messages import LANGS
from bolashaq.rules.ruleset import RuleSet, Track

# Profile fields that each kind of requirement reads when the requirement names no field.
_KIND_FIELDS = {
    "foreign_language": "foreign_language",
    "gpa": "gpa",
    "kaztest_score": "kaztest",
    "kaztest_blocks": "kaztest",
}


def profile_fields_used(track: Track) -> frozenset[str]:
    """Profile paths the track's requirements and documents read, e.g. ``experience.total_months``.

    A question whose field is not in this set does not matter for the track and is not asked.
    """
    fields: set[str] = set()
    for requirement in track.requirements:
        field = requirement.field or _KIND_FIELDS.get(requirement.kind)
        if field:
            fields.add(field)
    for document in track.documents:
        if document.when:
            fields.add(document.when)
    return frozenset(fields)


def kaztest_by_blocks(track: Track) -> bool:
    """True when the track judges KAZTEST by its five blocks rather than by one score."""
    return any(r.kind == "kaztest_blocks" for r in track.requirements)


def track_for(rule_set_id: str, programme: str, category: str) -> Track | None:
    rule_set: RuleSet = load_rule_sets().get(rule_set_id)
    return rule_set.track(programme, category)


def categories_of(rule_set_id: str, programme: str) -> list[str]:
    rule_set: RuleSet = load_rule_sets().get(rule_set_id)
    return list(rule_set.programmes.get(programme, {}))


def _number(value: Any) -> float | None:
    """The answer as a number; a whole number stays an int, so messages say "100", not "100.0"."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if number.is_finite() and number == number.to_integral_value():
        return int(number)
    return float(number)


def _flag(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "yes", "1", "on")


def _date(value: Any) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def profile_from_answers(
    answers: Mapping[str, Any], *, programme: str, category: str, on: dt.date
) -> dict[str, Any]:
    """Build the engine's profile from the answers; an unanswered field stays absent (unknown)."""
    profile: dict[str, Any] = {"date": on.isoformat(), "programme": programme, "category": category}
    education = answers.get("education", {})
    value, scale = _number(education.get("gpa")), _number(education.get("gpa_scale"))
    if value is not None and scale is not None:
        profile["gpa"] = {"value": float(value), "scale": float(scale)}  # "3.0 of 4.0"
    if (related := _flag(education.get("related_specialty"))) is not None:
        profile["related_specialty"] = related
    if (abroad := _flag(education.get("studying_abroad"))) is not None:
        profile["studying_abroad"] = abroad

    kaztest = answers.get("kaztest", {})
    blocks = {
        name: _number(kaztest.get(name))
        for name in ("listening", "lexico_grammar", "reading", "writing", "speaking")
    }
    if all(v is not None for v in blocks.values()):
        profile["kaztest"] = _drop_none({"blocks": blocks, "date": _date(kaztest.get("date"))})
    elif (score := _number(kaztest.get("score"))) is not None:
        profile["kaztest"] = _drop_none(
            {
                "score": score,
                "max": _number(kaztest.get("max")) or 150.0,
                "date": _date(kaztest.get("date")),
            }
        )

    language = answers.get("foreign_language", {})
    if language.get("test") and (score := _number(language.get("score"))) is not None:
        profile["foreign_language"] = [
            _drop_none(
                {"test": language["test"], "score": score, "date": _date(language.get("date"))}
            )
        ]

    invitation = answers.get("invitation", {})
    flags = {
        key: _flag(invitation.get(key))
        for key in ("unconditional", "recommended_university", "priority_specialty")
    }
    if any(v is not None for v in flags.values()):
        profile["invitation"] = _drop_none(flags)

    experience = answers.get("experience", {})
    months = {
        key: _number(experience.get(key))
        for key in ("total_months", "field_months", "field_continuous_months")
    }
    if any(v is not None for v in months.values()):
        profile["experience"] = _drop_none(months)
    for key in ("production_role", "medical_practice"):
        if (flag := _flag(experience.get(key))) is not None:
            profile[key] = flag

    rural = answers.get("rural", {})
    rural_months = {key: _number(rural.get(key)) for key in ("residence_months", "work_months")}
    if any(v is not None for v in rural_months.values()):
        profile["rural"] = _drop_none(rural_months)
    return profile


def evaluate_answers(
    answers: Mapping[str, Any],
    *,
    rule_set_id: str,
    programme: str,
    category: str,
    on: dt.date,
    what_if: bool = True,
    skip_unreadable: bool = False,
) -> Result:
    """The verdict on ``answers``. Raises ``ProfileError`` for answers the engine cannot read,
    unless ``skip_unreadable``: then those parts count as unanswered."""
    profile = profile_from_answers(answers, programme=programme, category=category, on=on)
    try:
        return evaluate(profile, rule_set=rule_set_id, what_if=what_if)
    except ProfileError:
        if not skip_unreadable:
            raise
        return evaluate(_readable(profile), rule_set=rule_set_id, what_if=what_if)


_PROFILE_BASE = ("date", "programme", "category")


def _readable(profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` without the parts the rules engine refuses, judged one part at a time."""
    base = {key: profile[key] for key in _PROFILE_BASE if key in profile}
    readable = dict(base)
    for key, value in profile.items():
        if key in base:
            continue
        try:
            parse_profile({**base, key: value})
        except ProfileError:
            continue
        readable[key] = value
    return readable


def text_in(text: tuple[str, str, str], language: str) -> str:
    """One language of a rules-engine text (kk, ru, en); Kazakh when the language is unknown."""
    return text[LANGS.index(language)] if language in LANGS else text[0]


def category_title(rule_set_id: str, programme: str, category: str, language: str) -> str:
    track = track_for(rule_set_id, programme, category)
    return text_in(track.title, language) if track is not None else category
