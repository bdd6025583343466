"""Refusals decided by the login itself, after or around the verification core.

They extend the core's one hierarchy (``kabinet.pki.errors.PkiError``), so a
view catches one base class and answers by ``code`` whichever layer said no.
Messages are for the log; users see the text chosen by the code
(``kabinet.login.messages``).
"""

from __future__ import annotations

from kabinet.pki.errors import PkiError


class LoginRefused(PkiError):
    """Base of refusals made by the login layer rather than the core."""

    code = "login_refused"


class RequestInvalid(LoginRefused):
    """Raised when a request to the login API is not the JSON it must be."""

    code = "bad_request"


class RoleUnknown(LoginRefused):
    """Raised when the requested role is not one of the cabinet's roles."""

    code = "role_unknown"


class ChallengeNotFound(LoginRefused):
    """Raised when no challenge has the given id."""

    code = "challenge_not_found"


class ChallengeUsed(LoginRefused):
    """Raised when a challenge was already used by an earlier attempt."""

    code = "challenge_used"


class ChallengeExpired(LoginRefused):
    """Raised when a challenge is submitted after its lifetime."""

    code = "challenge_expired"


class ChallengeForeignSession(LoginRefused):
    """Raised when a challenge comes back from a session that did not get it."""

    code = "challenge_foreign_session"


class RoleNotAllowed(LoginRefused):
    """Raised when the certificate's subject type does not fit the role."""

    code = "role_not_allowed"


class EmployeeRoleNotAllowed(LoginRefused):
    """Raised when a legal entity's employee certificate carries none of the
    employee roles the role's policy lets act for the organisation."""

    code = "employee_role_not_allowed"


class IdentityIncomplete(LoginRefused):
    """Raised when a verified certificate lacks the IIN or BIN its subject
    type must carry."""

    code = "identity_incomplete"


class AccountBlocked(LoginRefused):
    """Raised when staff have blocked the person."""

    code = "account_blocked"


class OrganisationBlocked(LoginRefused):
    """Raised when staff have blocked the organisation the certificate is for."""

    code = "organisation_blocked"


class RateLimited(LoginRefused):
    """Raised when an IP address or an IIN made too many attempts recently."""

    code = "rate_limited"


class ServiceFailed(LoginRefused):
    """Raised in place of an unexpected failure inside the service, so the
    attempt is still answered and audited."""

    code = "server_error"
