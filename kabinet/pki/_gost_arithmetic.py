"""Short Weierstrass curve arithmetic for kabinet.pki.gost.

Points are kept in Jacobian coordinates (x = X/Z^2, y = Y/Z^3), added to
affine table points with mixed additions, and turned back into affine
coordinates with one modular inversion (Montgomery's trick when a whole
table is normalised at once). Verification needs no inversion at the end:
the x coordinate is compared projectively.

The field elements are Python ints or, when gmpy2 is installed, gmpy2 mpz
values. The same code runs on both: an :class:`Arithmetic` says how to make
an element and how to invert one, and every constant of a curve is turned
into that representation once. Scalars (mod q) always stay Python ints.

This code is not constant-time; nothing written in Python is. Verification
handles public data only. Signing is used by the test PKI and the device
emulators, never with a real user's key: the product only verifies.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

logger = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "KABINET_GOST_ARITHMETIC"

# Width of the signed windows of the generator's table: 86 mixed additions
# for a 512-bit scalar, 2 752 points (about 1 MB) per curve.
GENERATOR_WINDOW = 6
# Width for tables of recurring public keys: 129 additions, 1 032 points.
KEY_WINDOW = 4
# wNAF width for a public key seen once: 8 odd multiples, about 85 additions.
WNAF_WIDTH = 5

KEY_TABLE_CAPACITY = 32
# How many keys seen once are remembered, so that a second use is noticed.
KEY_WATCH_CAPACITY = 1024

Affine = tuple[int, int]
Jacobian = tuple[int, int, int]
INFINITY: Jacobian = (1, 1, 0)


@dataclass(frozen=True)
class Arithmetic:
    """How field elements are represented: Python ints or gmpy2 mpz."""

    name: str
    element: Callable[[int], int]
    invert: Callable[[int, int], int]


def _invert_python(value: int, modulus: int) -> int:
    return pow(value, -1, modulus)


def gmpy2_installed() -> bool:
    """Whether the optional gmpy2 package can be imported."""
    try:
        import gmpy2  # noqa: F401
    except ImportError:
        return False
    return True


def arithmetic(name: str) -> Arithmetic:
    """The arithmetic called ``name``: "gmpy2" or "python".

    Raises:
        ValueError: unknown name, or "gmpy2" when gmpy2 is not installed.
    """
    if name == "python":
        return Arithmetic("python", int, _invert_python)
    if name == "gmpy2":
        try:
            import gmpy2
        except ImportError as exc:
            raise ValueError(
                "gmpy2 arithmetic asked for, gmpy2 is not installed"
            ) from exc
        # mpz supports every operator used here exactly as int does.
        return Arithmetic(
            "gmpy2",
            cast(Callable[[int], int], gmpy2.mpz),
            cast(Callable[[int, int], int], gmpy2.invert),
        )
    raise ValueError(f"unknown arithmetic {name!r}: expected 'gmpy2' or 'python'")


def from_environment() -> Arithmetic:
    """The arithmetic chosen by KABINET_GOST_ARITHMETIC (auto, gmpy2, python).

    "auto", the default, takes gmpy2 when it is installed.
    """
    value = os.environ.get(ENVIRONMENT_VARIABLE, "auto").strip().lower()
    if value == "auto":
        return arithmetic("gmpy2" if gmpy2_installed() else "python")
    try:
        return arithmetic(value)
    except ValueError as exc:
        raise ValueError(f"{ENVIRONMENT_VARIABLE}={value!r}: {exc}") from None


@dataclass(frozen=True)
class FixedBaseTable:
    """Multiples d * 2^(width*i) * P for d = 1 .. 2^(width-1), every window i.

    ``points`` is flat: window i, multiple d is at i * 2^(width-1) + d - 1,
    stored as (x, y, -y) so that negative digits cost nothing.
    """

    width: int
    points: tuple[tuple[int, int, int], ...]


def _wnaf(k: int, width: int) -> list[tuple[int, int]]:
    """Width-w NAF digits of ``k`` as (bit position, odd digit) pairs.

    Least significant first; each digit lies in (-2^(w-1), 2^(w-1)) and
    nonzero digits are at least ``width`` positions apart.
    """
    full = 1 << width
    half = full >> 1
    mask = full - 1
    digits = []
    position = 0
    while k:
        # Skip a run of zero bits in one step rather than bit by bit.
        zeros = (k & -k).bit_length() - 1
        k >>= zeros
        position += zeros
        digit = k & mask
        if digit >= half:
            digit -= full
        digits.append((position, digit))
        k = (k - digit) >> width
        position += width
    return digits


class KeyTableCache:
    """Fixed-base tables for public keys that recur (CA, OCSP responders).

    A key gets a table on its second use, so one-off user keys never pay for
    one. A table costs four to six verifications to build and makes every
    later verification with the key about three times faster. At most
    ``capacity`` tables are kept per curve and arithmetic (about 0.4 MB
    each for 512-bit keys), least recently used dropped first.

    Anyone can present a key twice, so a client can make the server build
    tables for keys of its own: each costs a few milliseconds once and may
    push a CA's table out; the CA's key then gets a new table once it has
    been used twice again. Results never depend on the cache.
    """

    def __init__(
        self,
        *,
        capacity: int = KEY_TABLE_CAPACITY,
        watch_capacity: int = KEY_WATCH_CAPACITY,
    ) -> None:
        self._capacity = capacity
        self._watch_capacity = watch_capacity
        self._tables: OrderedDict[Affine, FixedBaseTable] = OrderedDict()
        self._seen: OrderedDict[Affine, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tables)

    def __contains__(self, point: object) -> bool:
        return point in self._tables

    def clear(self) -> None:
        """Forget every table and every key seen."""
        with self._lock:
            self._tables.clear()
            self._seen.clear()

    def table_for(
        self, point: Affine, build: Callable[[], FixedBaseTable]
    ) -> FixedBaseTable | None:
        """The table for ``point``, built now if this is its second use."""
        with self._lock:
            table = self._tables.get(point)
            if table is not None:
                self._tables.move_to_end(point)
                return table
            if point not in self._seen:
                self._seen[point] = None
                if len(self._seen) > self._watch_capacity:
                    self._seen.popitem(last=False)
                return None
            del self._seen[point]
        # Built outside the lock: two threads may race to build the same
        # table, which wastes a little time and is otherwise harmless.
        table = build()
        with self._lock:
            self._tables[point] = table
            self._tables.move_to_end(point)
            while len(self._tables) > self._capacity:
                self._tables.popitem(last=False)
        return table


class CurveMath:
    """One curve y^2 = x^3 + ax + b over GF(p), of prime order subgroup q,
    in one arithmetic."""

    def __init__(
        self,
        *,
        name: str,
        p: int,
        a: int,
        b: int,
        q: int,
        x: int,
        y: int,
        arithmetic: Arithmetic,
    ) -> None:
        element = arithmetic.element
        self.name = name
        self.arithmetic = arithmetic
        self.p = element(p)
        self.a = element(a)
        self.b = element(b)
        self.q = q
        self.p_int = p
        # Doubling saves two multiplications when a = -3 (tc26 512 paramSetA).
        self.a_is_minus_3 = a == p - 3
        self.generator: Affine = (element(x), element(y))
        self.key_tables = KeyTableCache()
        self._generator_table: FixedBaseTable | None = None
        self._lock = threading.Lock()

    def element(self, value: int) -> int:
        """``value`` in this curve's arithmetic."""
        return self.arithmetic.element(value)

    def is_on_curve(self, x: int, y: int) -> bool:
        """Whether (x, y), both in [0, p), satisfies the curve equation."""
        p = self.p
        return (y * y - (x * x + self.a) * x - self.b) % p == 0

    # -- point operations outside the hot loops -------------------------------

    def double(self, point: Jacobian) -> Jacobian:
        """2P in Jacobian coordinates (infinity stays infinity)."""
        p = self.p
        x1, y1, z1 = point
        if self.a_is_minus_3:
            # dbl-2001-b (Bernstein-Lange EFD), a = -3.
            delta = z1 * z1 % p
            gamma = y1 * y1 % p
            beta = x1 * gamma % p
            alpha = 3 * (x1 - delta) * (x1 + delta) % p
            x3 = (alpha * alpha - 8 * beta) % p
            z3 = 2 * y1 * z1 % p
            y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
            return x3, y3, z3
        # dbl-2007-bl without the a = -3 shortcut.
        xx = x1 * x1 % p
        yy = y1 * y1 % p
        zz = z1 * z1 % p
        s = 4 * x1 * yy % p
        m = (3 * xx + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        z3 = 2 * y1 * z1 % p
        y3 = (m * (s - x3) - 8 * yy * yy) % p
        return x3, y3, z3

    def add(self, first: Jacobian, second: Jacobian) -> Jacobian:
        """P + Q in Jacobian coordinates, every special case included."""
        p = self.p
        x1, y1, z1 = first
        x2, y2, z2 = second
        if not z1:
            return second
        if not z2:
            return first
        # add-2007-bl.
        z1z1 = z1 * z1 % p
        z2z2 = z2 * z2 % p
        u1 = x1 * z2z2 % p
        u2 = x2 * z1z1 % p
        s1 = y1 * z2 * z2z2 % p
        s2 = y2 * z1 * z1z1 % p
        h = u2 - u1
        r = s2 - s1
        if not h:
            return self.double(first) if not r else INFINITY
        hh = h * h % p
        hhh = h * hh % p
        v = u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        y3 = (r * (v - x3) - s1 * hhh) % p
        z3 = z1 * z2 * h % p
        return x3, y3, z3

    def to_affine(self, point: Jacobian) -> Affine | None:
        """(x, y) as Python ints, or None for the point at infinity."""
        x1, y1, z1 = point
        if not z1:
            return None
        p = self.p
        z_inv = self.arithmetic.invert(z1, p)
        zz_inv = z_inv * z_inv % p
        return int(x1 * zz_inv % p), int(y1 * zz_inv * z_inv % p)

    def normalize(self, points: Sequence[Jacobian]) -> list[Affine]:
        """Affine forms of finite points with a single inversion (Montgomery's
        simultaneous inversion)."""
        p = self.p
        prefix = []
        running = self.element(1)
        for _, _, z in points:
            if not z:
                raise ValueError("cannot normalise the point at infinity")
            running = running * z % p
            prefix.append(running)
        inverse = self.arithmetic.invert(running, p)
        result: list[Affine] = [(0, 0)] * len(points)
        for index in range(len(points) - 1, -1, -1):
            x, y, z = points[index]
            z_inv = inverse * prefix[index - 1] % p if index else inverse
            inverse = inverse * z % p
            zz_inv = z_inv * z_inv % p
            result[index] = (x * zz_inv % p, y * zz_inv * z_inv % p)
        return result

    # -- tables ----------------------------------------------------------------

    def fixed_base_table(self, point: Affine, width: int) -> FixedBaseTable:
        """The signed-window table of ``point`` (which must have order q)."""
        half = 1 << (width - 1)
        # One window more than q has bits: the signed recoding may carry.
        windows = (self.q.bit_length() + width) // width
        base: Jacobian = (point[0], point[1], self.element(1))
        jacobian: list[Jacobian] = []
        for _ in range(windows):
            multiples = [base, self.double(base)]
            while len(multiples) < half:
                multiples.append(self.add(multiples[-1], base))
            jacobian.extend(multiples[:half])
            # 2^width * base = 2 * (2^(width-1) * base).
            base = self.double(multiples[half - 1])
        p = self.p
        points = tuple((x, y, -y % p) for x, y in self.normalize(jacobian))
        return FixedBaseTable(width, points)

    def generator_table(self) -> FixedBaseTable:
        """The generator's table, built on first use and kept."""
        table = self._generator_table
        if table is None:
            with self._lock:
                table = self._generator_table
                if table is None:
                    started = time.perf_counter()
                    table = self.fixed_base_table(self.generator, GENERATOR_WINDOW)
                    self._generator_table = table
                    logger.debug(
                        "generator table for %s (%s) built in %.1f ms",
                        self.name,
                        self.arithmetic.name,
                        (time.perf_counter() - started) * 1000,
                    )
        return table

    def key_table(self, point: Affine) -> FixedBaseTable | None:
        """The table of a recurring public key, or None while it is new."""

        def build() -> FixedBaseTable:
            started = time.perf_counter()
            element = self.element
            table = self.fixed_base_table(
                (element(point[0]), element(point[1])), KEY_WINDOW
            )
            logger.debug(
                "table for a recurring %s key (x=%s...) built in %.1f ms",
                self.name,
                format(point[0], "x")[:16],
                (time.perf_counter() - started) * 1000,
            )
            return table

        return self.key_tables.table_for(point, build)

    # -- scalar multiplication ---------------------------------------------------

    def add_fixed_base(
        self, start: Jacobian, table: FixedBaseTable, k: int
    ) -> Jacobian:
        """start + k * P, where ``table`` is P's table and 0 <= k < q."""
        p = self.p
        x1, y1, z1 = start
        width = table.width
        points = table.points
        full = 1 << width
        half = full >> 1
        mask = full - 1
        window = 0
        while k:
            digit = k & mask
            k >>= width
            if digit > half:
                # Signed digit: take -(2^w - digit) here, carry one upwards.
                digit -= full
                k += 1
            if digit:
                if digit > 0:
                    x2, y2, _ = points[window + digit - 1]
                else:
                    x2, _, y2 = points[window - digit - 1]
                if not z1:
                    x1, y1, z1 = x2, y2, 1
                else:
                    # madd-2007-bl, inlined: this loop is the hot path.
                    zz = z1 * z1 % p
                    h = x2 * zz % p - x1
                    r = y2 * z1 * zz % p - y1
                    if not h:
                        x1, y1, z1 = self.double((x1, y1, z1)) if not r else INFINITY
                    else:
                        hh = h * h % p
                        hhh = h * hh % p
                        v = x1 * hh % p
                        x3 = (r * r - hhh - 2 * v) % p
                        y1 = (r * (v - x3) - y1 * hhh) % p
                        x1 = x3
                        z1 = z1 * h % p
            window += half
        return x1, y1, z1

    def odd_multiples(self, point: Affine, count: int) -> list[tuple[int, int, int]]:
        """P, 3P, 5P, ... (``count`` points) as (x, y, -y), one inversion."""
        first: Jacobian = (point[0], point[1], self.element(1))
        twice = self.double(first)
        jacobian = [first]
        for _ in range(count - 1):
            jacobian.append(self.add(jacobian[-1], twice))
        p = self.p
        return [(x, y, -y % p) for x, y in self.normalize(jacobian)]

    def multiply(self, point: Affine, k: int) -> Jacobian:
        """k * P for a point used once: wNAF, doublings inlined."""
        digits = _wnaf(k, WNAF_WIDTH)
        if not digits:
            return INFINITY
        if digits[0][0]:
            digits.insert(0, (0, 0))  # so that the last doublings run too
        odd = self.odd_multiples(point, 1 << (WNAF_WIDTH - 2))
        p = self.p
        a = self.a
        minus_3 = self.a_is_minus_3
        position, digit = digits.pop()
        x1, y, ny = odd[abs(digit) >> 1]
        y1 = y if digit > 0 else ny
        z1 = self.element(1)
        for next_position, digit in reversed(digits):
            for _ in range(position - next_position):
                # dbl-2001-b for a = -3, dbl-2007-bl otherwise (see double()).
                if minus_3:
                    delta = z1 * z1 % p
                    gamma = y1 * y1 % p
                    beta = x1 * gamma % p
                    alpha = 3 * (x1 - delta) * (x1 + delta) % p
                    x3 = (alpha * alpha - 8 * beta) % p
                    z1 = 2 * y1 * z1 % p
                    y1 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
                    x1 = x3
                else:
                    xx = x1 * x1 % p
                    yy = y1 * y1 % p
                    zz = z1 * z1 % p
                    s = 4 * x1 * yy % p
                    m = (3 * xx + a * zz * zz) % p
                    x3 = (m * m - 2 * s) % p
                    z1 = 2 * y1 * z1 % p
                    y1 = (m * (s - x3) - 8 * yy * yy) % p
                    x1 = x3
            position = next_position
            if not digit:
                continue
            x2, y, ny = odd[abs(digit) >> 1]
            y2 = y if digit > 0 else ny
            if not z1:
                x1, y1, z1 = x2, y2, 1
                continue
            # madd-2007-bl, as in add_fixed_base().
            zz = z1 * z1 % p
            h = x2 * zz % p - x1
            r = y2 * z1 * zz % p - y1
            if not h:
                x1, y1, z1 = self.double((x1, y1, z1)) if not r else INFINITY
                continue
            hh = h * h % p
            hhh = h * hh % p
            v = x1 * hh % p
            x3 = (r * r - hhh - 2 * v) % p
            y1 = (r * (v - x3) - y1 * hhh) % p
            x1 = x3
            z1 = z1 * h % p
        return x1, y1, z1

    def multiply_generator(self, k: int) -> Affine | None:
        """k * G in affine coordinates (Python ints), 0 <= k < q."""
        return self.to_affine(self.add_fixed_base(INFINITY, self.generator_table(), k))

    def has_order_q(self, point: Affine) -> bool:
        """Whether q * P is the point at infinity (P finite, on the curve)."""
        element = self.element
        return not self.multiply((element(point[0]), element(point[1])), self.q)[2]

    # -- GOST R 34.10-2012 section 6.2 -------------------------------------------

    def verify(self, point: Affine, e: int, r: int, s: int, *, cache: bool) -> bool:
        """Steps 4-7 of GOST R 34.10-2012 6.2 for 0 < e, r, s < q.

        ``point`` is the public key as Python ints; with ``cache`` a key that
        recurs gets its own fixed-base table.
        """
        q = self.q
        v = int(self.arithmetic.invert(e, q))
        z1 = s * v % q
        z2 = (q - r) * v % q
        table = self.key_table(point) if cache else None
        if table is None:
            element = self.element
            acc = self.multiply((element(point[0]), element(point[1])), z2)
        else:
            acc = self.add_fixed_base(INFINITY, table, z2)
        x, _, z = self.add_fixed_base(acc, self.generator_table(), z1)
        if not z:
            return False
        # x(C) mod q == r without inverting Z: x(C) is one of r, r + q, ...
        # below p, and x(C) = X / Z^2.
        p = self.p
        zz = z * z % p
        candidate = r
        while candidate < self.p_int:
            if x == candidate * zz % p:
                return True
            candidate += q
        return False
