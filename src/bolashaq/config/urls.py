"""URL wiring: each audience's pages, the API and health."""

from __future__ import annotations

from django.urls import include, path

from bolashaq.api.main import api, api_urls
from bolashaq.core.views import healthz, healthz_live, healthz_ready

urlpatterns = [
    path("", include("bolashaq.web.urls")),
    path("check/", include("bolashaq.web.public.urls")),
    path("accounts/", include("bolashaq.accounts.urls")),
    path("portal/", include("bolashaq.web.portal.urls")),
    path("documents/", include("bolashaq.documents.urls")),
    path("office/", include("bolashaq.web.office.urls")),
    path("panel/", include("bolashaq.web.panel.urls")),
    path("commission/", include("bolashaq.web.commission.urls")),
    path("dev/", include("bolashaq.notifications.urls")),
    path("api/v1/", include((api_urls(), "api"), namespace=api.urls_namespace)),
    path("healthz", healthz, name="healthz"),
    path("healthz/live", healthz_live, name="healthz_live"),
    path("healthz/ready", healthz_ready, name="healthz_ready"),
]

handler403 = "bolashaq.web.views.permission_denied"
handler404 = "bolashaq.web.views.page_not_found"
handler500 = "bolashaq.web.views.server_error"
