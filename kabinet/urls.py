"""The cabinet's URL map.

/                      main page (cabinet)         /login/    login page
/sessions/             active sessions             /logout/   logout (POST)
/sessions/end-others/  end other sessions (POST)   /i18n/setlang/  language
/api/auth/roles, /api/auth/eds/challenge, /api/auth/eds/login,
/api/auth/logout, /api/me                          JSON (kabinet.login.views)
/api/auth/qr/start, /api/auth/qr/<id>/status       JSON (kabinet.login.qr.views)
/egov/qr/<id>/mgovSign, /egov/qr/<id>/documents    eGov app API 1 / API 2
/admin/                staff
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.views import serve
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.i18n import set_language

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("kabinet.login.urls")),
    path("", include("kabinet.login.qr.urls")),
    path("", include("kabinet.cabinet.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.KABINET_SERVE_STATIC:
    # Development and browser tests; production serves STATIC_ROOT itself.
    urlpatterns.append(
        re_path(r"^static/(?P<path>.*)$", serve, kwargs={"insecure": True})
    )
