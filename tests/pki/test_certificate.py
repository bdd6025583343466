"""The NCA certificate profile read from real and purpose-built certificates."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from kabinet.pki import oids
from kabinet.pki.asn1 import MAX_CERTIFICATE_BYTES
from kabinet.pki.certificate import (
    Certificate,
    EmployeeRole,
    SubjectType,
    check_digit_valid,
)
from kabinet.pki.errors import InputMalformed, InputTooLarge
from tests import vectors

INDIVIDUAL = "certs/from-p12/sdk2026_individual_valid.pem"
LEGAL_HEAD = "certs/from-p12/sdk2026_legal_head_valid.pem"
SIGNER = "certs/from-p12/sdk2026_legal_employee_signright_valid.pem"
EMPLOYEE = "certs/from-p12/sdk2026_legal_employee_valid.pem"
INFORMATION_SYSTEM = "certs/from-p12/sdk2026_legal_infosystem_valid.pem"
TREASURY_CLIENT = "certs/from-p12/sdk2026_legal_treasury_client_valid.pem"
RSA_AUTH_2018 = "certs/from-p12/sdk2018_individual_auth_rsa.pem"
GOST2004_CEO = "certs/from-p12/sdk2018_individual_sign_gost2004.pem"
TEST_CA = "ca/test/nca_gost2022_test.pem"
TEST_ROOT = "ca/test/root_test_gost_2022.pem"

# Manifest role labels -> the OIDs they stand for (nca-pki.md 2.3).
EKU_LABELS = {
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

USER_CERTIFICATES = [e["path"] for e in vectors.entries("user_cert")]


def load(path: str) -> Certificate:
    return Certificate.load(vectors.read(path))


@pytest.mark.parametrize(
    "path",
    [
        INDIVIDUAL,
        LEGAL_HEAD,
        SIGNER,
        INFORMATION_SYSTEM,
        TREASURY_CLIENT,
        RSA_AUTH_2018,
    ],
)
def test_identity_matches_the_published_subject(path: str) -> None:
    subject = vectors.entry(path)["subject"]

    identity = load(path).identity

    assert identity.iin == subject.get("IIN")
    assert identity.bin == subject.get("BIN")
    assert identity.common_name == subject["CN"]
    assert identity.surname == subject.get("SN")
    assert identity.patronymic == subject.get("G")
    assert identity.organisation == subject.get("O")
    assert identity.country == "KZ"


@pytest.mark.parametrize(
    ("path", "subject_type", "roles"),
    [
        (INDIVIDUAL, SubjectType.INDIVIDUAL, set()),
        (RSA_AUTH_2018, SubjectType.INDIVIDUAL, set()),
        (LEGAL_HEAD, SubjectType.LEGAL_ENTITY, {EmployeeRole.FIRST_HEAD}),
        (SIGNER, SubjectType.LEGAL_ENTITY, {EmployeeRole.SIGNER}),
        (EMPLOYEE, SubjectType.LEGAL_ENTITY, {EmployeeRole.EMPLOYEE}),
        (TREASURY_CLIENT, SubjectType.LEGAL_ENTITY, set()),
        (INFORMATION_SYSTEM, SubjectType.INFORMATION_SYSTEM, set()),
    ],
)
def test_subject_type_and_roles_follow_the_profile(
    path: str, subject_type: SubjectType, roles: set[EmployeeRole]
) -> None:
    identity = load(path).identity

    assert identity.subject_type is subject_type
    assert identity.employee_roles == roles


def test_first_name_is_the_part_of_cn_after_the_surname() -> None:
    identity = load(SIGNER).identity

    assert identity.common_name == "ТЕСТТОВ ТЕСТТ"
    assert identity.first_name == "ТЕСТТ"
    assert identity.patronymic == "ТЕСТТОВИЧ"


def test_information_system_has_a_bin_and_no_person() -> None:
    identity = load(INFORMATION_SYSTEM).identity

    assert identity.bin == "123456789021"
    assert identity.iin is None
    assert identity.surname is None
    assert identity.first_name is None
    assert identity.iin_checksum_valid is None


def test_nca_test_numbers_fail_the_check_digit_but_still_load() -> None:
    identity = load(LEGAL_HEAD).identity

    assert identity.iin == "123456789011"
    assert identity.iin_checksum_valid is False
    assert identity.bin_checksum_valid is False


@pytest.mark.parametrize("path", USER_CERTIFICATES)
def test_usages_validity_and_serial_match_the_manifest(path: str) -> None:
    published = vectors.entry(path)

    certificate = load(path)

    assert certificate.extended_key_usage == {EKU_LABELS[x] for x in published["eku"]}
    assert certificate.key_usage == set(published["key_usage"])
    assert certificate.serial_hex == published["serial_hex"]
    assert certificate.not_before == vectors.at(published["validity"]["notBefore"])
    assert certificate.not_after == vectors.at(published["validity"]["notAfter"])
    assert certificate.subject_key_id is not None
    assert certificate.subject_key_id.hex() == published["ski"]
    assert f"CN={published['issuer']}" in certificate.issuer
    assert certificate.is_ca is False


def test_rsa_auth_certificate_has_client_auth_and_key_encipherment() -> None:
    certificate = load(RSA_AUTH_2018)

    assert oids.EKU_CLIENT_AUTH in certificate.extended_key_usage
    assert certificate.key_usage == {"digital_signature", "key_encipherment"}
    assert certificate.algorithm == "RSA 2048"
    assert certificate.signature_algorithm == oids.SHA256_WITH_RSA
    assert certificate.public_key_algorithm == oids.RSA_ENCRYPTION


def test_gost_certificate_reports_its_algorithms_and_storage() -> None:
    certificate = load(INDIVIDUAL)

    assert certificate.algorithm == "GOST R 34.10-2015 512"
    assert certificate.signature_algorithm == oids.GOST2015_512_SIGNATURE
    assert certificate.public_key_algorithm == oids.GOST2015_512_KEY
    assert certificate.key_storages == (oids.KEY_STORAGE_PKCS12,)
    assert certificate.policies == (oids.POLICY_NCA,)
    assert len(certificate.signature_value) == 128
    assert certificate.unhandled_critical_extensions == ()


def test_gost2004_certificate_parses_and_names_its_algorithm() -> None:
    certificate = load(GOST2004_CEO)

    assert certificate.algorithm == "GOST 34.310-2004"
    assert certificate.identity.employee_roles == {EmployeeRole.FIRST_HEAD}


def test_ca_certificate_may_sign_certificates() -> None:
    certificate = load(TEST_CA)

    assert certificate.is_ca is True
    assert certificate.path_length is None
    assert certificate.key_usage == {"key_cert_sign", "crl_sign"}
    assert certificate.subject_key_id == bytes.fromhex(
        "fad24b1ba3a0c961fe1ca8503e6aa2bb450db8a3"
    )
    assert certificate.authority_key_id == load(TEST_ROOT).subject_key_id
    assert certificate.issuer_der == load(TEST_ROOT).subject_der
    assert certificate.is_self_issued is False


def test_user_certificate_chains_to_its_issuer_by_name_and_key_id() -> None:
    user = load(INDIVIDUAL)
    issuer = load(TEST_CA)

    assert user.issuer_der == issuer.subject_der
    assert user.authority_key_id == issuer.subject_key_id


def test_root_certificate_is_self_issued() -> None:
    root = load(TEST_ROOT)

    assert root.is_self_issued is True
    assert root.is_ca is True


def test_ca_certificate_identity_carries_no_numbers() -> None:
    identity = load(TEST_CA).identity

    assert identity.iin is None
    assert identity.bin is None
    assert identity.common_name == "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022"
    assert identity.subject_type is SubjectType.INDIVIDUAL
    assert identity.employee_roles == set()


def test_revocation_urls_are_read_once_each() -> None:
    certificate = load(INDIVIDUAL)

    # The certificate lists its OCSP responder twice.
    assert certificate.ocsp_urls == ("http://test.pki.gov.kz/ocsp/",)
    assert certificate.ca_issuer_urls == (
        "http://test.pki.gov.kz/cert/nca_gost2022_test.cer",
    )
    assert certificate.crl_urls == ("http://test.pki.gov.kz/crl/nca_gost2022_test.crl",)
    assert certificate.delta_crl_urls == (
        "http://test.pki.gov.kz/crl/nca_gost2022_d_test.crl",
    )


def test_legacy_certificate_lists_both_crl_mirrors() -> None:
    certificate = load(RSA_AUTH_2018)

    assert certificate.crl_urls == (
        "http://crl.pki.gov.kz/nca_rsa.crl",
        "http://crl1.pki.gov.kz/nca_rsa.crl",
    )
    assert certificate.delta_crl_urls == (
        "http://crl.pki.gov.kz/nca_d_rsa.crl",
        "http://crl1.pki.gov.kz/nca_d_rsa.crl",
    )
    assert certificate.ocsp_urls == ("http://ocsp.pki.gov.kz",)


def test_subject_string_is_readable_rfc4514() -> None:
    certificate = load(LEGAL_HEAD)

    assert certificate.subject == (
        'GIVENNAME=ТЕСТОВИЧ,OU=BIN123456789021,O=АО \\"ТЕСТ\\",C=KZ,'
        "SERIALNUMBER=IIN123456789011,SURNAME=ТЕСТОВ,CN=ТЕСТОВ ТЕСТ"
    )


def test_pem_and_der_give_equal_certificates() -> None:
    from_pem = load(INDIVIDUAL)
    from_der = Certificate.load(from_pem.der)
    from_own_pem = Certificate.load(from_pem.to_pem().encode("ascii"))

    assert from_pem == from_der == from_own_pem
    assert hash(from_pem) == hash(from_der)
    assert from_pem.sha256 == hashlib.sha256(from_pem.der).hexdigest()
    assert from_pem != load(LEGAL_HEAD)


def test_truncated_certificate_is_malformed() -> None:
    der = load(INDIVIDUAL).der

    with pytest.raises(InputMalformed) as caught:
        Certificate.load(der[:-1])

    assert caught.value.code == "malformed_input"


def test_junk_is_malformed() -> None:
    with pytest.raises(InputMalformed) as caught:
        Certificate.load(b"\x30\x03\x02\x01\x01")

    assert caught.value.code == "malformed_input"
    assert "certificate" in caught.value.message


def test_oversized_certificate_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge) as caught:
        Certificate.load(b"\x30" + b"\x00" * MAX_CERTIFICATE_BYTES)

    assert caught.value.code == "input_too_large"


def test_outer_and_inner_signature_algorithms_must_agree() -> None:
    der = load(RSA_AUTH_2018).der
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")
    sha512_rsa = bytes.fromhex("06092a864886f70d01010d")
    outer = der.rindex(sha256_rsa)
    altered = der[:outer] + sha512_rsa + der[outer + len(sha256_rsa) :]

    with pytest.raises(InputMalformed) as caught:
        Certificate.load(altered)

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("850101300124", True),  # first weights give 4, the last digit
        ("850101300125", False),
        ("123456789013", True),  # first weights give 10, second give 3
        ("123456789011", False),  # the NCA test IIN
        ("068709861190", False),  # both weightings give 10: never valid
        ("12345678901", False),
        ("12345678901a", False),
    ],
)
def test_check_digit(number: str, valid: bool) -> None:
    assert check_digit_valid(number) is valid


# --- Purpose-built certificates for the corners real data does not cover ---


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(
    key: rsa.RSAPrivateKey,
    attributes: Sequence[tuple[str, str]],
    *,
    eku: Sequence[str] = (),
    extensions: Sequence[tuple[Any, bool]] = (),
) -> Certificate:
    name = x509.Name(
        [x509.NameAttribute(x509.ObjectIdentifier(o), v) for o, v in attributes]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x1234)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
    )
    if eku:
        usages = x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in eku])
        builder = builder.add_extension(usages, critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    der = builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)
    return Certificate.load(der)


def test_two_different_iins_make_the_subject_ambiguous(
    key: rsa.RSAPrivateKey,
) -> None:
    certificate = issue(
        key,
        [
            (oids.SERIAL_NUMBER, "IIN123456789011"),
            (oids.SERIAL_NUMBER, "IIN850101300124"),
        ],
    )

    with pytest.raises(InputMalformed) as caught:
        _ = certificate.identity

    assert caught.value.code == "malformed_input"
    assert "IIN" in caught.value.message


def test_bin_in_serial_number_makes_an_information_system(
    key: rsa.RSAPrivateKey,
) -> None:
    certificate = issue(
        key, [(oids.COMMON_NAME, "ИС"), (oids.SERIAL_NUMBER, "BIN123456789021")]
    )

    identity = certificate.identity

    assert identity.subject_type is SubjectType.INFORMATION_SYSTEM
    assert identity.bin == "123456789021"
    assert identity.iin is None


def test_different_bins_in_ou_and_serial_number_are_ambiguous(
    key: rsa.RSAPrivateKey,
) -> None:
    certificate = issue(
        key,
        [
            (oids.SERIAL_NUMBER, "BIN123456789021"),
            (oids.ORGANISATIONAL_UNIT, "BIN850101300124"),
        ],
    )

    with pytest.raises(InputMalformed) as caught:
        _ = certificate.identity

    assert caught.value.code == "malformed_input"


def test_information_system_sub_arc_wins_over_a_person_in_the_subject(
    key: rsa.RSAPrivateKey,
) -> None:
    certificate = issue(
        key,
        [
            (oids.SERIAL_NUMBER, "IIN123456789011"),
            (oids.ORGANISATIONAL_UNIT, "BIN123456789021"),
        ],
        eku=[oids.ROLE_LEGAL_ENTITY, oids.ROLE_LEGAL_INFORMATION_SYSTEM + ".42"],
    )

    identity = certificate.identity

    assert identity.subject_type is SubjectType.INFORMATION_SYSTEM
    assert identity.employee_roles == set()


def test_roles_without_a_bin_are_not_reported(key: rsa.RSAPrivateKey) -> None:
    certificate = issue(
        key,
        [(oids.SERIAL_NUMBER, "IIN123456789011")],
        eku=[oids.ROLE_LEGAL_ENTITY, oids.ROLE_FIRST_HEAD],
    )

    identity = certificate.identity

    assert identity.subject_type is SubjectType.INDIVIDUAL
    assert identity.employee_roles == set()


def test_every_employee_role_is_mapped(key: rsa.RSAPrivateKey) -> None:
    certificate = issue(
        key,
        [
            (oids.SERIAL_NUMBER, "IIN850101300124"),
            (oids.ORGANISATIONAL_UNIT, "BIN123456789013"),
        ],
        eku=[
            oids.ROLE_LEGAL_ENTITY,
            oids.ROLE_FIRST_HEAD,
            oids.ROLE_SIGNER,
            oids.ROLE_FINANCIAL_SIGNER,
            oids.ROLE_HR,
            oids.ROLE_EMPLOYEE,
        ],
    )

    identity = certificate.identity

    assert identity.employee_roles == set(EmployeeRole)
    assert identity.iin_checksum_valid is True
    assert identity.bin_checksum_valid is True


def test_email_comes_from_the_subject_or_the_alternative_name(
    key: rsa.RSAPrivateKey,
) -> None:
    in_subject = issue(
        key,
        [
            (oids.SERIAL_NUMBER, "IIN123456789011"),
            (oids.EMAIL_ADDRESS, "test@example.kz"),
        ],
    )
    in_alt_name = issue(
        key,
        [(oids.SERIAL_NUMBER, "IIN123456789011")],
        extensions=[
            (x509.SubjectAlternativeName([x509.RFC822Name("alt@example.kz")]), False)
        ],
    )

    assert in_subject.identity.email == "test@example.kz"
    assert in_alt_name.identity.email == "alt@example.kz"


def test_cn_that_does_not_start_with_the_surname_gives_no_first_name(
    key: rsa.RSAPrivateKey,
) -> None:
    certificate = issue(
        key,
        [
            (oids.COMMON_NAME, "ИВАНОВ ИВАН"),
            (oids.SURNAME, "ПЕТРОВ"),
            (oids.SERIAL_NUMBER, "IIN123456789011"),
        ],
    )

    assert certificate.identity.first_name is None
    assert certificate.identity.surname == "ПЕТРОВ"


@pytest.mark.parametrize(
    "serial_number", ["IIN12345", "IIN1234567890123", "123456789011"]
)
def test_malformed_iin_is_not_an_iin(
    key: rsa.RSAPrivateKey, serial_number: str
) -> None:
    certificate = issue(key, [(oids.SERIAL_NUMBER, serial_number)])

    assert certificate.identity.iin is None
    assert certificate.identity.iin_checksum_valid is None


def test_unknown_critical_extension_is_reported(key: rsa.RSAPrivateKey) -> None:
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
    certificate = issue(
        key,
        [(oids.SERIAL_NUMBER, "IIN123456789011")],
        extensions=[(unknown, True)],
    )

    assert certificate.unhandled_critical_extensions == ("1.2.3.4",)


def test_malformed_key_storage_extension_is_malformed(
    key: rsa.RSAPrivateKey,
) -> None:
    storage = x509.UnrecognizedExtension(
        x509.ObjectIdentifier(oids.KEY_STORAGE_EXTENSION), b"\x04\x01\x00"
    )

    with pytest.raises(InputMalformed) as caught:
        issue(
            key,
            [(oids.SERIAL_NUMBER, "IIN123456789011")],
            extensions=[(storage, False)],
        )

    assert caught.value.code == "malformed_input"


def _nca_test_ocsp_responder_der() -> bytes:
    from asn1crypto import ocsp as asn1_ocsp

    response = asn1_ocsp.OCSPResponse.load(
        vectors.read("ocsp/ocsp_response_individual_sign_2004.bin")
    )
    basic = response["response_bytes"]["response"].parsed
    der: bytes = basic["certs"][0].dump()
    return der


def test_empty_ocsp_nocheck_value_of_nca_responder_is_tolerated() -> None:
    der = _nca_test_ocsp_responder_der()

    certificate = Certificate.load(der)

    assert certificate.der == der
    assert oids.EKU_OCSP_SIGNING in certificate.extended_key_usage
    assert certificate.ocsp_urls == ("http://ocsp.pki.gov.kz",)


def test_tolerated_nocheck_does_not_excuse_another_broken_extension() -> None:
    der = _nca_test_ocsp_responder_der()
    # extendedKeyUsage whose inner SEQUENCE is re-tagged as a SET.
    good = bytes.fromhex("040c300a06082b06010505070309")
    assert good in der
    damaged = der.replace(good, bytes.fromhex("040c310a06082b06010505070309"))

    with pytest.raises(InputMalformed) as caught:
        Certificate.load(damaged)

    assert caught.value.code == "malformed_input"
