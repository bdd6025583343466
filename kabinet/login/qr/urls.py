"""URLs of the QR login: the page's JSON and the eGov app's API 1 / API 2.

The id in the path is 43 characters of base64url (256 bits); API 1's path
carries ``mgovSign`` (NIT QR spec, cross signing) and neither has a query
string, so the URL goes into the deep links without encoding trouble.
"""

from __future__ import annotations

from django.urls import path

from kabinet.login.qr import views

urlpatterns = [
    path("api/auth/qr/start", views.start_api, name="api-qr-start"),
    path("api/auth/qr/<str:qr_id>/status", views.status_api, name="api-qr-status"),
    path("egov/qr/<str:qr_id>/mgovSign", views.api1, name="qr-api1"),
    path("egov/qr/<str:qr_id>/documents", views.api2, name="qr-api2"),
]
