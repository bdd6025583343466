"""What the QR login says, to the person at the browser and in the eGov app.

Codes shared with the ЭЦП login take their message and status from
:mod:`kabinet.login.messages`; the QR login's own codes are added here. The
eGov app shows ``{"message"}`` from any refusal (NIT QR spec, error
display), so the same texts serve both.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kabinet.login import messages as login_messages

QR_ERROR_MESSAGES: Mapping[str, Promise] = {
    "qr_token_missing": _("The request carries no access token. Scan the code again."),
    "qr_token_invalid": _(
        "The access token is not valid for this code. Scan the code again."
    ),
    "qr_declined": _("Signing was declined in the eGov app."),
    "qr_unavailable": _(
        "Logging in with a QR code is not available. Use a digital signature "
        "certificate."
    ),
}

QR_ERROR_STATUS: Mapping[str, int] = {
    # RFC 6750 3.1: no token is 401, a token that does not fit is 403.
    "qr_token_missing": 401,
    "qr_token_invalid": 403,
    "qr_declined": 403,
    "qr_unavailable": 503,
}


def message_for(code: str) -> str:
    """The message for an error code, in the active language."""
    text = QR_ERROR_MESSAGES.get(code)
    if text is not None:
        return str(text)
    return login_messages.message_for(code)


def status_for(code: str) -> int:
    """The HTTP status answering an error code."""
    status = QR_ERROR_STATUS.get(code)
    if status is not None:
        return status
    return login_messages.status_for(code)


# What the page shows in each state of a code; rendered into the page.
QR_PAGE_MESSAGES: Mapping[str, Promise] = {
    "starting": _("Preparing a QR code…"),
    "waiting": _("Scan the code with the eGov app."),
    "waiting_phone": _(
        "Confirm the login in the eGov app, then come back to this page."
    ),
    "scanned": _("The code is scanned. Confirm the login in the eGov app."),
    "signed": _("Login successful. Opening the cabinet…"),
    "expired": _("The QR code has expired. Get a new one."),
    "rejected": _("The login was refused: %(reason)s"),
    "network_error": _(
        "The server could not be reached. Check the connection and try again."
    ),
    "choose_role": _("Choose a role first."),
    "countdown": _("The code is valid for %(time)s"),
}
