"""The check of API 2's PUT: the app's signed login document.

:func:`verify_qr_login` is the whole server-side decision, in the order of
egov-qr.md 5.2: the code and its token, single use, exactly the issued
document, then the signature, chain, revocation and role policy through the
same verifier and :func:`kabinet.login.signin.authorize` as the ЭЦП login.
Identity comes only from the certificate that passed.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any

from kabinet.accounts.roles import LoginMethod, Role
from kabinet.login.audit import AttemptTrail
from kabinet.login.challenge import consume_challenge, require_not_expired
from kabinet.login.client import RequestMeta
from kabinet.login.errors import ServiceFailed
from kabinet.login.jsonbody import parse_json_object
from kabinet.login.qr.errors import QrLoginDeclined
from kabinet.login.qr.models import QrLogin
from kabinet.login.qr.protocol import LOGIN_DOCUMENT_ID
from kabinet.login.qr.state import record_rejected, record_signed, require_bearer_token
from kabinet.login.signin import Authorization, authorize
from kabinet.login.verification import get_verifier
from kabinet.pki import xmldsig
from kabinet.pki.asn1 import MAX_SIGNED_DOCUMENT_BYTES
from kabinet.pki.errors import ContentMismatch, InputMalformed, InputTooLarge, PkiError

logger = logging.getLogger(__name__)

# One login document with its signature and certificate is a few kilobytes;
# the JSON around it repeats the names and meta rows.
MAX_PUT_BYTES = 256 * 1024
# What a PUT's "status" says when the app signed; anything else is a decline.
_SIGNED_STATUS = "SIGNED"


def verify_qr_login(
    *,
    login: QrLogin,
    authorization_header: str | None,
    body: bytes,
    request_meta: RequestMeta,
    at: datetime,
    trail: AttemptTrail,
) -> Authorization:
    """Check one PUT of API 2 and record its outcome on the code.

    Args:
        login: the code the PUT is for.
        authorization_header: the request's Authorization header.
        body: the request body, already limited to ``MAX_PUT_BYTES``.
        request_meta: the app's address and User-Agent.
        at: the time of the PUT; certificates must be valid then.
        trail: collects the role and certificate for the audit log.

    Returns:
        The signer, allowed in the code's role, for the browser to pick up.

    Raises:
        PkiError: QrTokenMissing, QrTokenInvalid, ChallengeExpired,
            RequestInvalid (the body is not a JSON object; nothing changes),
            ChallengeUsed (a second PUT), QrLoginDeclined, ContentMismatch
            (other documents, or another document signed), any failure of
            the verification core or of the role policy.
    """
    trail.role = login.challenge.role

    require_bearer_token(login, authorization=authorization_header)

    require_not_expired(login.challenge, at=at)

    payload = parse_put_body(body)

    # Used up before the documents are looked at: whatever happens next,
    # this code cannot be signed a second time, and only this request may
    # record how it ended.
    consume_challenge(login.challenge_id, method=LoginMethod.QR, at=at)

    try:
        authorization = _decide(
            login, payload, request_meta=request_meta, at=at, trail=trail
        )
    except PkiError as error:
        record_rejected(login, code=error.code, at=at)
        raise
    except Exception:
        record_rejected(login, code=ServiceFailed.code, at=at)
        raise
    record_signed(login, authorization, at=at)
    return authorization


def _decide(
    login: QrLogin,
    payload: dict[str, Any],
    *,
    request_meta: RequestMeta,
    at: datetime,
    trail: AttemptTrail,
) -> Authorization:
    require_not_declined(payload)

    signed_xml = require_issued_documents(payload, expected_ids=(LOGIN_DOCUMENT_ID,))

    try:
        verified = get_verifier().verify_xml(signed_xml, at=at)
    except PkiError as error:
        trail.saw_refused_signer(error)
        raise
    trail.saw_certificate(verified.signer, verified=False)

    require_document_matches(verified.content, expected_document=login.document_xml)
    # As in the ЭЦП login: the signer counts as present only once the signed
    # document is this code's own, so a signed XML obtained elsewhere cannot
    # use up the signer's per-IIN limit.
    trail.saw_certificate(verified.signer, verified=True)

    return authorize(
        verified,
        Role(login.challenge.role),
        method=LoginMethod.QR,
        request_meta=request_meta,
        at=at,
    )


def parse_put_body(body: bytes) -> dict[str, Any]:
    """The PUT's JSON object.

    Raises:
        InputTooLarge: more than ``MAX_PUT_BYTES``.
        RequestInvalid: not UTF-8 JSON text, or not an object.
    """
    return parse_json_object(body, max_bytes=MAX_PUT_BYTES)


def require_not_declined(payload: dict[str, Any]) -> None:
    """Require the app not to report a decline.

    NIT does not describe "Отказать"; one integration reports a PUT of the
    unsigned documents with ``"status": "CANCELED"`` (egov-qr.md 4), so any
    status other than signed is taken as the user's no.

    Raises:
        QrLoginDeclined: the PUT carries such a status.
    """
    if "status" not in payload:
        return
    status = payload["status"]
    if isinstance(status, str) and status.upper() == _SIGNED_STATUS:
        return
    raise QrLoginDeclined(f"the app reported status {str(status)[:20]!r}")


def require_issued_documents(
    payload: dict[str, Any], *, expected_ids: tuple[int, ...]
) -> bytes:
    """Require exactly the issued documents back and return the signed XML.

    NIT QR spec, API 2 PUT: the JSON comes back unchanged except that each
    signature replaces ``documentXml``.

    Raises:
        InputMalformed: ``documentsToSign`` or ``documentXml`` missing.
        ContentMismatch: other document ids, fewer or more of them.
        InputTooLarge: the signed XML exceeds the signed-document limit.
    """
    documents = payload.get("documentsToSign")
    if not isinstance(documents, list) or not all(
        isinstance(document, dict) for document in documents
    ):
        raise InputMalformed("documentsToSign is not an array of objects")
    ids = [document.get("id") for document in documents]
    # bool is an int in Python; True must not pass for document 1.
    if not all(type(value) is int for value in ids) or sorted(ids) != sorted(
        expected_ids
    ):
        raise ContentMismatch(
            f"documents {str(ids)[:80]} came back, {list(expected_ids)} were issued"
        )
    (document,) = documents
    signed = document.get("documentXml")
    if not isinstance(signed, str) or not signed:
        raise InputMalformed("documentXml is missing from the signed document")
    data = signed.encode("utf-8")
    if len(data) > MAX_SIGNED_DOCUMENT_BYTES:
        raise InputTooLarge(
            f"documentXml of {len(data)} bytes exceeds {MAX_SIGNED_DOCUMENT_BYTES}"
        )
    return data


def require_document_matches(content: bytes, *, expected_document: str) -> None:
    """Require the signed XML, without its signature, to be the issued one.

    Both sides are in the canonical form ``xmldsig.canonicalize`` gives, so
    the XML declaration and attribute order do not matter; any change to an
    element or its text does.

    Raises:
        ContentMismatch: the documents differ.
    """
    expected = xmldsig.canonicalize(expected_document.encode("utf-8"))
    if not hmac.compare_digest(content, expected):
        raise ContentMismatch(
            f"signed document ({len(content)} bytes) is not the issued login document"
        )
