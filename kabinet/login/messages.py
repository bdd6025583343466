"""What a user reads for each refusal, and the HTTP status that goes with it.

Every code of ``kabinet.pki.errors`` and ``kabinet.login.errors`` has a short
message here in the user's language; the technical detail stays in the log.
The page's own states (NCALayer missing, dialog cancelled) are in
:data:`PAGE_MESSAGES`, rendered into the page so its script needs no
translations of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_GENERIC = _("The login failed. Please start again.")

ERROR_MESSAGES: Mapping[str, Promise] = {
    # The request itself
    "bad_request": _("The request was not understood. Reload the page and try again."),
    "csrf_failed": _("The page is out of date. Reload it and try again."),
    "not_authenticated": _("You are not logged in."),
    "method_not_allowed": _("This operation is not supported."),
    "rate_limited": _("Too many login attempts. Wait a few minutes and try again."),
    "role_unknown": _("Choose one of the offered roles."),
    "server_error": _("The service is temporarily unavailable. Try again later."),
    # Challenges
    "challenge_not_found": _("The login request was not found. Start the login again."),
    "challenge_used": _(
        "This login request has already been used. Start the login again."
    ),
    "challenge_expired": _(
        "The time to sign has run out (5 minutes). Start the login again."
    ),
    "challenge_foreign_session": _(
        "The login request belongs to another browser window. Start the login again."
    ),
    "content_mismatch": _(
        "The signed data is not the login request this page issued. "
        "Start the login again."
    ),
    # The certificate and the role
    "role_not_allowed": _("This certificate does not fit the chosen role."),
    "employee_role_not_allowed": _(
        "Your employee role in the certificate does not allow acting for the "
        "organisation in this role."
    ),
    "identity_incomplete": _(
        "The certificate does not contain the IIN or BIN required for this role."
    ),
    "account_blocked": _("Access for this person is blocked. Contact the bank."),
    "organisation_blocked": _(
        "Access for this organisation is blocked. Contact the bank."
    ),
    # The verification core
    "pki_error": _GENERIC,
    "login_refused": _GENERIC,
    "malformed_input": _("The signature could not be read."),
    "input_too_large": _("The signature is too large."),
    "unsupported_algorithm": _("The key's algorithm is not supported."),
    "signature_invalid": _("The signature is not valid."),
    "multiple_signers": _("The signature must have exactly one signer."),
    "signer_certificate_missing": _("The signature does not contain its certificate."),
    "certificate_expired": _("The certificate has expired."),
    "certificate_not_yet_valid": _("The certificate is not valid yet."),
    "untrusted_issuer": _(
        "The certificate was not issued by the National Certification Authority "
        "of the Republic of Kazakhstan."
    ),
    "chain_invalid": _("The certificate's chain of issuers is not valid."),
    "certificate_revoked": _("The certificate has been revoked."),
    "revocation_unknown": _(
        "The certificate's revocation status could not be checked. Try again later."
    ),
    "key_usage_not_allowed": _("This key may not be used for signing in."),
    "pkcs12_password_wrong": _("Wrong password for the key file."),
    "trust_pin_mismatch": _("The service's trusted certificates are misconfigured."),
    "fetch_failed": _(
        "The certificate's revocation status could not be checked. Try again later."
    ),
}

ERROR_STATUS: Mapping[str, int] = {
    "bad_request": 400,
    "malformed_input": 400,
    "role_unknown": 400,
    "not_authenticated": 401,
    "csrf_failed": 403,
    "challenge_foreign_session": 403,
    "role_not_allowed": 403,
    "employee_role_not_allowed": 403,
    "account_blocked": 403,
    "organisation_blocked": 403,
    "challenge_not_found": 404,
    "method_not_allowed": 405,
    "challenge_used": 409,
    "challenge_expired": 410,
    "input_too_large": 413,
    "rate_limited": 429,
    "server_error": 500,
    "revocation_unknown": 503,
    "fetch_failed": 503,
    "trust_pin_mismatch": 503,
}

# Everything else the core can say about a signature is a refusal of it.
_DEFAULT_STATUS = 403


def message_for(code: str) -> str:
    """The user's message for an error code, in the active language."""
    return str(ERROR_MESSAGES.get(code, _GENERIC))


def status_for(code: str) -> int:
    """The HTTP status answering an error code."""
    return ERROR_STATUS.get(code, _DEFAULT_STATUS)


PAGE_MESSAGES: Mapping[str, Promise] = {
    "ncalayer_missing": _(
        "NCALayer is not running. Start NCALayer (or install it from pki.gov.kz) "
        "and press “Try again”."
    ),
    "ncalayer_connecting": _("Connecting to NCALayer…"),
    "ncalayer_waiting": _(
        "Choose your key in the NCALayer window, enter its password and confirm."
    ),
    "ncalayer_cancelled": _("You closed the NCALayer window without signing."),
    "ncalayer_error": _("NCALayer could not sign: %(detail)s"),
    "ncalayer_closed": _("The connection to NCALayer was lost. Try again."),
    "signed": _("The request is signed. Press “Send” to log in."),
    "sending": _("Checking the signature…"),
    "success": _("Login successful. Opening the cabinet…"),
    "network_error": _(
        "The server could not be reached. Check the connection and try again."
    ),
    "choose_role": _("Choose a role first."),
    "starting": _("Preparing the login request…"),
}
