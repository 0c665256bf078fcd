"""Upload, remove and download an application's documents.

With htmx the slot (``documents/_slot.html``) is swapped in place, errors included (htmx does
not swap 4xx answers, so those come with 200). Without JavaScript a successful POST redirects
back to the safe ``next`` URL and a refused one shows the slot with its errors on a page of
its own. Anything the user may not see is a 404.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from bolashaq.accounts.selectors import signed_in_user
from bolashaq.applications.models import Application
from bolashaq.core.errors import DomainError, NotFound
from bolashaq.documents.actions import document_remove, document_upload
from bolashaq.documents.http import document_file_response
from bolashaq.documents.selectors import application_for_documents, checklist_item, document_for
from bolashaq.documents.uploads import CappedUploadHandler


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _slot_response(
    request: HttpRequest,
    application: Application,
    slot: str,
    *,
    error: DomainError | None,
    notice: str,
) -> HttpResponse:
    next_url = _next_url(request)
    if error is None and not _is_htmx(request):
        messages.success(request, notice)
        return HttpResponseRedirect(next_url)
    try:
        item = checklist_item(application, slot)
    except NotFound:
        # The slot left the checklist (the answers changed): nothing to show for it any more.
        return HttpResponse("") if _is_htmx(request) else HttpResponseRedirect(next_url)
    context = {
        "application": application,
        "item": item,
        "error": error,
        "notice": notice if error is None else "",
        "next": next_url,
    }
    if _is_htmx(request):
        return render(request, "documents/_slot.html", context)
    status = error.status if error is not None else 200
    return render(request, "documents/slot_page.html", context, status=status)


@csrf_exempt  # only so the upload handler goes in first; _upload checks the CSRF token
@require_POST
def upload(request: HttpRequest, application_id: int, slot: str) -> HttpResponse:
    request.upload_handlers.insert(0, CappedUploadHandler(request))
    return _upload(request, application_id, slot)


@csrf_protect
def _upload(request: HttpRequest, application_id: int, slot: str) -> HttpResponse:
    user = signed_in_user(request)
    try:
        application = application_for_documents(user=user, application_id=application_id)
    except NotFound:
        raise Http404 from None
    error: DomainError | None = None
    try:
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(_("Choose a file to upload."), code="no_file")
        document_upload(acting_user=user, application=application, slot=slot, upload=upload)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    return _slot_response(
        request, application, slot, error=error, notice=_("The file was uploaded.")
    )


@require_POST
def remove(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    try:
        document = document_for(user, public_id)
    except NotFound:
        raise Http404 from None
    error: DomainError | None = None
    try:
        document_remove(acting_user=user, document=document)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc
    return _slot_response(
        request, document.application, document.slot, error=error, notice=_("The file was removed.")
    )


@require_GET
def download(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    try:
        document = document_for(signed_in_user(request), public_id)
    except NotFound:
        raise Http404 from None
    return document_file_response(document)
