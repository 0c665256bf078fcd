"""The form of each section of an application, for the portal's pages and the API alike."""

from __future__ import annotations

import datetime as dt
import functools

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.models import Application
from bolashaq.applications.profile import track_for
from bolashaq.applications.questions import section_form_class
from bolashaq.applications.sections import required_answers


class PersonalForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    patronymic = forms.CharField(label=_("Patronymic (if any)"), max_length=150, required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        if value >= timezone.localdate():
            raise forms.ValidationError(_("The date of birth must be in the past."))
        return value


def section_form_for(application: Application, section: str) -> type[forms.Form] | None:
    """The form of ``section`` for this application, or None when its track does not ask it."""
    if section == "personal":
        return PersonalForm
    return _track_form(
        application.intake.rule_set, application.programme, application.category, section
    )


@functools.lru_cache(maxsize=512)
def _track_form(
    rule_set: str, programme: str, category: str, section: str
) -> type[forms.Form] | None:
    # Rule sets are fixed for the life of the process, so each track's form class is built
    # once (readiness checks build every section's form on each signing and status read).
    # Checks that depend on today's date run at validation, not here.
    track = track_for(rule_set, programme, category)
    if track is None or section not in required_answers(track):
        return None
    return section_form_class(section, track)
