"""The QR login's HTTP side: the page's JSON and the eGov app's API 1 / API 2.

For the page (errors ``{"error": {"code", "message"}}`` as everywhere in
the login API):

- ``POST /api/auth/qr/start`` ``{"role"}``: ``{"id", "qr", "links":
  {"egov_mobile", "egov_business"}, "apps", "image", "expires_at",
  "expires_in"}``;
- ``GET /api/auth/qr/<id>/status``: ``{"state", "expires_in"}`` while
  waiting or scanned, ``{"state": "signed", "redirect"}`` once this very
  request has opened the session, ``{"state": "rejected", "error"}``,
  ``{"state": "expired"}``. Only the browser session that asked for the
  code gets an answer.

For the eGov app (NIT QR spec; every answer in the language of its
Accept-Language, refusals as ``{"message"}``):

- ``GET /egov/qr/<id>/mgovSign``: API 1;
- ``GET /egov/qr/<id>/documents``: API 2, the document to sign;
- ``PUT /egov/qr/<id>/documents``: API 2, the signed document;
  ``{"status": "success"}`` (also for a delivered decline) or a refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from kabinet.accounts import clock
from kabinet.accounts.roles import LoginMethod, Role, parse_role
from kabinet.login.audit import AttemptTrail
from kabinet.login.challenge import require_same_session
from kabinet.login.client import RequestMeta
from kabinet.login.errors import RoleUnknown, ServiceFailed
from kabinet.login.jsonbody import declared_length, read_json_object
from kabinet.login.qr.errors import QrLoginDeclined, QrLoginUnavailable
from kabinet.login.qr.messages import message_for, status_for
from kabinet.login.qr.models import QrLogin
from kabinet.login.qr.protocol import (
    api1_answer,
    api2_answer,
    apps_for,
    language_of,
    success_answer,
)
from kabinet.login.qr.state import (
    PublicState,
    find_qr_login,
    hand_out_token,
    issue_qr_login,
    pick_up,
    require_bearer_token,
    require_open,
    state_of,
)
from kabinet.login.qr.verification import MAX_PUT_BYTES, verify_qr_login
from kabinet.login.ratelimit import (
    require_ip_challenges_under_limit,
    require_ip_under_limit,
)
from kabinet.login.roles import policy_for
from kabinet.login.signin import start_session
from kabinet.pki.errors import InputTooLarge, PkiError

logger = logging.getLogger(__name__)

AFTER_LOGIN_URL = "/"
_MAX_START_BODY_BYTES = 4 * 1024

View = Callable[..., HttpResponse]


# ---------------------------------------------------------------------------
# Plumbing


def _page_error(code: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message_for(code)}}, status=status_for(code)
    )


def _app_error(code: str, language: str) -> JsonResponse:
    # NIT QR spec, errors: {"message": "..."} in the Accept-Language language.
    with translation.override(language):
        response = JsonResponse({"message": message_for(code)}, status=status_for(code))
    if code == "qr_token_missing":
        response["WWW-Authenticate"] = "Bearer"
    return response


def _app_json(payload: Any) -> JsonResponse:
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


def _methods(*allowed: str, for_app: bool = False) -> Callable[[View], View]:
    """Allow these HTTP methods; answer others with a 405 (as the page's
    errors, or as the app's ``{"message"}``), never cached."""

    def decorate(view: View) -> View:
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                if for_app:
                    language = language_of(request.META.get("HTTP_ACCEPT_LANGUAGE"))
                    response = _app_error("method_not_allowed", language)
                else:
                    response = _page_error("method_not_allowed")
                response["Allow"] = ", ".join(allowed)
                return response
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return never_cache(wrapped)

    return decorate


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds_left(expires_at: datetime, at: datetime) -> int:
    return max(0, int((expires_at - at).total_seconds()))


def qr_image(text: str) -> str:
    """The QR code as an SVG data URI (the page's policy allows data: images)."""
    code = segno.make(text, error="m", micro=False)
    uri: str = code.svg_data_uri(scale=4, border=4, dark="#000", light="#fff")
    return uri


def qr_available() -> bool:
    """Whether the QR login is configured (API 1 must name the bank's BIN)."""
    return settings.KABINET_BANK_BIN is not None


# ---------------------------------------------------------------------------
# The page's JSON


@_methods("POST")
def start_api(request: HttpRequest) -> HttpResponse:
    """A new QR code for the chosen role, bound to this browser session."""
    at = clock.now()
    meta = RequestMeta.from_request(request)
    try:
        if not qr_available():
            raise QrLoginUnavailable("KABINET_BANK_BIN is not set")
        body = read_json_object(request, max_bytes=_MAX_START_BODY_BYTES)
        role = parse_role(body.get("role"))
        if role is None:
            raise RoleUnknown(f"role {str(body.get('role'))[:40]!r} is not offered")
        require_ip_challenges_under_limit(meta.ip, at=at)
        issued = issue_qr_login(request.session, role=role, client_ip=meta.ip, at=at)
    except PkiError as error:
        logger.warning("QR code refused: %s (%s)", error.code, error.message)
        return _page_error(error.code)
    return JsonResponse(
        {
            "id": issued.id,
            "qr": issued.qr,
            "links": issued.links,
            "apps": [app.value for app in apps_for(policy_for(role))],
            "image": qr_image(issued.qr),
            "expires_at": _iso(issued.expires_at),
            "expires_in": _seconds_left(issued.expires_at, at),
        }
    )


@_methods("GET")
def status_api(request: HttpRequest, qr_id: str) -> HttpResponse:
    """Where the code is; once signed, this request opens the session."""
    at = clock.now()
    try:
        login = find_qr_login(qr_id)
        require_same_session(login.challenge, session=request.session)
    except PkiError as error:
        logger.warning("QR status refused: %s (%s)", error.code, error.message)
        return _page_error(error.code)

    state = state_of(login, at=at)
    if state is PublicState.SIGNED:
        return _complete(request, login, at=at)
    if state is PublicState.REJECTED:
        code = login.error_code or ServiceFailed.code
        return JsonResponse(
            {
                "state": state.value,
                "error": {"code": code, "message": message_for(code)},
            }
        )
    if state is PublicState.EXPIRED:
        return JsonResponse({"state": state.value})
    return JsonResponse(
        {
            "state": state.value,
            "expires_in": _seconds_left(login.challenge.expires_at, at),
        }
    )


def _complete(request: HttpRequest, login: QrLogin, *, at: datetime) -> HttpResponse:
    # The session is opened here, in the browser that asked for the code,
    # never in the app's request (egov-qr.md 5.3).
    meta = RequestMeta.from_request(request)
    authorization = pick_up(login, at=at)
    if authorization is None:
        return JsonResponse(
            {
                "state": PublicState.REJECTED.value,
                "error": {
                    "code": "challenge_used",
                    "message": message_for("challenge_used"),
                },
            }
        )
    start_session(request, authorization, request_meta=meta, at=at)
    return JsonResponse(
        {"state": PublicState.SIGNED.value, "redirect": AFTER_LOGIN_URL}
    )


# ---------------------------------------------------------------------------
# The eGov app's API 1 and API 2


@csrf_exempt
@_methods("GET", for_app=True)
def api1(request: HttpRequest, qr_id: str) -> HttpResponse:
    """API 1: the description, expiry, the bank, and API 2 with a token."""
    at = clock.now()
    language = language_of(request.META.get("HTTP_ACCEPT_LANGUAGE"))
    try:
        if not qr_available():
            raise QrLoginUnavailable("KABINET_BANK_BIN is not set")
        login = find_qr_login(qr_id)
        token = hand_out_token(login, at=at)
    except PkiError as error:
        logger.warning("API 1 refused: %s (%s)", error.code, error.message)
        return _app_error(error.code, language)
    return _app_json(
        api1_answer(
            public_id=qr_id,
            token=token,
            expires_at=login.challenge.expires_at,
            language=language,
        )
    )


@csrf_exempt
@_methods("GET", "PUT", "POST", for_app=True)
def api2(request: HttpRequest, qr_id: str) -> HttpResponse:
    """API 2: GET the document to sign, PUT it back signed.

    A POST with documents is taken as the PUT: one NIT picture labels the
    call POST (egov-qr.md 4).
    """
    if request.method == "GET":
        return _documents(request, qr_id)
    return _signed(request, qr_id)


def _documents(request: HttpRequest, qr_id: str) -> HttpResponse:
    at = clock.now()
    language = language_of(request.META.get("HTTP_ACCEPT_LANGUAGE"))
    try:
        login = find_qr_login(qr_id)
        require_bearer_token(
            login, authorization=request.META.get("HTTP_AUTHORIZATION")
        )
        require_open(login.challenge, at=at)
    except PkiError as error:
        logger.warning("API 2 GET refused: %s (%s)", error.code, error.message)
        return _app_error(error.code, language)
    return _app_json(
        api2_answer(
            document_xml=login.document_xml,
            role=Role(login.challenge.role),
            issued_at=login.challenge.issued_at,
            language=language,
        )
    )


def _signed(request: HttpRequest, qr_id: str) -> HttpResponse:
    at = clock.now()
    meta = RequestMeta.from_request(request)
    language = language_of(request.META.get("HTTP_ACCEPT_LANGUAGE"))
    trail = AttemptTrail(method=LoginMethod.QR, meta=meta, at=at)
    try:
        login = find_qr_login(qr_id)
        trail.role = login.challenge.role
        require_ip_under_limit(meta.ip, at=at)
        if declared_length(request) > MAX_PUT_BYTES:
            raise InputTooLarge(f"PUT body exceeds {MAX_PUT_BYTES} bytes")
        verify_qr_login(
            login=login,
            authorization_header=request.META.get("HTTP_AUTHORIZATION"),
            body=request.body,
            request_meta=meta,
            at=at,
            trail=trail,
        )
    except QrLoginDeclined as error:
        # The decline was received; the app is told so as it is told of a
        # delivered signature (NIT QR spec v5, {"status": "success"}).
        trail.failed(error)
        return _app_json(success_answer())
    except PkiError as error:
        trail.failed(error)
        return _app_error(error.code, language)
    except Exception:
        logger.exception("QR login failed inside the service")
        trail.failed(ServiceFailed("unexpected failure, see the traceback"))
        return _app_error(ServiceFailed.code, language)
    trail.succeeded()
    return _app_json(success_answer())
