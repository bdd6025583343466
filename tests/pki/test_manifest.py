"""Every entry of the real NCA vectors' MANIFEST.json, checked for what it
states, each at its own ``validate_at``.

The material was made by NCA software (the NCA test CA, test OCSP and TSA,
Kalkan, NCANode), never by this code. Every entry is one parametrised case
named by its path; besides, every CMS, XML and certificate is checked once
more with one byte changed in its signature, its content and its
certificate, and must then be refused with one exact code.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as asn1_tsp
from lxml import etree

from kabinet.pki import chain, cms, oids
from kabinet.pki.certificate import Certificate, EmployeeRole, SubjectType
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    CertificateExpired,
    CertificateRevoked,
    ContentMismatch,
    FetchFailed,
    InputMalformed,
    Pkcs12PasswordWrong,
    PkiError,
    RevocationUnknown,
    SignatureInvalid,
    SignersMultiple,
)
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.revocation import ocsp
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.crl import CrlIndex
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.signature import load_public_key, sign, verify_signature
from kabinet.pki.trust import TrustStore
from kabinet.pki.verifier import Verifier
from tests.vectors import VECTORS_DIR, at, entries, entry, manifest, read

KINDS = {
    "ca_cert",
    "user_cert",
    "pkcs12",
    "crl",
    "ocsp_response",
    "signed_cms",
    "signed_xml",
    "signed_xml_wsse",
    "tsp_response",
    "tsp_token",
}

# The manifest's role names (its "eku" lists) and what they stand for.
EKU_OIDS = {
    "emailProtection": oids.EKU_EMAIL_PROTECTION,
    "clientAuth": oids.EKU_CLIENT_AUTH,
    "individual": oids.ROLE_INDIVIDUAL,
    "legal entity": oids.ROLE_LEGAL_ENTITY,
    "CEO (first head)": oids.ROLE_FIRST_HEAD,
    "person with signing right": oids.ROLE_SIGNER,
    "employee": oids.ROLE_EMPLOYEE,
    "information system": oids.ROLE_LEGAL_INFORMATION_SYSTEM,
    "treasury (IS K2) client": oids.ROLE_TREASURY_CLIENT,
}
EMPLOYEE_ROLES = {
    "CEO (first head)": EmployeeRole.FIRST_HEAD,
    "person with signing right": EmployeeRole.SIGNER,
    "employee": EmployeeRole.EMPLOYEE,
}

# The detached two-signer CMS was made over these bytes (its source's test).
DETACHED_CONTENT = b"test123"


def _cases(*kinds: str) -> list[Any]:
    return [pytest.param(e, id=e["path"]) for e in entries(*kinds)]


def _is_gost2004(algorithm: str) -> bool:
    return "34.310-2004" in algorithm


@cache
def _certificate(path: str) -> Certificate:
    return Certificate.load(read(path))


@cache
def _vector_trust() -> TrustStore:
    """Every CA certificate of the vectors: self-signed ones as roots."""
    certificates = [
        Certificate.load(path.read_bytes())
        for path in sorted((VECTORS_DIR / "ca").rglob("*.pem"))
    ]
    roots = [c for c in certificates if c.is_self_issued]
    intermediates = [c for c in certificates if not c.is_self_issued]
    return TrustStore.from_certificates(roots, intermediates)


class _Offline:
    """A fetcher for tests that must not reach the network."""

    def get(self, url: str) -> bytes:
        raise FetchFailed(f"offline test: no GET {url}")

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        raise FetchFailed(f"offline test: no POST {url}")


def _covering_crls(issuer_path: str, moment: datetime) -> list[dict[str, Any]]:
    """The vectors' CRLs of ``issuer_path`` current at ``moment``, full ones
    first."""
    found = [
        crl
        for crl in entries("crl")
        if crl["verified_signature"][0]["issued_by"] == issuer_path
        and at(crl["thisUpdate"]) <= moment <= at(crl["nextUpdate"])
    ]
    return sorted(found, key=lambda crl: "delta_crl_indicator_base" in crl)


def _vector_verifier(issuer_path: str, moment: datetime) -> tuple[Verifier, str]:
    """A Verifier over the vectors' CAs whose revocation answers come from
    the vectors' CRLs.

    The material is old and no responder answers for it any more. When a
    CRL of the signer's CA was current at ``moment``, that CRL (and its
    delta) decides; when none was, nothing in the vectors can tell the
    status at that time, so the check runs with revocation off and the
    test says so by expecting "off".
    """
    crls = _covering_crls(issuer_path, moment)
    policy = RevocationPolicy.CRL if crls else RevocationPolicy.OFF
    checker = RevocationChecker(RevocationSettings(policy=policy), fetcher=_Offline())
    for crl in crls:
        checker.add_crl(read(crl["path"]), issuer=_certificate(issuer_path), at=moment)
    verifier = Verifier(trust=_vector_trust(), revocation=checker)
    return verifier, policy.value


def _assert_refused(
    error_class: type[PkiError], call: Callable[..., object], *args: Any, **kwargs: Any
) -> PkiError:
    with pytest.raises(PkiError) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is error_class, caught.value
    assert caught.value.code == error_class.code
    return caught.value


def test_every_manifest_entry_has_a_kind_checked_here() -> None:
    assert {e["kind"] for e in manifest()} == KINDS


def test_every_file_is_the_one_the_manifest_describes() -> None:
    for e in manifest():
        assert hashlib.sha256(read(e["path"])).hexdigest() == e["sha256"], e["path"]


# --- certificates ---------------------------------------------------------------


def _check_issuer_signature(certificate: Certificate, issuer: Certificate) -> None:
    verify_signature(
        public_key=load_public_key(issuer.spki_der),
        signature_algorithm=certificate.signature_algorithm,
        message=certificate.tbs_der,
        signature=certificate.signature_value,
    )


@pytest.mark.parametrize("e", _cases("ca_cert", "user_cert"))
def test_certificate_states_what_the_manifest_says(e: dict[str, Any]) -> None:
    certificate = _certificate(e["path"])
    subject = e["subject"]
    identity = certificate.identity

    assert certificate.serial == int(e["serial_hex"], 16)
    assert certificate.not_before == at(e["validity"]["notBefore"])
    assert certificate.not_after == at(e["validity"]["notAfter"])
    assert certificate.key_usage == frozenset(e["key_usage"])
    assert f"CN={e['issuer']}" in certificate.issuer
    assert identity.common_name == subject.get("CN")
    assert identity.country == subject.get("C")
    assert identity.iin == subject.get("IIN")
    assert identity.bin == subject.get("BIN")
    assert identity.organisation == subject.get("O")
    assert identity.surname == subject.get("SN")
    # NCA profile (nca-pki.md 2.1): GIVENNAME holds the patronymic and the
    # first name is the rest of CN after the surname.
    assert identity.patronymic == subject.get("G")
    if "SN" in subject:
        assert identity.first_name == subject["CN"].removeprefix(subject["SN"]).strip()

    if e["kind"] == "ca_cert":
        assert certificate.is_ca
        assert certificate.extended_key_usage == frozenset()
    else:
        assert not certificate.is_ca
        assert certificate.extended_key_usage == {EKU_OIDS[n] for n in e["eku"]}
        assert identity.employee_roles == {
            EMPLOYEE_ROLES[n] for n in e["eku"] if n in EMPLOYEE_ROLES
        }
        if "information system" in e["eku"]:
            assert identity.subject_type is SubjectType.INFORMATION_SYSTEM
        elif "legal entity" in e["eku"]:
            assert identity.subject_type is SubjectType.LEGAL_ENTITY
        else:
            assert identity.subject_type is SubjectType.INDIVIDUAL

    for stated in e["verified_signature"]:
        issuer = _certificate(stated["issued_by"])
        if _is_gost2004(e["algorithm"]["signature"]):
            _assert_refused(
                AlgorithmUnsupported, _check_issuer_signature, certificate, issuer
            )
        else:
            _check_issuer_signature(certificate, issuer)


@pytest.mark.parametrize("e", _cases("ca_cert"))
def test_ca_certificate_has_a_path_at_validate_at(e: dict[str, Any]) -> None:
    certificate = _certificate(e["path"])
    moment = at(e["validate_at"])

    if certificate.is_self_issued:
        # A trust anchor is an input of path validation (RFC 5280 6.1.1 d),
        # trusted because it is in the store; its self-signature is not
        # checked, so even a GOST 34.310-2004 root is a path of its own.
        assert chain.validate_path(certificate, trust=_vector_trust(), at=moment) == (
            certificate,
        )
        return
    if _is_gost2004(e["algorithm"]["signature"]):
        _assert_refused(
            AlgorithmUnsupported,
            chain.validate_path,
            certificate,
            trust=_vector_trust(),
            at=moment,
        )
        return
    path = chain.validate_path(certificate, trust=_vector_trust(), at=moment)
    assert path[0] == certificate
    assert path[-1].is_self_issued
    assert path[-1] == _certificate(e["verified_signature"][0]["issued_by"])


@pytest.mark.parametrize("e", _cases("user_cert"))
def test_user_certificate_passes_or_fails_the_verifier_as_stated(
    e: dict[str, Any],
) -> None:
    certificate = _certificate(e["path"])
    moment = at(e["validate_at"])
    issuer_path = e["verified_signature"][0]["issued_by"]

    if _is_gost2004(e["algorithm"]["signature"]):
        verifier = Verifier(
            trust=_vector_trust(),
            revocation=RevocationChecker(
                RevocationSettings(policy=RevocationPolicy.OFF), fetcher=_Offline()
            ),
        )
        _assert_refused(
            AlgorithmUnsupported, verifier.check_certificate, certificate, at=moment
        )
        return

    verifier, route = _vector_verifier(issuer_path, moment)
    revoked_since = e.get("revoked_since")
    if route == "crl" and revoked_since is not None and at(revoked_since) <= moment:
        error = _assert_refused(
            CertificateRevoked, verifier.check_certificate, certificate, at=moment
        )
        assert isinstance(error, CertificateRevoked)
        assert error.revoked_at == at(revoked_since)
        return
    path = verifier.check_certificate(certificate, at=moment)
    assert path[0] == certificate
    assert path[1] == _certificate(issuer_path)


# --- PKCS#12 --------------------------------------------------------------------


@pytest.mark.parametrize("e", _cases("pkcs12"))
def test_pkcs12_opens_with_its_password_as_stated(e: dict[str, Any]) -> None:
    data = read(e["path"])
    expected = _certificate(e["certificate_file"])

    _assert_refused(Pkcs12PasswordWrong, load_pkcs12, data, e["password"] + "-wrong")
    if _is_gost2004(e["algorithm"]["key"]):
        _assert_refused(AlgorithmUnsupported, load_pkcs12, data, e["password"])
        return
    store = load_pkcs12(data, e["password"])

    assert store.certificate == expected
    assert store.certificate.serial == int(e["serial_hex"], 16)
    algorithm, signature = sign(store.private_key, b"proof of possession")
    verify_signature(
        public_key=expected.public_key,
        signature_algorithm=algorithm,
        message=b"proof of possession",
        signature=signature,
    )


# --- CRLs -----------------------------------------------------------------------


@pytest.mark.parametrize("e", _cases("crl"))
def test_crl_indexes_and_verifies_at_validate_at(e: dict[str, Any]) -> None:
    issuer = _certificate(e["verified_signature"][0]["issued_by"])
    moment = at(e["validate_at"])

    if _is_gost2004(e["algorithm"]):
        # A CRL whose signature cannot be checked tells nothing: the
        # revocation code reports the status as unknown, naming the reason.
        error = _assert_refused(
            RevocationUnknown,
            CrlIndex.build,
            read(e["path"]),
            issuer=issuer,
            at=moment,
        )
        assert "34.310-2004" in error.message
        return
    index = CrlIndex.build(read(e["path"]), issuer=issuer, at=moment)

    assert len(index) == e["entries"]
    assert index.this_update == at(e["thisUpdate"])
    assert index.next_update == at(e["nextUpdate"])
    if "crl_number" in e:  # not stated for the CRL cryptography cannot open
        assert index.crl_number == e["crl_number"]
    assert index.base_crl_number == e.get("delta_crl_indicator_base")
    listed_here = [
        (user, evidence)
        for user in entries("user_cert")
        for evidence in user.get("revocation_evidence", [])
        if evidence["crl"] == e["path"]
    ]
    for user, evidence in listed_here:
        found = index.lookup(int(user["serial_hex"], 16))
        assert found is not None, user["path"]
        assert found.revoked_at == at(evidence["revocationDate"])


# --- OCSP -----------------------------------------------------------------------


def _ocsp_cases() -> list[Any]:
    return [pytest.param(e, id=e["path"]) for e in entries("ocsp_response")]


@pytest.mark.parametrize("e", _ocsp_cases())
def test_ocsp_response_checks_with_its_nonce_as_stated(e: dict[str, Any]) -> None:
    subject_path = e["for_certificate"][0]
    certificate = _certificate(subject_path)
    issuer = _certificate(entry(subject_path)["verified_signature"][0]["issued_by"])
    request = ocsp.build_request(
        certificate, issuer, nonce=bytes.fromhex(e["nonce_hex"])
    )
    response = read(e["path"])
    moment = at(e["validate_at"])
    single = e["single_response"]
    assert single["serial_hex"] == f"{certificate.serial:x}"

    if _is_gost2004(e["algorithm"]):
        # As with CRLs: an answer whose signature cannot be checked leaves
        # the status unknown.
        error = _assert_refused(
            RevocationUnknown,
            ocsp.check_response,
            response,
            request=request,
            issuer=issuer,
            at=moment,
        )
        assert "34.310-2004" in error.message
        return
    if single["status"] == "revoked":
        error = _assert_refused(
            CertificateRevoked,
            ocsp.check_response,
            response,
            request=request,
            issuer=issuer,
            at=moment,
        )
        assert isinstance(error, CertificateRevoked)
        assert error.revoked_at == at(single["revocation_time"])
    else:
        answer = ocsp.check_response(
            response, request=request, issuer=issuer, at=moment
        )
        assert answer.this_update == at(single["thisUpdate"])
        assert answer.responder.subject.startswith("O=") or answer.responder.subject

    # The same answer to a request with another nonce is a replay.
    other = ocsp.build_request(certificate, issuer, nonce=b"\x00" * 8)
    _assert_refused(
        RevocationUnknown,
        ocsp.check_response,
        response,
        request=other,
        issuer=issuer,
        at=moment,
    )


# --- signed CMS and XML ---------------------------------------------------------


def _signed_after_expiry(signer: dict[str, Any]) -> bool:
    return at(signer["signingTime"]) > at(signer["signer_validity"]["notAfter"])


def _cms_outcome(e: dict[str, Any]) -> type[PkiError] | None:
    """The error the verifier must raise at validate_at, or None."""
    if len(e["signers"]) > 1:
        return SignersMultiple
    if _signed_after_expiry(e["signers"][0]):
        return CertificateExpired
    return None


@pytest.mark.parametrize("e", _cases("signed_cms"))
def test_signed_cms_verifies_or_is_refused_as_stated(e: dict[str, Any]) -> None:
    moment = at(e["validate_at"])
    first = e["signers"][0]
    issuer_path = first["signer_chain"][0]["issuer"]
    verifier, route = _vector_verifier(issuer_path, moment)
    detached = None if e["attached"] else DETACHED_CONTENT
    expected_error = _cms_outcome(e)

    if expected_error is not None:
        _assert_refused(
            expected_error,
            verifier.verify_cms,
            read(e["path"]),
            at=moment,
            detached_content=detached,
        )
        return
    result = verifier.verify_cms(read(e["path"]), at=moment, detached_content=detached)

    assert result.content == bytes.fromhex(e["content_hex"])
    assert result.signer.serial == int(first["serial_hex"], 16)
    assert result.signing_time == at(first["signingTime"])
    assert result.chain[1] == _certificate(issuer_path)
    assert result.chain[-1] == _certificate(first["signer_chain"][1]["issuer"])
    assert result.revocation == route


def _xml_outcome(e: dict[str, Any]) -> type[PkiError] | None:
    if e["kind"] == "signed_xml_wsse":
        # The Reference points at the SOAP Body (URI="#id"), not at the
        # whole document: the signature does not cover what a login
        # compares, which xmldsig reports as a content mismatch.
        return ContentMismatch
    if len(e["signatures"]) > 1:
        return SignersMultiple
    return None


@pytest.mark.parametrize("e", _cases("signed_xml", "signed_xml_wsse"))
def test_signed_xml_verifies_or_is_refused_as_stated(e: dict[str, Any]) -> None:
    first = e["signatures"][0]
    issuer_path = first["signer_chain"][0]["issuer"]
    # The two-signer document has no common validity window; the first
    # signature's own time is used, the refusal does not depend on it.
    moment = at(e["validate_at"] or "2021-07-20T00:00:00Z")
    verifier, route = _vector_verifier(issuer_path, moment)
    expected_error = _xml_outcome(e)

    if expected_error is not None:
        _assert_refused(expected_error, verifier.verify_xml, read(e["path"]), at=moment)
        return
    result = verifier.verify_xml(read(e["path"]), at=moment)

    assert result.signer.serial == int(first["serial_hex"], 16)
    assert result.chain[1] == _certificate(issuer_path)
    assert result.signing_time is None
    assert result.revocation == route
    assert b"Signature" not in result.content


# --- timestamps -------------------------------------------------------------------


@pytest.mark.parametrize("e", _cases("tsp_response", "tsp_token"))
def test_timestamp_parses_and_its_gost2004_signature_is_unsupported(
    e: dict[str, Any],
) -> None:
    data = read(e["path"])
    if e["kind"] == "tsp_response":
        response = asn1_tsp.TimeStampResp.load(data)
        assert response["status"]["status"].native == "granted"
        assert e["pki_status"] == 0
        token = response["time_stamp_token"]
    else:
        token = asn1_cms.ContentInfo.load(data)
    assert token["content_type"].native == "signed_data"
    signed_data = token["content"]
    encapsulated = signed_data["encap_content_info"]
    assert encapsulated["content_type"].dotted == oids.TST_INFO
    info = encapsulated["content"].parsed
    stated = e["tstinfo"]

    assert info["policy"].dotted == stated["policy"]
    assert (
        info["message_imprint"]["hash_algorithm"]["algorithm"].dotted
        == stated["imprint_alg"]
    )
    assert info["message_imprint"]["hashed_message"].native.hex() == stated["imprint"]
    assert info["serial_number"].native == int(stated["serial"], 16)
    assert info["gen_time"].native == at(stated["genTime"])

    # The TSA key is GOST 34.310-2004, outside the supported set: checking
    # the token's signature stops at loading that key.
    (tsa,) = [
        Certificate.load(choice.chosen.dump()) for choice in signed_data["certificates"]
    ]
    assert e["tsa"] in tsa.subject
    _assert_refused(AlgorithmUnsupported, load_public_key, tsa.spki_der)
    # And a timestamp token is no login signature: its content is TSTInfo,
    # not data.
    _assert_refused(InputMalformed, cms.verify_cms, token.dump())


# --- one byte changed -------------------------------------------------------------


def _flip_last_byte_of(blob: bytes, part: bytes) -> bytes:
    position = blob.index(part)
    assert blob.count(part) == 1
    end = position + len(part) - 1
    return blob[:end] + bytes([blob[end] ^ 0x01]) + blob[end + 1 :]


def _cms_signer_info(der: bytes) -> asn1_cms.SignerInfo:
    signed_data = asn1_cms.ContentInfo.load(der)["content"]
    signer_info: asn1_cms.SignerInfo = signed_data["signer_infos"][0]
    return signer_info


def _cms_tampered(e: dict[str, Any], part: str) -> tuple[bytes, bytes | None]:
    der = read(e["path"])
    detached = None if e["attached"] else DETACHED_CONTENT
    signed_data = asn1_cms.ContentInfo.load(der)["content"]
    if part == "signature":
        return _flip_last_byte_of(
            der, _cms_signer_info(der)["signature"].native
        ), detached
    if part == "content":
        if detached is not None:
            return der, detached[:-1] + b"4"
        return _flip_last_byte_of(der, signed_data["encap_content_info"].dump()), None
    signer_serial = int(e["signers"][0]["serial_hex"], 16)
    (certificate,) = [
        choice.chosen.dump()
        for choice in signed_data["certificates"]
        if choice.chosen.serial_number == signer_serial
    ]
    # The certificate's own signature is its last bytes: the container's
    # key and the signer identifier stay intact, the issuer's signature
    # over the certificate does not.
    return _flip_last_byte_of(der, certificate), detached


def _tampered_cms_outcome(e: dict[str, Any], part: str) -> type[PkiError]:
    if len(e["signers"]) > 1:
        return SignersMultiple  # counted before anything is verified
    if part == "signature":
        return SignatureInvalid
    if part == "content":
        return ContentMismatch
    # chain.validate_path checks every signature on the path before any
    # validity period, so even the expired signers fail on the signature.
    return SignatureInvalid


@pytest.mark.parametrize("part", ["signature", "content", "certificate"])
@pytest.mark.parametrize("e", _cases("signed_cms"))
def test_cms_with_one_byte_changed_is_refused(e: dict[str, Any], part: str) -> None:
    moment = at(e["validate_at"])
    verifier, _ = _vector_verifier(e["signers"][0]["signer_chain"][0]["issuer"], moment)
    tampered, detached = _cms_tampered(e, part)

    _assert_refused(
        _tampered_cms_outcome(e, part),
        verifier.verify_cms,
        tampered,
        at=moment,
        detached_content=detached,
    )


_DSIG = "http://www.w3.org/2000/09/xmldsig#"


def _first_text_outside_signature(document: bytes) -> str:
    root = etree.fromstring(document)
    for element in root.iter():
        inside = any(
            isinstance(a.tag, str) and a.tag == f"{{{_DSIG}}}Signature"
            for a in element.iterancestors()
        )
        text: str | None = element.text
        if not inside and text and text.strip():
            return text
    raise AssertionError("no text outside the signature")


def _replace_once(blob: bytes, old: bytes, new: bytes) -> bytes:
    assert blob.count(old) == 1, old
    return blob.replace(old, new)


def _xml_tampered(e: dict[str, Any], part: str) -> bytes:
    document = read(e["path"])
    if part == "signature":
        start = document.index(b"SignatureValue>") + len(b"SignatureValue>")
        while document[start : start + 1].isspace():
            start += 1
        first = document[start : start + 1]
        return (
            document[:start] + (b"B" if first == b"A" else b"A") + document[start + 1 :]
        )
    if part == "content":
        text = _first_text_outside_signature(document).encode("utf-8")
        changed = text[:-1] + (b"0" if text[-1:] != b"0" else b"1")
        return _replace_once(document, b">" + text + b"<", b">" + changed + b"<")
    match = re.search(
        rb"<(?:ds:X509Certificate|wsse:KeyIdentifier)[^>]*>([^<]+)<", document
    )
    assert match is not None
    blob = match.group(1)
    der = base64.b64decode(blob.replace(b"&#13;", b"").replace(b"\n", b""))
    flipped = der[:-1] + bytes([der[-1] ^ 0x01])
    return _replace_once(document, blob, base64.b64encode(flipped))


def _tampered_xml_outcome(e: dict[str, Any], part: str) -> type[PkiError]:
    whole = _xml_outcome(e)
    if whole is not None:
        return whole  # the shape is refused before any digest is computed
    return {
        "signature": SignatureInvalid,
        "content": ContentMismatch,
        "certificate": SignatureInvalid,
    }[part]


@pytest.mark.parametrize("part", ["signature", "content", "certificate"])
@pytest.mark.parametrize("e", _cases("signed_xml", "signed_xml_wsse"))
def test_xml_with_one_byte_changed_is_refused(e: dict[str, Any], part: str) -> None:
    first = e["signatures"][0]
    moment = at(e["validate_at"] or "2021-07-20T00:00:00Z")
    verifier, _ = _vector_verifier(first["signer_chain"][0]["issuer"], moment)

    _assert_refused(
        _tampered_xml_outcome(e, part),
        verifier.verify_xml,
        _xml_tampered(e, part),
        at=moment,
    )


def _der_of(certificate_path: str) -> bytes:
    return _certificate(certificate_path).der


@pytest.mark.parametrize("part", ["signature", "content"])
@pytest.mark.parametrize("e", _cases("ca_cert", "user_cert"))
def test_certificate_with_one_byte_changed_is_refused(
    e: dict[str, Any], part: str
) -> None:
    der = _der_of(e["path"])
    original = _certificate(e["path"])
    if part == "signature":
        tampered = der[:-1] + bytes([der[-1] ^ 0x01])
    else:
        # The last byte of the serial number: the structure stays valid,
        # what the issuer signed does not.
        serial = original.serial.to_bytes(
            (original.serial.bit_length() + 8) // 8, "big"
        )
        tampered = _flip_last_byte_of(der, b"\x02" + bytes([len(serial)]) + serial)
    certificate = Certificate.load(tampered)
    issuer = _certificate(e["verified_signature"][0]["issued_by"])

    expected = (
        AlgorithmUnsupported
        if _is_gost2004(e["algorithm"]["signature"])
        else SignatureInvalid
    )
    _assert_refused(expected, _check_issuer_signature, certificate, issuer)
