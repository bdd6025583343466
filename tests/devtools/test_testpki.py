"""The generated test PKI: NCA's shapes, valid chains, CRLs, key files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12

from kabinet.devtools import testpki
from kabinet.devtools.testpki import PASSWORD, TestPki, TestPkiError
from kabinet.pki import oids
from kabinet.pki.certificate import Certificate, EmployeeRole, SubjectType
from kabinet.pki.chain import validate_path
from kabinet.pki.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    IssuerUntrusted,
    Pkcs12PasswordWrong,
    SignatureInvalid,
)
from kabinet.pki.gost import GostPrivateKey
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.crl import CrlIndex, revocation_status
from kabinet.pki.revocation.fetchers import HttpFetcher
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.signature import verify_signature
from kabinet.pki.trust import TrustStore
from tests import vectors

KEY_NAMES = {
    "gost_individual",
    "gost_legal_first_head",
    "gost_legal_signer",
    "gost_legal_employee",
    "gost_information_system",
    "gost256_individual",
    "rsa_individual_auth",
    "rsa_legal_first_head",
    "gost_individual_expired",
    "gost_individual_not_yet_valid",
    "gost_individual_revoked",
    "gost_legal_first_head_revoked",
    "forged_individual",
}
GOOD_KEYS = sorted(
    {
        "gost_individual",
        "gost_legal_first_head",
        "gost_legal_signer",
        "gost_legal_employee",
        "gost_information_system",
        "gost256_individual",
        "rsa_individual_auth",
        "rsa_legal_first_head",
    }
)
# The key usage of today's single GOST key (nca-pki.md 2.2), as
# kabinet.pki.certificate names the bits.
SIGNING_KEY_USAGE = frozenset(
    {"digital_signature", "content_commitment", "key_agreement"}
)


@pytest.fixture(scope="module")
def trust(test_pki: TestPki) -> TrustStore:
    return TrustStore.from_directory(test_pki.trust_dir)


@pytest.fixture()
def pki_copy(test_pki: TestPki, tmp_path: Path) -> Path:
    copy = tmp_path / "pki"
    shutil.copytree(test_pki.root, copy)
    return copy


def test_every_agreed_key_name_is_generated(test_pki: TestPki) -> None:
    assert set(test_pki.keys) == KEY_NAMES
    for name, key in test_pki.keys.items():
        assert key.name == name
        assert key.password == PASSWORD
        assert key.p12_path.is_file()


@pytest.mark.parametrize(
    ("name", "subject_type", "roles"),
    [
        ("gost_individual", SubjectType.INDIVIDUAL, set()),
        ("gost256_individual", SubjectType.INDIVIDUAL, set()),
        ("rsa_individual_auth", SubjectType.INDIVIDUAL, set()),
        ("gost_legal_first_head", SubjectType.LEGAL_ENTITY, {EmployeeRole.FIRST_HEAD}),
        ("gost_legal_signer", SubjectType.LEGAL_ENTITY, {EmployeeRole.SIGNER}),
        ("gost_legal_employee", SubjectType.LEGAL_ENTITY, {EmployeeRole.EMPLOYEE}),
        ("rsa_legal_first_head", SubjectType.LEGAL_ENTITY, {EmployeeRole.FIRST_HEAD}),
        ("gost_information_system", SubjectType.INFORMATION_SYSTEM, set()),
    ],
)
def test_certificate_parses_to_the_intended_identity(
    test_pki: TestPki,
    name: str,
    subject_type: SubjectType,
    roles: set[EmployeeRole],
) -> None:
    identity = test_pki.keys[name].certificate.identity

    assert identity.subject_type is subject_type
    assert identity.employee_roles == roles
    assert identity.country == "KZ"
    if subject_type is SubjectType.INFORMATION_SYSTEM:
        assert identity.iin is None
        assert identity.common_name is not None
    else:
        assert identity.iin is not None and len(identity.iin) == 12
        assert identity.common_name == f"{identity.surname} {identity.first_name}"
        assert identity.patronymic
    if subject_type is SubjectType.INDIVIDUAL:
        assert identity.bin is None and identity.organisation is None
    else:
        assert identity.bin is not None and identity.organisation


def test_identities_are_distinct_and_some_check_digits_fail(test_pki: TestPki) -> None:
    identities = [
        test_pki.keys[name].certificate.identity
        for name in sorted(KEY_NAMES - {"forged_individual"})
    ]
    iins = [i.iin for i in identities if i.iin is not None]

    assert len(iins) == len(set(iins))
    # NCA's own test IINs fail the check digit, so both kinds are needed.
    assert {i.iin_checksum_valid for i in identities if i.iin} == {True, False}
    assert {i.bin_checksum_valid for i in identities if i.bin} == {True, False}


def test_forged_key_claims_the_identity_of_a_genuine_one(test_pki: TestPki) -> None:
    forged = test_pki.keys["forged_individual"].certificate
    genuine = test_pki.keys["gost_individual"].certificate

    assert forged.identity == genuine.identity
    assert forged.issuer_der == genuine.issuer_der
    assert forged.authority_key_id != genuine.authority_key_id
    assert test_pki.issuer_of("forged_individual") == test_pki.forged_intermediate


def test_subject_follows_nca_order_and_string_types(test_pki: TestPki) -> None:
    certificate = test_pki.keys["gost_legal_first_head"].certificate
    name = asn1_x509.Name.load(certificate.subject_der)

    kinds = [rdn[0]["type"].dotted for rdn in name.chosen]
    tags = {rdn[0]["type"].dotted: rdn[0]["value"].name for rdn in name.chosen}

    assert kinds == [
        oids.COMMON_NAME,
        oids.SURNAME,
        oids.SERIAL_NUMBER,
        oids.COUNTRY,
        oids.ORGANISATION,
        oids.ORGANISATIONAL_UNIT,
        oids.GIVEN_NAME,
    ]
    assert tags[oids.COMMON_NAME] == "utf8_string"
    assert tags[oids.SERIAL_NUMBER] == "printable_string"
    assert tags[oids.COUNTRY] == "printable_string"


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("gost_individual", oids.ROLE_INDIVIDUAL),
        ("gost256_individual", oids.ROLE_INDIVIDUAL),
        ("gost_legal_first_head", oids.ROLE_FIRST_HEAD),
        ("gost_legal_signer", oids.ROLE_SIGNER),
        ("gost_legal_employee", oids.ROLE_EMPLOYEE),
    ],
)
def test_gost_key_has_nca_signing_usage_and_no_client_auth(
    test_pki: TestPki, name: str, role: str
) -> None:
    certificate = test_pki.keys[name].certificate

    assert certificate.key_usage == SIGNING_KEY_USAGE
    assert oids.EKU_EMAIL_PROTECTION in certificate.extended_key_usage
    assert role in certificate.extended_key_usage
    assert oids.EKU_CLIENT_AUTH not in certificate.extended_key_usage
    assert certificate.policies == (oids.POLICY_NCA,)


def test_legal_entity_key_carries_the_parent_role_too(test_pki: TestPki) -> None:
    eku = test_pki.keys["gost_legal_signer"].certificate.extended_key_usage

    assert eku == {oids.EKU_EMAIL_PROTECTION, oids.ROLE_LEGAL_ENTITY, oids.ROLE_SIGNER}


def test_information_system_key_has_the_system_role(test_pki: TestPki) -> None:
    certificate = test_pki.keys["gost_information_system"].certificate

    assert certificate.extended_key_usage == {
        oids.ROLE_LEGAL_ENTITY,
        oids.ROLE_LEGAL_INFORMATION_SYSTEM,
    }
    assert certificate.key_usage == SIGNING_KEY_USAGE


def test_legacy_rsa_auth_key_has_client_auth_and_key_encipherment(
    test_pki: TestPki,
) -> None:
    certificate = test_pki.keys["rsa_individual_auth"].certificate

    assert certificate.key_usage == {"digital_signature", "key_encipherment"}
    assert certificate.extended_key_usage == {
        oids.EKU_CLIENT_AUTH,
        oids.ROLE_INDIVIDUAL,
    }
    assert certificate.policies == (oids.POLICY_INDIVIDUAL_AUTHENTICATION,)
    assert certificate.algorithm == "RSA 2048"


def test_rsa_legal_key_has_the_legacy_sign_profile(test_pki: TestPki) -> None:
    certificate = test_pki.keys["rsa_legal_first_head"].certificate

    assert certificate.key_usage == {"digital_signature", "content_commitment"}
    assert certificate.policies == (oids.POLICY_LEGAL_SIGNATURE,)
    assert oids.ROLE_FIRST_HEAD in certificate.extended_key_usage


@pytest.mark.parametrize(
    ("name", "algorithm"),
    [
        ("gost_individual", "GOST R 34.10-2015 512"),
        ("gost256_individual", "GOST R 34.10-2015 256"),
        ("rsa_legal_first_head", "RSA 2048"),
    ],
)
def test_key_algorithm_is_the_intended_one(
    test_pki: TestPki, name: str, algorithm: str
) -> None:
    assert test_pki.keys[name].certificate.algorithm == algorithm


def test_user_certificates_point_at_the_local_services(test_pki: TestPki) -> None:
    base = test_pki.base_url
    for name in sorted(KEY_NAMES):
        certificate = test_pki.keys[name].certificate
        hierarchy = "rsa" if name.startswith("rsa") else "gost"

        assert certificate.ocsp_urls == (f"{base}/ocsp/",)
        assert certificate.ca_issuer_urls == (f"{base}/cert/nca_{hierarchy}_test.cer",)
        assert certificate.crl_urls == (f"{base}/crl/nca_{hierarchy}_test.crl",)
        assert certificate.delta_crl_urls == (f"{base}/crl/nca_{hierarchy}_d_test.crl",)
        assert certificate.key_storages == (oids.KEY_STORAGE_PKCS12,)
        assert not certificate.is_ca


def test_every_url_in_a_certificate_names_a_generated_file(test_pki: TestPki) -> None:
    certificates = [k.certificate for k in test_pki.keys.values()] + list(
        test_pki.trust_certificates()
    )
    for certificate in certificates:
        for url in certificate.crl_urls + certificate.delta_crl_urls:
            assert (test_pki.crl_dir / url.rsplit("/", 1)[1]).is_file(), url
        for url in certificate.ca_issuer_urls:
            assert (test_pki.cert_dir / url.rsplit("/", 1)[1]).is_file(), url


def test_serial_is_the_key_identifier_without_its_top_bit(test_pki: TestPki) -> None:
    for key in test_pki.keys.values():
        key_id = key.certificate.subject_key_id
        assert key_id is not None and len(key_id) == 20
        assert key.certificate.serial == int.from_bytes(key_id, "big") & (
            (1 << 159) - 1
        )


@pytest.mark.parametrize("hierarchy", ["gost", "rsa"])
def test_ca_certificates_may_issue_and_chain_by_key_identifier(
    test_pki: TestPki, hierarchy: str
) -> None:
    authority = test_pki.authorities[hierarchy]
    root, intermediate = authority.root, authority.intermediate

    assert root.is_self_issued and root.is_ca
    assert intermediate.is_ca and intermediate.path_length == 0
    for ca in (root, intermediate):
        assert ca.key_usage == {"key_cert_sign", "crl_sign"}
    assert intermediate.authority_key_id == root.subject_key_id
    assert intermediate.issuer_der == root.subject_der
    assert "TEST-KABINET" in root.subject and "TEST-KABINET" in intermediate.subject
    # NCA's CA keys (nca-pki.md 1.4).
    expected = {"gost": "GOST R 34.10-2015 512", "rsa": "RSA 4096"}[hierarchy]
    assert root.algorithm == intermediate.algorithm == expected
    for key in test_pki.keys.values():
        if test_pki.key_authorities[key.name] == hierarchy:
            assert key.certificate.authority_key_id == intermediate.subject_key_id


@pytest.mark.parametrize("name", sorted(KEY_NAMES))
def test_certificate_signature_verifies_with_its_issuer_key(
    test_pki: TestPki, name: str
) -> None:
    certificate = test_pki.keys[name].certificate
    issuer = test_pki.issuer_of(name)

    verify_signature(
        public_key=issuer.public_key,
        signature_algorithm=certificate.signature_algorithm,
        message=certificate.tbs_der,
        signature=certificate.signature_value,
    )


def test_forged_certificate_does_not_verify_with_the_genuine_ca(
    test_pki: TestPki,
) -> None:
    certificate = test_pki.keys["forged_individual"].certificate
    genuine = test_pki.authorities["gost"].intermediate

    with pytest.raises(SignatureInvalid) as caught:
        verify_signature(
            public_key=genuine.public_key,
            signature_algorithm=certificate.signature_algorithm,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )
    assert caught.value.code == "signature_invalid"


@pytest.mark.parametrize("name", [*GOOD_KEYS, "gost_individual_revoked"])
def test_chain_of_a_valid_key_validates_against_the_trust_folder(
    test_pki: TestPki, trust: TrustStore, pki_now: datetime, name: str
) -> None:
    path = validate_path(test_pki.keys[name].certificate, trust=trust, at=pki_now)

    authority = test_pki.authority_of(name)
    assert path == (
        test_pki.keys[name].certificate,
        authority.intermediate,
        authority.root,
    )


def test_expired_key_is_rejected_by_the_chain(
    test_pki: TestPki, trust: TrustStore, pki_now: datetime
) -> None:
    certificate = test_pki.keys["gost_individual_expired"].certificate

    with pytest.raises(CertificateExpired) as caught:
        validate_path(certificate, trust=trust, at=pki_now)
    assert caught.value.code == "certificate_expired"
    # It was valid once, under the same CA.
    validate_path(
        certificate, trust=trust, at=certificate.not_before + timedelta(days=1)
    )


def test_not_yet_valid_key_is_rejected_by_the_chain(
    test_pki: TestPki, trust: TrustStore, pki_now: datetime
) -> None:
    certificate = test_pki.keys["gost_individual_not_yet_valid"].certificate

    with pytest.raises(CertificateNotYetValid) as caught:
        validate_path(certificate, trust=trust, at=pki_now)
    assert caught.value.code == "certificate_not_yet_valid"


def test_forged_key_has_no_trusted_issuer(
    test_pki: TestPki, trust: TrustStore, pki_now: datetime
) -> None:
    with pytest.raises(IssuerUntrusted) as caught:
        validate_path(
            test_pki.keys["forged_individual"].certificate, trust=trust, at=pki_now
        )
    assert caught.value.code == "untrusted_issuer"


def test_trust_folder_holds_the_genuine_cas_only(
    test_pki: TestPki, trust: TrustStore
) -> None:
    genuine = test_pki.trust_certificates()

    assert set(trust.roots) | set(trust.intermediates) == set(genuine)
    assert len(genuine) == 4
    assert test_pki.forged_root not in genuine
    assert test_pki.forged_intermediate not in genuine
    assert test_pki.forged_intermediate.subject_der == (
        test_pki.authorities["gost"].intermediate.subject_der
    )


def test_validity_is_one_year_around_generation(
    test_pki: TestPki, pki_now: datetime
) -> None:
    for name in GOOD_KEYS:
        certificate = test_pki.keys[name].certificate
        assert certificate.not_before < pki_now < certificate.not_after
    individual = test_pki.keys["gost_individual"].certificate
    assert individual.not_after - individual.not_before == timedelta(days=365)


def test_dated_statuses_hold_at_generation(
    test_pki: TestPki, pki_now: datetime
) -> None:
    assert test_pki.keys["gost_individual_expired"].certificate.not_after < pki_now
    assert (
        test_pki.keys["gost_individual_not_yet_valid"].certificate.not_before > pki_now
    )
    assert {k.status for k in test_pki.keys.values()} == {
        "good",
        "revoked",
        "expired",
        "not_yet_valid",
        "untrusted",
    }


@pytest.mark.parametrize("hierarchy", ["gost", "rsa"])
def test_crls_verify_and_list_exactly_the_revocations(
    test_pki: TestPki, pki_now: datetime, hierarchy: str
) -> None:
    authority = test_pki.authorities[hierarchy]

    full = CrlIndex.build(
        authority.crl_path.read_bytes(), issuer=authority.intermediate, at=pki_now
    )
    delta = CrlIndex.build(
        authority.delta_crl_path.read_bytes(), issuer=authority.intermediate, at=pki_now
    )
    delta.require_applies_to(full)

    assert not full.is_delta and delta.is_delta
    assert delta.base_crl_number == full.crl_number
    assert sorted(full.serials() + delta.serials()) == sorted(
        r.serial for r in authority.revocations
    )
    for revocation in authority.revocations:
        entry = revocation_status(revocation.serial, base=full, delta=delta)
        assert entry is not None
        assert entry.revoked_at == revocation.revoked_at
        assert entry.reason == revocation.reason
        listed_in = delta if revocation.in_delta_only else full
        assert revocation.serial in listed_in


def test_revoked_keys_are_in_the_crls_and_good_ones_are_not(
    test_pki: TestPki, pki_now: datetime
) -> None:
    authority = test_pki.authorities["gost"]
    full = CrlIndex.build(
        authority.crl_path.read_bytes(), issuer=authority.intermediate, at=pki_now
    )
    delta = CrlIndex.build(
        authority.delta_crl_path.read_bytes(), issuer=authority.intermediate, at=pki_now
    )

    def status(name: str) -> str | None:
        entry = revocation_status(
            test_pki.keys[name].certificate.serial, base=full, delta=delta
        )
        return None if entry is None else entry.reason

    assert status("gost_individual_revoked") == "key_compromise"
    # Revoked after the full CRL was issued: only the delta knows.
    assert status("gost_legal_first_head_revoked") == "affiliation_changed"
    assert test_pki.keys["gost_legal_first_head_revoked"].certificate.serial not in full
    assert status("gost_individual") is None
    assert status("gost_legal_first_head") is None


def test_root_crls_verify_and_are_empty(test_pki: TestPki, pki_now: datetime) -> None:
    for authority in test_pki.authorities.values():
        index = CrlIndex.build(
            authority.root_crl_path.read_bytes(), issuer=authority.root, at=pki_now
        )
        assert len(index) == 0


def test_crl_parses_with_cryptography_with_delta_indicator(test_pki: TestPki) -> None:
    authority = test_pki.authorities["rsa"]
    full = crypto_x509.load_der_x509_crl(authority.crl_path.read_bytes())
    delta = crypto_x509.load_der_x509_crl(authority.delta_crl_path.read_bytes())

    number = full.extensions.get_extension_for_class(crypto_x509.CRLNumber).value
    indicator = delta.extensions.get_extension_for_class(crypto_x509.DeltaCRLIndicator)
    assert indicator.critical
    assert indicator.value.crl_number == number.crl_number
    assert full.is_signature_valid(authority.intermediate.public_key)
    assert len(full) == 2


@pytest.mark.parametrize("name", sorted(KEY_NAMES))
def test_pkcs12_loads_back_with_the_password(test_pki: TestPki, name: str) -> None:
    store = test_pki.key_store(name)

    assert store.certificate == test_pki.keys[name].certificate
    assert store.chain == ()
    public = store.private_key.public_key()
    if isinstance(store.private_key, GostPrivateKey):
        assert public == store.certificate.public_key
    else:
        assert isinstance(store.certificate.public_key, rsa.RSAPublicKey)
        assert public.public_numbers() == store.certificate.public_key.public_numbers()


@pytest.mark.parametrize("name", ["rsa_individual_auth", "rsa_legal_first_head"])
def test_rsa_pkcs12_opens_with_cryptography(test_pki: TestPki, name: str) -> None:
    key = test_pki.keys[name]

    private_key, certificate, extra = crypto_pkcs12.load_key_and_certificates(
        key.p12_path.read_bytes(), key.password.encode()
    )

    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert certificate is not None
    assert certificate.serial_number == key.certificate.serial
    assert extra == []


def test_pkcs12_with_a_wrong_password_is_refused(test_pki: TestPki) -> None:
    data = test_pki.keys["gost_individual"].p12_path.read_bytes()

    with pytest.raises(Pkcs12PasswordWrong) as caught:
        load_pkcs12(data, "Qwerty13")
    assert caught.value.code == "pkcs12_password_wrong"


@pytest.mark.parametrize("hierarchy", ["gost", "rsa"])
def test_ocsp_responder_certificate_is_delegated_by_its_ca(
    test_pki: TestPki, hierarchy: str
) -> None:
    authority = test_pki.authorities[hierarchy]
    responder = authority.ocsp_certificate
    signer = test_pki.ocsp_signer(hierarchy)

    assert oids.EKU_OCSP_SIGNING in responder.extended_key_usage
    assert responder.issuer_der == authority.intermediate.subject_der
    assert responder.authority_key_id == authority.intermediate.subject_key_id
    assert signer.certificate == responder
    assert responder.serial in authority.issued_serials
    verify_signature(
        public_key=authority.intermediate.public_key,
        signature_algorithm=responder.signature_algorithm,
        message=responder.tbs_der,
        signature=responder.signature_value,
    )


def test_load_gives_back_what_generate_returned(test_pki: TestPki) -> None:
    loaded = testpki.load(test_pki.root)

    assert loaded == test_pki
    assert loaded.keys["gost_individual_revoked"].status == "revoked"


def test_load_refuses_a_swapped_certificate(pki_copy: Path) -> None:
    shutil.copy(
        pki_copy / "keys/gost_legal_signer.pem", pki_copy / "keys/gost_individual.pem"
    )

    with pytest.raises(TestPkiError, match="differs from the manifest"):
        testpki.load(pki_copy)


def test_load_refuses_a_manifest_of_something_else(tmp_path: Path) -> None:
    (tmp_path / testpki.MANIFEST_NAME).write_text('{"format": "other"}')

    with pytest.raises(TestPkiError, match="not a kabinet-testpki manifest"):
        testpki.load(tmp_path)


def test_generate_refuses_a_folder_with_other_content(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(ValueError, match="holds no test PKI"):
        testpki.generate(tmp_path, now=datetime.now().astimezone())
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_generate_refuses_a_naive_now(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        testpki.generate(tmp_path / "pki", now=datetime(2026, 1, 1))
    assert not (tmp_path / "pki").exists()


def test_generate_refuses_a_base_url_that_is_not_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        testpki.generate(
            tmp_path / "pki", now=datetime.now().astimezone(), base_url="ftp://x"
        )


def test_pki_is_current_at_generation_and_stale_a_year_later(
    test_pki: TestPki, pki_now: datetime
) -> None:
    assert testpki.is_current(test_pki, at=pki_now, base_url=test_pki.base_url)
    assert not testpki.is_current(test_pki, at=pki_now + timedelta(days=365))
    assert not testpki.is_current(test_pki, at=pki_now, base_url="http://127.0.0.1:1/")


def test_ensure_reuses_a_current_pki(
    pki_copy: Path, test_pki: TestPki, pki_now: datetime
) -> None:
    reused = testpki.ensure(pki_copy, now=pki_now, base_url=test_pki.base_url)

    assert reused.keys["gost_individual"].certificate == (
        test_pki.keys["gost_individual"].certificate
    )


def test_command_line_lists_keys_and_password(
    pki_copy: Path, test_pki: TestPki, capsys: pytest.CaptureFixture[str]
) -> None:
    assert testpki.main([str(pki_copy), "--base-url", test_pki.base_url]) == 0

    printed = capsys.readouterr().out
    assert PASSWORD in printed
    for name in KEY_NAMES:
        assert name in printed
    assert str(pki_copy / "trust") in printed
    # Reused, not regenerated.
    assert testpki.load(pki_copy).keys["gost_individual"].certificate == (
        test_pki.keys["gost_individual"].certificate
    )


def test_certificate_pem_files_match_the_key_store(test_pki: TestPki) -> None:
    for name, key in test_pki.keys.items():
        pem = (test_pki.root / "keys" / f"{name}.pem").read_bytes()
        assert Certificate.load(pem) == key.certificate


def test_checker_reading_the_crl_folder_sees_full_and_delta_revocations(
    test_pki: TestPki, pki_now: datetime
) -> None:
    checker = RevocationChecker(
        RevocationSettings(policy=RevocationPolicy.CRL, crl_dir=test_pki.crl_dir),
        fetcher=HttpFetcher(retries=0),
    )

    for name in ("gost_individual", "rsa_individual_auth"):
        certificate = test_pki.keys[name].certificate
        assert checker.check(certificate, test_pki.issuer_of(name), at=pki_now) == "crl"
    for name in ("gost_individual_revoked", "gost_legal_first_head_revoked"):
        with pytest.raises(CertificateRevoked) as caught:
            checker.check(
                test_pki.keys[name].certificate, test_pki.issuer_of(name), at=pki_now
            )
        assert caught.value.code == "certificate_revoked"


@dataclass(frozen=True)
class _Shape:
    """What a certificate looks like, apart from names, keys and dates."""

    version: str
    signature: bytes
    outer_signature: bytes
    key_algorithm: bytes
    extensions: frozenset[tuple[str, bool]]


def _shape(der: bytes) -> _Shape:
    certificate = asn1_x509.Certificate.load(der)
    tbs = certificate["tbs_certificate"]
    return _Shape(
        version=tbs["version"].native,
        signature=tbs["signature"].dump(),
        outer_signature=certificate["signature_algorithm"].dump(),
        key_algorithm=tbs["subject_public_key_info"]["algorithm"].dump(),
        extensions=frozenset(
            (e["extn_id"].dotted, bool(e["critical"].native)) for e in tbs["extensions"]
        ),
    )


@pytest.mark.parametrize(
    ("name", "nca_file"),
    [
        ("gost_individual", "certs/from-p12/sdk2026_individual_valid.pem"),
        ("gost_legal_first_head", "certs/from-p12/sdk2026_legal_head_valid.pem"),
        ("gost_legal_employee", "certs/from-p12/sdk2026_legal_employee_valid.pem"),
        (
            "gost_information_system",
            "certs/from-p12/sdk2026_legal_infosystem_valid.pem",
        ),
    ],
)
def test_user_certificate_has_the_shape_of_nca_one(
    test_pki: TestPki, name: str, nca_file: str
) -> None:
    ours = test_pki.keys[name].certificate
    nca = Certificate.load(vectors.read(nca_file))

    assert _shape(ours.der) == _shape(nca.der)
    assert ours.key_usage == nca.key_usage
    assert ours.extended_key_usage == nca.extended_key_usage
    assert ours.policies == nca.policies
    assert ours.key_storages == nca.key_storages
    assert ours.identity.subject_type is nca.identity.subject_type
    assert ours.identity.employee_roles == nca.identity.employee_roles
    if ours.identity.iin is not None:
        assert [kind for kind, _ in ours.subject_attributes] == [
            kind for kind, _ in nca.subject_attributes
        ]


def test_legacy_rsa_auth_certificate_has_the_shape_of_nca_one(
    test_pki: TestPki,
) -> None:
    ours = test_pki.keys["rsa_individual_auth"].certificate
    nca = Certificate.load(
        vectors.read("certs/from-p12/sdk2018_individual_auth_rsa.pem")
    )
    our_shape, nca_shape = _shape(ours.der), _shape(nca.der)

    assert our_shape.signature == nca_shape.signature
    assert our_shape.key_algorithm == nca_shape.key_algorithm
    # The key storage extension is added on every test certificate.
    assert our_shape.extensions == nca_shape.extensions | {
        (oids.KEY_STORAGE_EXTENSION, False)
    }
    assert ours.key_usage == nca.key_usage
    assert ours.extended_key_usage == nca.extended_key_usage
    assert ours.policies == nca.policies


@pytest.mark.parametrize(
    ("kind", "nca_file"),
    [
        ("root", "ca/test/root_test_gost_2022.pem"),
        ("intermediate", "ca/test/nca_gost2022_test.pem"),
    ],
)
def test_gost_ca_certificate_has_the_shape_of_nca_one(
    test_pki: TestPki, kind: str, nca_file: str
) -> None:
    authority = test_pki.authorities["gost"]
    ours = authority.root if kind == "root" else authority.intermediate
    nca = Certificate.load(vectors.read(nca_file))

    assert _shape(ours.der) == _shape(nca.der)
    assert ours.key_usage == nca.key_usage
    assert ours.policies == nca.policies
    assert ours.is_ca and nca.is_ca


def test_ocsp_responder_certificate_has_the_shape_of_nca_one(
    test_pki: TestPki,
) -> None:
    response = asn1_ocsp.OCSPResponse.load(
        vectors.read("ocsp/ocsp_response_ceo_2015_revoked.bin")
    )
    nca_der = response.basic_ocsp_response["certs"][0].dump()
    ours = test_pki.authorities["gost"].ocsp_certificate
    nca = Certificate.load(nca_der)

    assert _shape(ours.der) == _shape(nca_der)
    assert ours.key_usage == nca.key_usage
    assert ours.extended_key_usage == nca.extended_key_usage
    assert ours.subject_attributes[0] == nca.subject_attributes[0]


@pytest.mark.parametrize(
    ("kind", "nca_file"),
    [
        ("full", "crl/test/nca_gost2022_test_2025-04-29.crl"),
        ("delta", "crl/test/nca_gost2022_test_delta_2025-04-29.crl"),
    ],
)
def test_gost_crl_has_the_shape_of_nca_one(
    test_pki: TestPki, kind: str, nca_file: str
) -> None:
    authority = test_pki.authorities["gost"]
    path = authority.crl_path if kind == "full" else authority.delta_crl_path

    def shape(der: bytes) -> tuple[object, ...]:
        crl = asn1_crl.CertificateList.load(der)
        tbs = crl["tbs_cert_list"]
        return (
            tbs["version"].native,
            tbs["signature"].dump(),
            crl["signature_algorithm"].dump(),
            [
                (e["extn_id"].dotted, bool(e["critical"].native))
                for e in tbs["crl_extensions"]
            ],
        )

    assert shape(path.read_bytes()) == shape(vectors.read(nca_file))
