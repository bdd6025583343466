"""GOST R 34.10-2015 signatures as NCA RK makes them.

GOST R 34.10-2015 (Kazakhstan) is GOST R 34.10-2012 on the tc26 curves
(RFC 7091 for the algorithm, RFC 7836 for the curves). NCA issues 512-bit
keys on paramSetA; the 256-bit paramSetA is defined too. What Kazakh
software does differently is the byte order (nca-pki.md 1.3):

- public key: x || y, each coordinate little-endian (as RFC 4491 2.3.2);
- digest: read as a little-endian integer, reduced mod q, 0 taken as 1;
- signature: r || s, each little-endian. RFC 4491 and OpenSSL write s || r
  big-endian, which is the exact byte-reverse: the two never interoperate
  without conversion.

The arithmetic runs on gmpy2 when it is installed and on Python ints when it
is not (``KABINET_GOST_ARITHMETIC``: auto, gmpy2 or python; read once at
import). See ``_gost_arithmetic`` for how it is done.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kabinet.pki import _gost_arithmetic, oids
from kabinet.pki._gost_arithmetic import Arithmetic, CurveMath
from kabinet.pki.errors import AlgorithmUnsupported, InputMalformed
from kabinet.pki.streebog import streebog256, streebog512

logger = logging.getLogger(__name__)

__all__ = [
    "CURVE_256_A",
    "CURVE_512_A",
    "Curve",
    "GostPrivateKey",
    "GostPublicKey",
    "curve_for_oid",
    "hash_for",
    "sign",
    "sign_digest",
    "verify",
    "verify_digest",
]


@dataclass(frozen=True)
class Curve:
    """A GOST R 34.10 curve y^2 = x^3 + ax + b over GF(p), with a base point
    (x, y) of prime order q; ``size`` is the bytes per coordinate."""

    name: str
    oid: str
    p: int
    a: int
    b: int
    q: int
    x: int
    y: int
    size: int


# RFC 7836 A.1 (id-tc26-gost-3410-12-512-paramSetA, 1.2.643.7.1.2.1.2.1);
# NCA's 512-bit parameter set A is this curve (nca-pki.md 1.2).
CURVE_512_A = Curve(
    name="tc26-gost-3410-12-512-paramSetA",
    oid=oids.GOST2015_512_PARAM_SET_A,
    p=int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc7",
        16,
    ),
    a=int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc4",
        16,
    ),
    b=int(
        "e8c2505dedfc86ddc1bd0b2b6667f1da34b82574761cb0e879bd081cfd0b6265"
        "ee3cb090f30d27614cb4574010da90dd862ef9d4ebee4761503190785a71c760",
        16,
    ),
    q=int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "27e69532f48d89116ff22b8d4e0560609b4b38abfad2b85dcacdb1411f10b275",
        16,
    ),
    x=3,
    y=int(
        "7503cfe87a836ae3a61b8816e25450e6ce5e1c93acf1abc1778064fdcbefa921"
        "df1626be4fd036e93d75e6a50e3a41e98028fe5fc235f5b889a589cb5215f2a4",
        16,
    ),
    size=64,
)

# RFC 7836 A.2 (id-tc26-gost-3410-2012-256-paramSetA, 1.2.643.7.1.2.1.1.1),
# in its Weierstrass form; NCA's 256-bit parameter set A per nca-pki.md 1.2.
CURVE_256_A = Curve(
    name="tc26-gost-3410-2012-256-paramSetA",
    oid=oids.GOST2015_256_PARAM_SET_A,
    p=int("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97", 16),
    a=int("c2173f1513981673af4892c23035a27ce25e2013bf95aa33b22c656f277e7335", 16),
    b=int("295f9bae7428ed9ccc20e7c359a9d41a22fccd9108e17bf7ba9337a6f8ae9513", 16),
    q=int("400000000000000000000000000000000fd8cddfc87b6635c115af556c360c67", 16),
    x=int("91e38443a5e82c0d880923425712b2bb658b9196932e02c78b2582fe742daa28", 16),
    y=int("32879423ab1a0375895786c4bb46e9565fde0b5344766740af268adb32322e5c", 16),
    size=32,
)

_CURVES = {curve.oid: curve for curve in (CURVE_512_A, CURVE_256_A)}

# Group order / q. The 256-bit curve is a twisted Edwards curve underneath
# (RFC 7836 A.2: m = 4q), so a point on it need not lie in the subgroup of
# order q; keys are checked for that too.
_COFACTORS = {CURVE_512_A.oid: 1, CURVE_256_A.oid: 4}


def curve_for_oid(oid: str) -> Curve:
    """The curve of a KZ parameter-set OID.

    Raises:
        AlgorithmUnsupported: any other OID.
    """
    curve = _CURVES.get(oid)
    if curve is None:
        raise AlgorithmUnsupported(f"GOST parameter set {oid} is not supported")
    return curve


def hash_for(curve: Curve) -> Callable[[bytes], bytes]:
    """The Streebog variant that goes with a curve's key size."""
    if curve.size == 64:
        return streebog512
    if curve.size == 32:
        return streebog256
    raise AlgorithmUnsupported(f"no GOST hash for {curve.size}-byte coordinates")


# -- arithmetic in use ---------------------------------------------------------

_active: Arithmetic = _gost_arithmetic.from_environment()
_curve_maths: dict[tuple[str, Curve], CurveMath] = {}
_curve_maths_lock = threading.Lock()


def _arithmetic(name: str) -> Arithmetic:
    """The arithmetic called ``name`` ("gmpy2" or "python")."""
    return _gost_arithmetic.arithmetic(name)


def _use_arithmetic(chosen: Arithmetic | str) -> Arithmetic:
    """Switch this process to another arithmetic; returns the one before.

    For benchmarks and tests that compare the two in one process. Both
    give the same answers; tables already built for either are kept.
    """
    global _active
    previous = _active
    _active = _arithmetic(chosen) if isinstance(chosen, str) else chosen
    return previous


def _curve_math(curve: Curve, arithmetic: Arithmetic | None = None) -> CurveMath:
    """The curve's constants and tables in an arithmetic (default: in use)."""
    arithmetic = arithmetic or _active
    key = (arithmetic.name, curve)
    math = _curve_maths.get(key)
    if math is None:
        with _curve_maths_lock:
            math = _curve_maths.get(key)
            if math is None:
                math = CurveMath(
                    name=curve.name,
                    p=curve.p,
                    a=curve.a,
                    b=curve.b,
                    q=curve.q,
                    x=curve.x,
                    y=curve.y,
                    arithmetic=arithmetic,
                )
                _curve_maths[key] = math
    return math


# -- keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class GostPublicKey:
    """A public key Q = (x, y); always a point of order q on its curve."""

    curve: Curve
    x: int
    y: int

    def __post_init__(self) -> None:
        curve = self.curve
        if not (0 <= self.x < curve.p and 0 <= self.y < curve.p):
            raise InputMalformed(f"GOST public key coordinates exceed p ({curve.name})")
        math = _curve_math(curve)
        if not math.is_on_curve(self.x, self.y):
            raise InputMalformed(f"GOST public key is not a point of {curve.name}")
        if _COFACTORS.get(curve.oid, 1) != 1 and not math.has_order_q((self.x, self.y)):
            raise InputMalformed(
                f"GOST public key is outside the prime-order subgroup of {curve.name}"
            )

    @classmethod
    def from_kz_bytes(cls, curve: Curve, data: bytes) -> GostPublicKey:
        """The key from its KZ/RFC 4491 encoding, x_LE || y_LE.

        Raises:
            InputMalformed: wrong length, or not a point of the curve.
        """
        size = curve.size
        if len(data) != 2 * size:
            raise InputMalformed(
                f"GOST public key on {curve.name} must be {2 * size} bytes, "
                f"got {len(data)}"
            )
        return cls(
            curve,
            int.from_bytes(data[:size], "little"),
            int.from_bytes(data[size:], "little"),
        )

    def to_kz_bytes(self) -> bytes:
        """x_LE || y_LE, as inside the SubjectPublicKeyInfo OCTET STRING."""
        size = self.curve.size
        return self.x.to_bytes(size, "little") + self.y.to_bytes(size, "little")


@dataclass(frozen=True, repr=False)
class GostPrivateKey:
    """A private key d, 0 < d < q. Its repr never shows d."""

    curve: Curve
    scalar: int

    def __post_init__(self) -> None:
        if not 0 < self.scalar < self.curve.q:
            raise InputMalformed(
                f"GOST private key is not in [1, q - 1] ({self.curve.name})"
            )

    def __repr__(self) -> str:
        return f"GostPrivateKey(curve={self.curve.name!r})"

    def public_key(self) -> GostPublicKey:
        """Q = d * G (GOST R 34.10-2012 5.3)."""
        point = _curve_math(self.curve).multiply_generator(self.scalar)
        # d lies in [1, q - 1] and G has order q, so d * G is finite.
        assert point is not None
        return GostPublicKey(self.curve, point[0], point[1])

    @classmethod
    def generate(cls, curve: Curve) -> GostPrivateKey:
        """A fresh key from the operating system's random source."""
        return cls(curve, secrets.randbelow(curve.q - 1) + 1)


# -- signatures (GOST R 34.10-2012 6.1 and 6.2) -----------------------------------


def _digest_number(digest: bytes, q: int) -> int:
    # GOST R 34.10-2012 6.1 step 2 with the RFC 4491 / KZ reading of the
    # hash bytes: little-endian; e = 0 is replaced by 1.
    return int.from_bytes(digest, "little") % q or 1


def verify_digest(public_key: GostPublicKey, digest: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (r_LE || s_LE) signs ``digest`` under the key.

    Wrong lengths and r or s outside (0, q) are False, never an error.
    """
    curve = public_key.curve
    size = curve.size
    if len(digest) != size or len(signature) != 2 * size:
        logger.debug(
            "GOST %s: digest of %d bytes, signature of %d bytes: not verified",
            curve.name,
            len(digest),
            len(signature),
        )
        return False
    r = int.from_bytes(signature[:size], "little")
    s = int.from_bytes(signature[size:], "little")
    # GOST R 34.10-2012 6.2 step 1.
    if not (0 < r < curve.q and 0 < s < curve.q):
        logger.debug("GOST %s: r or s outside (0, q): not verified", curve.name)
        return False
    e = _digest_number(digest, curve.q)
    return _curve_math(curve).verify((public_key.x, public_key.y), e, r, s, cache=True)


def verify(public_key: GostPublicKey, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (r_LE || s_LE) signs ``message`` under the key,
    hashed with the Streebog that matches the key size."""
    return verify_digest(public_key, hash_for(public_key.curve)(message), signature)


def sign_digest(
    private_key: GostPrivateKey, digest: bytes, *, k: int | None = None
) -> bytes:
    """The signature r_LE || s_LE of ``digest``.

    ``k`` is the per-signature secret; leave it out (a fresh one is drawn
    with ``secrets``) except to reproduce a known answer in a test.

    Raises:
        InputMalformed: a digest of the wrong length, a k outside [1, q - 1],
            or a given k that yields r = 0 or s = 0.
    """
    curve = private_key.curve
    size = curve.size
    q = curve.q
    if len(digest) != size:
        raise InputMalformed(
            f"GOST {curve.name} signs {size}-byte digests, got {len(digest)}"
        )
    if k is not None and not 0 < k < q:
        raise InputMalformed("GOST k is not in [1, q - 1]")
    e = _digest_number(digest, q)
    math = _curve_math(curve)
    while True:
        nonce = k if k is not None else secrets.randbelow(q - 1) + 1
        point = math.multiply_generator(nonce)
        assert point is not None  # 0 < nonce < q
        r = point[0] % q
        s = (r * private_key.scalar + nonce * e) % q
        if r and s:
            return r.to_bytes(size, "little") + s.to_bytes(size, "little")
        if k is not None:
            raise InputMalformed("GOST k yields r = 0 or s = 0; choose another")


def sign(private_key: GostPrivateKey, message: bytes) -> bytes:
    """The signature r_LE || s_LE of ``message``, hashed with the Streebog
    that matches the key size."""
    return sign_digest(private_key, hash_for(private_key.curve)(message))
