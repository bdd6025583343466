"""OCSP requests and the checks on answers: real NCA answers, generated ones."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp as x509_ocsp

from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import CertificateRevoked, RevocationUnknown
from kabinet.pki.revocation import ocsp
from kabinet.pki.revocation.ocsp import build_request, check_response
from tests import vectors
from tests.pki.revocation._material import (
    DAY,
    NOW,
    QUIET_NAME_WARNINGS,
    Issued,
    make_ca,
    make_leaf,
    make_ocsp_response,
    make_responder,
    ocsp_failure,
)

pytestmark = QUIET_NAME_WARNINGS

NCA_GOST_TEST = "ca/test/nca_gost2022_test.pem"


def load(path: str) -> Certificate:
    return Certificate.load(vectors.read(path))


def real_case(
    path: str, issuer_path: str
) -> tuple[bytes, ocsp.OcspRequest, Certificate]:
    """A recorded answer with the request it answered (same nonce)."""
    entry = vectors.entry(path)
    certificate = load(entry["for_certificate"][0])
    issuer = load(issuer_path)
    request = build_request(
        certificate, issuer, nonce=bytes.fromhex(entry["nonce_hex"])
    )
    return vectors.read(path), request, issuer


# ------------------------------------------------------------- requests


def test_request_asks_about_the_certificate_with_sha256_and_a_nonce() -> None:
    certificate = load("certs/from-p12/sdk2026_individual_valid.pem")
    issuer = load(NCA_GOST_TEST)

    request = build_request(certificate, issuer)

    parsed = x509_ocsp.load_der_ocsp_request(request.der)
    assert parsed.serial_number == certificate.serial
    assert isinstance(parsed.hash_algorithm, hashes.SHA256)
    assert parsed.issuer_name_hash == hashlib.sha256(certificate.issuer_der).digest()
    assert parsed.issuer_key_hash == request.cert_id.issuer_key_hash
    nonce = parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert nonce == request.nonce
    assert len(request.nonce) == ocsp.NONCE_BYTES


def test_each_request_has_a_new_nonce() -> None:
    certificate = load("certs/from-p12/sdk2026_individual_valid.pem")
    issuer = load(NCA_GOST_TEST)

    nonces = {build_request(certificate, issuer).nonce for _ in range(20)}

    assert len(nonces) == 20


def test_issuer_key_hash_matches_the_recorded_nca_answer() -> None:
    entry = vectors.entry("ocsp/ocsp_response_ceo_2015_revoked.bin")
    certificate = load(entry["for_certificate"][0])

    cert_id = ocsp.cert_id_for(certificate, load(NCA_GOST_TEST))

    recorded = x509_ocsp.load_der_ocsp_response(vectors.read(entry["path"]))
    assert cert_id.issuer_key_hash == recorded.issuer_key_hash
    assert cert_id.issuer_name_hash == recorded.issuer_name_hash


# ------------------------------------------------- real NCA answers


def test_real_revoked_answer_raises_revoked_with_its_time() -> None:
    path = "ocsp/ocsp_response_ceo_2015_revoked.bin"
    der, request, issuer = real_case(path, NCA_GOST_TEST)
    entry = vectors.entry(path)

    with pytest.raises(CertificateRevoked) as caught:
        check_response(
            der, request=request, issuer=issuer, at=vectors.at(entry["validate_at"])
        )

    assert caught.value.code == "certificate_revoked"
    assert caught.value.revoked_at == vectors.at(
        entry["single_response"]["revocation_time"]
    )
    assert "certificate_hold" in caught.value.message


def test_real_never_issued_answer_counts_as_revoked() -> None:
    path = "ocsp/ocsp_response_individual_2015.bin"
    der, request, issuer = real_case(path, NCA_GOST_TEST)

    with pytest.raises(CertificateRevoked) as caught:
        check_response(
            der,
            request=request,
            issuer=issuer,
            at=vectors.at(vectors.entry(path)["validate_at"]),
        )

    assert caught.value.code == "certificate_revoked"
    assert "never issued" in caught.value.message


@pytest.mark.parametrize(
    "path",
    [
        "ocsp/ocsp_response_ceo_2015_revoked.bin",
        "ocsp/ocsp_response_individual_2015.bin",
    ],
)
def test_real_answer_to_another_nonce_is_unknown(path: str) -> None:
    der, _, issuer = real_case(path, NCA_GOST_TEST)
    other = build_request(load(vectors.entry(path)["for_certificate"][0]), issuer)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            der,
            request=other,
            issuer=issuer,
            at=vectors.at(vectors.entry(path)["validate_at"]),
        )

    assert caught.value.code == "revocation_unknown"
    assert "nonce" in caught.value.message


@pytest.mark.parametrize("offset", [60, 300, -400, -20])
def test_altered_real_answer_is_unknown(offset: int) -> None:
    path = "ocsp/ocsp_response_ceo_2015_revoked.bin"
    der, request, issuer = real_case(path, NCA_GOST_TEST)
    altered = bytearray(der)
    altered[offset] ^= 0x01

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            bytes(altered),
            request=request,
            issuer=issuer,
            at=vectors.at(vectors.entry(path)["validate_at"]),
        )

    assert caught.value.code == "revocation_unknown"


def test_real_answer_after_the_responder_certificate_expired_is_unknown() -> None:
    path = "ocsp/ocsp_response_ceo_2015_revoked.bin"
    der, request, issuer = real_case(path, NCA_GOST_TEST)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            der,
            request=request,
            issuer=issuer,
            at=vectors.at("2023-09-01T00:00:00Z"),
            max_age_seconds=10**9,
        )

    assert "not valid" in caught.value.message


def test_real_answer_older_than_the_maximum_age_is_unknown() -> None:
    path = "ocsp/ocsp_response_ceo_2015_revoked.bin"
    der, request, issuer = real_case(path, NCA_GOST_TEST)
    produced = vectors.at(vectors.entry(path)["producedAt"])

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            der, request=request, issuer=issuer, at=produced + timedelta(hours=1)
        )

    assert "older than" in caught.value.message


def test_real_answer_checked_with_the_wrong_issuer_is_unknown() -> None:
    path = "ocsp/ocsp_response_ceo_2015_revoked.bin"
    der, _, _ = real_case(path, NCA_GOST_TEST)
    entry = vectors.entry(path)
    certificate = load(entry["for_certificate"][0])
    wrong_issuer = load("ca/test/root_test_gost_2022.pem")
    request = build_request(
        certificate, wrong_issuer, nonce=bytes.fromhex(entry["nonce_hex"])
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            der,
            request=request,
            issuer=wrong_issuer,
            at=vectors.at(entry["validate_at"]),
        )

    assert caught.value.code == "revocation_unknown"


def test_real_rsa_answer_is_good() -> None:
    # Its responder certificate encodes id-pkix-ocsp-nocheck as an empty
    # OCTET STRING instead of NULL, which Certificate.load tolerates.
    path = "ocsp/ocsp_response_individual_sign_2004.bin"
    der, request, issuer = real_case(path, "ca/test/nca_rsa_test_2019.pem")

    answer = check_response(
        der,
        request=request,
        issuer=issuer,
        at=vectors.at(vectors.entry(path)["validate_at"]),
    )

    assert answer.responder.subject_der != issuer.subject_der
    assert answer.this_update == vectors.at(vectors.entry(path)["producedAt"])


@pytest.mark.parametrize("offset", [100, -300, -5])
def test_altered_real_rsa_answer_is_unknown(offset: int) -> None:
    path = "ocsp/ocsp_response_individual_sign_2004.bin"
    der, request, issuer = real_case(path, "ca/test/nca_rsa_test_2019.pem")
    altered = bytearray(der)
    altered[offset] ^= 0x01

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            bytes(altered),
            request=request,
            issuer=issuer,
            at=vectors.at(vectors.entry(path)["validate_at"]),
        )

    assert caught.value.code == "revocation_unknown"


def test_real_gost_2004_answer_cannot_be_checked() -> None:
    path = "ocsp/ocsp_response_ceo_sign_2004_revoked.bin"
    der, request, issuer = real_case(path, "ca/test/nca_gost_test_2019.pem")

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            der,
            request=request,
            issuer=issuer,
            at=vectors.at(vectors.entry(path)["validate_at"]),
        )

    assert "34.310-2004" in caught.value.message


# ------------------------------------------------- generated answers


def hierarchy() -> tuple[Issued, Issued]:
    root = make_ca("ROOT", key_label="root")
    ca = make_ca("CA", key_label="ca", issuer=root)
    return ca, make_leaf("LEAF", issuer=ca)


def test_good_answer_signed_by_a_delegated_responder_is_accepted() -> None:
    ca, leaf = hierarchy()
    responder = make_responder(ca)
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=responder, nonce=request.nonce)

    answer = check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert answer.responder == responder.certificate
    assert answer.next_update is None


def test_good_answer_signed_by_the_ca_itself_with_a_key_hash_id_is_accepted() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf, ca, responder=ca, nonce=request.nonce, by_key=True, next_update=NOW + DAY
    )

    answer = check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert answer.responder == ca.certificate
    assert answer.next_update is not None


def test_delegated_responder_sharing_the_ca_name_is_found() -> None:
    ca, leaf = hierarchy()
    namesake = make_leaf(
        "CA",
        issuer=ca,
        key_label="responder",
        ocsp_signing=True,
        ocsp_url=None,
        crl_url=None,
    )
    assert namesake.certificate.subject_der == ca.certificate.subject_der
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=namesake, nonce=request.nonce)

    answer = check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert answer.responder == namesake.certificate


def test_responder_without_ocsp_signing_usage_is_not_trusted() -> None:
    ca, leaf = hierarchy()
    responder = make_responder(ca, ocsp_signing=False)
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=responder, nonce=request.nonce)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "OCSPSigning" in caught.value.message


def test_responder_issued_by_another_ca_is_not_trusted() -> None:
    ca, leaf = hierarchy()
    other = make_ca("OTHER CA", key_label="lookalike")
    responder = make_responder(other)
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=responder, nonce=request.nonce)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"


def test_responder_named_like_the_ca_but_with_another_key_is_not_trusted() -> None:
    ca, leaf = hierarchy()
    impostor = make_ca("CA", key_label="lookalike")
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=impostor, nonce=request.nonce)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "signature" in caught.value.message


def test_expired_responder_certificate_is_not_trusted() -> None:
    ca, leaf = hierarchy()
    responder = make_responder(ca, not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=responder, nonce=request.nonce)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "not valid" in caught.value.message


def test_delegated_responder_missing_from_the_answer_is_unknown() -> None:
    ca, leaf = hierarchy()
    responder = make_responder(ca)
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf, ca, responder=responder, nonce=request.nonce, include_responder=False
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "ResponderID" in caught.value.message


def test_answer_without_a_nonce_is_unknown() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=ca, nonce=None)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "nonce" in caught.value.message


def test_answer_about_another_serial_is_unknown() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf,
        ca,
        responder=ca,
        nonce=request.nonce,
        cert_id_serial=leaf.certificate.serial + 1,
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "expected exactly one" in caught.value.message


def test_unknown_status_is_unknown() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf, ca, responder=ca, nonce=request.nonce, status="unknown"
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "status is unknown" in caught.value.message


def test_revoked_status_reports_time_and_reason() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    revoked_at = (NOW - 3 * DAY).replace(microsecond=0)
    der = make_ocsp_response(
        leaf,
        ca,
        responder=ca,
        nonce=request.nonce,
        status="revoked",
        revoked_at=revoked_at,
        reason=x509.ReasonFlags.key_compromise,
    )

    with pytest.raises(CertificateRevoked) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert caught.value.revoked_at == revoked_at
    assert "key_compromise" in caught.value.message


def test_answer_past_its_next_update_is_unknown() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf,
        ca,
        responder=ca,
        nonce=request.nonce,
        this_update=NOW - 2 * DAY,
        next_update=NOW - DAY,
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "nextUpdate" in caught.value.message


def test_answer_from_the_future_is_unknown() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf,
        ca,
        responder=ca,
        nonce=request.nonce,
        this_update=NOW + timedelta(hours=1),
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(der, request=request, issuer=ca.certificate, at=NOW)

    assert "thisUpdate" in caught.value.message


def test_answer_within_the_clock_skew_is_accepted() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(
        leaf,
        ca,
        responder=ca,
        nonce=request.nonce,
        this_update=NOW + timedelta(minutes=2),
    )

    check_response(
        der, request=request, issuer=ca.certificate, at=NOW, clock_skew_seconds=300
    )


@pytest.mark.parametrize(
    "status",
    [x509_ocsp.OCSPResponseStatus.TRY_LATER, x509_ocsp.OCSPResponseStatus.UNAUTHORIZED],
)
def test_unsuccessful_answer_is_unknown(status: x509_ocsp.OCSPResponseStatus) -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            ocsp_failure(status), request=request, issuer=ca.certificate, at=NOW
        )

    assert caught.value.code == "revocation_unknown"


@pytest.mark.parametrize(
    "body", [b"", b"Try again", b"\x30\x03\x0a\x01\x00", b"\x30" * 10]
)
def test_junk_answer_is_unknown(body: bytes) -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(body, request=request, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"


def test_oversized_answer_is_unknown() -> None:
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            b"\x30" * (70 * 1024), request=request, issuer=ca.certificate, at=NOW
        )

    assert "exceeds" in caught.value.message


@pytest.mark.parametrize(
    "tag", [0x07, 0x08, 0x09], ids=["descriptor", "instance", "real"]
)
def test_answer_with_a_value_the_parser_cannot_read_is_unknown(tag: int) -> None:
    # asn1crypto keeps an element it did not expect in a SEQUENCE and has
    # no native form for ObjectDescriptor, INSTANCE OF and REAL: it fails
    # with AttributeError. Here one replaces the [1] tag of the
    # responseExtensions that carry the nonce.
    ca, leaf = hierarchy()
    request = build_request(leaf.certificate, ca.certificate)
    der = make_ocsp_response(leaf, ca, responder=ca, nonce=request.nonce)
    nonce_oid = bytes.fromhex("06092b0601050507300102")
    extensions = der.index(nonce_oid) - 6
    assert der[extensions] == 0xA1
    altered = der[:extensions] + bytes([tag]) + der[extensions + 1 :]

    with pytest.raises(RevocationUnknown) as caught:
        check_response(altered, request=request, issuer=ca.certificate, at=NOW)

    assert type(caught.value) is RevocationUnknown
    assert caught.value.code == "revocation_unknown"
