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
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/", views.review_case, name="review_case"),
]
