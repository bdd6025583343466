"""The test PKI's OCSP responder: RFC 6960 answers the kabinet checker trusts."""

from __future__ import annotations

import base64
import hashlib
import http.client
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as crypto_ocsp

from kabinet.devtools._x509_build import public_key_bits
from kabinet.devtools.ocsp_responder import (
    REQUEST_CONTENT_TYPE,
    RESPONSE_CONTENT_TYPE,
    OcspResponder,
    running_responder,
)
from kabinet.devtools.testpki import TestPki, generate
from kabinet.pki.errors import CertificateRevoked, RevocationUnknown
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.crl import CrlIndex
from kabinet.pki.revocation.fetchers import HttpFetcher
from kabinet.pki.revocation.ocsp import (
    CertId,
    OcspRequest,
    build_request,
    check_response,
)
from kabinet.pki.revocation.policy import RevocationPolicy
from tests import vectors

GOOD_KEYS = [
    "gost_individual",
    "gost_legal_first_head",
    "gost_information_system",
    "gost256_individual",
    "rsa_individual_auth",
    "rsa_legal_first_head",
    # Expired and not-yet-valid certificates are still "good" to OCSP, as
    # NCA's test responder answers for expired ones.
    "gost_individual_expired",
    "gost_individual_not_yet_valid",
]


@pytest.fixture(scope="module")
def fetcher() -> HttpFetcher:
    return HttpFetcher(timeout_seconds=5.0, retries=0)


@pytest.fixture()
def pinned_responder(test_pki: TestPki, pki_now: datetime) -> Iterator[str]:
    """A responder whose clock stands at the PKI's generation time."""
    with running_responder(test_pki, clock=lambda: pki_now) as url:
        yield url


def _ask(
    fetcher: HttpFetcher, url: str, test_pki: TestPki, name: str
) -> tuple[bytes, OcspRequest]:
    request = build_request(test_pki.keys[name].certificate, test_pki.issuer_of(name))
    return fetcher.post(url, request.der, REQUEST_CONTENT_TYPE), request


def _request_by_hash(
    *,
    issuer_name_der: bytes,
    issuer_spki_der: bytes,
    serial: int,
    algorithm: hashes.HashAlgorithm,
    nonce: bytes | None = None,
) -> bytes:
    digest = hashlib.new(algorithm.name)
    digest.update(issuer_name_der)
    name_hash = digest.digest()
    digest = hashlib.new(algorithm.name)
    digest.update(public_key_bits(issuer_spki_der))
    builder = crypto_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, digest.digest(), serial, algorithm
    )
    if nonce is not None:
        builder = builder.add_extension(crypto_x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


@pytest.mark.parametrize("name", GOOD_KEYS)
def test_good_key_is_answered_good_and_the_checker_trusts_it(
    test_pki: TestPki,
    ocsp_responder: str,
    fetcher: HttpFetcher,
    name: str,
) -> None:
    der, request = _ask(fetcher, ocsp_responder, test_pki, name)

    answer = check_response(
        der, request=request, issuer=test_pki.issuer_of(name), at=datetime.now(UTC)
    )

    assert answer.responder == test_pki.authority_of(name).ocsp_certificate
    assert answer.next_update == answer.this_update + timedelta(hours=1)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("gost_individual_revoked", "key_compromise"),
        # Revoked after the full CRL: OCSP knows at once.
        ("gost_legal_first_head_revoked", "affiliation_changed"),
    ],
)
def test_revoked_key_is_answered_revoked_with_its_time(
    test_pki: TestPki,
    pinned_responder: str,
    fetcher: HttpFetcher,
    pki_now: datetime,
    name: str,
    reason: str,
) -> None:
    der, request = _ask(fetcher, pinned_responder, test_pki, name)
    revocation = test_pki.revocation_of(name)
    assert revocation is not None and revocation.reason == reason

    with pytest.raises(CertificateRevoked) as caught:
        check_response(
            der, request=request, issuer=test_pki.issuer_of(name), at=pki_now
        )

    assert caught.value.code == "certificate_revoked"
    assert caught.value.revoked_at == revocation.revoked_at
    parsed = crypto_ocsp.load_der_ocsp_response(der)
    assert parsed.revocation_reason is crypto_x509.ReasonFlags[reason]


def test_never_issued_serial_is_answered_unknown(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    issuer = test_pki.authorities["gost"].intermediate
    nonce = secrets.token_bytes(16)
    der = _request_by_hash(
        issuer_name_der=issuer.subject_der,
        issuer_spki_der=issuer.spki_der,
        serial=0x1234567,
        algorithm=hashes.SHA256(),
        nonce=nonce,
    )
    request = OcspRequest(
        der=der,
        nonce=nonce,
        cert_id=CertId(
            issuer_name_hash=hashlib.sha256(issuer.subject_der).digest(),
            issuer_key_hash=hashlib.sha256(public_key_bits(issuer.spki_der)).digest(),
            serial=0x1234567,
        ),
    )

    answer = fetcher.post(ocsp_responder, der, REQUEST_CONTENT_TYPE)

    assert (
        crypto_ocsp.load_der_ocsp_response(answer).certificate_status
        is crypto_ocsp.OCSPCertStatus.UNKNOWN
    )
    with pytest.raises(RevocationUnknown) as caught:
        check_response(answer, request=request, issuer=issuer, at=datetime.now(UTC))
    assert caught.value.code == "revocation_unknown"


def test_answer_echoes_nonce_and_includes_the_responder_certificate(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    der, request = _ask(fetcher, ocsp_responder, test_pki, "rsa_individual_auth")

    parsed = crypto_ocsp.load_der_ocsp_response(der)
    nonce = parsed.extensions.get_extension_for_class(crypto_x509.OCSPNonce)
    responder = test_pki.authorities["rsa"].ocsp_certificate

    assert nonce.value.nonce == request.nonce
    assert [c.public_bytes(Encoding.DER) for c in parsed.certificates] == [
        responder.der
    ]
    assert parsed.responder_name is not None
    assert parsed.responder_name.public_bytes() == responder.subject_der
    assert (
        parsed.serial_number == test_pki.keys["rsa_individual_auth"].certificate.serial
    )
    assert parsed.hash_algorithm.name == "sha256"


def test_answer_to_a_forged_nonce_is_refused_by_the_checker(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    der, request = _ask(fetcher, ocsp_responder, test_pki, "gost_individual")
    other = OcspRequest(
        der=request.der, nonce=b"another nonce", cert_id=request.cert_id
    )

    with pytest.raises(RevocationUnknown) as caught:
        check_response(
            der,
            request=other,
            issuer=test_pki.issuer_of("gost_individual"),
            at=datetime.now(UTC),
        )
    assert caught.value.code == "revocation_unknown"


def test_sha1_cert_id_is_answered_with_sha1(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    certificate = test_pki.keys["gost_legal_signer"].certificate
    issuer = test_pki.issuer_of("gost_legal_signer")
    der = _request_by_hash(
        issuer_name_der=issuer.subject_der,
        issuer_spki_der=issuer.spki_der,
        serial=certificate.serial,
        algorithm=hashes.SHA1(),  # OpenSSL's default CertID hash
    )

    parsed = crypto_ocsp.load_der_ocsp_response(
        fetcher.post(ocsp_responder, der, REQUEST_CONTENT_TYPE)
    )

    assert parsed.certificate_status is crypto_ocsp.OCSPCertStatus.GOOD
    assert parsed.hash_algorithm.name == "sha1"


def test_get_request_is_answered_like_post(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    request = build_request(
        test_pki.keys["gost_individual"].certificate,
        test_pki.issuer_of("gost_individual"),
    )
    encoded = quote(base64.b64encode(request.der).decode("ascii"), safe="")

    der = fetcher.get(ocsp_responder + encoded)

    check_response(
        der,
        request=request,
        issuer=test_pki.issuer_of("gost_individual"),
        at=datetime.now(UTC),
    )


def test_certificate_of_another_ca_is_unauthorized(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    der, request = _ask(fetcher, ocsp_responder, test_pki, "forged_individual")

    parsed = crypto_ocsp.load_der_ocsp_response(der)
    assert parsed.response_status is crypto_ocsp.OCSPResponseStatus.UNAUTHORIZED
    with pytest.raises(RevocationUnknown):
        check_response(
            der,
            request=request,
            issuer=test_pki.forged_intermediate,
            at=datetime.now(UTC),
        )


def test_request_mixing_two_cas_is_unauthorized(test_pki: TestPki) -> None:
    cert_ids = []
    for name in ("gost_individual", "rsa_individual_auth"):
        issuer = test_pki.issuer_of(name)
        cert_ids.append(
            {
                "hash_algorithm": {"algorithm": "sha256"},
                "issuer_name_hash": hashlib.sha256(issuer.subject_der).digest(),
                "issuer_key_hash": hashlib.sha256(
                    public_key_bits(issuer.spki_der)
                ).digest(),
                "serial_number": test_pki.keys[name].certificate.serial,
            }
        )
    der = asn1_ocsp.OCSPRequest(
        {"tbs_request": {"request_list": [{"req_cert": c} for c in cert_ids]}}
    ).dump()

    answer = OcspResponder(test_pki).respond(der)

    assert (
        crypto_ocsp.load_der_ocsp_response(answer).response_status
        is crypto_ocsp.OCSPResponseStatus.UNAUTHORIZED
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not DER at all", REQUEST_CONTENT_TYPE),
        (b"\x30\x03\x02\x01\x01", REQUEST_CONTENT_TYPE),
        (b"\x30" + b"\x80" * 8, REQUEST_CONTENT_TYPE),
        (b"", REQUEST_CONTENT_TYPE),
        (b"\x30\x00", "text/plain"),
    ],
)
def test_malformed_request_gets_malformed_request_status(
    ocsp_responder: str, fetcher: HttpFetcher, body: bytes, content_type: str
) -> None:
    der = fetcher.post(ocsp_responder, body, content_type)

    assert (
        crypto_ocsp.load_der_ocsp_response(der).response_status
        is crypto_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_nonce_longer_than_rfc_8954_allows_is_malformed(test_pki: TestPki) -> None:
    issuer = test_pki.issuer_of("gost_individual")
    der = _request_by_hash(
        issuer_name_der=issuer.subject_der,
        issuer_spki_der=issuer.spki_der,
        serial=test_pki.keys["gost_individual"].certificate.serial,
        algorithm=hashes.SHA256(),
        nonce=bytes(33),
    )

    answer = OcspResponder(test_pki).respond(der)

    assert (
        crypto_ocsp.load_der_ocsp_response(answer).response_status
        is crypto_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_oversized_body_is_refused_unread(ocsp_responder: str) -> None:
    parts = urlsplit(ocsp_responder)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", REQUEST_CONTENT_TYPE)
        connection.putheader("Content-Length", str(10 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()

    assert response.status == 200
    assert response.getheader("Content-Type") == RESPONSE_CONTENT_TYPE
    assert (
        crypto_ocsp.load_der_ocsp_response(body).response_status
        is crypto_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_revocation_is_not_reported_before_it_happened(test_pki: TestPki) -> None:
    revocation = test_pki.revocation_of("gost_individual_revoked")
    assert revocation is not None
    responder = OcspResponder(
        test_pki, clock=lambda: revocation.revoked_at - timedelta(minutes=1)
    )
    request = build_request(
        test_pki.keys["gost_individual_revoked"].certificate,
        test_pki.issuer_of("gost_individual_revoked"),
    )

    der = responder.respond(request.der)

    assert (
        crypto_ocsp.load_der_ocsp_response(der).certificate_status
        is crypto_ocsp.OCSPCertStatus.GOOD
    )


def test_crls_and_ca_certificates_are_served_for_the_certificate_urls(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher, pki_now: datetime
) -> None:
    served = ocsp_responder.removesuffix("ocsp/")
    certificate = test_pki.keys["gost_individual"].certificate
    authority = test_pki.authorities["gost"]

    def local(url: str) -> str:
        return served + url.removeprefix(test_pki.base_url + "/")

    crl = fetcher.get(local(certificate.crl_urls[0]))
    delta = fetcher.get(local(certificate.delta_crl_urls[0]))
    issuer = fetcher.get(local(certificate.ca_issuer_urls[0]))

    assert issuer == authority.intermediate.der
    full_index = CrlIndex.build(crl, issuer=authority.intermediate, at=pki_now)
    delta_index = CrlIndex.build(delta, issuer=authority.intermediate, at=pki_now)
    delta_index.require_applies_to(full_index)


@pytest.mark.parametrize(
    "path",
    ["/crl/../testpki.json", "/crl/%2e%2e%2ftestpki.json", "/cert/missing.cer", "/"],
)
def test_paths_outside_the_served_folders_are_not_found(
    ocsp_responder: str, path: str
) -> None:
    parts = urlsplit(ocsp_responder)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()

    assert response.status == 404


def test_checker_pointed_at_the_responder_accepts_good_and_rejects_revoked(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    checker = RevocationChecker(
        RevocationSettings(policy=RevocationPolicy.OCSP, ocsp_url=ocsp_responder),
        fetcher=fetcher,
    )
    at = datetime.now(UTC)

    for name in ("gost_legal_first_head", "rsa_legal_first_head"):
        certificate = test_pki.keys[name].certificate
        assert checker.check(certificate, test_pki.issuer_of(name), at=at) == "ocsp"
    with pytest.raises(CertificateRevoked) as caught:
        checker.check(
            test_pki.keys["gost_legal_first_head_revoked"].certificate,
            test_pki.issuer_of("gost_legal_first_head_revoked"),
            at=at,
        )
    assert caught.value.code == "certificate_revoked"


def test_certificate_aia_reaches_a_responder_on_the_base_url_port(
    test_pki: TestPki, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    # A copy of the PKI re-rooted at a free port, so that the URLs inside
    # the certificates are the ones the checker follows.
    with running_responder(test_pki) as probe:
        port = urlsplit(probe).port
    assert port is not None
    moved = generate(
        tmp_path / "pki",
        now=test_pki.generated_at,
        base_url=f"http://127.0.0.1:{port}",
        rsa_ca_key_bits=2048,
    )
    checker = RevocationChecker(
        RevocationSettings(policy=RevocationPolicy.OCSP_THEN_CRL), fetcher=fetcher
    )
    name = "gost_individual"

    with running_responder(moved, port=None) as url:
        assert url == f"http://127.0.0.1:{port}/ocsp/"
        how = checker.check(
            moved.keys[name].certificate, moved.issuer_of(name), at=datetime.now(UTC)
        )

    assert how == "ocsp"


def test_answer_has_the_shape_of_nca_responder_answers(
    test_pki: TestPki, ocsp_responder: str, fetcher: HttpFetcher
) -> None:
    der, _ = _ask(fetcher, ocsp_responder, test_pki, "gost_individual")
    ours = asn1_ocsp.OCSPResponse.load(der).basic_ocsp_response
    nca = asn1_ocsp.OCSPResponse.load(
        vectors.read("ocsp/ocsp_response_individual_2015.bin")
    ).basic_ocsp_response

    def nonce_value(basic: asn1_ocsp.BasicOCSPResponse) -> bytes:
        for extension in basic["tbs_response_data"]["response_extensions"]:
            if extension["extn_id"].dotted == "1.3.6.1.5.5.7.48.1.2":
                return bytes(extension["extn_value"].contents)
        raise AssertionError("no nonce")

    assert ours["signature_algorithm"].dump() == nca["signature_algorithm"].dump()
    assert ours["tbs_response_data"]["responder_id"].name == "by_name"
    assert nca["tbs_response_data"]["responder_id"].name == "by_name"
    assert len(ours["certs"]) == len(nca["certs"]) == 1
    # The nonce inside extnValue is an OCTET STRING in both (RFC 8954).
    assert nonce_value(ours)[0] == nonce_value(nca)[0] == 0x04
    cert_id = ours["tbs_response_data"]["responses"][0]["cert_id"]
    nca_cert_id = nca["tbs_response_data"]["responses"][0]["cert_id"]
    assert cert_id["hash_algorithm"].dump() == nca_cert_id["hash_algorithm"].dump()


def test_answers_are_dated_by_the_wall_clock_by_default(
    test_pki: TestPki, fetcher: HttpFetcher
) -> None:
    with running_responder(test_pki) as url:
        before = datetime.now(UTC).replace(microsecond=0)
        der, _ = _ask(fetcher, url, test_pki, "gost_individual")
        after = datetime.now(UTC)

    parsed = crypto_ocsp.load_der_ocsp_response(der)
    assert before <= parsed.produced_at_utc <= after
    assert parsed.this_update_utc == parsed.produced_at_utc


def test_pinned_clock_dates_the_answers(
    test_pki: TestPki, pinned_responder: str, fetcher: HttpFetcher, pki_now: datetime
) -> None:
    der, request = _ask(fetcher, pinned_responder, test_pki, "gost_legal_signer")

    answer = check_response(
        der, request=request, issuer=test_pki.issuer_of("gost_legal_signer"), at=pki_now
    )

    assert answer.produced_at == answer.this_update == pki_now
    assert answer.next_update == pki_now + timedelta(hours=1)
