"""OCSP (RFC 6960): building a request and checking the signed answer.

The request carries one CertID hashed with SHA-256 (as NCANode asks NCA's
responder) and a fresh random nonce. The answer is believed only when it is
signed by the issuing CA itself or by a responder certificate that CA
issued for OCSP signing, echoes the nonce, speaks of exactly this
certificate and is current. Every doubt ends in RevocationUnknown; only a
verified "revoked" ends in CertificateRevoked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import algos, core
from asn1crypto import ocsp as asn1_ocsp

from kabinet.pki import _der, oids
from kabinet.pki._time import require_aware
from kabinet.pki.asn1 import MAX_OCSP_RESPONSE_BYTES
from kabinet.pki.certificate import Certificate
from kabinet.pki.chain import verify_issued_by
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    CertificateRevoked,
    InputMalformed,
    InputTooLarge,
    OcspResponderBusy,
    PkiError,
    RevocationUnknown,
    SignatureInvalid,
)
from kabinet.pki.signature import load_public_key, verify_signature

logger = logging.getLogger(__name__)

REQUEST_CONTENT_TYPE = "application/ocsp-request"
# RFC 8954 2.1 allows 1 to 32 octets; 16 random octets cannot be guessed
# by someone holding earlier signed answers.
NONCE_BYTES = 16
DEFAULT_MAX_AGE_SECONDS = 300

_SHA256_NAME = "sha256"
_KNOWN_RESPONSE_EXTENSIONS = frozenset({oids.OCSP_NONCE, oids.OCSP_EXTENDED_REVOKE})
_KNOWN_SINGLE_EXTENSIONS = frozenset({oids.CRL_REASON, oids.INVALIDITY_DATE})
# What asn1crypto raises on malformed input, on first access to a field.
# AttributeError included: an unexpected REAL, INSTANCE OF or
# ObjectDescriptor element has no native value.
_PARSE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
)


@dataclass(frozen=True)
class CertId:
    """The CertID of RFC 6960 4.1.1, hashed with SHA-256."""

    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial: int


@dataclass(frozen=True)
class OcspRequest:
    """A DER OCSPRequest and what its answer must echo."""

    der: bytes
    nonce: bytes
    cert_id: CertId

    def __repr__(self) -> str:
        return f"OcspRequest(serial={self.cert_id.serial:x}, bytes={len(self.der)})"


@dataclass(frozen=True)
class OcspAnswer:
    """A verified "good" answer."""

    produced_at: datetime
    this_update: datetime
    next_update: datetime | None
    responder: Certificate


def cert_id_for(certificate: Certificate, issuer: Certificate) -> CertId:
    """The CertID of ``certificate`` issued by ``issuer`` (RFC 6960 4.1.1).

    issuerNameHash covers the issuer field of the certificate itself;
    issuerKeyHash covers the issuer's subjectPublicKey BIT STRING value
    without its unused-bits octet.
    """
    return CertId(
        issuer_name_hash=hashlib.sha256(certificate.issuer_der).digest(),
        issuer_key_hash=hashlib.sha256(public_key_bits(issuer)).digest(),
        serial=certificate.serial,
    )


def public_key_bits(certificate: Certificate) -> bytes:
    """The subjectPublicKey BIT STRING contents, unused-bits octet removed."""
    spki = certificate.spki_der
    start, end = _der.expect(spki, 0, len(spki), _der.TAG_SEQUENCE)
    _, _, algorithm_end = _der.header(spki, start, end)
    bits_start, bits_end = _der.expect(spki, algorithm_end, end, _der.TAG_BIT_STRING)
    if bits_start == bits_end or spki[bits_start] != 0:
        raise InputMalformed("subjectPublicKey has unused bits")
    return spki[bits_start + 1 : bits_end]


def build_request(
    certificate: Certificate, issuer: Certificate, *, nonce: bytes | None = None
) -> OcspRequest:
    """An unsigned OCSPRequest for one certificate with a nonce extension.

    ``nonce`` is for tests replaying a recorded answer; by default a new
    random one is drawn.
    """
    if nonce is None:
        nonce = secrets.token_bytes(NONCE_BYTES)
    if not 1 <= len(nonce) <= 32:
        raise ValueError("an OCSP nonce has 1 to 32 octets (RFC 8954 2.1)")
    cert_id = cert_id_for(certificate, issuer)
    request = asn1_ocsp.OCSPRequest(
        {
            "tbs_request": {
                "request_list": [
                    {
                        "req_cert": {
                            "hash_algorithm": algos.DigestAlgorithm(
                                {"algorithm": _SHA256_NAME, "parameters": core.Null()}
                            ),
                            "issuer_name_hash": cert_id.issuer_name_hash,
                            "issuer_key_hash": cert_id.issuer_key_hash,
                            "serial_number": cert_id.serial,
                        }
                    }
                ],
                # RFC 6960 4.4.1: extnValue holds the DER of Nonce, itself
                # an OCTET STRING.
                "request_extensions": [
                    {"extn_id": "nonce", "critical": False, "extn_value": nonce}
                ],
            }
        }
    )
    return OcspRequest(der=request.dump(), nonce=nonce, cert_id=cert_id)


def check_response(
    der: bytes,
    *,
    request: OcspRequest,
    issuer: Certificate,
    at: datetime,
    clock_skew_seconds: int = 300,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
) -> OcspAnswer:
    """Check an OCSP answer to ``request`` about a certificate of ``issuer``.

    Returns the answer when it is "good".

    Raises:
        CertificateRevoked: a verified answer says "revoked" (including
            the "never issued" form of RFC 6960 2.2).
        RevocationUnknown: anything else: not successful, unparsable,
            unsigned or signed by someone without authority, nonce missing
            or different, another certificate, stale or future, "unknown".
    """
    at = require_aware(at)
    try:
        return _check(
            der,
            request=request,
            issuer=issuer,
            at=at,
            clock_skew_seconds=clock_skew_seconds,
            max_age_seconds=max_age_seconds,
        )
    except InputMalformed as exc:
        raise RevocationUnknown(f"OCSP response is malformed: {exc.message}") from None
    except _PARSE_ERRORS as exc:
        # asn1crypto parses lazily; a malformed field surfaces on access.
        raise RevocationUnknown(f"OCSP response is malformed: {exc}") from None


def _check(
    der: bytes,
    *,
    request: OcspRequest,
    issuer: Certificate,
    at: datetime,
    clock_skew_seconds: int,
    max_age_seconds: int,
) -> OcspAnswer:
    basic = _basic_response(der)
    tbs = basic.parsed["tbs_response_data"]

    signer = _verified_signer(basic, issuer=issuer, at=at)

    _require_known_extensions(tbs["response_extensions"], _KNOWN_RESPONSE_EXTENSIONS)
    _require_nonce(tbs["response_extensions"], expected_nonce=request.nonce)

    single = _single_response(tbs, expected_cert_id=request.cert_id)
    _require_known_extensions(single["single_extensions"], _KNOWN_SINGLE_EXTENSIONS)

    produced_at = _aware(tbs["produced_at"].native)
    this_update = _aware(single["this_update"].native)
    next_update_value = single["next_update"].native
    next_update = _aware(next_update_value) if next_update_value is not None else None
    _require_current(
        produced_at=produced_at,
        this_update=this_update,
        next_update=next_update,
        at=at,
        clock_skew_seconds=clock_skew_seconds,
        max_age_seconds=max_age_seconds,
    )

    _require_good(single, serial=request.cert_id.serial)
    logger.debug(
        "OCSP good for serial %x from %s, thisUpdate %s",
        request.cert_id.serial,
        signer.subject,
        this_update.isoformat(),
    )
    return OcspAnswer(
        produced_at=produced_at,
        this_update=this_update,
        next_update=next_update,
        responder=signer,
    )


@dataclass(frozen=True)
class _BasicResponse:
    parsed: asn1_ocsp.BasicOCSPResponse
    tbs_der: bytes
    certificates: tuple[bytes, ...]


def _basic_response(der: bytes) -> _BasicResponse:
    """The BasicOCSPResponse, the exact DER of its tbsResponseData and the
    DER of each certificate it carries (RFC 6960 4.2.1)."""
    if len(der) > MAX_OCSP_RESPONSE_BYTES:
        raise InputTooLarge(
            f"OCSP response of {len(der)} bytes exceeds {MAX_OCSP_RESPONSE_BYTES}"
        )
    der = bytes(der)
    _, end = _der.expect(der, 0, len(der), _der.TAG_SEQUENCE)
    if end != len(der):
        raise InputMalformed("trailing bytes after the OCSP response")
    response = asn1_ocsp.OCSPResponse.load(der)
    status = response["response_status"].native
    if status in ("try_later", "internal_error"):
        # RFC 6960 2.3: a passing condition of the responder; NCA's answers
        # "try again" now and then.
        raise OcspResponderBusy(f"OCSP responder answered {status!r}")
    if status != "successful":
        # unauthorized, malformedRequest, sigRequired: RFC 6960 2.3, no
        # signature and no status.
        raise RevocationUnknown(f"OCSP responder answered {status!r}")
    response_bytes = response["response_bytes"]
    if isinstance(response_bytes, core.Void):
        raise InputMalformed("successful OCSP response without responseBytes")
    if response_bytes["response_type"].dotted != oids.OCSP_BASIC_RESPONSE:
        raise InputMalformed("OCSP response is not a BasicOCSPResponse")
    basic_der = response_bytes["response"].contents
    basic_start, basic_end = _der.expect(
        basic_der, 0, len(basic_der), _der.TAG_SEQUENCE
    )
    fields = list(_der.children(basic_der, basic_start, basic_end))
    if len(fields) not in (3, 4):
        raise InputMalformed("BasicOCSPResponse has the wrong number of fields")
    tbs_der = basic_der[fields[0][1] : fields[0][3]]
    certificates: tuple[bytes, ...] = ()
    if len(fields) == 4:
        tag, _, start, end = fields[3]
        if tag != 0xA0:
            raise InputMalformed("BasicOCSPResponse certs field is mistagged")
        list_start, list_end = _der.expect(basic_der, start, end, _der.TAG_SEQUENCE)
        certificates = tuple(
            basic_der[offset:stop]
            for _, offset, _, stop in _der.children(basic_der, list_start, list_end)
        )
    basic = asn1_ocsp.BasicOCSPResponse.load(basic_der)
    # Parse the answer itself now, so that a malformed field fails here.
    # The certificates are left to Certificate.load, one by one.
    for name in ("tbs_response_data", "signature_algorithm", "signature"):
        basic[name].native  # noqa: B018
    return _BasicResponse(parsed=basic, tbs_der=tbs_der, certificates=certificates)


def _verified_signer(
    basic: _BasicResponse,
    *,
    issuer: Certificate,
    at: datetime,
) -> Certificate:
    """The certificate whose key signed the answer and may answer for it.

    RFC 6960 4.2.2.2: either the CA that issued the certificate in
    question, or a responder certificate issued directly by that CA with
    id-kp-OCSPSigning in its extendedKeyUsage. Every certificate that
    matches the ResponderID is tried (a responder may share the CA's
    name); the first with authority and a verifying signature wins, else
    the first failure is raised.
    """
    candidates = [issuer]
    for raw in basic.certificates:
        try:
            candidates.append(Certificate.load(raw))
        except PkiError as exc:
            # Only the responder's own certificate matters, and if it is
            # the one that does not parse, no candidate matches below.
            logger.debug("OCSP response certificate skipped: %s", exc.message)
    responder_id = basic.parsed["tbs_response_data"]["responder_id"]
    matching = [c for c in candidates if _is_responder(c, responder_id)]
    if not matching:
        raise RevocationUnknown(
            "no certificate in the OCSP response matches its ResponderID"
        )
    failure: RevocationUnknown | None = None
    for signer in matching:
        try:
            if signer != issuer:
                _require_delegated_responder(signer, issuer=issuer, at=at)
            _require_signature(basic, signer)
        except RevocationUnknown as exc:
            failure = failure or exc
            continue
        return signer
    assert failure is not None
    raise failure


def _is_responder(
    certificate: Certificate, responder_id: asn1_ocsp.ResponderId
) -> bool:
    if responder_id.name == "by_name":
        return certificate.subject_der == _untagged(responder_id.chosen.dump())
    key_hash = hashlib.sha1(public_key_bits(certificate)).digest()  # noqa: S324
    # RFC 6960 4.2.1 defines KeyHash as SHA-1; it identifies, it does not
    # protect: the signature check that follows does.
    return hmac.compare_digest(key_hash, bytes(responder_id.chosen.native))


def _untagged(encoded: bytes) -> bytes:
    """The inner DER of an [n] EXPLICIT value (ResponderID, RFC 6960 4.2.1)."""
    tag, start, end = _der.header(encoded, 0, len(encoded))
    if tag & 0xE0 != 0xA0 or end != len(encoded):
        raise InputMalformed("ResponderID is not explicitly tagged")
    return encoded[start:end]


def _require_delegated_responder(
    responder: Certificate, *, issuer: Certificate, at: datetime
) -> None:
    if oids.EKU_OCSP_SIGNING not in responder.extended_key_usage:
        raise RevocationUnknown(
            f"OCSP responder {responder.subject!r} lacks id-kp-OCSPSigning"
        )
    if responder.unhandled_critical_extensions:
        raise RevocationUnknown(
            f"OCSP responder {responder.subject!r} has unsupported critical "
            f"extensions {', '.join(responder.unhandled_critical_extensions)}"
        )
    if not responder.not_before <= at <= responder.not_after:
        raise RevocationUnknown(
            f"OCSP responder certificate serial {responder.serial_hex} is not "
            f"valid at {at.isoformat()}"
        )
    if responder.issuer_der != issuer.subject_der:
        raise RevocationUnknown(
            f"OCSP responder {responder.subject!r} was not issued by {issuer.subject!r}"
        )
    try:
        verify_issued_by(responder, issuer)
    except (SignatureInvalid, AlgorithmUnsupported) as exc:
        raise RevocationUnknown(
            f"OCSP responder certificate does not verify with the CA key: {exc.message}"
        ) from None


def _require_signature(basic: _BasicResponse, signer: Certificate) -> None:
    algorithm = basic.parsed["signature_algorithm"]["algorithm"].dotted
    try:
        verify_signature(
            public_key=load_public_key(signer.spki_der),
            signature_algorithm=algorithm,
            message=basic.tbs_der,
            signature=bytes(basic.parsed["signature"].native),
        )
    except SignatureInvalid:
        raise RevocationUnknown(
            f"OCSP response signature does not verify with the key of "
            f"{signer.subject!r}"
        ) from None
    except AlgorithmUnsupported as exc:
        raise RevocationUnknown(
            f"OCSP response signature cannot be checked: {exc.message}"
        ) from None


def _require_known_extensions(
    extensions: core.SequenceOf, known: frozenset[str]
) -> None:
    for extension in extensions or []:
        if extension["critical"].native and extension["extn_id"].dotted not in known:
            raise RevocationUnknown(
                f"OCSP response has an unsupported critical extension "
                f"{extension['extn_id'].dotted}"
            )


def _require_nonce(extensions: core.SequenceOf, *, expected_nonce: bytes) -> None:
    """RFC 8954 / RFC 6960 4.4.1: the answer must echo our nonce.

    Without it an old "good" answer could be replayed after a revocation.
    The value is compared both as the RFC's OCTET STRING and as raw bytes,
    as some responders put the nonce in extnValue without wrapping it.
    """
    for extension in extensions or []:
        if extension["extn_id"].dotted != oids.OCSP_NONCE:
            continue
        value = bytes(extension["extn_value"].contents)
        candidates = [value]
        try:
            start, end = _der.expect(value, 0, len(value), _der.TAG_OCTET_STRING)
            if end == len(value):
                candidates.append(value[start:end])
        except InputMalformed:
            pass
        if any(hmac.compare_digest(c, expected_nonce) for c in candidates):
            return
        raise RevocationUnknown("OCSP response nonce differs from the request's")
    raise RevocationUnknown("OCSP response does not echo the request nonce")


def _single_response(
    tbs: asn1_ocsp.ResponseData, *, expected_cert_id: CertId
) -> asn1_ocsp.SingleResponse:
    matches = []
    for single in tbs["responses"]:
        cert_id = single["cert_id"]
        if cert_id["hash_algorithm"]["algorithm"].native != _SHA256_NAME:
            continue
        if (
            bytes(cert_id["issuer_name_hash"].native)
            == expected_cert_id.issuer_name_hash
            and bytes(cert_id["issuer_key_hash"].native)
            == expected_cert_id.issuer_key_hash
            and cert_id["serial_number"].native == expected_cert_id.serial
        ):
            matches.append(single)
    if len(matches) != 1:
        raise RevocationUnknown(
            f"OCSP response has {len(matches)} answers for certificate serial "
            f"{expected_cert_id.serial:x}, expected exactly one"
        )
    return matches[0]


def _require_current(
    *,
    produced_at: datetime,
    this_update: datetime,
    next_update: datetime | None,
    at: datetime,
    clock_skew_seconds: int,
    max_age_seconds: int,
) -> None:
    """RFC 6960 4.2.2.1 and 3.2 (5): not from the future, not outdated."""
    skew = timedelta(seconds=clock_skew_seconds)
    for label, moment in (("producedAt", produced_at), ("thisUpdate", this_update)):
        if moment > at + skew:
            raise RevocationUnknown(
                f"OCSP answer {label} {moment.isoformat()} is after {at.isoformat()}"
            )
    if next_update is not None:
        if at > next_update:
            raise RevocationUnknown(
                f"OCSP answer expired at nextUpdate {next_update.isoformat()}"
            )
        return
    # Without nextUpdate the responder promises nothing about how long the
    # answer holds; take it only while it is recent.
    if at - this_update > timedelta(seconds=max_age_seconds) + skew:
        raise RevocationUnknown(
            f"OCSP answer from {this_update.isoformat()} is older than "
            f"{max_age_seconds} s"
        )


def _require_good(single: asn1_ocsp.SingleResponse, *, serial: int) -> None:
    status = single["cert_status"]
    if status.name == "good":
        return
    if status.name == "revoked":
        info = status.chosen
        revoked_at = _aware(info["revocation_time"].native)
        reason = info["revocation_reason"].native
        if revoked_at.year == 1970 and reason == "certificate_hold":
            detail = "never issued by this CA (RFC 6960 2.2)"
        else:
            detail = f"revoked at {revoked_at.isoformat()}, reason {reason or 'none'}"
        raise CertificateRevoked(
            f"OCSP: certificate serial {serial:x} {detail}", revoked_at=revoked_at
        )
    raise RevocationUnknown(f"OCSP: certificate serial {serial:x} status is unknown")


def _aware(value: datetime) -> datetime:
    return require_aware(value, name="OCSP time")
