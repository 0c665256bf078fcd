from __future__ import annotations

from django.urls import path

from bolashaq.web.public import views

app_name = "public"
urlpatterns = [
    path("", views.self_check, name="check"),
]
