"""Refusals only the QR login makes.

Everything the QR login shares with the ЭЦП login (a challenge not found,
used, expired or asked about from another browser session, a signature or
certificate refused, the role policy) answers with the same classes and
codes, so the audit log reads the same for both ways in.
"""

from __future__ import annotations

from kabinet.login.errors import LoginRefused


class QrTokenMissing(LoginRefused):
    """Raised when an API 2 call carries no ``Authorization: Bearer`` token."""

    code = "qr_token_missing"


class QrTokenInvalid(LoginRefused):
    """Raised when an API 2 call carries a bearer token API 1 did not issue
    for this code (or not the latest one it issued)."""

    code = "qr_token_invalid"


class QrLoginDeclined(LoginRefused):
    """Raised when the eGov app reports that the user declined to sign."""

    code = "qr_declined"


class QrLoginUnavailable(LoginRefused):
    """Raised when the QR login is asked for but not configured (no bank BIN
    to name to the eGov apps)."""

    code = "qr_unavailable"
