from __future__ import annotations

from django.urls import path

from bolashaq.web.office import views

app_name = "office"
urlpatterns = [
    path("", views.home, name="home"),
    path("contracts/", views.contracts, name="contracts"),
    path("alumni/", views.alumni, name="alumni"),
    path("audit/", views.audit, name="audit"),
    path("admin/", views.admin, name="admin"),
    path("tasks/", views.tasks, name="tasks"),
]
