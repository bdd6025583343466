"""Path validation on the real NCA hierarchies and on small generated ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from kabinet.pki import chain, signature
from kabinet.pki.certificate import Certificate
from kabinet.pki.chain import validate_path
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    CertificateExpired,
    CertificateNotYetValid,
    ChainInvalid,
    IssuerUntrusted,
    SignatureInvalid,
)
from kabinet.pki.trust import TRUST_SETS, TrustStore
from tests import vectors
from tests.pki.revocation._material import (
    DAY,
    NOW,
    QUIET_NAME_WARNINGS,
    make_ca,
    make_leaf,
    name,
)

pytestmark = QUIET_NAME_WARNINGS

SDK2026 = [
    e
    for e in vectors.entries("user_cert")
    if e["path"].startswith("certs/from-p12/sdk2026_")
]


def load(path: str) -> Certificate:
    return Certificate.load(vectors.read(path))


def store_of(*paths: str) -> TrustStore:
    certificates = [load(p) for p in paths]
    return TrustStore.from_certificates(
        [c for c in certificates if c.is_self_issued],
        [c for c in certificates if not c.is_self_issued],
    )


def nca_test_store() -> TrustStore:
    files = {
        "root_test_gost_2022": "ca/test/root_test_gost_2022.pem",
        "nca_gost2022_test": "ca/test/nca_gost2022_test.pem",
        "root_rsa_test_2020": "ca/test/root_rsa_test_2020.pem",
        "nca_rsa_test_2023": "ca/test/nca_rsa_test_2023.pem",
    }
    return store_of(*(files[p.name] for p in TRUST_SETS["test"]))


def production_store() -> TrustStore:
    return store_of(
        "ca/prod/root_gost_2022.pem",
        "ca/prod/nca_gost_2022.pem",
        "ca/prod/root_rsa_2020.pem",
        "ca/prod/nca_rsa_2022.pem",
    )


@pytest.mark.parametrize("entry", SDK2026, ids=lambda e: e["path"].split("/")[-1])
def test_sdk2026_certificate_chains_to_the_test_set(entry: dict[str, Any]) -> None:
    leaf = load(entry["path"])

    path = validate_path(
        leaf, trust=nca_test_store(), at=vectors.at(entry["validate_at"])
    )

    assert [c.subject for c in path[1:]] == [
        "C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022",
        "C=KZ,CN=НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022",
    ]
    assert path[0] == leaf


def test_sdk2026_certificate_is_untrusted_by_the_production_set() -> None:
    entry = SDK2026[0]

    with pytest.raises(IssuerUntrusted) as caught:
        validate_path(
            load(entry["path"]),
            trust=production_store(),
            at=vectors.at(entry["validate_at"]),
        )

    assert caught.value.code == "untrusted_issuer"


def test_production_chains_validate_ca_to_root() -> None:
    store = production_store()
    at = vectors.at("2026-06-01T00:00:00Z")

    for intermediate in store.intermediates:
        path = validate_path(intermediate, trust=store, at=at)
        assert len(path) == 2
        assert store.is_root(path[-1])


def test_rsa_test_certificate_chains_to_its_2018_hierarchy() -> None:
    entry = vectors.entry("certs/test/ncanode_individual_sign_2004_rsa.pem")
    store = store_of("ca/test/root_rsa_test_2018.pem", "ca/test/nca_rsa_test_2019.pem")

    path = validate_path(
        load(entry["path"]), trust=store, at=vectors.at(entry["validate_at"])
    )

    assert len(path) == 3


def test_certificate_after_its_validity_is_expired() -> None:
    entry = vectors.entry("certs/from-p12/sdk2026_individual_valid.pem")
    leaf = load(entry["path"])

    with pytest.raises(CertificateExpired) as caught:
        validate_path(
            leaf, trust=nca_test_store(), at=leaf.not_after + timedelta(seconds=1)
        )

    assert caught.value.code == "certificate_expired"
    assert leaf.serial_hex in caught.value.message


def test_certificate_before_its_validity_is_not_yet_valid() -> None:
    leaf = load("certs/from-p12/sdk2026_individual_valid.pem")

    with pytest.raises(CertificateNotYetValid) as caught:
        validate_path(
            leaf, trust=nca_test_store(), at=leaf.not_before - timedelta(days=1)
        )

    assert caught.value.code == "certificate_not_yet_valid"
    assert leaf.serial_hex in caught.value.message


def test_expired_intermediate_is_named() -> None:
    root = make_ca("ROOT", key_label="root")
    ca = make_ca("CA", key_label="ca", issuer=root, not_after=NOW - DAY)
    leaf = make_leaf("LEAF", issuer=ca)
    store = TrustStore.from_certificates([root.certificate], [ca.certificate])

    with pytest.raises(CertificateExpired) as caught:
        validate_path(leaf.certificate, trust=store, at=NOW)

    assert ca.certificate.serial_hex in caught.value.message


def lookalike_of_nca_test_ca() -> tuple[Certificate, x509.Name]:
    real = x509.load_pem_x509_certificate(vectors.read("ca/test/nca_gost2022_test.pem"))
    return load("ca/test/nca_gost2022_test.pem"), real.subject


def test_lookalike_ca_with_its_own_key_identifier_is_untrusted() -> None:
    nca, subject = lookalike_of_nca_test_ca()
    fake_ca = make_ca("unused", key_label="lookalike", subject=subject)
    forged = make_leaf("ТЕСТОВ ТЕСТ", issuer=fake_ca)
    assert forged.certificate.issuer_der == nca.subject_der

    with pytest.raises(IssuerUntrusted) as caught:
        validate_path(forged.certificate, trust=nca_test_store(), at=NOW)

    assert caught.value.code == "untrusted_issuer"


def test_lookalike_ca_without_key_identifier_fails_on_the_signature() -> None:
    nca, subject = lookalike_of_nca_test_ca()
    fake_ca = make_ca("unused", key_label="lookalike", subject=subject)
    forged = make_leaf("ТЕСТОВ ТЕСТ", issuer=fake_ca, with_aki=False)
    assert forged.certificate.issuer_der == nca.subject_der

    with pytest.raises(SignatureInvalid) as caught:
        validate_path(forged.certificate, trust=nca_test_store(), at=NOW)

    assert caught.value.code == "signature_invalid"
    assert forged.certificate.serial_hex in caught.value.message


def test_lookalike_copying_the_real_key_identifier_fails_on_the_signature() -> None:
    nca, subject = lookalike_of_nca_test_ca()
    fake_ca = make_ca("unused", key_label="lookalike", subject=subject)
    assert nca.subject_key_id is not None
    forged = make_leaf(
        "ТЕСТОВ ТЕСТ",
        issuer=fake_ca,
        with_aki=False,
        extra_extensions=(
            (
                x509.AuthorityKeyIdentifier(nca.subject_key_id, None, None),
                False,
            ),
        ),
    )

    with pytest.raises(SignatureInvalid) as caught:
        validate_path(forged.certificate, trust=nca_test_store(), at=NOW)

    assert caught.value.code == "signature_invalid"


def test_self_signed_leaf_named_like_the_nca_ca_fails_on_the_signature() -> None:
    nca, subject = lookalike_of_nca_test_ca()
    assert nca.subject_key_id is not None
    forged = make_ca(
        "unused",
        key_label="lookalike",
        subject=subject,
        ca=False,
        key_cert_sign=False,
        with_aki=False,
        extra_extensions=(
            (x509.AuthorityKeyIdentifier(nca.subject_key_id, None, None), False),
        ),
    )
    assert forged.certificate.is_self_issued

    with pytest.raises(SignatureInvalid) as caught:
        validate_path(forged.certificate, trust=nca_test_store(), at=NOW)

    assert caught.value.code == "signature_invalid"


def generated_hierarchy(**ca_options: object) -> tuple[TrustStore, Certificate]:
    root = make_ca("ROOT", key_label="root")
    ca = make_ca("CA", key_label="ca", issuer=root, **ca_options)
    leaf = make_leaf("LEAF", issuer=ca)
    store = TrustStore.from_certificates([root.certificate], [ca.certificate])
    return store, leaf.certificate


def test_generated_rsa_path_validates() -> None:
    store, leaf = generated_hierarchy()

    path = validate_path(leaf, trust=store, at=NOW)

    assert [c.subject for c in path] == ["CN=LEAF,C=KZ", "CN=CA,C=KZ", "CN=ROOT,C=KZ"]


@pytest.mark.parametrize(
    "issuer_name",
    [
        x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, "CA", _type=_ASN1Type.PrintableString
                ),
            ]
        ),
        name("ca"),
        name("CA  "),
    ],
    ids=["string type", "case", "trailing spaces"],
)
def test_issuer_name_encoded_unlike_the_ca_subject_does_not_chain(
    issuer_name: x509.Name,
) -> None:
    # RFC 5280 7.1 would match these names after string preparation, but
    # 4.1.2.6 has a CA encode its subject exactly as the issuer field of
    # everything it issues; kabinet chains by the exact encoding, so such
    # a certificate has no path even though the CA's key signed it.
    root = make_ca("ROOT", key_label="root")
    ca = make_ca("CA", key_label="ca", issuer=root)
    leaf = make_leaf("LEAF", issuer=ca, issuer_name=issuer_name)
    store = TrustStore.from_certificates([root.certificate], [ca.certificate])
    assert leaf.certificate.issuer_der != ca.certificate.subject_der

    with pytest.raises(IssuerUntrusted) as caught:
        validate_path(leaf.certificate, trust=store, at=NOW)

    assert caught.value.code == "untrusted_issuer"


def test_tampered_certificate_signature_is_invalid() -> None:
    store, leaf = generated_hierarchy()
    der = bytearray(leaf.der)
    der[-1] ^= 0x01
    tampered = Certificate.load(bytes(der))

    with pytest.raises(SignatureInvalid) as caught:
        validate_path(tampered, trust=store, at=NOW)

    assert caught.value.code == "signature_invalid"


def test_issuer_that_is_not_a_ca_breaks_the_chain() -> None:
    store, leaf = generated_hierarchy(ca=False)

    with pytest.raises(ChainInvalid) as caught:
        validate_path(leaf, trust=store, at=NOW)

    assert caught.value.code == "chain_invalid"
    assert "cA" in caught.value.message


def test_issuer_without_key_cert_sign_breaks_the_chain() -> None:
    store, leaf = generated_hierarchy(key_cert_sign=False)

    with pytest.raises(ChainInvalid) as caught:
        validate_path(leaf, trust=store, at=NOW)

    assert caught.value.code == "chain_invalid"
    assert "keyCertSign" in caught.value.message


def test_path_length_constraint_is_enforced() -> None:
    root = make_ca("ROOT", key_label="root")
    upper = make_ca("UPPER", key_label="ca", issuer=root, path_length=0)
    lower = make_ca("LOWER", key_label="lower", issuer=upper)
    leaf = make_leaf("LEAF", issuer=lower)
    store = TrustStore.from_certificates(
        [root.certificate], [upper.certificate, lower.certificate]
    )

    with pytest.raises(ChainInvalid) as caught:
        validate_path(leaf.certificate, trust=store, at=NOW)

    assert caught.value.code == "chain_invalid"
    assert "UPPER" in caught.value.message


def test_path_length_zero_allows_issuing_end_entities() -> None:
    store, leaf = generated_hierarchy(path_length=0)

    assert len(validate_path(leaf, trust=store, at=NOW)) == 3


def test_unhandled_critical_extension_breaks_the_chain() -> None:
    unknown = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00"
    )
    store, leaf = generated_hierarchy(extra_extensions=((unknown, True),))

    with pytest.raises(ChainInvalid) as caught:
        validate_path(leaf, trust=store, at=NOW)

    assert caught.value.code == "chain_invalid"
    assert "1.2.3.4.5" in caught.value.message


def test_cross_issued_cas_without_a_root_end_as_untrusted() -> None:
    first = make_ca("FIRST", key_label="root")
    second = make_ca("SECOND", key_label="ca", issuer=first)
    first_by_second = make_ca("FIRST", key_label="root", issuer=second)
    leaf = make_leaf("LEAF", issuer=second)
    store = TrustStore.from_certificates(
        [], [second.certificate, first_by_second.certificate]
    )

    with pytest.raises(IssuerUntrusted) as caught:
        validate_path(leaf.certificate, trust=store, at=NOW)

    assert caught.value.code == "untrusted_issuer"


def test_second_candidate_is_used_when_the_first_has_expired() -> None:
    root = make_ca("ROOT", key_label="root")
    old = make_ca("CA", key_label="ca", issuer=root, not_after=NOW - DAY)
    renewed = make_ca("CA", key_label="ca", issuer=root)
    leaf = make_leaf("LEAF", issuer=renewed)
    store = TrustStore.from_certificates(
        [root.certificate], [old.certificate, renewed.certificate]
    )

    path = validate_path(leaf.certificate, trust=store, at=NOW)

    assert path[1] == renewed.certificate


def test_gost_2004_path_is_unsupported() -> None:
    entry = vectors.entry("certs/test/ncanode_ceo_sign_2004_gost.pem")
    store = store_of(
        "ca/test/root_gost_test_2018.pem", "ca/test/nca_gost_test_2019.pem"
    )

    with pytest.raises(AlgorithmUnsupported) as caught:
        validate_path(
            load(entry["path"]), trust=store, at=vectors.at(entry["validate_at"])
        )

    assert caught.value.code == "unsupported_algorithm"


def test_naive_time_is_refused() -> None:
    store, leaf = generated_hierarchy()

    with pytest.raises(ValueError, match="timezone-aware"):
        validate_path(leaf, trust=store, at=datetime(2026, 6, 1))


def test_verified_signatures_are_not_checked_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, leaf = generated_hierarchy()
    chain.clear_signature_cache()
    calls = []
    real = signature.verify_signature

    def counting(**kwargs: object) -> None:
        calls.append(kwargs["message"])
        real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chain, "verify_signature", counting)

    validate_path(leaf, trust=store, at=NOW)
    validate_path(leaf, trust=store, at=NOW)

    assert len(calls) == 2
