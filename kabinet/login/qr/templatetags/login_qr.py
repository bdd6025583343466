"""Template tags that put the QR login on the login page.

``{% qr_panel %}`` renders the QR way in with the texts and the apps each
role needs, so the login page's view needs to know nothing of it. When the
QR login is not configured the panel says so instead.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

from kabinet.accounts.roles import Role
from kabinet.login.qr.messages import QR_PAGE_MESSAGES, message_for
from kabinet.login.qr.protocol import EgovApp, apps_for
from kabinet.login.qr.views import qr_available
from kabinet.login.roles import policy_for

register = template.Library()

# The status URL with a placeholder the page replaces with the code's id.
_ID_PLACEHOLDER = "0" * 43


@register.inclusion_tag("login_qr/qr_panel.html")
def qr_panel() -> dict[str, Any]:
    """The QR panel and the configuration its script reads."""
    status_url = reverse("api-qr-status", args=[_ID_PLACEHOLDER])
    config = {
        "api": {
            "start": reverse("api-qr-start"),
            "status": status_url.replace(_ID_PLACEHOLDER, "{id}"),
        },
        "apps": {
            role.value: [app.value for app in apps_for(policy_for(role))]
            for role in Role
        },
        "messages": {code: str(text) for code, text in QR_PAGE_MESSAGES.items()},
        "errors": {
            code: message_for(code) for code in ("server_error", "network_error")
        },
    }
    return {
        "available": qr_available(),
        "unavailable_message": message_for("qr_unavailable"),
        "qr_config": config,
        "egov_mobile": EgovApp.MOBILE.value,
        "egov_business": EgovApp.BUSINESS.value,
        # Development only: the code's text in plain sight, to hand to the
        # eGov app emulator. A real user scans the image.
        "show_text": settings.DEBUG,
    }
