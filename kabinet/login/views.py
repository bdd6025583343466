"""The login page and the JSON interface the page uses.

JSON API (errors are ``{"error": {"code", "message"}}`` with a 4xx/5xx
status; the message is in the user's language):

- ``GET /api/auth/roles``: the roles, their descriptions and NCALayer
  parameters;
- ``POST /api/auth/eds/challenge`` ``{"role"}``: ``{"id", "data",
  "expires_at", "ncalayer"}``;
- ``POST /api/auth/eds/login`` ``{"id", "signature"}``: who logged in and
  ``"redirect"``;
- ``GET /api/me``: who is logged in; ``POST /api/auth/logout``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from kabinet.accounts import clock
from kabinet.accounts.models import SessionEndReason
from kabinet.accounts.roles import ROLE_DESCRIPTIONS, LoginMethod, Role, parse_role
from kabinet.accounts.sessions import current_session_record, end_session_record
from kabinet.accounts.summary import SessionSummary
from kabinet.login.audit import AttemptTrail
from kabinet.login.challenge import issue_challenge
from kabinet.login.client import RequestMeta
from kabinet.login.eds import verify_eds_login
from kabinet.login.errors import RequestInvalid, RoleUnknown, ServiceFailed
from kabinet.login.jsonbody import read_json_object
from kabinet.login.messages import PAGE_MESSAGES, message_for, status_for
from kabinet.login.ncalayer import ncalayer_request
from kabinet.login.ratelimit import (
    require_ip_challenges_under_limit,
    require_ip_under_limit,
)
from kabinet.login.roles import policy_for
from kabinet.login.signin import authorize, start_session
from kabinet.pki.errors import PkiError

logger = logging.getLogger(__name__)

NCALAYER_DOWNLOAD_URL = "https://pki.gov.kz/ncalayer/"
AFTER_LOGIN_URL = "/"
AFTER_LOGOUT_URL = "/login/"

# A CMS with one GOST or RSA certificate is a few kilobytes of PEM.
_MAX_LOGIN_BODY_BYTES = 128 * 1024
_MAX_SMALL_BODY_BYTES = 4 * 1024


# ---------------------------------------------------------------------------
# JSON plumbing


def error_response(code: str) -> JsonResponse:
    """The JSON refusal for an error code."""
    return JsonResponse(
        {"error": {"code": code, "message": message_for(code)}}, status=status_for(code)
    )


def _json_only(
    method: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow one HTTP method; answer others with a JSON 405, never cached."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def wrapped(request: HttpRequest) -> HttpResponse:
            if request.method != method:
                response = error_response("method_not_allowed")
                response["Allow"] = method
                return response
            return view(request)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return never_cache(wrapped)

    return decorate


def _string_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise RequestInvalid(f"field {name!r} must be a non-empty string")
    return value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _locale() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _role_json(role: Role) -> dict[str, Any]:
    policy = policy_for(role)
    return {
        "id": role.value,
        "name": str(role.label),
        "description": str(ROLE_DESCRIPTIONS[role]),
        "subject_types": sorted(kind.value for kind in policy.accepted_subject_types),
        "employee_roles": (
            None
            if policy.allowed_employee_roles is None
            else sorted(kind.value for kind in policy.allowed_employee_roles)
        ),
        "ncalayer": ncalayer_request(policy, locale=_locale()),
    }


# ---------------------------------------------------------------------------
# Pages


@never_cache
@ensure_csrf_cookie
def login_page(request: HttpRequest) -> HttpResponse:
    """Step 1, the role; step 2, the way in (ЭЦП now, QR to come)."""
    if current_session_record(request) is not None:
        return redirect(AFTER_LOGIN_URL)
    roles = [_role_json(role) for role in Role]
    config = {
        "api": {
            "challenge": "/api/auth/eds/challenge",
            "login": "/api/auth/eds/login",
        },
        "messages": {code: str(text) for code, text in PAGE_MESSAGES.items()},
        "errors": {
            code: message_for(code) for code in ("network_error", "server_error")
        },
        "roles": roles,
    }
    return render(
        request,
        "login/login.html",
        {
            "roles": roles,
            "login_config": config,
            "ncalayer_url": settings.KABINET_NCALAYER_URL,
            "ncalayer_download_url": NCALAYER_DOWNLOAD_URL,
        },
    )


def logout_page(request: HttpRequest) -> HttpResponseBase:
    """End the session from the cabinet's logout button (a form POST)."""
    if request.method != "POST":
        return redirect(AFTER_LOGIN_URL)
    _end_session(request)
    return redirect(AFTER_LOGOUT_URL)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF refusals: JSON for the API, a plain page otherwise."""
    logger.warning("CSRF check failed: %s", reason)
    if request.path.startswith("/api/"):
        return error_response("csrf_failed")
    return render(request, "login/csrf_failure.html", status=403)


# ---------------------------------------------------------------------------
# JSON API


@_json_only("GET")
def roles_api(request: HttpRequest) -> HttpResponse:
    """The four roles with their descriptions and NCALayer parameters."""
    return JsonResponse(
        {
            "roles": [_role_json(role) for role in Role],
            "ncalayer_url": settings.KABINET_NCALAYER_URL,
        }
    )


@_json_only("POST")
def eds_challenge_api(request: HttpRequest) -> HttpResponse:
    """Issue a challenge for the chosen role to this browser session."""
    at = clock.now()
    meta = RequestMeta.from_request(request)
    try:
        body = read_json_object(request, max_bytes=_MAX_SMALL_BODY_BYTES)
        role = parse_role(body.get("role"))
        if role is None:
            raise RoleUnknown(f"role {str(body.get('role'))[:40]!r} is not offered")
        require_ip_challenges_under_limit(meta.ip, at=at)
        issued = issue_challenge(
            request.session, role=role, method=LoginMethod.EDS, client_ip=meta.ip, at=at
        )
    except PkiError as error:
        logger.warning("Challenge refused: %s (%s)", error.code, error.message)
        return error_response(error.code)
    return JsonResponse(
        {
            "id": issued.id,
            "data": base64.b64encode(issued.data).decode("ascii"),
            "expires_at": _iso(issued.expires_at),
            "ncalayer": ncalayer_request(policy_for(role), locale=_locale()),
        }
    )


@_json_only("POST")
def eds_login_api(request: HttpRequest) -> HttpResponse:
    """Check a signed challenge; on success the session is the user's."""
    at = clock.now()
    meta = RequestMeta.from_request(request)
    trail = AttemptTrail(method=LoginMethod.EDS, meta=meta, at=at)
    logger.info("ЭЦП login attempt started: ip=%s", meta.ip)
    try:
        require_ip_under_limit(meta.ip, at=at)
        body = read_json_object(request, max_bytes=_MAX_LOGIN_BODY_BYTES)
        challenge_id = _string_field(body, "id")
        signature = _string_field(body, "signature")
        if not signature.isascii():
            raise RequestInvalid("the signature is not PEM or base64 text")
        role, verified = verify_eds_login(
            challenge_id=challenge_id,
            signature=signature.encode("ascii"),
            session=request.session,
            at=at,
            trail=trail,
        )
        authorization = authorize(
            verified, role, method=LoginMethod.EDS, request_meta=meta, at=at
        )
        record = start_session(request, authorization, request_meta=meta, at=at)
    except PkiError as error:
        trail.failed(error)
        return error_response(error.code)
    except Exception:
        logger.exception("Login failed inside the service")
        trail.failed(ServiceFailed("unexpected failure, see the traceback"))
        return error_response(ServiceFailed.code)
    trail.succeeded()
    return JsonResponse(
        {**SessionSummary.of(record).as_json(), "redirect": AFTER_LOGIN_URL}
    )


@_json_only("GET")
def me_api(request: HttpRequest) -> HttpResponse:
    """Who is logged in, with role, organisation and certificate."""
    record = current_session_record(request)
    if record is None or not request.user.is_authenticated:
        return error_response("not_authenticated")
    return JsonResponse(SessionSummary.of(record).as_json())


@_json_only("POST")
def logout_api(request: HttpRequest) -> HttpResponse:
    """End the session."""
    _end_session(request)
    return JsonResponse({"redirect": AFTER_LOGOUT_URL})


def _end_session(request: HttpRequest) -> None:
    end_session_record(
        request.session.session_key, reason=SessionEndReason.LOGOUT, at=clock.now()
    )
    logout(request)
