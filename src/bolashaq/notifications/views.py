"""The development SMS outbox: read the codes the outbox backend "sent" (DEBUG only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from bolashaq.notifications.selectors import dev_outbox_enabled, sms_recent


@login_not_required
@never_cache
def dev_outbox(request: HttpRequest) -> HttpResponse:
    if not dev_outbox_enabled():
        raise Http404
    return render(request, "notifications/outbox.html", {"messages_sent": sms_recent()})
