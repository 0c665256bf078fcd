"""Forms of the applicant's portal that are not questions of the rules (those live in
``bolashaq.applications.questions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.profile import categories_of, category_title
from bolashaq.competitions.models import Intake


class StartForm(forms.Form):
    """Choose an open intake and a category."""

    intake = forms.TypedChoiceField(label=_("Intake"), coerce=int)
    category = forms.ChoiceField(label=_("Category"))

    def __init__(self, *args: Any, intakes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intakes = {intake.pk: intake for intake in intakes}
        self.fields["intake"].choices = [  # type: ignore[attr-defined]
            (pk, intake.title) for pk, intake in self.intakes.items()
        ]
        self.fields["category"].choices = category_choices(intakes)  # type: ignore[attr-defined]

    def chosen_intake(self) -> Intake:
        intake: Intake = self.intakes[self.cleaned_data["intake"]]
        return intake


def category_choices(intakes: Any) -> list[tuple[str, Any]]:
    """Every category offered by the open intakes, grouped by intake for the select."""
    language = get_language() or "kk"
    return [
        (
            intake.title,
            [
                (code, category_title(intake.rule_set, intake.programme, code, language))
                for code in categories_of(intake.rule_set, intake.programme)
            ],
        )
        for intake in intakes
    ]


class SignForm(forms.Form):
    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=64)
    code = forms.RegexField(
        label=_("Code from the SMS"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits from the SMS.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )
