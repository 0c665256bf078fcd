from __future__ import annotations

from django.urls import path

from bolashaq.web.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.start, name="start"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/review/", views.review, name="review"),
    path("applications/<int:pk>/submit/", views.submit, name="submit"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:pk>/correct/", views.correct, name="correct"),
    path("applications/<int:pk>/<slug:section>/", views.section, name="section"),
]
