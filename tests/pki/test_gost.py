"""GOST R 34.10-2015 in the Kazakh byte order.

Checked against gostcrypto (which wants everything big-endian and r || s),
against the worked example of GOST R 34.10-2012 itself, and against real
certificates and CRLs signed by NCA RK.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from gostcrypto import gostsignature

from kabinet.pki import _gost_arithmetic, gost
from kabinet.pki.errors import AlgorithmUnsupported, InputMalformed
from kabinet.pki.gost import (
    CURVE_256_A,
    CURVE_512_A,
    Curve,
    GostPrivateKey,
    GostPublicKey,
    curve_for_oid,
    hash_for,
    sign,
    sign_digest,
    verify,
    verify_digest,
)
from kabinet.pki.streebog import streebog256, streebog512
from tests import vectors

CURVES = [CURVE_512_A, CURVE_256_A]
GOSTCRYPTO_CURVES = {
    CURVE_512_A.oid: "id-tc26-gost-3410-12-512-paramSetA",
    CURVE_256_A.oid: "id-tc26-gost-3410-2012-256-paramSetA",
}
KZ_GOST_2015_SIGNATURE = "1.2.398.3.10.1.1.2.3.2"
# DER content of the OID 1.2.398.3.10.1.1.2.2.1 (512-bit parameter set A).
KZ_512_A_OID_DER = bytes.fromhex("2a830e030a0101020201")


def _curve_id(curve: Curve) -> str:
    return f"{curve.size * 8}A"


@pytest.fixture(params=["python", "gmpy2"])
def arithmetic(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once on Python ints and once on gmpy2."""
    name: str = request.param
    if name == "gmpy2":
        pytest.importorskip("gmpy2")
    previous = gost._use_arithmetic(name)
    try:
        yield name
    finally:
        gost._use_arithmetic(previous)


# -- gostcrypto, the independent implementation ----------------------------------------


def _gostcrypto(curve: Curve) -> Any:
    mode = gostsignature.MODE_512 if curve.size == 64 else gostsignature.MODE_256
    parameters = gostsignature.CURVES_R_1323565_1_024_2019[GOSTCRYPTO_CURVES[curve.oid]]
    return gostsignature.new(mode, parameters)


def _big_endian(value: int, size: int) -> bytearray:
    return bytearray(value.to_bytes(size, "big"))


def _to_gostcrypto_signature(signature: bytes, size: int) -> bytearray:
    # KZ r_LE || s_LE  ->  gostcrypto r_BE || s_BE.
    return bytearray(signature[:size][::-1] + signature[size:][::-1])


def _from_gostcrypto_signature(signature: bytes, size: int) -> bytes:
    return bytes(signature[:size][::-1] + signature[size:][::-1])


@dataclass(frozen=True)
class Reference:
    """A key, digest, k and signature, all computed by gostcrypto."""

    private_key: GostPrivateKey
    public_x: int
    public_y: int
    digest: bytes
    k: int
    signature: bytes  # converted to the KZ layout


@functools.cache
def _reference(curve: Curve) -> Reference:
    # gostcrypto needs about half a second per 512-bit operation, so its
    # answers are computed once per curve and shared by the tests.
    rng = random.Random(curve.oid)
    size = curve.size
    scalar = rng.randrange(1, curve.q)
    k = rng.randrange(1, curve.q)
    digest = hash_for(curve)(rng.randbytes(300))
    engine = _gostcrypto(curve)
    public = bytes(engine.public_key_generate(_big_endian(scalar, size)))
    signature = engine.sign(
        _big_endian(scalar, size), bytearray(digest[::-1]), _big_endian(k, size)
    )
    return Reference(
        private_key=GostPrivateKey(curve, scalar),
        public_x=int.from_bytes(public[:size], "big"),
        public_y=int.from_bytes(public[size:], "big"),
        digest=digest,
        k=k,
        signature=_from_gostcrypto_signature(signature, size),
    )


def _private_key(curve: Curve, seed: int) -> GostPrivateKey:
    return GostPrivateKey(curve, random.Random(seed).randrange(1, curve.q))


# -- curves ----------------------------------------------------------------------------


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_curve_parameters_match_gostcrypto(curve: Curve) -> None:
    parameters = gostsignature.CURVES_R_1323565_1_024_2019[GOSTCRYPTO_CURVES[curve.oid]]

    assert (curve.p, curve.a, curve.b, curve.q, curve.x, curve.y) == tuple(
        parameters[name] for name in ("p", "a", "b", "q", "x", "y")
    )
    assert curve.q.bit_length() <= curve.size * 8


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_kz_parameter_set_oid_gives_its_curve(curve: Curve) -> None:
    assert curve_for_oid(curve.oid) is curve


def test_unknown_parameter_set_oid_is_unsupported() -> None:
    # tc26 paramSetA under its Russian OID: NCA never uses it.
    with pytest.raises(AlgorithmUnsupported) as caught:
        curve_for_oid("1.2.643.7.1.2.1.2.1")

    assert caught.value.code == "unsupported_algorithm"


def test_hash_follows_the_key_size() -> None:
    assert hash_for(CURVE_512_A) is streebog512
    assert hash_for(CURVE_256_A) is streebog256


# -- agreement with gostcrypto ---------------------------------------------------------


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_public_key_derivation_matches_gostcrypto(
    arithmetic: str, curve: Curve
) -> None:
    reference = _reference(curve)

    public = reference.private_key.public_key()

    assert (public.x, public.y) == (reference.public_x, reference.public_y)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signature_with_given_k_matches_gostcrypto(
    arithmetic: str, curve: Curve
) -> None:
    reference = _reference(curve)

    signature = sign_digest(reference.private_key, reference.digest, k=reference.k)

    assert signature == reference.signature


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_gostcrypto_signature_verifies_here(arithmetic: str, curve: Curve) -> None:
    reference = _reference(curve)
    public = GostPublicKey(curve, reference.public_x, reference.public_y)

    assert verify_digest(public, reference.digest, reference.signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signature_made_here_verifies_in_gostcrypto(
    arithmetic: str, curve: Curve
) -> None:
    private = _private_key(curve, 7)
    public = private.public_key()
    message = b"kabinet challenge 7"
    size = curve.size

    signature = sign(private, message)

    assert verify(public, message, signature)
    assert _gostcrypto(curve).verify(
        bytearray(public.x.to_bytes(size, "big") + public.y.to_bytes(size, "big")),
        bytearray(hash_for(curve)(message)[::-1]),
        _to_gostcrypto_signature(signature, size),
    )


def test_standard_example_a1_gives_the_published_signature(arithmetic: str) -> None:
    # GOST R 34.10-2012 appendix A.1 (also RFC 7091 7.1): a 256-bit test
    # curve with a = 7, so the general doubling formula is exercised. The
    # standard gives e as a number; here it is passed little-endian.
    curve = Curve(
        name="GOST R 34.10-2012 A.1 test curve",
        oid="1.2.643.2.2.35.0",
        p=0x8000000000000000000000000000000000000000000000000000000000000431,
        a=7,
        b=0x5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E,
        q=0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
        x=2,
        y=0x08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8,
        size=32,
    )
    private = GostPrivateKey(
        curve, 0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28
    )
    e = 0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5
    k = 0x77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3
    r = 0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493
    s = 0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40
    digest = e.to_bytes(32, "little")

    public = private.public_key()
    signature = sign_digest(private, digest, k=k)

    assert (public.x, public.y) == (
        0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B,
        0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA,
    )
    assert signature == r.to_bytes(32, "little") + s.to_bytes(32, "little")
    assert verify_digest(public, digest, signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signatures_with_random_k_differ_and_both_verify(
    arithmetic: str, curve: Curve
) -> None:
    private = _private_key(curve, 11)
    public = private.public_key()

    first = sign(private, b"message")
    second = sign(private, b"message")

    assert first != second
    assert verify(public, b"message", first)
    assert verify(public, b"message", second)


# -- tampering and malformed signatures ------------------------------------------------


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize("position", [0, 17, -33, -1])
def test_signature_with_a_flipped_byte_is_rejected(
    arithmetic: str, curve: Curve, position: int
) -> None:
    private = _private_key(curve, 1)
    signature = bytearray(sign(private, b"login challenge"))
    signature[position] ^= 0x01

    assert not verify(private.public_key(), b"login challenge", bytes(signature))


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_message_with_a_flipped_byte_is_rejected(arithmetic: str, curve: Curve) -> None:
    private = _private_key(curve, 2)
    signature = sign(private, b"login challenge")

    assert verify(private.public_key(), b"login challenge", signature)
    assert not verify(private.public_key(), b"login challendge", signature)
    assert not verify(private.public_key(), b"login challenge ", signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signature_checked_with_another_key_is_rejected(
    arithmetic: str, curve: Curve
) -> None:
    signature = sign(_private_key(curve, 3), b"document")

    assert not verify(_private_key(curve, 4).public_key(), b"document", signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signature_checked_with_the_negated_key_is_rejected(
    arithmetic: str, curve: Curve
) -> None:
    private = _private_key(curve, 5)
    public = private.public_key()
    negated = GostPublicKey(curve, public.x, curve.p - public.y)

    assert not verify(negated, b"document", sign(private, b"document"))


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signature_in_rfc4491_byte_order_is_rejected(
    arithmetic: str, curve: Curve
) -> None:
    # RFC 4491 / OpenSSL write s_BE || r_BE: the whole KZ blob reversed.
    private = _private_key(curve, 6)
    signature = sign(private, b"document")

    assert not verify(private.public_key(), b"document", signature[::-1])


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize(
    "which", ["r=0", "s=0", "r=q", "s=q", "r=max", "s=max"], ids=str
)
def test_r_or_s_outside_the_open_interval_is_rejected(
    arithmetic: str, curve: Curve, which: str
) -> None:
    reference = _reference(curve)
    public = GostPublicKey(curve, reference.public_x, reference.public_y)
    size = curve.size
    r = int.from_bytes(reference.signature[:size], "little")
    s = int.from_bytes(reference.signature[size:], "little")
    value = {"0": 0, "q": curve.q, "max": (1 << (8 * size)) - 1}[which[2:]]
    if which[0] == "r":
        r = value
    else:
        s = value

    signature = r.to_bytes(size, "little") + s.to_bytes(size, "little")

    assert not verify_digest(public, reference.digest, signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_all_zero_signature_is_rejected(arithmetic: str, curve: Curve) -> None:
    public = _private_key(curve, 8).public_key()

    assert not verify(public, b"document", bytes(2 * curve.size))


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_signature_whose_check_point_is_at_infinity_is_rejected(
    arithmetic: str, curve: Curve
) -> None:
    # With Q = G and e = 1, GOST R 34.10-2012 6.2 computes C = (s - r) G:
    # s = r puts C at infinity, which no r can match.
    generator = GostPublicKey(curve, curve.x, curve.y)
    digest = (1).to_bytes(curve.size, "little")
    r = 0x1234567
    signature = r.to_bytes(curve.size, "little") * 2

    for _ in range(3):  # the third use runs on the key's own table
        assert not verify_digest(generator, digest, signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize("k", [5, 7, 2**100 + 1])
def test_signature_whose_two_halves_coincide_verifies(
    arithmetic: str, curve: Curve, k: int
) -> None:
    # With Q = G (private key 1), z1 = s / e and z2 = -r / e; choosing
    # e = -2r / k makes z1 = z2: the key's multiplication and the
    # generator's compute the same point, and C = 2 z1 G = k G.
    q = curve.q
    generator = GostPublicKey(curve, curve.x, curve.y)
    r = GostPrivateKey(curve, k).public_key().x % q
    e = -2 * r * pow(k, -1, q) % q
    s = (r + k * e) % q
    digest = e.to_bytes(curve.size, "little")
    signature = r.to_bytes(curve.size, "little") + s.to_bytes(curve.size, "little")

    for _ in range(3):  # the third use runs on the key's own table
        assert verify_digest(generator, digest, signature)


def test_r_or_s_plus_q_is_rejected_although_congruent(arithmetic: str) -> None:
    # On the 256-bit curve q is near 2^254, so r + q and s + q still fit in
    # 32 bytes: only the range check of GOST R 34.10-2012 6.2 step 1 stops
    # these copies of a valid signature.
    reference = _reference(CURVE_256_A)
    public = GostPublicKey(CURVE_256_A, reference.public_x, reference.public_y)
    q = CURVE_256_A.q
    r = int.from_bytes(reference.signature[:32], "little")
    s = int.from_bytes(reference.signature[32:], "little")

    shifted_r = (r + q).to_bytes(32, "little") + s.to_bytes(32, "little")
    shifted_s = r.to_bytes(32, "little") + (s + q).to_bytes(32, "little")

    assert verify_digest(public, reference.digest, reference.signature)
    assert not verify_digest(public, reference.digest, shifted_r)
    assert not verify_digest(public, reference.digest, shifted_s)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize("change", [-1, 1, "empty"], ids=str)
def test_signature_of_wrong_length_is_rejected(
    arithmetic: str, curve: Curve, change: int | str
) -> None:
    reference = _reference(curve)
    public = GostPublicKey(curve, reference.public_x, reference.public_y)
    signature = reference.signature
    if change == "empty":
        signature = b""
    elif change == 1:
        signature += b"\x00"
    else:
        signature = signature[:-1]

    assert not verify_digest(public, reference.digest, signature)


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_digest_of_wrong_length_is_rejected(arithmetic: str, curve: Curve) -> None:
    reference = _reference(curve)
    public = GostPublicKey(curve, reference.public_x, reference.public_y)

    assert not verify_digest(public, reference.digest + b"\x00", reference.signature)
    assert not verify_digest(public, reference.digest[:-1], reference.signature)


def test_zero_digest_is_signed_as_one(arithmetic: str) -> None:
    # GOST R 34.10-2012 6.1 step 2: e = 0 is replaced by 1. A digest equal
    # to q reduces to 0 as well.
    private = _private_key(CURVE_512_A, 8)
    one = (1).to_bytes(64, "little")

    signature = sign_digest(private, bytes(64), k=12345)

    assert signature == sign_digest(private, one, k=12345)
    assert verify_digest(
        private.public_key(), CURVE_512_A.q.to_bytes(64, "little"), signature
    )


# -- public and private keys -----------------------------------------------------------


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_public_key_round_trips_through_its_kz_encoding(curve: Curve) -> None:
    public = _private_key(curve, 9).public_key()

    encoded = public.to_kz_bytes()

    assert encoded == (
        public.x.to_bytes(curve.size, "little")
        + public.y.to_bytes(curve.size, "little")
    )
    assert GostPublicKey.from_kz_bytes(curve, encoded) == public


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize("length_change", [-1, 1])
def test_public_key_of_wrong_length_is_malformed(
    curve: Curve, length_change: int
) -> None:
    encoded = _private_key(curve, 9).public_key().to_kz_bytes()
    data = encoded[:-1] if length_change < 0 else encoded + b"\x00"

    with pytest.raises(InputMalformed) as caught:
        GostPublicKey.from_kz_bytes(curve, data)

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_public_key_with_a_flipped_byte_is_malformed(
    arithmetic: str, curve: Curve
) -> None:
    encoded = bytearray(_private_key(curve, 10).public_key().to_kz_bytes())
    encoded[3] ^= 0x40

    with pytest.raises(InputMalformed) as caught:
        GostPublicKey.from_kz_bytes(curve, bytes(encoded))

    assert caught.value.code == "malformed_input"


def test_public_key_encoding_with_x_plus_p_is_malformed() -> None:
    # G's x is 3, so x + p still fits in 64 bytes: a second encoding of G
    # that must not be accepted.
    curve = CURVE_512_A
    data = (curve.x + curve.p).to_bytes(64, "little") + curve.y.to_bytes(64, "little")

    with pytest.raises(InputMalformed) as caught:
        GostPublicKey.from_kz_bytes(curve, data)

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize("coordinate", ["x", "y"])
def test_public_key_coordinate_not_below_p_is_malformed(
    curve: Curve, coordinate: str
) -> None:
    x, y = curve.x, curve.y
    if coordinate == "x":
        x += curve.p
    else:
        y += curve.p

    with pytest.raises(InputMalformed) as caught:
        GostPublicKey(curve, x, y)

    assert caught.value.code == "malformed_input"


def _order_two_point_256() -> tuple[int, int]:
    # RFC 7836 A.2 gives paramSetA as a twisted Edwards curve with e = 1 and
    # the d below; its point (0, -1) of order 2 maps to x = (e + d) / 6 with
    # y = 0 on the Weierstrass form. y = 0 makes P = -P, so the order is 2.
    p = CURVE_256_A.p
    d = gostsignature.CURVES_R_1323565_1_024_2019[GOSTCRYPTO_CURVES[CURVE_256_A.oid]][
        "d"
    ]
    x = (1 + d) * pow(6, -1, p) % p
    assert (x**3 + CURVE_256_A.a * x + CURVE_256_A.b) % p == 0
    return x, 0


def test_256_bit_point_of_order_two_is_malformed(arithmetic: str) -> None:
    x, y = _order_two_point_256()

    with pytest.raises(InputMalformed) as caught:
        GostPublicKey(CURVE_256_A, x, y)

    assert caught.value.code == "malformed_input"


def test_256_bit_point_outside_the_subgroup_is_malformed(arithmetic: str) -> None:
    # G + T with T of order 2 is on the curve and has order 2q.
    p = CURVE_256_A.p
    tx, ty = _order_two_point_256()
    gx, gy = CURVE_256_A.x, CURVE_256_A.y
    slope = (ty - gy) * pow(tx - gx, -1, p) % p
    x = (slope * slope - gx - tx) % p
    y = (slope * (gx - x) - gy) % p
    assert (y * y - x**3 - CURVE_256_A.a * x - CURVE_256_A.b) % p == 0

    with pytest.raises(InputMalformed) as caught:
        GostPublicKey.from_kz_bytes(
            CURVE_256_A, x.to_bytes(32, "little") + y.to_bytes(32, "little")
        )

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
@pytest.mark.parametrize("scalar", ["0", "q", "-1"], ids=str)
def test_private_key_outside_one_to_q_minus_one_is_malformed(
    curve: Curve, scalar: str
) -> None:
    value = {"0": 0, "q": curve.q, "-1": -1}[scalar]

    with pytest.raises(InputMalformed) as caught:
        GostPrivateKey(curve, value)

    assert caught.value.code == "malformed_input"


def test_private_key_repr_does_not_show_the_scalar() -> None:
    private = _private_key(CURVE_512_A, 13)

    shown = repr(private) + str(private)

    assert str(private.scalar) not in shown
    assert format(private.scalar, "x") not in shown.lower()
    assert "tc26-gost-3410-12-512-paramSetA" in shown


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_generated_private_keys_are_fresh_and_in_range(curve: Curve) -> None:
    first = GostPrivateKey.generate(curve)
    second = GostPrivateKey.generate(curve)

    assert first != second
    assert 0 < first.scalar < curve.q


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_digest_of_wrong_length_cannot_be_signed(curve: Curve) -> None:
    with pytest.raises(InputMalformed) as caught:
        sign_digest(_private_key(curve, 14), bytes(curve.size - 1))

    assert caught.value.code == "malformed_input"


@pytest.mark.parametrize("k", ["0", "q"], ids=str)
def test_given_k_outside_one_to_q_minus_one_is_refused(k: str) -> None:
    value = {"0": 0, "q": CURVE_512_A.q}[k]

    with pytest.raises(InputMalformed) as caught:
        sign_digest(_private_key(CURVE_512_A, 15), bytes(64), k=value)

    assert caught.value.code == "malformed_input"


# -- tables of recurring keys ----------------------------------------------------------


@pytest.mark.parametrize("curve", CURVES, ids=_curve_id)
def test_recurring_key_gets_a_table_on_its_second_use(
    arithmetic: str, curve: Curve
) -> None:
    private = _private_key(curve, 100 + len(arithmetic))
    public = private.public_key()
    signature = sign(private, b"OCSP response")
    tables = gost._curve_math(curve).key_tables
    point = (public.x, public.y)

    assert verify(public, b"OCSP response", signature)
    assert point not in tables
    assert verify(public, b"OCSP response", signature)
    assert point in tables
    assert verify(public, b"OCSP response", signature)
    assert not verify(public, b"OCSP responsf", signature)
    assert not verify(public, b"OCSP response", signature[1:] + signature[:1])


def test_key_table_cache_keeps_the_most_recently_used_tables() -> None:
    cache = _gost_arithmetic.KeyTableCache(capacity=2, watch_capacity=10)
    built: list[tuple[int, int]] = []

    def builder(point: tuple[int, int]) -> Any:
        def build() -> _gost_arithmetic.FixedBaseTable:
            built.append(point)
            return _gost_arithmetic.FixedBaseTable(4, ())

        return build

    keys = [(1, 1), (2, 2), (3, 3)]
    for key in keys:
        assert cache.table_for(key, builder(key)) is None
    for key in keys:
        assert cache.table_for(key, builder(key)) is not None
    again = cache.table_for((3, 3), builder((3, 3)))

    assert built == keys
    assert again is not None
    assert (1, 1) not in cache
    assert (2, 2) in cache and (3, 3) in cache
    assert len(cache) == 2


def test_key_table_cache_forgets_old_first_uses() -> None:
    cache = _gost_arithmetic.KeyTableCache(capacity=2, watch_capacity=1)

    def build() -> _gost_arithmetic.FixedBaseTable:
        return _gost_arithmetic.FixedBaseTable(4, ())

    cache.table_for((1, 1), build)
    cache.table_for((2, 2), build)

    assert cache.table_for((1, 1), build) is None
    assert cache.table_for((1, 1), build) is not None


# -- choosing the arithmetic -----------------------------------------------------------


@pytest.mark.parametrize("value", ["python", "PYTHON ", "auto"])
def test_arithmetic_setting_is_honoured(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KABINET_GOST_ARITHMETIC", value)

    chosen = _gost_arithmetic.from_environment()

    expected = "python" if value != "auto" else None
    assert chosen.name == (
        expected or ("gmpy2" if _gost_arithmetic.gmpy2_installed() else "python")
    )


def test_unknown_arithmetic_setting_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KABINET_GOST_ARITHMETIC", "fortran")

    with pytest.raises(ValueError, match="KABINET_GOST_ARITHMETIC"):
        _gost_arithmetic.from_environment()


# -- real NCA signatures ---------------------------------------------------------------


def _element(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``offset``."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return tag, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, content start, content end) of each child."""
    children = []
    offset = start
    while offset < end:
        tag, content, stop = _element(data, offset)
        children.append((tag, offset, content, stop))
        offset = stop
    return children


def _gost_public_key(certificate_der: bytes) -> GostPublicKey:
    """The 512-bit key of a certificate, read straight from its DER."""
    _, start, end = _element(certificate_der, 0)
    tbs = _children(certificate_der, start, end)[0]
    fields = _children(certificate_der, tbs[2], tbs[3])
    if fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    _, _, spki_start, spki_end = fields[5]
    algorithm, bit_string = _children(certificate_der, spki_start, spki_end)
    assert KZ_512_A_OID_DER in certificate_der[algorithm[2] : algorithm[3]]
    # BIT STRING: one byte of unused bits, then the DER OCTET STRING x || y.
    _, key_start, key_end = _element(certificate_der, bit_string[2] + 1)
    return GostPublicKey.from_kz_bytes(CURVE_512_A, certificate_der[key_start:key_end])


def _certificate(path: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(vectors.read(path))


def _issuer_key(path: str) -> GostPublicKey:
    return _gost_public_key(_certificate(path).public_bytes(Encoding.DER))


def _gost_signed(*kinds: str) -> list[tuple[str, str]]:
    signed = []
    for entry in vectors.entries(*kinds):
        algorithm = entry.get("algorithm")
        text = (
            algorithm.get("signature", "") if isinstance(algorithm, dict) else algorithm
        )
        if "34.10-2015" in str(text):
            for check in entry.get("verified_signature", []):
                if check.get("signature_valid"):
                    signed.append((entry["path"], check["issued_by"]))
    return signed


SIGNED_CERTIFICATES = _gost_signed("ca_cert", "user_cert")
SIGNED_CRLS = _gost_signed("crl")


def test_nca_vectors_include_the_chains_that_matter() -> None:
    assert ("ca/test/nca_gost2022_test.pem", "ca/test/root_test_gost_2022.pem") in (
        SIGNED_CERTIFICATES
    )
    assert ("ca/prod/nca_gost_2022.pem", "ca/prod/root_gost_2022.pem") in (
        SIGNED_CERTIFICATES
    )
    assert (
        "certs/from-p12/sdk2026_legal_head_valid.pem",
        "ca/test/nca_gost2022_test.pem",
    ) in SIGNED_CERTIFICATES
    assert len(SIGNED_CRLS) >= 4


@pytest.mark.parametrize(("path", "issuer"), SIGNED_CERTIFICATES, ids=lambda v: v)
def test_nca_certificate_signature_verifies_with_its_issuer_key(
    arithmetic: str, path: str, issuer: str
) -> None:
    certificate = _certificate(path)
    issuer_key = _issuer_key(issuer)

    assert certificate.signature_algorithm_oid.dotted_string == KZ_GOST_2015_SIGNATURE
    assert verify(issuer_key, certificate.tbs_certificate_bytes, certificate.signature)


def test_nca_certificate_with_a_changed_tbs_byte_is_rejected(arithmetic: str) -> None:
    certificate = _certificate("certs/from-p12/sdk2026_legal_head_valid.pem")
    issuer_key = _issuer_key("ca/test/nca_gost2022_test.pem")
    tbs = bytearray(certificate.tbs_certificate_bytes)
    tbs[200] ^= 0x01

    assert not verify(issuer_key, bytes(tbs), certificate.signature)


def test_nca_certificate_signature_in_rfc4491_order_is_rejected(
    arithmetic: str,
) -> None:
    certificate = _certificate("ca/prod/nca_gost_2022.pem")
    issuer_key = _issuer_key("ca/prod/root_gost_2022.pem")

    assert not verify(
        issuer_key, certificate.tbs_certificate_bytes, certificate.signature[::-1]
    )


@pytest.mark.parametrize(("path", "issuer"), SIGNED_CRLS, ids=lambda v: v)
def test_nca_crl_signature_verifies_with_its_issuer_key(
    arithmetic: str, path: str, issuer: str
) -> None:
    # Read with the DER walker, not cryptography: one of these CRLs carries
    # an AlgorithmIdentifier quirk that cryptography refuses.
    crl = vectors.read(path)
    _, start, end = _element(crl, 0)
    tbs, _, signature = _children(crl, start, end)
    issuer_key = _issuer_key(issuer)

    assert verify(
        issuer_key, crl[tbs[1] : tbs[3]], crl[signature[2] + 1 : signature[3]]
    )
    assert not verify(
        issuer_key,
        crl[tbs[1] : tbs[3] - 1] + b"\x00",
        crl[signature[2] + 1 : signature[3]],
    )
