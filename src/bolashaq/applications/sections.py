"""The application's task list: its sections, which ones a track asks, and when each is complete.

Answers are stored per section (``Application.answers[section][key]``). Which answer keys a
section must have depends on the programme and category: the rules engine says which profile
fields the track reads (``profile.profile_fields_used``), and ``PROFILE_ANSWERS`` maps each of
them to the answer keys that feed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.profile import kaztest_by_blocks, profile_fields_used
from bolashaq.rules.ruleset import Track

KAZTEST_BLOCKS = ("listening", "lexico_grammar", "reading", "writing", "speaking")

# Profile field → (section, answer keys that must be filled for it).
PROFILE_ANSWERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gpa": ("education", ("gpa", "gpa_scale")),
    "related_specialty": ("education", ("related_specialty",)),
    "studying_abroad": ("education", ("studying_abroad",)),
    "foreign_language": ("foreign_language", ("test", "score", "date")),
    "invitation.unconditional": ("invitation", ("unconditional",)),
    "invitation.recommended_university": ("invitation", ("recommended_university",)),
    "invitation.priority_specialty": ("invitation", ("priority_specialty",)),
    "experience.total_months": ("experience", ("total_months",)),
    "experience.field_months": ("experience", ("field_months",)),
    "experience.field_continuous_months": ("experience", ("field_continuous_months",)),
    "production_role": ("experience", ("production_role",)),
    "medical_practice": ("experience", ("medical_practice",)),
    "rural.residence_months": ("rural", ("residence_months",)),
    "rural.work_months": ("rural", ("work_months",)),
}


@dataclass(frozen=True)
class Section:
    id: str
    title: str | Promise
    #: answer keys every track needs in this section (besides those the rules ask for)
    always: tuple[str, ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("personal", _("Personal details"), ("last_name", "first_name", "birth_date")),
    Section("education", _("Education"), ("institution", "specialty", "graduation_year")),
    Section("kaztest", _("KAZTEST (Kazakh language)")),
    Section("foreign_language", _("Foreign-language certificate")),
    Section("invitation", _("Invitation")),
    Section("experience", _("Work experience")),
    Section("rural", _("Rural residence and work")),
)
SECTION_IDS = tuple(section.id for section in SECTIONS)


def required_answers(track: Track) -> dict[str, tuple[str, ...]]:
    """Section id → the answer keys that must be filled, for the sections this track asks."""
    needed: dict[str, list[str]] = {s.id: list(s.always) for s in SECTIONS}
    for field in sorted(profile_fields_used(track)):
        if field == "kaztest":
            keys = (*KAZTEST_BLOCKS, "date") if kaztest_by_blocks(track) else ("score", "date")
            needed["kaztest"].extend(keys)
        elif field in PROFILE_ANSWERS:
            section, answer_keys = PROFILE_ANSWERS[field]
            needed[section].extend(k for k in answer_keys if k not in needed[section])
    return {s: tuple(keys) for s, keys in needed.items() if keys}


def _filled(value: Any) -> bool:
    return value is not None and value != ""


def section_complete(answers: Mapping[str, Any], section: str, keys: tuple[str, ...]) -> bool:
    given = answers.get(section) or {}
    return all(_filled(given.get(key)) for key in keys)


@dataclass(frozen=True)
class SectionStatus:
    section: Section
    complete: bool
    missing: tuple[str, ...]


def sections_status(answers: Mapping[str, Any], track: Track) -> list[SectionStatus]:
    needed = required_answers(track)
    statuses = []
    for section in SECTIONS:
        if section.id not in needed:
            continue
        given = answers.get(section.id) or {}
        missing = tuple(k for k in needed[section.id] if not _filled(given.get(k)))
        statuses.append(SectionStatus(section, not missing, missing))
    return statuses
