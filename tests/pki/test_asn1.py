"""ASN.1 helpers: armour decoding, size limits, GOST keys in asn1crypto."""

from __future__ import annotations

import base64

import pytest
from asn1crypto import core, keys
from asn1crypto import x509 as asn1_x509

from kabinet.pki import oids
from kabinet.pki.asn1 import (
    MAX_CERTIFICATE_BYTES,
    GostKeyParameters,
    decode_armor,
    parse_der,
)
from kabinet.pki.errors import InputMalformed, InputTooLarge
from tests import vectors
from tests.pki._guard import failing_instead_of_hanging

GOST_USER = "certs/from-p12/sdk2026_individual_valid.pem"
GOST2004_USER = "certs/from-p12/sdk2018_individual_sign_gost2004.pem"
LABELS = ("CERTIFICATE",)


def _der(path: str) -> bytes:
    pem = vectors.read(path).decode("ascii")
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    return base64.b64decode(body)


def test_pem_certificate_decodes_to_its_der() -> None:
    pem = vectors.read(GOST_USER)

    der = decode_armor(pem, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert der == _der(GOST_USER)
    assert der[0] == 0x30


def test_bare_base64_with_line_breaks_decodes_to_der() -> None:
    der = _der(GOST_USER)
    text = base64.encodebytes(der)

    assert decode_armor(text, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES) == der


def test_der_passes_through_unchanged() -> None:
    der = _der(GOST_USER)

    assert decode_armor(der, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES) == der


def test_pem_with_another_label_is_malformed() -> None:
    pem = vectors.read(GOST_USER).replace(b"CERTIFICATE", b"PRIVATE KEY")

    with pytest.raises(InputMalformed) as caught:
        decode_armor(pem, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert caught.value.code == "malformed_input"
    assert "PRIVATE KEY" in caught.value.message


def test_second_pem_block_with_the_expected_label_is_found() -> None:
    pem = b"-----BEGIN CMS-----\nMAA=\n-----END CMS-----\n" + vectors.read(GOST_USER)

    der = decode_armor(pem, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert der == _der(GOST_USER)


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge) as caught:
        decode_armor(b"\x30" * 101, labels=LABELS, max_bytes=100)

    assert caught.value.code == "input_too_large"


def test_der_with_trailing_bytes_is_malformed() -> None:
    der = _der(GOST_USER) + b"\x00"

    with pytest.raises(InputMalformed) as caught:
        decode_armor(der, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize(
    "junk",
    [b"", b"hello, world", b"\xff\xfe\x00", b"QUJD", b"-----BEGIN CERTIFICATE-----\n"],
)
def test_junk_is_malformed(junk: bytes) -> None:
    with pytest.raises(InputMalformed) as caught:
        decode_armor(junk, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert caught.value.code == "malformed_input"


def test_pem_with_invalid_base64_is_malformed() -> None:
    pem = b"-----BEGIN CERTIFICATE-----\nMII*AAA\n-----END CERTIFICATE-----\n"

    with pytest.raises(InputMalformed) as caught:
        decode_armor(pem, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert caught.value.code == "malformed_input"


def test_pem_block_closed_by_another_label_is_malformed() -> None:
    pem = vectors.read(GOST_USER).replace(
        b"-----END CERTIFICATE-----", b"-----END PKCS7-----"
    )

    with pytest.raises(InputMalformed) as caught:
        decode_armor(pem, labels=LABELS, max_bytes=MAX_CERTIFICATE_BYTES)

    assert caught.value.code == "malformed_input"
    assert "END PKCS7" in caught.value.message


@pytest.mark.parametrize("label", [b"CERTIFICATE", b"PKCS7"])
def test_megabyte_of_unterminated_pem_headers_is_malformed(label: bytes) -> None:
    # A backtracking search for each BEGIN line's END line costs time
    # quadratic in the input: minutes for 1 MiB of lines like these.
    line = b"-----BEGIN " + label + b"-----\n"
    data = line * ((1024 * 1024) // len(line))

    with failing_instead_of_hanging(60), pytest.raises(InputMalformed) as caught:
        decode_armor(data, labels=LABELS, max_bytes=1024 * 1024)

    assert type(caught.value) is InputMalformed
    assert caught.value.code == "malformed_input"


def test_gost2015_public_key_parses_in_asn1crypto() -> None:
    certificate = asn1_x509.Certificate.load(_der(GOST_USER))

    info = certificate.public_key
    parameters = info["algorithm"]["parameters"]

    assert info["algorithm"]["algorithm"].dotted == oids.GOST2015_512_KEY
    assert isinstance(parameters, GostKeyParameters)
    assert parameters["public_key_param_set"].dotted == oids.GOST2015_512_PARAM_SET_A
    assert parameters["digest_param_set"].dotted == oids.STREEBOG_512
    assert len(info["public_key"].parsed.native) == 128
    assert len(info.sha1) == 20


def test_whole_gost_certificate_converts_to_native() -> None:
    native = asn1_x509.Certificate.load(_der(GOST_USER)).native

    key = native["tbs_certificate"]["subject_public_key_info"]
    assert key["algorithm"]["algorithm"] == oids.GOST2015_512_KEY
    assert len(key["public_key"]) == 128


def test_gost2004_public_key_parses_in_asn1crypto() -> None:
    info = asn1_x509.Certificate.load(_der(GOST2004_USER)).public_key

    assert info["algorithm"]["algorithm"].dotted == oids.GOST2004_KEY
    assert len(info["public_key"].parsed.native) == 64


def test_unknown_key_algorithm_stays_opaque_instead_of_failing() -> None:
    info = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "1.2.3.4.5"},
            "public_key": core.OctetBitString(b"\x01\x02\x03"),
        }
    )

    parsed = keys.PublicKeyInfo.load(info.dump())

    assert parsed["public_key"].native == b"\x01\x02\x03"


def test_parse_der_refuses_trailing_bytes() -> None:
    with pytest.raises(InputMalformed) as caught:
        parse_der(core.Sequence, b"\x30\x00\x00", what="test value")

    assert caught.value.code == "malformed_input"
    assert "test value" in caught.value.message


def test_parse_der_refuses_a_truncated_structure() -> None:
    der = _der(GOST_USER)[:-10]

    with pytest.raises(InputMalformed) as caught:
        parse_der(asn1_x509.Certificate, der, what="certificate")

    assert caught.value.code == "malformed_input"
