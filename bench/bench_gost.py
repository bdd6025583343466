"""GOST R 34.10-2015 and Streebog: kabinet's code on gmpy2 and on Python ints,
side by side with gostcrypto (the pure-Python package it replaces)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from bench._harness import Report
from kabinet.pki import _gost_arithmetic, gost, streebog
from kabinet.pki.gost import (
    CURVE_256_A,
    CURVE_512_A,
    Curve,
    GostPrivateKey,
    GostPublicKey,
    sign_digest,
    verify_digest,
)

GROUP = "GOST R 34.10-2015 / Streebog"
GOSTCRYPTO_512_A = "id-tc26-gost-3410-12-512-paramSetA"


def _arithmetics() -> list[tuple[str, int]]:
    """(arithmetic, runs) pairs; gmpy2 only when it is installed."""
    if _gost_arithmetic.gmpy2_installed():
        return [("gmpy2", 200), ("python", 50)]
    return [("python", 50)]


@contextmanager
def _using(name: str) -> Iterator[None]:
    previous = gost._use_arithmetic(name)
    try:
        yield
    finally:
        gost._use_arithmetic(previous)


def _key(curve: Curve) -> GostPrivateKey:
    # A fixed key, so that runs compare like with like.
    seed = streebog.pure_streebog512(b"kabinet benchmark key " + curve.oid.encode())
    return GostPrivateKey(curve, int.from_bytes(seed, "little") % (curve.q - 1) + 1)


MESSAGE = bytes(range(256)) * 4  # 1 KiB


def _signed(curve: Curve) -> tuple[GostPrivateKey, GostPublicKey, bytes, bytes]:
    private = _key(curve)
    digest = gost.hash_for(curve)(MESSAGE)
    signature = sign_digest(private, digest, k=0x5EED)
    return private, private.public_key(), digest, signature


def _first_use(public: GostPublicKey, digest: bytes, signature: bytes) -> bool:
    # Forgetting every key first keeps this one a first-time key (no table).
    gost._curve_math(public.curve).key_tables.clear()
    return verify_digest(public, digest, signature)


def _one_off_ms(build: Callable[[], object]) -> float:
    started = time.perf_counter()
    build()
    return (time.perf_counter() - started) * 1000


def _gostcrypto_verify(report: Report) -> None:
    try:
        from gostcrypto import gostsignature
    except ImportError:
        return
    _, public, digest, signature = _signed(CURVE_512_A)
    engine = gostsignature.new(
        gostsignature.MODE_512,
        gostsignature.CURVES_R_1323565_1_024_2019[GOSTCRYPTO_512_A],
    )
    # gostcrypto wants the key, the digest and r || s all big-endian.
    key = bytearray(public.x.to_bytes(64, "big") + public.y.to_bytes(64, "big"))
    reversed_digest = bytearray(digest[::-1])
    rs = bytearray(signature[:64][::-1] + signature[64:][::-1])
    assert engine.verify(key, reversed_digest, rs)
    report.time(
        GROUP,
        "GOST-512 verify [gostcrypto]",
        partial(engine.verify, key, reversed_digest, rs),
        runs=3,
        warmup=1,
    )


def _verify(report: Report) -> None:
    _, public, digest, signature = _signed(CURVE_512_A)
    for name, runs in _arithmetics():
        with _using(name):
            assert _first_use(public, digest, signature)
            report.time(
                GROUP,
                f"GOST-512 verify [{name}]",
                partial(_first_use, public, digest, signature),
                runs=runs,
            )
    _gostcrypto_verify(report)

    for name, runs in _arithmetics():
        with _using(name):
            for _ in range(2):  # the second use builds the key's table
                assert verify_digest(public, digest, signature)
            report.time(
                GROUP,
                f"GOST-512 verify, cached key table [{name}]",
                partial(verify_digest, public, digest, signature),
                runs=runs,
            )

    _, public_256, digest_256, signature_256 = _signed(CURVE_256_A)
    for name, runs in _arithmetics():
        with _using(name):
            assert _first_use(public_256, digest_256, signature_256)
            report.time(
                GROUP,
                f"GOST-256 verify [{name}]",
                partial(_first_use, public_256, digest_256, signature_256),
                runs=runs,
            )


def _sign(report: Report) -> None:
    private, _, digest, _ = _signed(CURVE_512_A)
    for name, runs in _arithmetics():
        with _using(name):
            report.time(
                GROUP,
                f"GOST-512 sign [{name}]",
                partial(sign_digest, private, digest),
                runs=runs,
            )


def _streebog(report: Report) -> None:
    fast = streebog._OPENSSL_512
    report.time(
        GROUP,
        "Streebog-512, 1 KiB [pure Python]",
        partial(streebog.pure_streebog512, MESSAGE),
        runs=200,
        note="" if fast else "(hashlib has no md_gost12_512 here)",
    )
    report.value(
        GROUP,
        "Streebog-512 per KiB over 64 KiB [pure Python]",
        _one_off_ms(partial(streebog.pure_streebog512, MESSAGE * 64)) / 64,
        "ms",
    )
    try:
        from gostcrypto import gosthash
    except ImportError:
        pass
    else:
        report.time(
            GROUP,
            "Streebog-512, 1 KiB [gostcrypto]",
            lambda: gosthash.new("streebog512", data=MESSAGE).digest(),
            runs=20,
            warmup=2,
        )
    if fast is not None:
        report.time(
            GROUP,
            "Streebog-512, 1 KiB [hashlib, OpenSSL gost provider]",
            partial(fast, MESSAGE),
            runs=2000,
        )


def _tables(report: Report) -> None:
    public = _key(CURVE_512_A).public_key()
    for name, _ in _arithmetics():
        with _using(name):
            math = gost._curve_math(CURVE_512_A)
            point = (math.element(public.x), math.element(public.y))
            report.value(
                GROUP,
                f"512 generator table, one-off [{name}]",
                _one_off_ms(
                    partial(
                        math.fixed_base_table,
                        math.generator,
                        _gost_arithmetic.GENERATOR_WINDOW,
                    )
                ),
                "ms",
            )
            report.value(
                GROUP,
                f"512 per-key table, one-off [{name}]",
                _one_off_ms(
                    partial(math.fixed_base_table, point, _gost_arithmetic.KEY_WINDOW)
                ),
                "ms",
            )


def run(report: Report) -> None:
    """Times verification, signing and hashing, both arithmetics in one run."""
    _verify(report)
    _sign(report)
    _streebog(report)
    _tables(report)
