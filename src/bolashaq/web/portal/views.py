"""The applicant's portal: applications as a task list, review, signing and the answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bolashaq.accounts.roles import Role
from bolashaq.accounts.selectors import signed_in_user
from bolashaq.applications import actions
from bolashaq.applications.forms import section_form_for
from bolashaq.applications.models import Application
from bolashaq.applications.profile import category_title, track_for
from bolashaq.applications.sections import SECTIONS, required_answers
from bolashaq.applications.selectors import (
    application_for_applicant,
    application_readiness,
    application_rules_result,
    applications_of,
)
from bolashaq.applications.states import State
from bolashaq.applications.timeline import application_timeline
from bolashaq.competitions.selectors import intakes_open
from bolashaq.core.errors import DomainError, NotFound
from bolashaq.web.access import role_required
from bolashaq.web.portal.forms import SignForm, StartForm

SECTION_TITLES = {section.id: section.title for section in SECTIONS}


def _application(request: HttpRequest, pk: int) -> Application:
    try:
        return application_for_applicant(applicant=signed_in_user(request), pk=pk)
    except NotFound:
        raise Http404 from None


def _form_class(application: Application, section: str) -> type[forms.Form]:
    form_class = section_form_for(application, section)
    if form_class is None:
        raise Http404
    return form_class


@role_required(Role.APPLICANT)
def home(request: HttpRequest) -> HttpResponse:
    applicant = signed_in_user(request)
    return render(
        request,
        "web/portal/home.html",
        {"applications": applications_of(applicant=applicant), "intakes": intakes_open()},
    )


@role_required(Role.APPLICANT)
def start(request: HttpRequest) -> HttpResponse:
    """Choose an open intake and a category; opens (or finds) the draft."""
    intakes = list(intakes_open())
    form = StartForm(request.POST or None, intakes=intakes)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            application = actions.application_start(
                acting_user=signed_in_user(request),
                intake=form.chosen_intake(),
                category=form.cleaned_data["category"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            status = exc.status
        else:
            return redirect("portal:application", pk=application.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request, "web/portal/start.html", {"form": form, "intakes": intakes}, status=status
    )


@role_required(Role.APPLICANT)
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """The task list: sections, documents, the live rules verdict, the timeline."""
    app = _application(request, pk)
    if request.htmx and request.GET.get("part") == "status":  # type: ignore[attr-defined]
        # The poll while the check runs: the status and the history, nothing else to compute.
        poll = {"application": app, "timeline": application_timeline(app)}
        return render(request, "web/portal/_status_poll.html", poll)
    readiness = application_readiness(app)
    result = application_rules_result(app).to_dict()
    language = get_language() or "kk"
    context: dict[str, Any] = {
        "application": app,
        "readiness": readiness,
        "result": result,
        "open_requirements": [r for r in result["requirements"] if r["status"] != "met"],
        "category_title": category_title(
            app.intake.rule_set, app.programme, app.category, language
        ),
        "editable": app.state == State.DRAFT,
        "timeline": application_timeline(app),
    }
    return render(request, "web/portal/application.html", context)


@role_required(Role.APPLICANT)
def section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """One section's questions. Saved on every change (htmx) and on "Save and continue"."""
    app = _application(request, pk)
    form_class = _form_class(app, section)
    saved = app.answers.get(section, {})
    if request.method != "POST":
        form = form_class(data=saved) if saved else form_class()
        return render(request, "web/portal/section.html", _section_context(app, section, form))
    # Keep exactly what was typed, valid or not: nothing typed is lost on a reload.
    values = {name: request.POST.get(name, "").strip()[:500] for name in form_class.base_fields}
    form = form_class(data=values)
    valid = form.is_valid()
    try:
        app = actions.application_save_section(
            acting_user=signed_in_user(request), application=app, section=section, values=values
        )
    except DomainError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request, "web/portal/_saved.html", {"error": exc.message}, status=exc.status
            )
        messages.error(request, str(exc.message))
        return redirect("portal:application", pk=app.pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/portal/_saved.html", {"application": app, "valid": valid})
    if not valid:
        return render(
            request, "web/portal/section.html", _section_context(app, section, form), status=400
        )
    messages.success(request, _("Saved."))
    return redirect("portal:application", pk=app.pk)


def _section_context(app: Application, section: str, form: forms.Form) -> dict[str, Any]:
    return {"application": app, "section": section, "title": SECTION_TITLES[section], "form": form}


@role_required(Role.APPLICANT)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything that will be submitted; the code is sent for the hash of exactly this."""
    app = _application(request, pk)
    sign_form: SignForm | None = None
    status = 200
    if request.method == "POST" and app.state == State.DRAFT:
        try:
            content_hash = actions.application_sign_request(
                acting_user=signed_in_user(request), application=app
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            status = exc.status
        else:
            sign_form = SignForm(initial={"content_hash": content_hash})
            messages.info(
                request, _("We sent a 6-digit code to your phone. It is valid 10 minutes.")
            )
    return render(request, "web/portal/review.html", _review_context(app, sign_form), status=status)


def _review_context(app: Application, sign_form: SignForm | None) -> dict[str, Any]:
    return {
        "application": app,
        "readiness": application_readiness(app),
        "sections": _answers_for_review(app),
        "result": application_rules_result(app).to_dict(),
        "sign_form": sign_form,
    }


def _answers_for_review(app: Application) -> list[dict[str, Any]]:
    track = track_for(app.intake.rule_set, app.programme, app.category)
    asked = required_answers(track) if track is not None else {}
    rows = []
    for section_def in SECTIONS:
        if section_def.id not in asked:
            continue
        form_class = _form_class(app, section_def.id)
        given = app.answers.get(section_def.id, {})
        rows.append(
            {
                "id": section_def.id,
                "title": section_def.title,
                "answers": [
                    (field.label, _display(field, given.get(name)))
                    for name, field in form_class.base_fields.items()
                ],
            }
        )
    return rows


def _display(field: forms.Field, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(field, forms.BooleanField) or str(value).lower() in ("true", "false", "on"):
        return str(_("Yes")) if str(value).lower() in ("true", "on", "1", "yes") else str(_("No"))
    choices = dict(getattr(field, "choices", []) or [])
    return str(choices.get(value, value))


@role_required(Role.APPLICANT)
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("portal:review", pk=app.pk)
    try:
        actions.application_submit(
            acting_user=signed_in_user(request),
            application=app,
            content_hash=form.cleaned_data["content_hash"],
            code=form.cleaned_data["code"].strip(),
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        # A changed application must be reviewed again: no code form for the old version.
        sign_form = form if exc.code != "changed_since_review" else None
        return render(
            request, "web/portal/review.html", _review_context(app, sign_form), status=exc.status
        )
    messages.success(
        request, _("Your application is submitted. The automatic check answers within a minute.")
    )
    return redirect("portal:application", pk=app.pk)


@role_required(Role.APPLICANT)
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    try:
        actions.application_withdraw(acting_user=signed_in_user(request), application=app)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("portal:application", pk=app.pk)


@role_required(Role.APPLICANT)
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    try:
        actions.application_correct(acting_user=signed_in_user(request), application=app)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Correct your application and sign it again."))
    return redirect("portal:application", pk=app.pk)
