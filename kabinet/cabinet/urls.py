from __future__ import annotations

from django.urls import path

from kabinet.cabinet import views

urlpatterns = [
    path("", views.main_page, name="main"),
    path("sessions/", views.sessions_page, name="sessions"),
    path(
        "sessions/end-others/", views.end_other_sessions_view, name="end-other-sessions"
    ),
]
