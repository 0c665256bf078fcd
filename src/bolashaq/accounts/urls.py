from __future__ import annotations

from django.urls import path

from bolashaq.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("register/", views.register, name="register"),
    path("register/confirm/", views.register_confirm, name="register_confirm"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("home/", views.home, name="home"),
]
