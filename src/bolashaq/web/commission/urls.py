from __future__ import annotations

from django.urls import path

from bolashaq.web.commission import views

app_name = "commission"
urlpatterns = [path("", views.home, name="home")]
