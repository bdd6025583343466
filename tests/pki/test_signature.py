"""Public key loading and signature dispatch, on real NCA certificates."""

from __future__ import annotations

import hashlib
from typing import Any

import gostcrypto.gosthash
import pytest
from asn1crypto import core, keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kabinet.pki import gost, oids
from kabinet.pki.asn1 import MAX_CERTIFICATE_BYTES, GostKeyParameters
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    InputMalformed,
    InputTooLarge,
    SignatureInvalid,
)
from kabinet.pki.gost import GostPrivateKey, GostPublicKey
from kabinet.pki.signature import (
    digest,
    digest_algorithm_for,
    load_public_key,
    sign,
    verify_signature,
)
from tests import vectors

GOST_USER = "certs/from-p12/sdk2026_individual_valid.pem"
GOST_TEST_CA = "ca/test/nca_gost2022_test.pem"
RSA_USER = "certs/from-p12/sdk2018_individual_auth_rsa.pem"
RSA_CA_2018 = "ca/prod-legacy/nca_rsa_2018.pem"
GOST2004_USER = "certs/from-p12/sdk2018_individual_sign_gost2004.pem"
GOST2004_CA = "ca/prod-legacy/nca_gost_2018.pem"

# (certificate, its issuer) pairs whose signatures NCA made.
ISSUED = [
    (GOST_USER, GOST_TEST_CA),
    ("certs/from-p12/sdk2026_legal_head_valid.pem", GOST_TEST_CA),
    (GOST_TEST_CA, "ca/test/root_test_gost_2022.pem"),
    ("ca/prod/nca_gost_2022.pem", "ca/prod/root_gost_2022.pem"),
    ("ca/prod/root_gost_2022.pem", "ca/prod/root_gost_2022.pem"),
    (RSA_USER, RSA_CA_2018),
    (
        "certs/test/ncanode_individual_sign_2004_rsa.pem",
        "ca/test/nca_rsa_test_2019.pem",
    ),
    ("ca/prod/nca_rsa_2022.pem", "ca/prod/root_rsa_2020.pem"),
]


def load(path: str) -> Certificate:
    return Certificate.load(vectors.read(path))


def check_issued(
    certificate: Certificate, issuer: Certificate, **changes: bytes
) -> None:
    verify_signature(
        public_key=issuer.public_key,
        signature_algorithm=certificate.signature_algorithm,
        message=changes.get("message", certificate.tbs_der),
        signature=changes.get("signature", certificate.signature_value),
    )


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.mark.parametrize(("path", "issuer"), ISSUED)
def test_nca_certificate_signature_verifies_with_the_issuer_key(
    path: str, issuer: str
) -> None:
    check_issued(load(path), load(issuer))


@pytest.mark.parametrize(("path", "issuer"), [(GOST_USER, GOST_TEST_CA), ISSUED[5]])
def test_flipped_signature_byte_is_invalid(path: str, issuer: str) -> None:
    certificate = load(path)

    with pytest.raises(SignatureInvalid) as caught:
        check_issued(
            certificate, load(issuer), signature=flip(certificate.signature_value, 7)
        )

    assert caught.value.code == "signature_invalid"


@pytest.mark.parametrize(("path", "issuer"), [(GOST_USER, GOST_TEST_CA), ISSUED[5]])
def test_flipped_tbs_byte_is_invalid(path: str, issuer: str) -> None:
    certificate = load(path)

    with pytest.raises(SignatureInvalid) as caught:
        check_issued(certificate, load(issuer), message=flip(certificate.tbs_der, 40))

    assert caught.value.code == "signature_invalid"


def test_signature_by_another_ca_is_invalid() -> None:
    with pytest.raises(SignatureInvalid) as caught:
        check_issued(load(GOST_USER), load("ca/prod/nca_gost_2022.pem"))

    assert caught.value.code == "signature_invalid"


@pytest.mark.parametrize("length", [0, 127, 129])
def test_gost_signature_of_the_wrong_length_is_invalid(length: int) -> None:
    with pytest.raises(SignatureInvalid) as caught:
        check_issued(load(GOST_USER), load(GOST_TEST_CA), signature=b"\x01" * length)

    assert caught.value.code == "signature_invalid"


def test_gost_key_oid_in_place_of_the_signature_oid_verifies() -> None:
    certificate = load(GOST_USER)

    verify_signature(
        public_key=load(GOST_TEST_CA).public_key,
        signature_algorithm=oids.GOST2015_512_KEY,
        message=certificate.tbs_der,
        signature=certificate.signature_value,
        digest_algorithm=oids.STREEBOG_512,
    )


def test_rsa_encryption_with_sha256_digest_verifies() -> None:
    certificate = load(RSA_USER)

    verify_signature(
        public_key=load(RSA_CA_2018).public_key,
        signature_algorithm=oids.RSA_ENCRYPTION,
        message=certificate.tbs_der,
        signature=certificate.signature_value,
        digest_algorithm=oids.SHA256,
    )


def test_rsa_encryption_without_a_digest_is_unsupported() -> None:
    certificate = load(RSA_USER)

    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=load(RSA_CA_2018).public_key,
            signature_algorithm=oids.RSA_ENCRYPTION,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )

    assert caught.value.code == "unsupported_algorithm"


@pytest.mark.parametrize(
    ("signature_algorithm", "digest_algorithm"),
    [
        (oids.SHA256_WITH_RSA, oids.STREEBOG_512),
        (oids.RSA_ENCRYPTION, oids.SHA1),
        (oids.GOST2015_512_SIGNATURE, oids.SHA256),
        (oids.GOST2015_512_SIGNATURE, oids.STREEBOG_256),
    ],
)
def test_digest_that_does_not_belong_to_the_signature_is_unsupported(
    signature_algorithm: str, digest_algorithm: str
) -> None:
    rsa_like = signature_algorithm in (oids.SHA256_WITH_RSA, oids.RSA_ENCRYPTION)
    certificate = load(RSA_USER if rsa_like else GOST_USER)
    issuer = load(RSA_CA_2018 if rsa_like else GOST_TEST_CA)

    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=issuer.public_key,
            signature_algorithm=signature_algorithm,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
            digest_algorithm=digest_algorithm,
        )

    assert caught.value.code == "unsupported_algorithm"


def test_rsa_key_with_a_gost_algorithm_is_unsupported() -> None:
    certificate = load(GOST_USER)

    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=load(RSA_CA_2018).public_key,
            signature_algorithm=certificate.signature_algorithm,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )

    assert caught.value.code == "unsupported_algorithm"


def test_gost_key_with_an_rsa_algorithm_is_unsupported() -> None:
    certificate = load(RSA_USER)

    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=load(GOST_TEST_CA).public_key,
            signature_algorithm=certificate.signature_algorithm,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )

    assert caught.value.code == "unsupported_algorithm"


def test_gost512_key_with_the_256_signature_algorithm_is_unsupported() -> None:
    certificate = load(GOST_USER)

    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=load(GOST_TEST_CA).public_key,
            signature_algorithm=oids.GOST2015_256_SIGNATURE,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )

    assert caught.value.code == "unsupported_algorithm"


@pytest.mark.parametrize("path", [GOST2004_USER, GOST2004_CA])
def test_gost2004_key_is_unsupported(path: str) -> None:
    certificate = load(path)

    with pytest.raises(AlgorithmUnsupported) as caught:
        _ = certificate.public_key

    assert caught.value.code == "unsupported_algorithm"
    assert oids.GOST2004_KEY in caught.value.message


def test_gost2004_signature_algorithm_is_unsupported() -> None:
    certificate = load(GOST2004_USER)

    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=load(GOST_TEST_CA).public_key,
            signature_algorithm=certificate.signature_algorithm,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )

    assert caught.value.code == "unsupported_algorithm"
    assert oids.GOST2004_SIGNATURE in caught.value.message


def test_unknown_signature_algorithm_is_unsupported() -> None:
    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=load(GOST_TEST_CA).public_key,
            signature_algorithm="1.2.840.10045.4.3.2",
            message=b"m",
            signature=b"s",
        )

    assert caught.value.code == "unsupported_algorithm"
    assert "1.2.840.10045.4.3.2" in caught.value.message


def test_gost_public_key_comes_from_the_spki_with_its_curve() -> None:
    certificate = load(GOST_USER)

    key = load_public_key(certificate.spki_der)

    assert isinstance(key, GostPublicKey)
    assert key.curve == gost.CURVE_512_A
    assert certificate.spki_der.endswith(key.to_kz_bytes())
    assert load_public_key(certificate.spki_der) is key


def test_rsa_public_key_comes_from_the_spki() -> None:
    key = load(RSA_USER).public_key

    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048


def test_junk_public_key_is_malformed() -> None:
    with pytest.raises(InputMalformed) as caught:
        load_public_key(b"\x30\x03\x02\x01\x00")

    assert caught.value.code == "malformed_input"


def test_oversized_public_key_is_refused() -> None:
    with pytest.raises(InputTooLarge) as caught:
        load_public_key(b"\x30" * (MAX_CERTIFICATE_BYTES + 1))

    assert caught.value.code == "input_too_large"


def test_gost_point_off_the_curve_is_malformed() -> None:
    spki = load(GOST_USER).spki_der
    broken = flip(spki, len(spki) - 1)

    with pytest.raises(InputMalformed) as caught:
        load_public_key(broken)

    assert caught.value.code == "malformed_input"


def _gost_spki(key_oid: str, curve_oid: str, point: bytes) -> bytes:
    info = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": key_oid,
                "parameters": GostKeyParameters({"public_key_param_set": curve_oid}),
            },
            "public_key": core.OctetString(point),
        }
    )
    der: bytes = info.dump()
    return der


def test_gost_key_naming_a_curve_of_the_other_size_is_unsupported() -> None:
    point = GostPrivateKey.generate(gost.CURVE_256_A).public_key().to_kz_bytes()
    spki = _gost_spki(oids.GOST2015_512_KEY, gost.CURVE_256_A.oid, point)

    with pytest.raises(AlgorithmUnsupported) as caught:
        load_public_key(spki)

    assert caught.value.code == "unsupported_algorithm"


def test_gost256_key_loads_on_its_curve() -> None:
    public = GostPrivateKey.generate(gost.CURVE_256_A).public_key()
    spki = _gost_spki(oids.GOST2015_256_KEY, gost.CURVE_256_A.oid, public.to_kz_bytes())

    assert load_public_key(spki) == public


def test_tc26_gost_key_is_unsupported() -> None:
    spki = _gost_spki(
        oids.TC26_GOST2012_512_KEY,
        oids.TC26_GOST2012_512_PARAM_SET_A,
        load(GOST_USER).public_key.to_kz_bytes(),  # type: ignore[union-attr]
    )

    with pytest.raises(AlgorithmUnsupported) as caught:
        load_public_key(spki)

    assert caught.value.code == "unsupported_algorithm"
    assert oids.TC26_GOST2012_512_KEY in caught.value.message


def test_ec_key_is_unsupported_and_named() -> None:
    spki = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )

    with pytest.raises(AlgorithmUnsupported) as caught:
        load_public_key(spki)

    assert caught.value.code == "unsupported_algorithm"
    assert "1.2.840.10045.2.1" in caught.value.message


def test_short_rsa_key_is_unsupported() -> None:
    spki = (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)
        .public_key()
        .public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )

    with pytest.raises(AlgorithmUnsupported) as caught:
        load_public_key(spki)

    assert caught.value.code == "unsupported_algorithm"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rsa_signature_round_trips(rsa_key: rsa.RSAPrivateKey) -> None:
    algorithm, value = sign(rsa_key, b"challenge")

    assert algorithm == oids.SHA256_WITH_RSA
    verify_signature(
        public_key=rsa_key.public_key(),
        signature_algorithm=algorithm,
        message=b"challenge",
        signature=value,
    )
    with pytest.raises(SignatureInvalid):
        verify_signature(
            public_key=rsa_key.public_key(),
            signature_algorithm=algorithm,
            message=b"challengf",
            signature=value,
        )


@pytest.mark.parametrize("exponent", [1, 2, 4], ids=["e=1", "e=2", "even"])
def test_rsa_key_with_a_degenerate_exponent_is_malformed(
    rsa_key: rsa.RSAPrivateKey, exponent: int
) -> None:
    # With e = 1 the padded digest itself would verify as the signature.
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey(
                {
                    "modulus": rsa_key.public_key().public_numbers().n,
                    "public_exponent": exponent,
                }
            ),
        }
    ).dump()

    with pytest.raises(InputMalformed) as caught:
        load_public_key(spki)

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize(
    "change",
    [
        lambda value: b"\x00" + value,
        lambda value: value + b"\x00",
        lambda value: value[1:],
        lambda value: bytes(len(value)),
    ],
    ids=["zero prefix", "zero suffix", "one byte short", "all zero"],
)
def test_rsa_signature_not_of_the_modulus_length_is_invalid(
    rsa_key: rsa.RSAPrivateKey, change: Any
) -> None:
    _, value = sign(rsa_key, b"challenge")

    with pytest.raises(SignatureInvalid) as caught:
        verify_signature(
            public_key=rsa_key.public_key(),
            signature_algorithm=oids.SHA256_WITH_RSA,
            message=b"challenge",
            signature=change(value),
        )

    assert caught.value.code == "signature_invalid"


def test_rsa_pss_signature_algorithm_is_unsupported(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(AlgorithmUnsupported) as caught:
        verify_signature(
            public_key=rsa_key.public_key(),
            signature_algorithm="1.2.840.113549.1.1.10",
            message=b"challenge",
            signature=sign(rsa_key, b"challenge")[1],
        )

    assert caught.value.code == "unsupported_algorithm"


@pytest.mark.parametrize(
    ("curve", "expected_algorithm"),
    [
        (gost.CURVE_512_A, oids.GOST2015_512_SIGNATURE),
        (gost.CURVE_256_A, oids.GOST2015_256_SIGNATURE),
    ],
)
def test_gost_signature_round_trips(curve: gost.Curve, expected_algorithm: str) -> None:
    private_key = GostPrivateKey.generate(curve)

    algorithm, value = sign(private_key, b"challenge")

    assert algorithm == expected_algorithm
    assert len(value) == 2 * curve.size
    verify_signature(
        public_key=private_key.public_key(),
        signature_algorithm=algorithm,
        message=b"challenge",
        signature=value,
        digest_algorithm=digest_algorithm_for(private_key),
    )
    with pytest.raises(SignatureInvalid):
        verify_signature(
            public_key=private_key.public_key(),
            signature_algorithm=algorithm,
            message=b"challengf",
            signature=value,
        )


@pytest.mark.parametrize(
    ("algorithm", "reference"),
    [
        (oids.SHA256, lambda d: hashlib.sha256(d).digest()),
        (
            oids.STREEBOG_512,
            lambda d: gostcrypto.gosthash.new("streebog512", data=d).digest(),
        ),
        (
            oids.STREEBOG_256,
            lambda d: gostcrypto.gosthash.new("streebog256", data=d).digest(),
        ),
    ],
)
def test_digest_by_oid_matches_the_reference(algorithm: str, reference: object) -> None:
    data = b"kabinet " * 20

    assert callable(reference)
    assert digest(algorithm, data) == reference(data)


def test_streebog512_of_nothing_is_the_published_value() -> None:
    assert digest(oids.STREEBOG_512, b"").hex().startswith("8e945da2")


@pytest.mark.parametrize("algorithm", [oids.SHA1, oids.GOST34311_DIGEST, "1.2.3"])
def test_other_digests_are_unsupported(algorithm: str) -> None:
    with pytest.raises(AlgorithmUnsupported) as caught:
        digest(algorithm, b"")

    assert caught.value.code == "unsupported_algorithm"


def test_digest_algorithm_follows_the_key(rsa_key: rsa.RSAPrivateKey) -> None:
    gost512 = GostPrivateKey.generate(gost.CURVE_512_A)
    gost256 = GostPrivateKey.generate(gost.CURVE_256_A)

    assert digest_algorithm_for(rsa_key) == oids.SHA256
    assert digest_algorithm_for(rsa_key.public_key()) == oids.SHA256
    assert digest_algorithm_for(gost512) == oids.STREEBOG_512
    assert digest_algorithm_for(gost512.public_key()) == oids.STREEBOG_512
    assert digest_algorithm_for(gost256) == oids.STREEBOG_256
