from __future__ import annotations

from django.urls import path

from bolashaq.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("preferences/language/", views.set_language, name="set_language"),
    path("preferences/low-vision/", views.toggle_low_vision, name="low_vision"),
]
