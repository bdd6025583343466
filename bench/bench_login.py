"""The whole login check, as the server runs it for each sign-in.

A CMS signed by a key of a freshly generated test PKI goes through
``Verifier.verify_cms``: the container (one signer, messageDigest, the
signature), the path to the trust anchor, key usage, and revocation, which
a good answer cached from the CRL settles. The same for XML-DSig.

Two cases per key:

- returning user: everything that recurs is warm (the signer's key table,
  the chain signature cache, the cached good answer);
- new user: the signer's key is met for the first time, so its key table
  and the check of its certificate's signature are not cached. Parsed
  public keys are forgotten altogether, which slightly overstates the
  cost (the CA keys are parsed again as well).

``python -m bench.bench_login --profile`` prints a cProfile of the GOST
new-user case.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench._harness import Report
from kabinet.devtools import testpki
from kabinet.pki import chain, cms, gost, streebog, xmldsig
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import FetchFailed
from kabinet.pki.gost import GostPublicKey
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.signature import load_public_key
from kabinet.pki.trust import TrustStore
from kabinet.pki.verifier import Verifier

GROUP = "Login check: container + path + key usage + revocation (cached good)"
TARGET_MS = 5.0
CHALLENGE = b"b6f0c1d2e3a4958677f8e9da0b1c2d3e"  # 32 hex digits, as a nonce
LOGIN_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><login><nonce>'
    + CHALLENGE
    + b"</nonce></login>"
)


class _NoNetwork:
    """Revocation comes from the generated CRL folder, never the network."""

    def get(self, url: str) -> bytes:
        raise FetchFailed(f"benchmark: no GET {url}")

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        raise FetchFailed(f"benchmark: no POST {url}")


@dataclass(frozen=True)
class _Setup:
    pki: testpki.TestPki
    verifier: Verifier
    checker: RevocationChecker
    trust: TrustStore
    now: datetime


@contextmanager
def _generated_pki() -> Iterator[tuple[testpki.TestPki, datetime, float]]:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="kabinet-bench-") as folder:
        started = time.perf_counter()
        pki = testpki.generate(Path(folder), now=now)
        yield pki, now, time.perf_counter() - started


def _setup(pki: testpki.TestPki, now: datetime) -> _Setup:
    trust = TrustStore.from_directory(pki.trust_dir)
    settings = RevocationSettings(
        policy=RevocationPolicy.CRL, crl_dir=pki.crl_dir, good_cache_seconds=3600
    )
    checker = RevocationChecker(settings, fetcher=_NoNetwork())
    return _Setup(pki, Verifier(trust=trust, revocation=checker), checker, trust, now)


def _signed_cms(setup: _Setup, name: str) -> bytes:
    store = setup.pki.key_store(name)
    return cms.sign_cms(
        CHALLENGE,
        key=store.private_key,
        certificate=store.certificate,
        signing_time=setup.now,
    )


def _signed_xml(setup: _Setup, name: str) -> bytes:
    store = setup.pki.key_store(name)
    return xmldsig.sign_xml(
        LOGIN_XML, key=store.private_key, certificate=store.certificate
    )


def _forget_signer(certificate: Certificate, issuer: Certificate) -> Callable[[], None]:
    """Make ``certificate``'s key a first-time key again before each run.

    Reaches into the caches of chain and gost on purpose: a benchmark of a
    first sign-in must undo exactly what the previous run remembered.
    """
    pair = (issuer.sha256, certificate.sha256)

    def forget() -> None:
        load_public_key.cache_clear()
        with chain._verified_pairs_lock:
            chain._verified_pairs.pop(pair, None)
        key = certificate.public_key
        if isinstance(key, GostPublicKey):
            tables = gost._curve_math(key.curve).key_tables
            point = (key.x, key.y)
            with tables._lock:
                tables._tables.pop(point, None)
                tables._seen.pop(point, None)

    return forget


def _login(setup: _Setup, signed: bytes, *, xml: bool) -> Callable[[], object]:
    if xml:
        return lambda: setup.verifier.verify_xml(signed, at=setup.now)
    return lambda: setup.verifier.verify_cms(signed, at=setup.now)


def _then(
    first: Callable[[], None], second: Callable[[], object]
) -> Callable[[], object]:
    def both() -> object:
        first()
        return second()

    return both


def _measure_key(
    report: Report, setup: _Setup, name: str, label: str, *, xml: bool, runs: int
) -> dict[str, float]:
    signed = _signed_xml(setup, name) if xml else _signed_cms(setup, name)
    login = _login(setup, signed, xml=xml)
    certificate = setup.pki.keys[name].certificate
    issuer = setup.pki.issuer_of(name)

    # The first check reads the CRL (or finds the answer an earlier case
    # cached); every measured one is answered from the good-answer cache.
    assert getattr(login(), "revocation", None) in ("crl", "cache")
    assert getattr(login(), "revocation", None) == "cache"

    container = "XML-DSig" if xml else "CMS"
    figures = {
        "returning": report.time(
            GROUP, f"{label} {container}, returning user", login, runs=runs
        ),
        "new": report.time(
            GROUP,
            f"{label} {container}, new user",
            _then(_forget_signer(certificate, issuer), login),
            runs=runs,
            note="signer key first seen",
        ),
    }
    return figures


def _parts(report: Report, setup: _Setup, name: str) -> None:
    """Where the time of the GOST-512 CMS check goes, returning user."""
    signed = _signed_cms(setup, name)
    setup.verifier.verify_cms(signed, at=setup.now)
    signer = setup.pki.keys[name].certificate
    issuer = setup.pki.issuer_of(name)
    path = chain.validate_path(signer, trust=setup.trust, at=setup.now)

    report.time(
        GROUP,
        "  part: cms.verify_cms (GOST-512)",
        lambda: cms.verify_cms(signed),
        runs=200,
    )
    report.time(
        GROUP,
        "  part: chain.validate_path (cached)",
        lambda: chain.validate_path(signer, trust=setup.trust, at=setup.now),
        runs=500,
    )
    report.time(
        GROUP,
        "  part: revocation check (cached good)",
        lambda: setup.checker.check(signer, issuer, at=setup.now),
        runs=2000,
    )
    report.time(
        GROUP,
        "  part: Certificate.load of the signer",
        lambda: Certificate.load(signer.der),
        runs=500,
    )
    assert path[0] == signer


@contextmanager
def _pure_streebog() -> Iterator[None]:
    saved = streebog._OPENSSL_512, streebog._OPENSSL_256
    streebog._OPENSSL_512 = streebog._OPENSSL_256 = None
    try:
        yield
    finally:
        streebog._OPENSSL_512, streebog._OPENSSL_256 = saved


def run(report: Report) -> None:
    with _generated_pki() as (pki, now, seconds):
        report.value(GROUP, "test PKI generation (one-off)", seconds, "s")
        setup = _setup(pki, now)
        gost512 = _measure_key(
            report, setup, "gost_individual", "GOST-512", xml=False, runs=200
        )
        if streebog._OPENSSL_512 is not None:
            # The same check where OpenSSL has no GOST provider.
            with _pure_streebog():
                gost512_pure = _measure_key(
                    report,
                    setup,
                    "gost_individual",
                    "GOST-512 [pure-Python Streebog]",
                    xml=False,
                    runs=200,
                )
            gost512 |= {f"pure {case}": ms for case, ms in gost512_pure.items()}
        _measure_key(
            report, setup, "gost256_individual", "GOST-256", xml=False, runs=200
        )
        _measure_key(
            report, setup, "rsa_individual_auth", "RSA-2048", xml=False, runs=500
        )
        _measure_key(report, setup, "gost_individual", "GOST-512", xml=True, runs=200)
        _parts(report, setup, "gost_individual")
    worst = max(gost512.values())
    verdict = "met" if worst <= TARGET_MS else "MISSED"
    report.value(
        GROUP,
        f"GOST-512 CMS login against the {TARGET_MS:.0f} ms target",
        100.0 * worst / TARGET_MS,
        "%",
        note=f"{verdict}: {worst:.2f} ms, the slowest case above",
    )


def profile() -> str:
    """cProfile of 200 GOST-512 CMS logins of a new user, top 25 by time."""
    with _generated_pki() as (pki, now, _):
        setup = _setup(pki, now)
        name = "gost_individual"
        signed = _signed_cms(setup, name)
        certificate = pki.keys[name].certificate
        setup.verifier.verify_cms(signed, at=now)
        forget = _forget_signer(certificate, pki.issuer_of(name))
        profiler = cProfile.Profile()
        for _ in range(200):
            forget()
            profiler.enable()
            setup.verifier.verify_cms(signed, at=now)
            profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


if __name__ == "__main__":
    if "--profile" in sys.argv[1:]:
        print(profile())
    else:
        collected = Report()
        run(collected)
        print(collected.render())
