"""Forms of the back office."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.review import COMMENT_MAX_LENGTH

ACCEPT = "accept"
REFUSE = "refuse"


class DecisionForm(forms.Form):
    """An operator's decision on a case: accept, or refuse citing requirements and/or a comment."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ACCEPT, _("Accept for the competition")), (REFUSE, _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for a refusal"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each reason is sent to the applicant in Kazakh, Russian and English."),
    )
    comment = forms.CharField(
        label=_("Comment to the applicant (refusal only)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Shown to the applicant exactly as written and kept in the audit log: "
            "write no personal data."
        ),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reasons = self.fields["reasons"]
        if isinstance(reasons, forms.MultipleChoiceField):
            reasons.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == ACCEPT and (data.get("reasons") or (data.get("comment") or "").strip()):
            raise forms.ValidationError(
                _("An acceptance takes no reasons or comment: choose “Refuse” to give them.")
            )
        if decision == REFUSE and not (data.get("reasons") or (data.get("comment") or "").strip()):
            raise forms.ValidationError(_("Give at least one reason or a comment for a refusal."))
        return data
