"""Public pages that need no sign-in: the eligibility self-check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from bolashaq.applications.questions import today_in_kazakhstan
from bolashaq.web.public.selfcheck import run_check

#: htmx target id -> the fragment that replaces it (the rest is swapped out of band).
FRAGMENTS = {
    "check-track": "web/public/_check_track_update.html",
    "check-questions": "web/public/_check_questions_update.html",
    "check-result": "web/public/_check_result_update.html",
}


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def self_check(request: HttpRequest) -> HttpResponse:
    """Choose a programme and category, answer its questions, see the verdict as you type.

    GET takes ``programme`` and ``category`` from the query (links); POST carries the answers
    too. An htmx request gets only the fragment its target needs. Nothing is stored.
    """
    posted = request.method == "POST"
    check = run_check(
        request.POST if posted else request.GET,
        bound=posted,
        language=get_language() or "kk",
        on=today_in_kazakhstan(),
    )
    context = {"check": check}
    htmx = HtmxDetails(request)
    if htmx:
        fragment = FRAGMENTS.get(htmx.target or "", FRAGMENTS["check-result"])
        return render(request, fragment, context)
    return render(request, "web/public/check.html", context)
