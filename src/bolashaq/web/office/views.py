"""The back office of the Center for International Programs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bolashaq.accounts.roles import Role
from bolashaq.accounts.selectors import signed_in_user
from bolashaq.applications import review
from bolashaq.applications.models import Application
from bolashaq.applications.profile import category_title
from bolashaq.applications.selectors import application_rules_result, applications_per_state
from bolashaq.applications.states import State
from bolashaq.audit.selectors import audit_chain_verify
from bolashaq.competitions.selectors import intakes_open
from bolashaq.core.errors import DomainError, NotFound
from bolashaq.web.access import role_required
from bolashaq.web.office import selectors
from bolashaq.web.office.forms import ACCEPT, DecisionForm


@role_required(Role.OPERATOR)
def home(request: HttpRequest) -> HttpResponse:
    counts = applications_per_state()
    states = [(label, counts.get(value, 0)) for value, label in State.choices]
    return render(
        request,
        "web/office/home.html",
        {"states": states, "intakes": intakes_open(), "review": review.review_queue_summary()},
    )


def _category(application: Application, language: str) -> str:
    return category_title(
        application.intake.rule_set, application.programme, application.category, language
    )


@role_required(Role.OPERATOR, Role.ADMIN)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Cases referred to an operator, the earliest deadline first."""
    language = get_language() or "kk"
    entries = [(entry, _category(entry.application, language)) for entry in review.review_queue()]
    return render(
        request,
        "web/office/review_queue.html",
        {
            "entries": entries,
            "escalate_hours": settings.REVIEW_ESCALATE_BEFORE_HOURS,
            "working_days": settings.REVIEW_WORKING_DAYS,
        },
    )


@role_required(Role.OPERATOR, Role.ADMIN)
def review_case(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: why it was referred, the rules' verdict, the answers, the documents and,
    for an operator while it is in review, the decision form. Administrators only look."""
    user = signed_in_user(request)
    try:
        application = review.review_case(pk=pk)
    except NotFound:
        raise Http404 from None
    may_decide = user.role == Role.OPERATOR and application.state == State.IN_REVIEW
    if request.method == "POST" and user.role != Role.OPERATOR:
        raise PermissionDenied
    language = get_language() or "kk"
    choices = review.review_refusal_choices(application)
    form = DecisionForm(
        request.POST if request.method == "POST" else None,
        choices=[
            (c["requirement"], selectors.in_language(c["message"], language)) for c in choices
        ],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                decided = review.review_decide(
                    acting_user=user,
                    application=application,
                    accept=form.cleaned_data["decision"] == ACCEPT,
                    reasons=[{"requirement": rid} for rid in form.cleaned_data["reasons"]],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Application No. %(number)s: %(state)s.")
                    % {"number": decided.pk, "state": decided.get_state_display()},
                )
                return redirect("office:review_queue")
        else:
            status = 400
        application.refresh_from_db()
        may_decide = application.state == State.IN_REVIEW
        if not may_decide:  # decided meanwhile: the form is gone, so say why here
            for error in form.non_field_errors():
                messages.error(request, str(error))
    context: dict[str, Any] = {
        "application": application,
        "category": _category(application, language),
        "entry": review.review_queue_entry(application),
        "referral_reasons": [
            selectors.in_language(r.get("message"), language)
            for r in application.referral_reasons or []
            if isinstance(r, dict)
        ],
        "decision_reasons": [
            selectors.in_language(r.get("message"), language)
            for r in application.reasons or []
            if isinstance(r, dict)
        ],
        "requirements": selectors.review_requirement_rows(
            application_rules_result(application, what_if=False).to_dict(), language
        ),
        "answers": selectors.review_answers(application),
        "documents": selectors.review_documents(application, language),
        "form": form,
        "may_decide": may_decide,
    }
    return render(request, "web/office/review_case.html", context, status=status)


@role_required(Role.CONTRACTS)
def contracts(request: HttpRequest) -> HttpResponse:
    return render(request, "web/office/contracts.html")


@role_required(Role.ALUMNI)
def alumni(request: HttpRequest) -> HttpResponse:
    return render(request, "web/office/alumni.html")


@role_required(Role.AUDITOR, Role.ADMIN)
def audit(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/office/audit.html",
        {"report": audit_chain_verify(), "events": selectors.recent_audit_events()},
    )


@role_required(Role.ADMIN)
def admin(request: HttpRequest) -> HttpResponse:
    counts = selectors.users_per_role()
    roles = [(label, counts.get(value, 0)) for value, label in Role.choices]
    return render(request, "web/office/admin.html", {"roles": roles})


@role_required(Role.ADMIN, Role.OPERATOR)
def tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "web/office/tasks.html", {"failed": selectors.failed_tasks()})
