from __future__ import annotations

from django.urls import path

from kabinet.login import views

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("api/auth/roles", views.roles_api, name="api-roles"),
    path("api/auth/eds/challenge", views.eds_challenge_api, name="api-eds-challenge"),
    path("api/auth/eds/login", views.eds_login_api, name="api-eds-login"),
    path("api/auth/logout", views.logout_api, name="api-logout"),
    path("api/me", views.me_api, name="api-me"),
]
