from __future__ import annotations

from django.urls import path

from bolashaq.web.panel import views

app_name = "panel"
urlpatterns = [path("", views.home, name="home")]
