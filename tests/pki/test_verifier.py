"""The Verifier step by step: each check alone, then the whole checklist."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kabinet.devtools.testpki import TestPki
from kabinet.pki import cms, oids, xmldsig
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    CertificateExpired,
    CertificateRevoked,
    ChainInvalid,
    KeyUsageNotAllowed,
    SignatureInvalid,
)
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.fetchers import HttpFetcher
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.trust import TrustStore
from kabinet.pki.verifier import (
    VerifiedSignature,
    Verifier,
    check_key_usage,
    check_revocation,
)
from tests import vectors
from tests.pki.revocation._material import rsa_key

CHALLENGE = b"kabinet-login-challenge-7f3a9c"


def _trust(pki: TestPki) -> TrustStore:
    return TrustStore.from_directory(pki.trust_dir)


def _checker(pki: TestPki, policy: RevocationPolicy) -> RevocationChecker:
    settings = RevocationSettings(policy=policy, crl_dir=pki.crl_dir)
    return RevocationChecker(settings, fetcher=HttpFetcher(timeout_seconds=2.0))


def _verifier(
    pki: TestPki, policy: RevocationPolicy = RevocationPolicy.CRL
) -> Verifier:
    return Verifier(trust=_trust(pki), revocation=_checker(pki, policy))


def _sign(
    pki: TestPki,
    name: str,
    at: datetime,
    *,
    content: bytes = CHALLENGE,
    attached: bool = True,
) -> bytes:
    store = pki.key_store(name)
    return cms.sign_cms(
        content,
        key=store.private_key,
        certificate=store.certificate,
        signing_time=at,
        attached=attached,
    )


class _RecordingChecker:
    """Answers "good" and remembers which certificate was asked about."""

    def __init__(self) -> None:
        self.asked: list[tuple[Certificate, Certificate]] = []

    def check(
        self, certificate: Certificate, issuer: Certificate, *, at: datetime
    ) -> str:
        self.asked.append((certificate, issuer))
        return "ocsp"


def _rsa_leaf(
    *,
    digital_signature: bool,
    purposes: list[x509.ObjectIdentifier] | None = None,
) -> Certificate:
    """An RSA end-entity certificate with keyEncipherment, digitalSignature
    as asked, and an extendedKeyUsage of ``purposes`` unless None."""
    issuer_key = rsa_key("issuer")
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ТЕСТОВ")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA")]))
        .public_key(rsa_key("leaf").public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if purposes is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
    certificate = builder.sign(issuer_key, hashes.SHA256())
    return Certificate.load(certificate.public_bytes(Encoding.DER))


# --- check_key_usage --------------------------------------------------------


def test_signing_key_passes_key_usage_check(test_pki: TestPki) -> None:
    check_key_usage(test_pki.keys["gost_individual"].certificate)


def test_legacy_auth_key_passes_key_usage_check(test_pki: TestPki) -> None:
    certificate = test_pki.keys["rsa_individual_auth"].certificate
    assert "digital_signature" in certificate.key_usage

    check_key_usage(certificate)


def test_ca_certificate_is_refused_as_signer(test_pki: TestPki) -> None:
    ca = _trust(test_pki).roots[0]

    with pytest.raises(KeyUsageNotAllowed) as caught:
        check_key_usage(ca)

    assert caught.value.code == "key_usage_not_allowed"


def test_key_without_digital_signature_is_refused() -> None:
    certificate = _rsa_leaf(digital_signature=False)

    with pytest.raises(KeyUsageNotAllowed) as caught:
        check_key_usage(certificate)

    assert caught.value.code == "key_usage_not_allowed"
    assert "digital_signature" in caught.value.message


@pytest.mark.parametrize(
    "purposes",
    [
        [ExtendedKeyUsageOID.OCSP_SIGNING],
        [ExtendedKeyUsageOID.TIME_STAMPING],
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CODE_SIGNING],
    ],
    ids=["OCSP responder", "time-stamping authority", "server"],
)
def test_key_for_another_purpose_is_refused(
    purposes: list[x509.ObjectIdentifier],
) -> None:
    # RFC 5280 4.2.1.12: with the extension present the key serves only the
    # purposes listed. NCA's test TSA and OCSP certificates carry an IIN.
    certificate = _rsa_leaf(digital_signature=True, purposes=purposes)

    with pytest.raises(KeyUsageNotAllowed) as caught:
        check_key_usage(certificate)

    assert caught.value.code == "key_usage_not_allowed"
    assert "extended key usage" in caught.value.message


@pytest.mark.parametrize(
    "purposes",
    [
        None,
        [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE],
        [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
        [x509.ObjectIdentifier(oids.ROLE_LEGAL_INFORMATION_SYSTEM)],
    ],
    ids=["no extension", "any purpose", "client", "information system role"],
)
def test_key_for_a_login_purpose_passes(
    purposes: list[x509.ObjectIdentifier] | None,
) -> None:
    check_key_usage(_rsa_leaf(digital_signature=True, purposes=purposes))


@pytest.mark.parametrize(
    "entry",
    [e for e in vectors.entries("user_cert") if "2004_gost" not in e["path"]],
    ids=lambda e: e["path"].split("/")[-1],
)
def test_every_real_nca_subscriber_certificate_passes_key_usage_check(
    entry: dict[str, Any],
) -> None:
    check_key_usage(Certificate.load(vectors.read(entry["path"])))


# --- check_revocation -------------------------------------------------------


def test_revocation_is_asked_about_the_signer_against_its_issuer(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signer = test_pki.keys["gost_individual"].certificate
    chain = _verifier(test_pki).check_certificate(signer, at=pki_now)
    recording = _RecordingChecker()

    source = check_revocation(chain, checker=recording, at=pki_now)

    assert source == "ocsp"
    assert recording.asked == [(chain[0], chain[1])]


def test_trust_anchor_alone_has_no_issuer_to_ask(test_pki: TestPki) -> None:
    root = _trust(test_pki).roots[0]

    with pytest.raises(ChainInvalid) as caught:
        check_revocation((root,), checker=_RecordingChecker(), at=datetime.now(UTC))

    assert caught.value.code == "chain_invalid"


def test_revoked_signer_is_refused_by_revocation_check(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signer = test_pki.keys["gost_individual_revoked"].certificate
    chain = (signer, *_trust(test_pki).issuers_of(signer)[:1])

    with pytest.raises(CertificateRevoked) as caught:
        check_revocation(
            chain, checker=_checker(test_pki, RevocationPolicy.CRL), at=pki_now
        )

    assert caught.value.code == "certificate_revoked"


# --- Verifier ---------------------------------------------------------------


def test_attached_cms_verifies_with_content_signer_and_path(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)
    signer = test_pki.keys["gost_individual"].certificate

    result = _verifier(test_pki).verify_cms(signed, at=pki_now)

    assert isinstance(result, VerifiedSignature)
    assert result.content == CHALLENGE
    assert result.signer == signer
    assert result.identity == signer.identity
    assert result.chain[0] == signer
    assert result.chain[-1] in _trust(test_pki).roots
    assert result.signing_time == pki_now
    assert result.revocation == "crl"


def test_detached_cms_verifies_with_the_content_given(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now, attached=False)

    result = _verifier(test_pki).verify_cms(
        signed, at=pki_now, detached_content=CHALLENGE
    )

    assert result.content == CHALLENGE


def test_pem_armoured_cms_verifies(test_pki: TestPki, pki_now: datetime) -> None:
    signed = cms.to_pem(_sign(test_pki, "gost_individual", pki_now))

    result = _verifier(test_pki).verify_cms(signed.encode("ascii"), at=pki_now)

    assert result.content == CHALLENGE


def test_signed_xml_verifies_with_canonical_document(
    test_pki: TestPki, pki_now: datetime
) -> None:
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><login><nonce>7f3a9c</nonce></login>'
    )
    store = test_pki.key_store("gost_legal_first_head")
    signed = xmldsig.sign_xml(
        document, key=store.private_key, certificate=store.certificate
    )

    result = _verifier(test_pki).verify_xml(signed, at=pki_now)

    assert result.content == xmldsig.canonicalize(document)
    assert result.signer == store.certificate
    assert result.signing_time is None
    assert result.revocation == "crl"


def test_certificate_check_returns_the_path(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signer = test_pki.keys["gost_legal_signer"].certificate

    chain = _verifier(test_pki).check_certificate(signer, at=pki_now)

    assert chain[0] == signer
    assert chain[-1] in _trust(test_pki).roots


def test_path_is_checked_before_revocation(
    test_pki: TestPki, pki_now: datetime
) -> None:
    # Revoked and, a year on, expired: the expiry is reported, because the
    # revocation of a certificate outside its validity proves nothing more.
    signed = _sign(test_pki, "gost_individual_revoked", pki_now)
    later = pki_now + timedelta(days=3 * 365)

    with pytest.raises(CertificateExpired) as caught:
        _verifier(test_pki).verify_cms(signed, at=later)

    assert caught.value.code == "certificate_expired"


def test_naive_validation_time_is_refused(test_pki: TestPki, pki_now: datetime) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)

    with pytest.raises(ValueError, match="timezone-aware"):
        _verifier(test_pki).verify_cms(signed, at=pki_now.replace(tzinfo=None))


def test_verifier_repr_shows_no_keys_or_certificates(test_pki: TestPki) -> None:
    text = repr(_verifier(test_pki))

    assert text.startswith("Verifier(roots=")


# --- logging ----------------------------------------------------------------


def test_accepted_signature_is_logged_at_start_and_end_without_content(
    test_pki: TestPki, pki_now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)
    signer = test_pki.keys["gost_individual"].certificate
    caplog.set_level(logging.DEBUG, logger="kabinet.pki.verifier")

    _verifier(test_pki).verify_cms(signed, at=pki_now)

    records = [r for r in caplog.records if r.name == "kabinet.pki.verifier"]
    infos = [r.getMessage() for r in records if r.levelno == logging.INFO]
    debugs = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert infos[0].startswith("CMS verification started")
    assert infos[-1].startswith("CMS verified") and signer.serial_hex in infos[-1]
    assert len(debugs) == 4
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert CHALLENGE.decode() not in everything


def test_refused_signature_is_logged_with_check_code_and_serial(
    test_pki: TestPki, pki_now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    signed = _sign(test_pki, "gost_individual_revoked", pki_now)
    signer = test_pki.keys["gost_individual_revoked"].certificate
    caplog.set_level(logging.INFO, logger="kabinet.pki.verifier")

    with pytest.raises(CertificateRevoked):
        _verifier(test_pki).verify_cms(signed, at=pki_now)

    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "kabinet.pki.verifier" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "revocation" in warnings[0]
    assert "certificate_revoked" in warnings[0]
    assert signer.serial_hex in warnings[0]
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert CHALLENGE.decode() not in everything


def test_refused_container_is_logged_without_signature_bytes(
    test_pki: TestPki, pki_now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    signed = bytearray(_sign(test_pki, "gost_individual", pki_now))
    signed[-1] ^= 0x01  # the last byte belongs to the SignerInfo signature
    caplog.set_level(logging.INFO, logger="kabinet.pki")

    with pytest.raises(SignatureInvalid):
        _verifier(test_pki).verify_cms(bytes(signed), at=pki_now)

    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "kabinet.pki.verifier" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "cms container" in warnings[0] and "signature_invalid" in warnings[0]
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert bytes(signed[-16:]).hex() not in everything


def test_refused_certificate_is_named_on_the_error_as_signer(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = _sign(test_pki, "gost_individual_revoked", pki_now)

    with pytest.raises(CertificateRevoked) as caught:
        _verifier(test_pki).verify_cms(signed, at=pki_now)

    revoked = test_pki.keys["gost_individual_revoked"].certificate
    assert caught.value.signer == revoked


def test_refused_container_names_no_signer(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = bytearray(_sign(test_pki, "gost_individual", pki_now))
    signed[-10] ^= 0x01  # inside the signature value at the end

    with pytest.raises(SignatureInvalid) as caught:
        _verifier(test_pki).verify_cms(bytes(signed), at=pki_now)

    assert caught.value.code == "signature_invalid"
    assert caught.value.signer is None
