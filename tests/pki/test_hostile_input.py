"""Mutated real NCA material: every public parser fails with a PkiError or
not at all.

Each test takes a real vector (a Kalkan or NCANode CMS and XML, an SDK
certificate and key file, a test CRL, recorded OCSP answers) and changes
it: a few random edits (a byte replaced, often by a tag or length octet,
bytes removed or inserted, a bit flipped, the tail cut off), or, in the
sweeps, every ASN.1 element retagged in turn and every XML element given
each of a few hostile attributes. Whatever comes out, the only exceptions
allowed are PkiError subclasses: anything else would reach a caller (and a
login request) as an unexpected error. The random runs are derandomized
and everything is bounded, so the suite stays quick and repeatable.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.pki import _der
from kabinet.pki.certificate import Certificate
from kabinet.pki.cms import verify_cms
from kabinet.pki.errors import InputMalformed, PkiError
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.revocation import ocsp
from kabinet.pki.revocation.crl import CrlIndex
from kabinet.pki.xmldsig import verify_xml
from tests import vectors

# Octets that make a parser take another branch: ASN.1 tags (REAL,
# INSTANCE OF, ObjectDescriptor, SEQUENCE, SET, context tags), length
# forms (long, indefinite, oversized) and XML markup.
_INTERESTING = [
    0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0C, 0x13, 0x17,
    0x18, 0x30, 0x31, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xA0, 0xA1, 0xA3, 0xFF,
    ord("<"), ord(">"), ord("&"), ord(":"), ord('"'), ord("="),
]  # fmt: skip

_EDIT = st.tuples(
    st.sampled_from(["replace", "interesting", "delete", "insert", "flip", "cut"]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=1, max_value=8),
)
_EDITS = st.lists(_EDIT, min_size=1, max_size=4)

_FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _mutate(data: bytes, edits: list[tuple[str, float, int, int]]) -> bytes:
    mutated = bytearray(data)
    for kind, where, value, count in edits:
        if not mutated:
            break
        at = min(int(where * len(mutated)), len(mutated) - 1)
        if kind == "replace":
            mutated[at] = value
        elif kind == "interesting":
            mutated[at] = _INTERESTING[value % len(_INTERESTING)]
        elif kind == "delete":
            del mutated[at : at + count]
        elif kind == "insert":
            mutated[at:at] = bytes([value]) * count
        elif kind == "flip":
            mutated[at] ^= 1 << (value % 8)
        else:
            del mutated[at:]
    return bytes(mutated)


def _only_pki_errors(call: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(PkiError):
        call(data)


def _vector_ids(paths: list[str]) -> list[str]:
    return [path.split("/")[-1] for path in paths]


CMS = [
    "signed/kalkan_cms_gost512_legal_ceo_attached_tsp_2025-02.p7s",
    "signed/ncanode_cms_one_signer_rsa_attached.p7s",
    "signed/ncanode_cms_two_signers_detached.p7s",
]
XML = [
    "signed/kalkan_xml_gost512_legal_ceo_2025-02.xml",
    "signed/ncanode_xml_two_signers.xml",
]
CERTIFICATES = [
    "certs/from-p12/sdk2026_legal_head_valid.pem",
    "certs/from-p12/sdk2018_individual_auth_rsa.pem",
    "ca/test/nca_gost2022_test.pem",
]
OCSP = [
    "ocsp/ocsp_response_individual_2015.bin",
    "ocsp/ocsp_response_ceo_2015_revoked.bin",
]


@pytest.mark.parametrize("path", CMS, ids=_vector_ids(CMS))
@_FUZZ
@given(edits=_EDITS)
def test_mutated_cms_raises_only_pki_errors(
    path: str, edits: list[tuple[str, float, int, int]]
) -> None:
    _only_pki_errors(verify_cms, _mutate(vectors.read(path), edits))


@pytest.mark.parametrize("path", XML, ids=_vector_ids(XML))
@_FUZZ
@given(edits=_EDITS)
def test_mutated_xml_raises_only_pki_errors(
    path: str, edits: list[tuple[str, float, int, int]]
) -> None:
    _only_pki_errors(verify_xml, _mutate(vectors.read(path), edits))


def _certificate_in_full(data: bytes) -> None:
    certificate = Certificate.load(data)
    certificate.identity  # noqa: B018 - parsed on first access
    certificate.public_key  # noqa: B018


@pytest.mark.parametrize("path", CERTIFICATES, ids=_vector_ids(CERTIFICATES))
@_FUZZ
@given(edits=_EDITS)
def test_mutated_certificate_raises_only_pki_errors(
    path: str, edits: list[tuple[str, float, int, int]]
) -> None:
    der = Certificate.load(vectors.read(path)).der
    _only_pki_errors(_certificate_in_full, _mutate(der, edits))


@_FUZZ
@given(edits=_EDITS)
def test_mutated_pkcs12_raises_only_pki_errors(
    edits: list[tuple[str, float, int, int]],
) -> None:
    data = vectors.read("keys/test-2026-2027/sdk2026_individual_valid.p12")
    _only_pki_errors(lambda d: load_pkcs12(d, "Qwerty12"), _mutate(data, edits))


@_FUZZ
@given(edits=_EDITS)
def test_mutated_crl_raises_only_pki_errors(
    edits: list[tuple[str, float, int, int]],
) -> None:
    issuer = Certificate.load(vectors.read("ca/test/nca_gost2022_test.pem"))
    data = vectors.read("crl/test/nca_gost2022_test_2026-08-11.crl")
    at = datetime(2026, 8, 12, tzinfo=UTC)
    _only_pki_errors(
        lambda d: CrlIndex.build(d, issuer=issuer, at=at), _mutate(data, edits)
    )


def _ocsp_checker(path: str) -> Callable[[bytes], object]:
    """check_response for a recorded answer, with the request it answered."""
    entry = vectors.entry(path)
    certificate = Certificate.load(vectors.read(entry["for_certificate"][0]))
    issuer = Certificate.load(vectors.read("ca/test/nca_gost2022_test.pem"))
    request = ocsp.build_request(
        certificate, issuer, nonce=bytes.fromhex(entry["nonce_hex"])
    )
    at = vectors.at(entry["validate_at"])

    def check(der: bytes) -> object:
        return ocsp.check_response(der, request=request, issuer=issuer, at=at)

    return check


@pytest.mark.parametrize("path", OCSP, ids=_vector_ids(OCSP))
@_FUZZ
@given(edits=_EDITS)
def test_mutated_ocsp_answer_raises_only_pki_errors(
    path: str, edits: list[tuple[str, float, int, int]]
) -> None:
    _only_pki_errors(_ocsp_checker(path), _mutate(vectors.read(path), edits))


# --- sweeps -------------------------------------------------------------------

# Universal tags asn1crypto has no native value for, and two that change a
# field's kind (BOOLEAN, a context tag).
_SWEEP_TAGS = (0x01, 0x07, 0x08, 0x09, 0xA5)


def _element_offsets(der: bytes, start: int = 0, end: int | None = None) -> list[int]:
    """The offset of every TLV in ``der``: inside constructed values, and
    inside OCTET and BIT STRINGs that hold DER (a BasicOCSPResponse,
    extension values, a public key)."""
    end = len(der) if end is None else end
    offsets = []
    for tag, offset, content_start, content_end in _der.children(der, start, end):
        offsets.append(offset)
        if tag & 0x20:
            offsets += _element_offsets(der, content_start, content_end)
            continue
        if tag == _der.TAG_BIT_STRING:
            content_start += 1
        if tag in (_der.TAG_OCTET_STRING, _der.TAG_BIT_STRING) and (
            content_start < content_end and der[content_start] & 0x20
        ):
            with contextlib.suppress(InputMalformed):
                offsets += _element_offsets(der, content_start, content_end)
    return offsets


def _retagged(der: bytes) -> list[bytes]:
    return [
        der[:offset] + bytes([tag]) + der[offset + 1 :]
        for offset in _element_offsets(der)
        for tag in _SWEEP_TAGS
        if der[offset] != tag
    ]


def test_every_element_of_an_ocsp_answer_retagged_raises_only_pki_errors() -> None:
    for path in OCSP:
        check = _ocsp_checker(path)
        for variant in _retagged(vectors.read(path)):
            _only_pki_errors(check, variant)


def test_every_element_of_a_cms_retagged_raises_only_pki_errors() -> None:
    for variant in _retagged(vectors.read(CMS[1])):
        _only_pki_errors(verify_cms, variant)


def test_every_element_of_a_certificate_retagged_raises_only_pki_errors() -> None:
    der = Certificate.load(vectors.read(CERTIFICATES[1])).der
    for variant in _retagged(der):
        _only_pki_errors(_certificate_in_full, variant)


def test_every_element_of_a_crl_retagged_raises_only_pki_errors() -> None:
    issuer = Certificate.load(vectors.read("ca/test/nca_gost2022_test.pem"))
    at = datetime(2026, 8, 12, tzinfo=UTC)
    der = vectors.read("crl/test/nca_gost2022_test_2026-08-11.crl")
    # The entries repeat one shape 195 times; the head and the first
    # entries are enough.
    for variant in _retagged(der)[:600]:
        _only_pki_errors(lambda d: CrlIndex.build(d, issuer=issuer, at=at), variant)


_HOSTILE_ATTRIBUTES = (
    b' xmlns:x="relative"',
    b' xmlns="relative"',
    b' xmlns:ds="urn:other"',
    b' xml:base="http://127.0.0.1/"',
    b' xml:id="a"',
    b' xml:lang="kk"',
    b' a="&#0;"',
    b' a="&#xD800;"',
)


def test_every_xml_element_with_a_hostile_attribute_raises_only_pki_errors() -> None:
    document = vectors.read(XML[0])
    starts = [
        match.end() for match in re.finditer(rb"<[A-Za-z][A-Za-z0-9:._-]*", document)
    ]
    assert len(starts) > 10
    for position in starts:
        for attribute in _HOSTILE_ATTRIBUTES:
            variant = document[:position] + attribute + document[position:]
            _only_pki_errors(verify_xml, variant)
