"""The questions of each application section as Django forms: labels, help, choices, ranges.

One answer key is one form field with the same name (``education.gpa`` is the field ``gpa`` of
the ``education`` form), so the cleaned data of a section form is that section's answers and
feeds :func:`bolashaq.applications.profile.profile_from_answers` as it is. Which keys a track
asks comes from :func:`bolashaq.applications.sections.required_answers` (built on
``profile_fields_used``); ranges that the rules define (the KAZTEST maximum, each block's
points, the GPA scales) come from the track itself.

Used by the applicant portal (``section_form_class(section, track)``) and by the public
self-check (the same forms, asking only what the rules read). No views here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bolashaq.rules.models import BLOCKS, LANGUAGE_TESTS
from bolashaq.rules.ruleset import RequirementDef, Track

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KAZAKHSTAN = ZoneInfo("Asia/Almaty")
MAX_MONTHS = 720  # 60 years

#: Section ids whose questions feed the rules engine, in the order they are asked.
RULES_SECTIONS: tuple[str, ...] = (
    "invitation",
    "education",
    "foreign_language",
    "kaztest",
    "experience",
    "rural",
)

SECTION_TITLES: dict[str, StrOrPromise] = {
    "education": _("Education"),
    "kaztest": _("KAZTEST (Kazakh language)"),
    "foreign_language": _("Foreign-language certificate"),
    "invitation": _("Invitation"),
    "experience": _("Work experience"),
    "rural": _("Rural residence and work"),
}

#: Names of the language tests (brand names, the same in every language).
TEST_NAMES: dict[str, str] = {
    "ielts": "IELTS",
    "ielts_indicator": "IELTS Indicator",
    "toefl_ibt": "TOEFL iBT",
    "toefl_pbt": "TOEFL PBT",
    "toefl_itp": "TOEFL ITP",
    "det": "Duolingo English Test (DET)",
}
#: Each test's own score scale (lowest, highest, step), as its owner publishes it.
TEST_SCALES: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "ielts": (Decimal(0), Decimal(9), Decimal("0.5")),
    "ielts_indicator": (Decimal(0), Decimal(9), Decimal("0.5")),
    "toefl_ibt": (Decimal(0), Decimal(120), Decimal(1)),
    "toefl_pbt": (Decimal(310), Decimal(677), Decimal(1)),
    "toefl_itp": (Decimal(310), Decimal(677), Decimal(1)),
    "det": (Decimal(10), Decimal(160), Decimal(1)),
}
BLOCK_LABELS: dict[str, StrOrPromise] = {
    "listening": _("Listening"),
    "lexico_grammar": _("Lexico-grammar"),
    "reading": _("Reading"),
    "writing": _("Writing"),
    "speaking": _("Speaking"),
}
#: Default GPA scales when a track has no GPA requirement to take them from.
GPA_SCALES: tuple[float, ...] = (4.0, 4.33, 5.0, 100.0)

YES, NO, NOT_SURE = "yes", "no", ""


def today_in_kazakhstan() -> dt.date:
    """The date in Asia/Almaty: what rules, windows and "not in the future" are judged on."""
    return timezone.localdate(timezone=KAZAKHSTAN)


# --------------------------------------------------------------------------- fields


class NumberField(forms.DecimalField):
    """A decimal that also accepts a comma as the decimal mark (3,5 as well as 3.5)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(",", ".").replace(" ", "")
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs: dict[str, Any] = super().widget_attrs(widget)
        attrs.pop("step", None)
        attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        return attrs


class ScaleField(forms.ChoiceField):
    """A GPA scale from a list; "4.0", "4,0" and "4" are the same scale."""

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value)).strip().replace(",", ".")
        try:
            return _number(float(text)) if text else ""
        except ValueError:
            return text


def _range_errors(low: Any, high: Any, *, whole: bool) -> dict[str, Any]:
    """Error messages that name the allowed range, in the user's language (built per request)."""
    out_of_range = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
    return {
        "invalid": (
            _("Enter a whole number, for example 36.")
            if whole
            else _("Enter a number, for example 3.25.")
        ),
        "min_value": out_of_range,
        "max_value": out_of_range,
        "max_digits": out_of_range,
        "max_whole_digits": out_of_range,
        "max_decimal_places": _("Use at most two digits after the decimal mark."),
    }


def _whole(label: StrOrPromise, help_text: StrOrPromise, low: int, high: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=low,
        max_value=high,
        error_messages=_range_errors(low, high, whole=True),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def _yes_no(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        required=False,
        choices=[(YES, _("Yes")), (NO, _("No")), (NOT_SURE, _("Not sure yet"))],
        initial=NOT_SURE,
        widget=forms.RadioSelect,
    )


def _months(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.IntegerField:
    return _whole(label, help_text, 0, MAX_MONTHS)


class PastDateField(forms.DateField):
    """A date (ISO from ``<input type="date">``) that cannot be later than today."""

    widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    default_error_messages = {
        "invalid": _("Enter a date such as 2025-09-30."),
        "future": _("The date cannot be in the future."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date) and value > today_in_kazakhstan():
            raise forms.ValidationError(self.error_messages["future"], code="future")


def _requirement(track: Track, *kinds: str) -> RequirementDef | None:
    return next((r for r in track.requirements if r.kind in kinds), None)


def _number(value: float) -> str:
    return f"{value:g}"


# Each factory builds one question for a track.
FieldFactory = Callable[[Track], forms.Field]


def _kaztest_score(track: Track) -> forms.Field:
    req = _requirement(track, "kaztest_score")
    top = int(req.max_score) if req is not None and req.max_score else 150
    return _whole(
        _("KAZTEST: number of correct answers"),
        _("Out of %(max)s questions, as on the certificate.") % {"max": top},
        0,
        top,
    )


def _kaztest_block(block: str) -> FieldFactory:
    def factory(track: Track) -> forms.Field:
        req = _requirement(track, "kaztest_blocks")
        top = next((m for b, _p, m in (req.blocks if req else ()) if b == block), None)
        return _whole(
            BLOCK_LABELS[block],
            (
                _("Points out of %(max)s.") % {"max": _number(top)}
                if top is not None
                else _("Points, as on the certificate.")
            ),
            0,
            int(top) if top is not None else 100,
        )

    return factory


def _gpa_scale(track: Track) -> forms.Field:
    req = _requirement(track, "gpa")
    scales = (
        tuple(s for s, _m in req.gpa_scales) + tuple(req.manual_review_scales)
        if req is not None
        else GPA_SCALES
    )
    choices: list[tuple[str, Any]] = [("", _("Choose the scale"))]
    for scale in scales:
        label = (
            _("out of %(scale)s (percent)") % {"scale": _number(scale)}
            if scale >= 100
            else _("out of %(scale)s") % {"scale": f"{scale:.2f}"}
        )
        choices.append((_number(scale), label))
    return ScaleField(
        label=_("GPA scale"),
        help_text=_("The highest possible grade on your diploma's scale."),
        required=False,
        choices=choices,
    )


def _foreign_test(track: Track) -> forms.Field:
    return forms.ChoiceField(
        label=_("Foreign-language test"),
        help_text=_("The test of your best valid certificate."),
        required=False,
        choices=[("", _("Choose the test"))] + [(t, TEST_NAMES[t]) for t in LANGUAGE_TESTS],
    )


FIELDS: dict[str, dict[str, FieldFactory]] = {
    "education": {
        "institution": lambda t: forms.CharField(
            label=_("University that issued your diploma"), max_length=300, required=False
        ),
        "specialty": lambda t: forms.CharField(
            label=_("Specialty in your diploma"), max_length=300, required=False
        ),
        "graduation_year": lambda t: _whole(_("Year of graduation"), "", 1950, 2100),
        "gpa_scale": _gpa_scale,
        "gpa": lambda t: NumberField(
            label=_("GPA of your bachelor's or specialist diploma"),
            help_text=_("As written in the diploma's appendix, for example 3.25."),
            min_value=Decimal(0),
            max_value=Decimal(100),
            max_digits=5,
            decimal_places=2,
            error_messages=_range_errors(0, 100, whole=False),
        ),
        "related_specialty": lambda t: _yes_no(
            _("Is the specialty of your diploma related to the specialty you chose?"),
            _("Related specialties are listed in the List of related specialties."),
        ),
        "studying_abroad": lambda t: _yes_no(
            _("Are you studying abroad now?"),
            _("If you are, you also submit your academic record."),
        ),
    },
    "kaztest": {
        "score": _kaztest_score,
        **{block: _kaztest_block(block) for block in BLOCKS},
        "date": lambda t: PastDateField(label=_("Date the KAZTEST certificate was issued")),
    },
    "foreign_language": {
        "test": _foreign_test,
        "score": lambda t: NumberField(
            label=_("Score"),
            help_text=_("The overall score, for example 6.5 for IELTS or 80 for TOEFL iBT."),
            min_value=Decimal(0),
            max_value=Decimal(999),
            max_digits=5,
            decimal_places=2,
            error_messages=_range_errors(0, 999, whole=False),
        ),
        "date": lambda t: PastDateField(label=_("Date you took the test")),
    },
    "invitation": {
        "unconditional": lambda t: _yes_no(
            _("Do you have an unconditional invitation from the foreign university or host?"),
            _("Financial conditions may remain open."),
        ),
        "recommended_university": lambda t: _yes_no(
            _("Is the university on the List of recommended universities?")
        ),
        "priority_specialty": lambda t: _yes_no(
            _("Is your specialty on the List of priority specialties?")
        ),
    },
    "experience": {
        "total_months": lambda t: _months(
            _("Total work experience, in months"), _("For example, 3 years is 36 months.")
        ),
        "field_months": lambda t: _months(
            _("Months of work in your chosen field"),
            _("For medical categories, your medical work experience."),
        ),
        "field_continuous_months": lambda t: _months(
            _("Months in your chosen field without a break, up to today"),
            _("Count back from today to the last interruption."),
        ),
        "production_role": lambda t: _yes_no(
            _("Do you now organise or manage a production process, or do production work yourself?")
        ),
        "medical_practice": lambda t: _yes_no(
            _(
                "Do you now provide medical care in a medical organisation "
                "and have higher medical education?"
            )
        ),
    },
    "rural": {
        "residence_months": lambda t: _months(_("Months you have lived in a rural settlement")),
        "work_months": lambda t: _months(_("Months you have worked in a rural settlement")),
    },
}

#: (smaller, larger) month answers: the smaller cannot exceed the larger.
_MONTH_ORDER = (
    ("field_months", "total_months"),
    ("field_continuous_months", "field_months"),
    ("field_continuous_months", "total_months"),
)


class SectionForm(forms.Form):
    """The questions of one section; subclasses are built per track by section_form_class."""

    section: str = ""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.section == "education":
            self._clean_gpa(data)
        elif self.section == "foreign_language":
            self._clean_language(data)
        elif self.section == "experience":
            self._clean_months(data)
        return data

    def _clean_gpa(self, data: Mapping[str, Any]) -> None:
        gpa, scale = data.get("gpa"), data.get("gpa_scale")
        if gpa is None or "gpa" not in self.fields or "gpa_scale" not in self.fields:
            return
        if not scale:
            self.add_error("gpa_scale", _("Choose the scale of your GPA so that it can be judged."))
        elif gpa > Decimal(scale):
            self.add_error(
                "gpa",
                _("The GPA cannot be higher than its scale (%(scale)s).")
                % {"scale": scale if Decimal(scale) >= 100 else f"{Decimal(scale):.2f}"},
            )

    def _clean_language(self, data: Mapping[str, Any]) -> None:
        test, score = data.get("test"), data.get("score")
        if not test or score is None or test not in TEST_SCALES:
            return
        low, high, step = TEST_SCALES[test]
        name = TEST_NAMES[test]
        if not low <= score <= high:
            self.add_error(
                "score",
                _("%(test)s scores are from %(low)s to %(high)s.")
                % {"test": name, "low": low, "high": high},
            )
        elif (score - low) % step:
            self.add_error(
                "score",
                _("%(test)s scores go in steps of %(step)s.") % {"test": name, "step": step},
            )

    def _clean_months(self, data: Mapping[str, Any]) -> None:
        labels = {
            "total_months": _("your total work experience"),
            "field_months": _("your months in the chosen field"),
        }
        for smaller, larger in _MONTH_ORDER:
            low, high = data.get(smaller), data.get(larger)
            if low is None or high is None or low <= high or smaller in self.errors:
                continue
            self.add_error(
                smaller, _("This cannot be more than %(other)s.") % {"other": labels[larger]}
            )


def section_keys(track: Track, *, rules_only: bool = False) -> dict[str, tuple[str, ...]]:
    """Section id → the answer keys this track asks, in the order they are asked.

    ``rules_only`` leaves out the questions every application has whatever its track
    (personal details, the diploma's institution): what remains is read by the rules engine.
    """
    from bolashaq.applications.sections import SECTIONS, required_answers

    always = {s.id: s.always for s in SECTIONS}
    asked = required_answers(track)
    out: dict[str, tuple[str, ...]] = {}
    sections = RULES_SECTIONS if rules_only else tuple(asked)
    for section in sections:
        keys = asked.get(section, ())
        if rules_only:
            keys = tuple(k for k in keys if k not in always.get(section, ()))
        order = list(FIELDS.get(section, {}))
        keys = tuple(sorted((k for k in keys if k in order), key=order.index))
        if keys:
            out[section] = keys
    return out


def section_form_class(
    section: str, track: Track, *, keys: Iterable[str] | None = None
) -> type[SectionForm]:
    """The form of ``section`` for ``track``: one optional field per answer key it asks.

    ``keys`` picks the questions (default: every key of the section the track asks, see
    :func:`section_keys`). Unknown keys are ignored. All fields are optional: an unanswered
    question is "unknown" to the rules, never an error.
    """
    factories = FIELDS.get(section, {})
    wanted: Sequence[str] = (
        tuple(keys) if keys is not None else section_keys(track).get(section, ())
    )
    order = list(factories)
    fields = {
        key: factories[key](track)
        for key in sorted((k for k in wanted if k in factories), key=order.index)
    }
    attrs: dict[str, Any] = {"section": section, **fields}
    name = "".join(part.title() for part in section.split("_")) + "Form"
    return type(name, (SectionForm,), attrs)
