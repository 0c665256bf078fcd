from __future__ import annotations

from django.urls import path

from bolashaq.documents import views

app_name = "documents"
urlpatterns = [
    path("applications/<int:application_id>/<slug:slot>/", views.upload, name="upload"),
    path("<uuid:public_id>/", views.download, name="download"),
    path("<uuid:public_id>/remove/", views.remove, name="remove"),
]
