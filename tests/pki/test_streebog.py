"""Streebog (GOST R 34.11-2012): RFC 6986 examples and gostcrypto agreement."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

import pytest
from gostcrypto import gosthash

from kabinet.pki import streebog
from kabinet.pki.streebog import (
    pure_streebog256,
    pure_streebog512,
    streebog256,
    streebog512,
)

# RFC 6986 10.1 and 10.2 print messages and digests as numbers, most
# significant byte first; implementations hash and print byte strings in
# order. Both sides are therefore reversed below. Reversed, M1 is the ASCII
# digits "0123...012" and M2 the CP1251 text of the Igor Tale line.
RFC_M1 = bytes.fromhex(
    "323130393837363534333231303938373635343332313039383736353433323130"
    "393837363534333231303938373635343332313039383736353433323130"
)[::-1]
RFC_M2 = bytes.fromhex(
    "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0"
    "eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1"
)[::-1]
RFC_H512_M1 = bytes.fromhex(
    "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
    "fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b"
)[::-1]
RFC_H256_M1 = bytes.fromhex(
    "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"
)[::-1]
RFC_H512_M2 = bytes.fromhex(
    "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f03"
    "7613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"
)[::-1]
RFC_H256_M2 = bytes.fromhex(
    "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"
)[::-1]

Hash = Callable[[bytes], bytes]
IMPLEMENTATIONS_512: list[Hash] = [pure_streebog512, streebog512]
IMPLEMENTATIONS_256: list[Hash] = [pure_streebog256, streebog256]

LENGTHS = [*range(201), 1000, 4096, 65537]


def _message(length: int) -> bytes:
    return random.Random(length).randbytes(length)


def test_rfc_messages_are_the_texts_they_stand_for() -> None:
    assert RFC_M1 == b"012345678901234567890123456789012345678901234567890123456789012"
    assert RFC_M2.decode("cp1251").startswith("Се ветри, Стрибожи внуци")


@pytest.mark.parametrize("digest", IMPLEMENTATIONS_512, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("message", "expected"),
    [(RFC_M1, RFC_H512_M1), (RFC_M2, RFC_H512_M2)],
    ids=["M1", "M2"],
)
def test_streebog512_of_rfc_example_matches_rfc(
    digest: Hash, message: bytes, expected: bytes
) -> None:
    assert digest(message) == expected


@pytest.mark.parametrize("digest", IMPLEMENTATIONS_256, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("message", "expected"),
    [(RFC_M1, RFC_H256_M1), (RFC_M2, RFC_H256_M2)],
    ids=["M1", "M2"],
)
def test_streebog256_of_rfc_example_matches_rfc(
    digest: Hash, message: bytes, expected: bytes
) -> None:
    assert digest(message) == expected


def test_empty_message_gives_the_usually_printed_digests() -> None:
    assert pure_streebog512(b"").hex() == (
        "8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7"
        "362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a"
    )
    assert pure_streebog256(b"").hex() == (
        "3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb"
    )


@pytest.mark.parametrize("length", LENGTHS)
def test_pure_streebog512_agrees_with_gostcrypto(length: int) -> None:
    message = _message(length)

    expected = gosthash.new("streebog512", data=message).digest()

    assert pure_streebog512(message) == bytes(expected)


@pytest.mark.parametrize("length", LENGTHS)
def test_pure_streebog256_agrees_with_gostcrypto(length: int) -> None:
    message = _message(length)

    expected = gosthash.new("streebog256", data=message).digest()

    assert pure_streebog256(message) == bytes(expected)


@pytest.mark.parametrize("length", [0, 63, 64, 65, 1000])
def test_streebog_in_use_agrees_with_pure_streebog(length: int) -> None:
    message = _message(length)

    assert streebog512(message) == pure_streebog512(message)
    assert streebog256(message) == pure_streebog256(message)


def test_memoryview_and_bytearray_hash_like_bytes() -> None:
    message = _message(130)

    assert pure_streebog512(bytearray(message)) == pure_streebog512(message)
    assert pure_streebog512(memoryview(message)) == pure_streebog512(message)


def test_block_sum_wraps_modulo_2_to_512() -> None:
    # Two all-ones blocks make Sigma overflow 512 bits: RFC 6986 8.2 adds in
    # Z/2^512, and gostcrypto follows it.
    message = b"\xff" * 128 + b"\x01"

    expected = gosthash.new("streebog512", data=message).digest()

    assert pure_streebog512(message) == bytes(expected)


def test_openssl_digest_that_disagrees_with_the_rfc_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Wrong:
        def __init__(self, name: str, data: bytes = b"") -> None:
            self.data = data

        def digest(self) -> bytes:
            return bytes(64)

    monkeypatch.setattr(hashlib, "new", Wrong)

    assert streebog._openssl("md_gost12_512", streebog._EXAMPLE_512) is None


def test_openssl_digest_that_is_missing_is_not_used() -> None:
    assert streebog._openssl("md_no_such_digest", streebog._EXAMPLE_512) is None


def test_openssl_digest_that_matches_the_rfc_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    class Matching:
        def __init__(self, name: str, data: bytes = b"") -> None:
            calls.append(name)
            self.data = data

        def digest(self) -> bytes:
            return pure_streebog512(self.data)

    monkeypatch.setattr(hashlib, "new", Matching)

    fast = streebog._openssl("md_gost12_512", streebog._EXAMPLE_512)

    assert fast is not None
    assert fast(b"abc") == pure_streebog512(b"abc")
    assert calls == ["md_gost12_512", "md_gost12_512"]
