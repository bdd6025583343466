"""Every error code of the verification core, provoked on the generated
test PKI, plus the accepted path for each kind of key.

Signatures are made here with the test PKI's keys (``cms.sign_cms``,
``xmldsig.sign_xml``) and then damaged in one precise way per test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import algos
from asn1crypto import cms as asn1_cms
from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from kabinet.devtools.testpki import TestPki
from kabinet.pki import cms, xmldsig
from kabinet.pki.asn1 import MAX_SIGNED_DOCUMENT_BYTES
from kabinet.pki.certificate import Certificate, EmployeeRole, SubjectType
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    ChainInvalid,
    ContentMismatch,
    InputMalformed,
    InputTooLarge,
    IssuerUntrusted,
    KeyUsageNotAllowed,
    Pkcs12PasswordWrong,
    PkiError,
    RevocationUnknown,
    SignatureInvalid,
    SignerCertificateMissing,
    SignersMultiple,
    TrustPinMismatch,
)
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.fetchers import Fetcher, HttpFetcher
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.trust import TrustStore, install_trust_set
from kabinet.pki.verifier import Verifier

CHALLENGE = b"kabinet-login-challenge-51be07"
LOGIN_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><login><nonce>51be07</nonce></login>'
)


def _verifier(
    pki: TestPki,
    *,
    policy: RevocationPolicy = RevocationPolicy.CRL,
    ocsp_url: str | None = None,
    fetcher: Fetcher | None = None,
) -> Verifier:
    settings = RevocationSettings(
        policy=policy, ocsp_url=ocsp_url, crl_dir=pki.crl_dir, good_cache_seconds=0
    )
    checker = RevocationChecker(
        settings, fetcher=fetcher or HttpFetcher(timeout_seconds=2.0, retries=0)
    )
    return Verifier(trust=TrustStore.from_directory(pki.trust_dir), revocation=checker)


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


def _signed_data(der: bytes) -> asn1_cms.SignedData:
    return asn1_cms.ContentInfo.load(der)["content"]


def _rebuild(
    signed_data: asn1_cms.SignedData,
    *,
    certificates: list[asn1_cms.CertificateChoices] | None,
    signer_infos: list[asn1_cms.SignerInfo],
) -> bytes:
    """A SignedData with the same content and the given certificates and
    signers; the parts taken over keep their original encoding."""
    fields: dict[str, object] = {
        "version": "v1",
        "digest_algorithms": signed_data["digest_algorithms"],
        "encap_content_info": signed_data["encap_content_info"],
        "signer_infos": signer_infos,
    }
    if certificates is not None:
        fields["certificates"] = certificates
    rebuilt = asn1_cms.ContentInfo(
        {"content_type": "signed_data", "content": asn1_cms.SignedData(fields)}
    )
    der: bytes = rebuilt.dump()
    return der


def _assert_refused(
    error_class: type[PkiError],
    code: str,
    call: object,
    *args: object,
    **kwargs: object,
) -> PkiError:
    assert callable(call)
    with pytest.raises(error_class) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is error_class
    assert caught.value.code == code
    return caught.value


@pytest.fixture()
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/ocsp"


# --- malformed_input, input_too_large -----------------------------------------


def test_garbage_instead_of_cms_is_malformed(
    test_pki: TestPki, pki_now: datetime
) -> None:
    _assert_refused(
        InputMalformed,
        "malformed_input",
        _verifier(test_pki).verify_cms,
        b"this is not a signature",
        at=pki_now,
    )


def test_truncated_cms_is_malformed(test_pki: TestPki, pki_now: datetime) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)

    _assert_refused(
        InputMalformed,
        "malformed_input",
        _verifier(test_pki).verify_cms,
        signed[: len(signed) // 2],
        at=pki_now,
    )


def test_oversized_cms_is_refused_before_parsing(
    test_pki: TestPki, pki_now: datetime
) -> None:
    oversized = b"\x30" + b"\x00" * MAX_SIGNED_DOCUMENT_BYTES

    _assert_refused(
        InputTooLarge,
        "input_too_large",
        _verifier(test_pki).verify_cms,
        oversized,
        at=pki_now,
    )


def test_oversized_xml_is_refused_before_parsing(
    test_pki: TestPki, pki_now: datetime
) -> None:
    oversized = b"<a>" + b"x" * MAX_SIGNED_DOCUMENT_BYTES + b"</a>"

    _assert_refused(
        InputTooLarge,
        "input_too_large",
        _verifier(test_pki).verify_xml,
        oversized,
        at=pki_now,
    )


# --- unsupported_algorithm, signature_invalid, content_mismatch ---------------


def test_unknown_signature_algorithm_is_unsupported(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed_data = _signed_data(_sign(test_pki, "gost_individual", pki_now))
    signer_info = asn1_cms.SignerInfo.load(signed_data["signer_infos"][0].dump())
    # ecdsa-with-SHA256: a real algorithm, but not one an NCA key uses.
    signer_info["signature_algorithm"] = algos.SignedDigestAlgorithm(
        {"algorithm": "1.2.840.10045.4.3.2"}
    )
    forged = _rebuild(
        signed_data,
        certificates=list(signed_data["certificates"]),
        signer_infos=[signer_info],
    )

    _assert_refused(
        AlgorithmUnsupported,
        "unsupported_algorithm",
        _verifier(test_pki).verify_cms,
        forged,
        at=pki_now,
    )


def test_digest_algorithm_foreign_to_the_key_is_unsupported(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed_data = _signed_data(_sign(test_pki, "gost_individual", pki_now))
    signer_info = asn1_cms.SignerInfo.load(signed_data["signer_infos"][0].dump())
    signer_info["digest_algorithm"] = algos.DigestAlgorithm({"algorithm": "sha256"})
    forged = _rebuild(
        signed_data,
        certificates=list(signed_data["certificates"]),
        signer_infos=[signer_info],
    )

    _assert_refused(
        AlgorithmUnsupported,
        "unsupported_algorithm",
        _verifier(test_pki).verify_cms,
        forged,
        at=pki_now,
    )


def test_cms_with_changed_signature_byte_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = bytearray(_sign(test_pki, "gost_individual", pki_now))
    signed[-1] ^= 0x01  # sign_cms puts the SignerInfo signature last

    _assert_refused(
        SignatureInvalid,
        "signature_invalid",
        _verifier(test_pki).verify_cms,
        bytes(signed),
        at=pki_now,
    )


def test_xml_with_changed_signature_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    store = test_pki.key_store("gost_individual")
    signed = xmldsig.sign_xml(
        LOGIN_XML, key=store.private_key, certificate=store.certificate
    )
    start = signed.index(b"SignatureValue>") + len(b"SignatureValue>")
    while signed[start : start + 1].isspace():
        start += 1
    replacement = b"B" if signed[start : start + 1] == b"A" else b"A"
    forged = signed[:start] + replacement + signed[start + 1 :]

    _assert_refused(
        SignatureInvalid,
        "signature_invalid",
        _verifier(test_pki).verify_xml,
        forged,
        at=pki_now,
    )


def test_cms_with_changed_content_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)
    forged = signed.replace(CHALLENGE, CHALLENGE.upper())
    assert forged != signed

    _assert_refused(
        ContentMismatch,
        "content_mismatch",
        _verifier(test_pki).verify_cms,
        forged,
        at=pki_now,
    )


def test_detached_cms_with_other_content_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now, attached=False)

    _assert_refused(
        ContentMismatch,
        "content_mismatch",
        _verifier(test_pki).verify_cms,
        signed,
        at=pki_now,
        detached_content=b"another challenge",
    )


def test_xml_with_changed_document_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    store = test_pki.key_store("gost_individual")
    signed = xmldsig.sign_xml(
        LOGIN_XML, key=store.private_key, certificate=store.certificate
    )
    forged = signed.replace(b"<nonce>51be07</nonce>", b"<nonce>51be08</nonce>")
    assert forged != signed

    _assert_refused(
        ContentMismatch,
        "content_mismatch",
        _verifier(test_pki).verify_xml,
        forged,
        at=pki_now,
    )


# --- certificate_expired, certificate_not_yet_valid, untrusted_issuer ---------


def test_expired_certificate_is_refused(test_pki: TestPki, pki_now: datetime) -> None:
    signed = _sign(test_pki, "gost_individual_expired", pki_now)

    _assert_refused(
        CertificateExpired,
        "certificate_expired",
        _verifier(test_pki).verify_cms,
        signed,
        at=pki_now,
    )


def test_not_yet_valid_certificate_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed = _sign(test_pki, "gost_individual_not_yet_valid", pki_now)

    _assert_refused(
        CertificateNotYetValid,
        "certificate_not_yet_valid",
        _verifier(test_pki).verify_cms,
        signed,
        at=pki_now,
    )


def test_forged_look_alike_certificate_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    forged = test_pki.keys["forged_individual"].certificate
    genuine = test_pki.keys["gost_individual"].certificate
    # It imitates the NCA: the same issuer name, only another key behind it.
    assert forged.issuer == genuine.issuer
    signed = _sign(test_pki, "forged_individual", pki_now)

    _assert_refused(
        IssuerUntrusted,
        "untrusted_issuer",
        _verifier(test_pki).verify_cms,
        signed,
        at=pki_now,
    )


# --- chain_invalid, key_usage_not_allowed (hand-built RSA hierarchies) --------


@dataclass
class _RsaHierarchy:
    """root -> intermediate -> leaf, built with cryptography for the cases the
    test PKI does not contain (an intermediate that is not a CA, a leaf
    without digitalSignature)."""

    root: Certificate
    intermediate: Certificate
    leaf: Certificate
    leaf_key: rsa.RSAPrivateKey
    trust: TrustStore = field(init=False)

    def __post_init__(self) -> None:
        self.trust = TrustStore.from_certificates([self.root], [self.intermediate])


def _key_usage(*, digital_signature: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: str,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    key_usage: x509.KeyUsage,
    now: datetime,
) -> Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    built = builder.sign(issuer_key, hashes.SHA256())
    return Certificate.load(built.public_bytes(Encoding.DER))


def _rsa_hierarchy(
    now: datetime, *, intermediate_is_ca: bool, leaf_signs: bool
) -> _RsaHierarchy:
    keys = [
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "abc"
    ]
    root_key, intermediate_key, leaf_key = keys
    root = _issue(
        "Test Root",
        root_key,
        "Test Root",
        root_key,
        ca=True,
        key_usage=_key_usage(digital_signature=False, ca=True),
        now=now,
    )
    intermediate = _issue(
        "Test Intermediate",
        intermediate_key,
        "Test Root",
        root_key,
        ca=intermediate_is_ca,
        key_usage=_key_usage(digital_signature=False, ca=intermediate_is_ca),
        now=now,
    )
    leaf = _issue(
        "ТЕСТОВ ТЕСТ",
        leaf_key,
        "Test Intermediate",
        intermediate_key,
        ca=False,
        key_usage=_key_usage(digital_signature=leaf_signs, ca=False),
        now=now,
    )
    return _RsaHierarchy(root, intermediate, leaf, leaf_key)


def _rsa_verifier(trust: TrustStore) -> Verifier:
    settings = RevocationSettings(policy=RevocationPolicy.OFF)
    return Verifier(
        trust=trust, revocation=RevocationChecker(settings, fetcher=HttpFetcher())
    )


def test_intermediate_that_is_not_a_ca_breaks_the_chain(pki_now: datetime) -> None:
    hierarchy = _rsa_hierarchy(pki_now, intermediate_is_ca=False, leaf_signs=True)
    signed = cms.sign_cms(
        CHALLENGE,
        key=hierarchy.leaf_key,
        certificate=hierarchy.leaf,
        signing_time=pki_now,
    )

    _assert_refused(
        ChainInvalid,
        "chain_invalid",
        _rsa_verifier(hierarchy.trust).verify_cms,
        signed,
        at=pki_now,
    )


def test_signer_key_without_digital_signature_is_refused(pki_now: datetime) -> None:
    hierarchy = _rsa_hierarchy(pki_now, intermediate_is_ca=True, leaf_signs=False)
    signed = cms.sign_cms(
        CHALLENGE,
        key=hierarchy.leaf_key,
        certificate=hierarchy.leaf,
        signing_time=pki_now,
    )

    _assert_refused(
        KeyUsageNotAllowed,
        "key_usage_not_allowed",
        _rsa_verifier(hierarchy.trust).verify_cms,
        signed,
        at=pki_now,
    )


# --- certificate_revoked, revocation_unknown ----------------------------------


@pytest.mark.parametrize(
    "name", ["gost_individual_revoked", "gost_legal_first_head_revoked"]
)
def test_revoked_certificate_is_refused_by_crl(
    test_pki: TestPki, pki_now: datetime, name: str
) -> None:
    signed = _sign(test_pki, name, pki_now)

    _assert_refused(
        CertificateRevoked,
        "certificate_revoked",
        _verifier(test_pki, policy=RevocationPolicy.CRL).verify_cms,
        signed,
        at=pki_now,
    )


@pytest.mark.parametrize(
    "name", ["gost_individual_revoked", "gost_legal_first_head_revoked"]
)
def test_revoked_certificate_is_refused_by_ocsp(
    test_pki: TestPki, pki_now: datetime, ocsp_responder: str, name: str
) -> None:
    signed = _sign(test_pki, name, pki_now)

    _assert_refused(
        CertificateRevoked,
        "certificate_revoked",
        _verifier(
            test_pki, policy=RevocationPolicy.OCSP, ocsp_url=ocsp_responder
        ).verify_cms,
        signed,
        at=pki_now,
    )


def test_unreachable_ocsp_responder_leaves_status_unknown(
    test_pki: TestPki, pki_now: datetime, closed_port_url: str
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)

    _assert_refused(
        RevocationUnknown,
        "revocation_unknown",
        _verifier(
            test_pki, policy=RevocationPolicy.OCSP, ocsp_url=closed_port_url
        ).verify_cms,
        signed,
        at=pki_now,
    )


def _crl_next_update(pki: TestPki, issuer: Certificate) -> datetime:
    """nextUpdate of the full CRL that ``issuer`` published in the test PKI."""
    for path in sorted(pki.crl_dir.iterdir()):
        parsed = asn1_crl.CertificateList.load(path.read_bytes())
        tbs = parsed["tbs_cert_list"]
        if tbs["issuer"].dump() != issuer.subject_der:
            continue
        if any(ext["extn_id"].dotted == "2.5.29.27" for ext in tbs["crl_extensions"]):
            continue  # a delta CRL
        next_update: datetime = tbs["next_update"].native
        return next_update
    raise AssertionError(f"no full CRL of {issuer.subject} in {pki.crl_dir}")


def test_stale_crl_leaves_status_unknown(test_pki: TestPki, pki_now: datetime) -> None:
    signer = test_pki.keys["gost_individual"].certificate
    issuer = TrustStore.from_directory(test_pki.trust_dir).issuers_of(signer)[0]
    after_next_update = _crl_next_update(test_pki, issuer) + timedelta(days=1)
    # The certificate itself is still valid then; only the CRL is too old.
    assert signer.not_after > after_next_update
    assert issuer.not_after > after_next_update
    signed = _sign(test_pki, "gost_individual", after_next_update)

    _assert_refused(
        RevocationUnknown,
        "revocation_unknown",
        _verifier(test_pki, policy=RevocationPolicy.CRL).verify_cms,
        signed,
        at=after_next_update,
    )


class _ReplayingFetcher:
    """Sends the first OCSP request, then answers every later one with the
    first answer: what an attacker replaying a captured response does."""

    def __init__(self) -> None:
        self._http = HttpFetcher(timeout_seconds=2.0, retries=0)
        self.first_answer: bytes | None = None

    def get(self, url: str) -> bytes:
        return self._http.get(url)

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        if self.first_answer is None:
            self.first_answer = self._http.post(url, body, content_type)
        return self.first_answer


def test_replayed_ocsp_answer_with_old_nonce_leaves_status_unknown(
    test_pki: TestPki, pki_now: datetime, ocsp_responder: str
) -> None:
    signed = _sign(test_pki, "gost_individual", pki_now)
    replaying = _ReplayingFetcher()
    verifier = _verifier(
        test_pki,
        policy=RevocationPolicy.OCSP,
        ocsp_url=ocsp_responder,
        fetcher=replaying,
    )
    verifier.verify_cms(signed, at=pki_now)  # the genuine answer, nonce fresh
    assert replaying.first_answer is not None

    _assert_refused(
        RevocationUnknown,
        "revocation_unknown",
        verifier.verify_cms,
        signed,
        at=pki_now,
    )


# --- multiple_signers, signer_certificate_missing -----------------------------


def test_cms_with_two_signers_is_refused(test_pki: TestPki, pki_now: datetime) -> None:
    first = _signed_data(_sign(test_pki, "gost_individual", pki_now))
    second = _signed_data(_sign(test_pki, "gost_legal_first_head", pki_now))
    both = _rebuild(
        first,
        certificates=[*first["certificates"], *second["certificates"]],
        signer_infos=[first["signer_infos"][0], second["signer_infos"][0]],
    )

    _assert_refused(
        SignersMultiple,
        "multiple_signers",
        _verifier(test_pki).verify_cms,
        both,
        at=pki_now,
    )


def test_xml_with_two_signatures_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    first = test_pki.key_store("gost_individual")
    second = test_pki.key_store("gost_legal_first_head")
    once = xmldsig.sign_xml(
        LOGIN_XML, key=first.private_key, certificate=first.certificate
    )
    twice = xmldsig.sign_xml(
        once, key=second.private_key, certificate=second.certificate
    )

    _assert_refused(
        SignersMultiple,
        "multiple_signers",
        _verifier(test_pki).verify_xml,
        twice,
        at=pki_now,
    )


def test_cms_without_the_signer_certificate_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed_data = _signed_data(_sign(test_pki, "gost_individual", pki_now))
    stripped = _rebuild(
        signed_data, certificates=None, signer_infos=[signed_data["signer_infos"][0]]
    )

    _assert_refused(
        SignerCertificateMissing,
        "signer_certificate_missing",
        _verifier(test_pki).verify_cms,
        stripped,
        at=pki_now,
    )


def test_cms_carrying_someone_elses_certificate_is_refused(
    test_pki: TestPki, pki_now: datetime
) -> None:
    signed_data = _signed_data(_sign(test_pki, "gost_individual", pki_now))
    other = _signed_data(_sign(test_pki, "gost_legal_signer", pki_now))
    swapped = _rebuild(
        signed_data,
        certificates=list(other["certificates"]),
        signer_infos=[signed_data["signer_infos"][0]],
    )

    _assert_refused(
        SignerCertificateMissing,
        "signer_certificate_missing",
        _verifier(test_pki).verify_cms,
        swapped,
        at=pki_now,
    )


# --- pkcs12_password_wrong, trust_pin_mismatch --------------------------------


def test_pkcs12_with_wrong_password_is_refused(test_pki: TestPki) -> None:
    issued = test_pki.keys["gost_individual"]

    _assert_refused(
        Pkcs12PasswordWrong,
        "pkcs12_password_wrong",
        load_pkcs12,
        issued.p12_path.read_bytes(),
        issued.password + "x",
    )


def test_pkcs12_opens_with_the_right_password(test_pki: TestPki) -> None:
    issued = test_pki.keys["gost_individual"]

    store = load_pkcs12(issued.p12_path.read_bytes(), issued.password)

    assert store.certificate == issued.certificate


def test_unpinned_certificate_cannot_enter_a_named_trust_set(
    test_pki: TestPki, tmp_path: Path
) -> None:
    generated_root = TrustStore.from_directory(test_pki.trust_dir).roots[0]

    _assert_refused(
        TrustPinMismatch,
        "trust_pin_mismatch",
        install_trust_set,
        "test",
        [generated_root.der],
        tmp_path / "trust",
    )
    assert not any((tmp_path / "trust").rglob("*.*"))


# --- accepted: every kind of key, through OCSP and through CRL ----------------


@dataclass(frozen=True)
class _Expected:
    subject_type: SubjectType
    has_iin: bool
    has_bin: bool
    roles: frozenset[EmployeeRole]
    algorithm_prefix: str


HAPPY_KEYS = {
    "gost_individual": _Expected(
        SubjectType.INDIVIDUAL, True, False, frozenset(), "GOST R 34.10-2015 512"
    ),
    "gost_legal_first_head": _Expected(
        SubjectType.LEGAL_ENTITY,
        True,
        True,
        frozenset({EmployeeRole.FIRST_HEAD}),
        "GOST R 34.10-2015 512",
    ),
    "gost_legal_signer": _Expected(
        SubjectType.LEGAL_ENTITY,
        True,
        True,
        frozenset({EmployeeRole.SIGNER}),
        "GOST R 34.10-2015 512",
    ),
    "gost_legal_employee": _Expected(
        SubjectType.LEGAL_ENTITY,
        True,
        True,
        frozenset({EmployeeRole.EMPLOYEE}),
        "GOST R 34.10-2015 512",
    ),
    "gost_information_system": _Expected(
        SubjectType.INFORMATION_SYSTEM,
        False,
        True,
        frozenset(),
        "GOST R 34.10-2015 512",
    ),
    "gost256_individual": _Expected(
        SubjectType.INDIVIDUAL, True, False, frozenset(), "GOST R 34.10-2015 256"
    ),
    "rsa_individual_auth": _Expected(
        SubjectType.INDIVIDUAL, True, False, frozenset(), "RSA"
    ),
}


@pytest.fixture(params=["crl", "ocsp"])
def revocation_route(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[RevocationPolicy, str | None]]:
    if request.param == "crl":
        yield RevocationPolicy.CRL, None
        return
    url = request.getfixturevalue("ocsp_responder")
    yield RevocationPolicy.OCSP, url


@pytest.mark.parametrize("name", sorted(HAPPY_KEYS))
def test_every_kind_of_key_logs_in(
    test_pki: TestPki,
    pki_now: datetime,
    revocation_route: tuple[RevocationPolicy, str | None],
    name: str,
) -> None:
    policy, ocsp_url = revocation_route
    expected = HAPPY_KEYS[name]
    signed = _sign(test_pki, name, pki_now)

    result = _verifier(test_pki, policy=policy, ocsp_url=ocsp_url).verify_cms(
        signed, at=pki_now
    )

    assert result.content == CHALLENGE
    assert result.signer == test_pki.keys[name].certificate
    assert result.revocation == policy.value
    identity = result.identity
    assert identity.subject_type is expected.subject_type
    assert (identity.iin is not None) is expected.has_iin
    assert (identity.bin is not None) is expected.has_bin
    assert identity.employee_roles == expected.roles
    assert result.signer.algorithm.startswith(expected.algorithm_prefix)


@pytest.mark.parametrize("name", ["gost_individual", "rsa_individual_auth"])
def test_signed_xml_of_each_family_logs_in(
    test_pki: TestPki, pki_now: datetime, name: str
) -> None:
    store = test_pki.key_store(name)
    signed = xmldsig.sign_xml(
        LOGIN_XML, key=store.private_key, certificate=store.certificate
    )

    result = _verifier(test_pki).verify_xml(signed, at=pki_now)

    assert result.content == xmldsig.canonicalize(LOGIN_XML)
    assert result.signer == store.certificate


def test_verification_time_must_be_aware(test_pki: TestPki) -> None:
    signed = _sign(test_pki, "gost_individual", datetime.now(UTC))

    with pytest.raises(ValueError, match="timezone-aware"):
        _verifier(test_pki).verify_cms(signed, at=datetime(2026, 5, 18, 12, 0))
