from __future__ import annotations

from django.urls import path

from bolashaq.notifications import views

app_name = "notifications"
urlpatterns = [
    path("outbox/", views.dev_outbox, name="dev_outbox"),
]
