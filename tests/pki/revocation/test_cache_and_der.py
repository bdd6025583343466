"""The good-answer cache and the DER reader under the CRL index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto.core import Integer, ObjectIdentifier

from kabinet.pki import _der
from kabinet.pki.errors import InputMalformed
from kabinet.pki.revocation.cache import GoodAnswerCache
from kabinet.pki.revocation.policy import RevocationPolicy

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_good_answer_is_kept_for_its_time_to_live() -> None:
    cache = GoodAnswerCache(ttl_seconds=300)
    cache.remember(("ca", 1), source="ocsp", at=T0)

    assert cache.lookup(("ca", 1), at=T0 + timedelta(seconds=300)) == "ocsp"
    assert cache.lookup(("ca", 1), at=T0 + timedelta(seconds=301)) is None
    assert cache.lookup(("ca", 2), at=T0) is None


def test_good_answer_does_not_outlive_its_next_update() -> None:
    cache = GoodAnswerCache(ttl_seconds=3600)
    cache.remember(
        ("ca", 1), source="crl", at=T0, next_update=T0 + timedelta(minutes=5)
    )

    assert cache.lookup(("ca", 1), at=T0 + timedelta(minutes=5)) == "crl"
    assert cache.lookup(("ca", 1), at=T0 + timedelta(minutes=6)) is None


def test_good_answer_does_not_count_before_it_was_obtained() -> None:
    cache = GoodAnswerCache(ttl_seconds=300)
    cache.remember(("ca", 1), source="ocsp", at=T0)

    assert cache.lookup(("ca", 1), at=T0 - timedelta(seconds=1)) is None
    assert cache.lookup(("ca", 1), at=T0) == "ocsp"


def test_zero_time_to_live_keeps_nothing() -> None:
    cache = GoodAnswerCache(ttl_seconds=0)
    cache.remember(("ca", 1), source="ocsp", at=T0)

    assert len(cache) == 0


def test_oldest_answers_are_dropped_at_the_bound() -> None:
    cache = GoodAnswerCache(ttl_seconds=300, max_entries=3)
    for serial in range(5):
        cache.remember(("ca", serial), source="ocsp", at=T0)

    assert len(cache) == 3
    assert cache.lookup(("ca", 0), at=T0) is None
    assert cache.lookup(("ca", 4), at=T0) == "ocsp"


def test_cache_refuses_naive_times() -> None:
    cache = GoodAnswerCache(ttl_seconds=300)

    with pytest.raises(ValueError, match="timezone-aware"):
        cache.remember(("ca", 1), source="ocsp", at=T0.replace(tzinfo=None))


def test_policies_name_their_sources() -> None:
    assert RevocationPolicy("ocsp-then-crl").uses_ocsp
    assert RevocationPolicy("ocsp-then-crl").uses_crl
    assert not RevocationPolicy.OCSP.uses_crl
    assert not RevocationPolicy.CRL.uses_ocsp
    assert not RevocationPolicy.OFF.uses_ocsp and not RevocationPolicy.OFF.uses_crl


@pytest.mark.parametrize(
    "value", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**159, 2**160 - 1, 2**1000]
)
def test_integers_encode_like_asn1crypto(value: int) -> None:
    encoded = _der.encode_integer(value)

    assert encoded == Integer(value).dump()
    tag, start, end = _der.header(encoded, 0, len(encoded))
    assert tag == _der.TAG_INTEGER
    assert _der.decode_integer(encoded, start, end) == value


@pytest.mark.parametrize(
    "oid",
    ["1.2.398.3.10.1.1.2.3.2", "2.5.29.20", "0.9.2342.19200300.100.1.1", "2.999.3"],
)
def test_oids_round_trip(oid: str) -> None:
    encoded = _der.encode_oid(oid)

    assert encoded == ObjectIdentifier(oid).dump()
    assert _der.decode_oid(encoded, 2, len(encoded)) == oid


@pytest.mark.parametrize(
    "data",
    [
        b"\x30",  # no length
        b"\x30\x80\x00\x00",  # indefinite length
        b"\x30\x05\x01\x02",  # longer than its parent
        b"\x30\x85\x00\x00\x00\x00\x01\x00",  # five length octets
        b"\x1f\x01\x00",  # high tag number
    ],
)
def test_malformed_headers_are_refused(data: bytes) -> None:
    with pytest.raises(InputMalformed):
        _der.header(data, 0, len(data))


@pytest.mark.parametrize(
    ("tag", "text", "expected"),
    [
        (
            _der.TAG_UTC_TIME,
            b"260811034919Z",
            datetime(2026, 8, 11, 3, 49, 19, tzinfo=UTC),
        ),
        (_der.TAG_UTC_TIME, b"700101000000Z", datetime(1970, 1, 1, tzinfo=UTC)),
        (
            _der.TAG_GENERALIZED_TIME,
            b"20500101000000Z",
            datetime(2050, 1, 1, tzinfo=UTC),
        ),
    ],
)
def test_times_decode_as_rfc_5280_says(
    tag: int, text: bytes, expected: datetime
) -> None:
    assert _der.decode_time(tag, text, 0, len(text)) == expected


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        (_der.TAG_UTC_TIME, b"2608110349Z"),
        (_der.TAG_UTC_TIME, b"260811034919+0600"),
        (_der.TAG_GENERALIZED_TIME, b"20260811034919.5Z"),
        (_der.TAG_UTC_TIME, b"261311034919Z"),
        (_der.TAG_UTC_TIME, b"26-811034919Z"),
    ],
)
def test_times_outside_rfc_5280_are_refused(tag: int, text: bytes) -> None:
    with pytest.raises(InputMalformed):
        _der.decode_time(tag, text, 0, len(text))
