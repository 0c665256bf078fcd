"""The public eligibility self-check: what to offer, what to ask, and the result for the page.

Pure reads, no database and nothing stored: the answers arrive with each request, are judged
by the rules engine (through ``applications.profile``) and are forgotten with the response.
Programmes and categories come from the rule set in force today (Asia/Almaty); the questions
are the section forms of ``applications.questions`` for the chosen track, rules-relevant only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from bolashaq.applications.profile import categories_of, category_title, evaluate_answers
from bolashaq.applications.questions import SECTION_TITLES, section_form_class, section_keys
from bolashaq.rules import ProfileError, RuleSet, load_rule_sets
from bolashaq.rules.models import PROGRAMMES
from bolashaq.rules.ruleset import NoRuleSetError, Track

PROGRAMME_LABELS: dict[str, str | Promise] = {
    "master": gettext_lazy("Master's programme"),
    "residency": gettext_lazy("Residency"),
    "doctorate": gettext_lazy("Doctorate (PhD)"),
    "internship": gettext_lazy("Internship"),
}
PLACE_LABELS: dict[str, str | Promise] = {
    "astana": gettext_lazy("Astana"),
    "almaty": gettext_lazy("Almaty"),
    "shymkent": gettext_lazy("Shymkent"),
    "regions": gettext_lazy("the regions"),
}
_CYRILLIC = re.compile("[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def rule_set_on(programme: str, on: dt.date) -> RuleSet | None:
    """The rule set that judges ``programme`` on ``on``, or None when none is in force."""
    try:
        rule_set: RuleSet = load_rule_sets().select(programme, on)
    except NoRuleSetError:
        return None
    return rule_set


def programme_choices(on: dt.date) -> list[tuple[str, str]]:
    """The programmes some rule set covers on ``on``, with their names."""
    return [
        (programme, str(PROGRAMME_LABELS.get(programme, programme)))
        for programme in PROGRAMMES
        if rule_set_on(programme, on) is not None
    ]


def category_choices(rule_set: RuleSet, programme: str, language: str) -> list[tuple[str, str]]:
    """The categories the rule set defines for the programme, with their titles."""
    return [
        (category, category_title(rule_set.id, programme, category, language))
        for category in categories_of(rule_set.id, programme)
    ]


class TrackForm(forms.Form):
    """Programme and category: only rendered, never an error (a stale category is dropped)."""

    programme = forms.ChoiceField(
        label=gettext_lazy("Programme"), required=False, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), required=False, widget=forms.RadioSelect
    )


@dataclass
class Section:
    id: str
    title: str | Promise
    form: forms.Form


@dataclass
class FieldError:
    id: str
    label: str
    messages: list[str]


@dataclass
class Check:
    """One self-check as the page shows it."""

    today: dt.date
    track_form: TrackForm
    programme: str | None = None
    category: str | None = None
    rule_set: RuleSet | None = None
    track: Track | None = None
    sections: list[Section] = field(default_factory=list)
    result: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def errors(self) -> list[FieldError]:
        """Every field error, in page order, for the error summary."""
        out = []
        for section in self.sections:
            if not section.form.is_bound:
                continue
            for bound in section.form:
                if bound.errors:
                    radios = isinstance(bound.field.widget, forms.RadioSelect)
                    anchor = f"{bound.auto_id}_0" if radios else bound.auto_id
                    out.append(FieldError(anchor, str(bound.label), [str(e) for e in bound.errors]))
        return out

    @property
    def fields(self) -> list[forms.BoundField]:
        return [bound for section in self.sections for bound in section.form]


def _mark_for_htmx(form: forms.Form) -> None:
    """Classes the page's hx-trigger filters on, and the ids of each field's hint and error."""
    for name, form_field in form.fields.items():
        widget = form_field.widget
        picked = isinstance(widget, (forms.RadioSelect, forms.Select))
        widget.attrs["class"] = "check-picked" if picked else "check-typed"
        field_id = form[name].auto_id
        described = ([f"{field_id}-hint"] if form_field.help_text else []) + [f"{field_id}-error"]
        if not picked or isinstance(widget, forms.Select):
            widget.attrs["aria-describedby"] = " ".join(described)


def run_check(data: Mapping[str, Any], *, bound: bool, language: str, on: dt.date) -> Check:
    """Offer the choices, ask the track's questions and judge the answers in ``data``."""
    programmes = programme_choices(on)
    programme = data.get("programme")
    if programme not in dict(programmes):
        programme = None
    rule_set = rule_set_on(programme, on) if programme else None
    categories = category_choices(rule_set, programme, language) if rule_set and programme else []
    category = data.get("category")
    if category not in dict(categories):
        category = None

    track_form = TrackForm(initial={"programme": programme, "category": category})
    track_form.fields["programme"].choices = programmes  # type: ignore[attr-defined]
    track_form.fields["category"].choices = categories  # type: ignore[attr-defined]
    for name in ("programme", "category"):
        track_form.fields[name].widget.attrs["class"] = f"check-{name}"
    check = Check(on, track_form, programme, category, rule_set)
    if rule_set is None or programme is None or category is None:
        return check
    track = rule_set.track(programme, category)
    if track is None:
        return check
    check.track = track

    answers: dict[str, dict[str, Any]] = {}
    for section, keys in section_keys(track, rules_only=True).items():
        form_class = section_form_class(section, track, keys=keys)
        form = form_class(data=data if bound else None, prefix=section)
        _mark_for_htmx(form)
        check.sections.append(Section(section, SECTION_TITLES.get(section, section), form))
        if bound:
            form.is_valid()
            answers[section] = {
                key: value
                for key, value in form.cleaned_data.items()
                if key not in form.errors and value not in (None, "")
            }
    try:
        result = evaluate_answers(
            answers, rule_set_id=rule_set.id, programme=programme, category=category, on=on
        )
    except ProfileError:
        check.problem = _("Some answers do not fit together. Check the numbers you entered.")
        return check
    check.result = present(result.to_dict(), rule_set, language)
    return check


# --------------------------------------------------------------------------- the result


def _in(text: Mapping[str, str] | None, language: str) -> str:
    if not text:
        return ""
    return text.get(language) or text.get("en") or next(iter(text.values()), "")


def source_view(source: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A requirement's or term's source: seed file and quoted phrase, or a public source."""
    if not source:
        return None
    quote = source.get("quote")
    return {
        "from_seeds": bool(source.get("from_seeds")),
        "seed": source.get("seed"),
        "quote": quote,
        "quote_lang": ("ru" if _CYRILLIC.search(quote) else "en") if quote else None,
        "public_source": source.get("public_source"),
        "note": source.get("note"),
    }


STATUS_LABELS = {
    "met": gettext_lazy("Met"),
    "unmet": gettext_lazy("Not met"),
    "unknown": gettext_lazy("Not known yet"),
}
VERDICT_LABELS = {
    "eligible": gettext_lazy("You meet every requirement"),
    "not_eligible": gettext_lazy("You do not meet every requirement"),
    "incomplete": gettext_lazy("Not enough answers to decide yet"),
}


def _post_award(terms: Mapping[str, Any] | None, language: str) -> dict[str, Any] | None:
    if not terms:
        return None
    work_off = terms.get("work_off") or {}
    by_place = work_off.get("years_by_location") or {}
    security = terms.get("security")
    guarantors = int(terms.get("guarantors") or 0)
    if security == "pledge":
        security_text = _("A pledge of real estate")
    elif security == "guarantors":
        security_text = ngettext(
            "A guarantee agreement with %(count)s guarantor",
            "A guarantee agreement with %(count)s guarantors",
            guarantors,
        ) % {"count": guarantors}
    else:
        security_text = ""
    supervision = terms.get("supervision") or {}
    return {
        "work_off_years": work_off.get("min_years"),
        "work_off_places": [
            (str(PLACE_LABELS.get(place, place)), years) for place, years in by_place.items()
        ],
        "work_off_source": source_view(work_off.get("source")),
        "security": security_text,
        "security_source": source_view(terms.get("security_source")),
        "language_courses": terms.get("language_courses"),
        "language_courses_source": source_view(terms.get("language_courses_source")),
        "agreements": [_in(a.get("title"), language) for a in terms.get("agreements") or ()],
        "agreements_source": source_view(terms.get("agreements_source")),
        "conclude_within_days": terms.get("conclude_within_days"),
        "conclude_source": source_view(terms.get("conclude_source")),
        "supervision": _in(supervision.get("text"), language),
        "supervision_source": source_view(supervision.get("source")),
        "public_facts": [
            {"text": _in(fact.get("text"), language), "source": source_view(fact.get("source"))}
            for fact in terms.get("public_facts") or ()
        ],
    }


def present(result: Mapping[str, Any], rule_set: RuleSet, language: str) -> dict[str, Any]:
    """The engine's result (``Result.to_dict()``) in ``language``, shaped for the templates."""
    requirements = [
        {
            "id": r["id"],
            "status": r["status"],
            "status_label": STATUS_LABELS.get(r["status"], r["status"]),
            "title": _in(r.get("title"), language),
            "message": _in(r.get("message"), language),
            "source": source_view(r.get("source")),
        }
        for r in result["requirements"]
    ]
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for r in requirements:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    intake = result.get("intake") or {}
    return {
        "verdict": result["verdict"],
        "verdict_label": VERDICT_LABELS.get(result["verdict"], result["verdict"]),
        "counts": counts,
        "rule_set_title": _in(dict(zip(("kk", "ru", "en"), rule_set.title, strict=True)), language),
        "rule_set_id": rule_set.id,
        "date": dt.date.fromisoformat(result["date"]),
        "requirements": requirements,
        "has_language": any(r["id"] == "foreign_language" for r in requirements),
        "language_level": result.get("language_level"),
        "documents": [_in(d.get("title"), language) for d in result.get("documents") or ()],
        "post_award": _post_award(result.get("post_award"), language),
        "what_if": [_in(w.get("text"), language) for w in result.get("what_if") or ()],
        "intake_window": _window(intake.get("window")),
        "intake_next": _window(intake.get("next")),
    }


def _window(window: Mapping[str, str] | None) -> dict[str, dt.date] | None:
    if not window:
        return None
    return {
        "from": dt.date.fromisoformat(window["from"]),
        "until": dt.date.fromisoformat(window["until"]),
    }
