"""CRL index: build time, lookup time and memory on a 500,000-entry CRL.

The CRL is generated once (RSA-2048, every entry with a 20-octet serial
and a reasonCode, like NCA's) and cached in the temporary directory;
building it takes a few seconds the first time. The real NCA test CRL of
2026-08-11 (GOST, 195 entries) is timed too.
"""

from __future__ import annotations

import random
import tempfile
import tracemalloc
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from bench._harness import Report
from kabinet.pki import _der
from kabinet.pki.certificate import Certificate
from kabinet.pki.revocation.crl import CrlIndex
from tests import vectors

ENTRIES = 500_000
AT = datetime(2026, 6, 1, tzinfo=UTC)
THIS_UPDATE = datetime(2026, 1, 1, tzinfo=UTC)
NEXT_UPDATE = datetime(2036, 1, 1, tzinfo=UTC)
CACHE_DIR = Path(tempfile.gettempdir()) / "kabinet-bench-crl"
REAL_CRL = "crl/test/nca_gost2022_test_2026-08-11.crl"
REAL_ISSUER = "ca/test/nca_gost2022_test.pem"
SEED = 5280


def run(report: Report) -> None:
    der, issuer, serials = _generated_crl()
    group = f"CRL index ({ENTRIES:,} entries, {len(der) / 2**20:.1f} MiB DER)"

    report.time(
        group,
        "build (parse, RSA verify, index)",
        lambda: CrlIndex.build(der, issuer=issuer, at=AT),
        runs=3,
        warmup=1,
    )
    _time_lookups(report, group, CrlIndex.build(der, issuer=issuer, at=AT), serials)
    _measure_memory(report, group, der, issuer)

    real = vectors.read(REAL_CRL)
    real_issuer = Certificate.load(vectors.read(REAL_ISSUER))
    real_at = vectors.at(vectors.entry(REAL_CRL)["validate_at"])
    report.time(
        "CRL index, real NCA test CRL 2026-08-11 (195 entries, GOST)",
        "build (parse, GOST verify, index)",
        lambda: CrlIndex.build(real, issuer=real_issuer, at=real_at),
        runs=20,
    )


def _time_lookups(
    report: Report, group: str, index: CrlIndex, serials: list[int]
) -> None:
    rng = random.Random(SEED + 1)
    present = cycle(rng.sample(serials, 5000))
    absent = cycle([rng.getrandbits(159) | 1 << 158 for _ in range(5000)])
    report.time(
        group, "lookup, serial listed", lambda: index.lookup(next(present)), runs=20000
    )
    report.time(
        group,
        "lookup, serial not listed",
        lambda: index.lookup(next(absent)),
        runs=20000,
    )


def _measure_memory(
    report: Report, group: str, der: bytes, issuer: Certificate
) -> None:
    """What an index keeps, by tracemalloc: the offsets alone, then with the
    CRL DER it holds on to (entries are decoded from it when found)."""
    tracemalloc.start()
    try:
        index = CrlIndex.build(der, issuer=issuer, at=AT)
        offsets_only, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del index
    tracemalloc.start()
    try:
        index = CrlIndex.build(_crl_path().read_bytes(), issuer=issuer, at=AT)
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del index
    report.value(group, "index memory without the DER", offsets_only / 2**20, "MiB")
    report.value(group, "index memory with the DER", retained / 2**20, "MiB")
    report.value(group, "peak memory while building", peak / 2**20, "MiB")


def _generated_crl() -> tuple[bytes, Certificate, list[int]]:
    """The cached CRL, its issuer and the serials it lists."""
    CACHE_DIR.mkdir(exist_ok=True)
    crl_path = _crl_path()
    issuer_path = CACHE_DIR / f"issuer-{ENTRIES}.der"
    serials = _serials()
    if not (crl_path.exists() and issuer_path.exists()):
        der, issuer_der = _make_crl(serials)
        issuer_path.write_bytes(issuer_der)
        crl_path.write_bytes(der)
    return crl_path.read_bytes(), Certificate.load(issuer_path.read_bytes()), serials


def _crl_path() -> Path:
    return CACHE_DIR / f"crl-{ENTRIES}.der"


def _serials() -> list[int]:
    rng = random.Random(SEED)
    # 20-octet positive serials with the top bit of the first octet clear,
    # as NCA issues them.
    return [rng.getrandbits(159) | 1 << 158 for _ in range(ENTRIES)]


def _make_crl(serials: list[int]) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.COMMON_NAME, "BENCH CA"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    issuer = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(THIS_UPDATE)
        .not_valid_after(NEXT_UPDATE)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(usage, True)
        .sign(key, hashes.SHA256())
    )
    algorithm = _der.encode_oid("1.2.840.113549.1.1.11") + b"\x05\x00"
    algorithm = _tlv(0x30, algorithm)
    revoked_at = _tlv(_der.TAG_UTC_TIME, b"251201120000Z")
    reasons = [
        _tlv(
            0x30,
            _tlv(
                0x30,
                _der.encode_oid("2.5.29.21")
                + _tlv(_der.TAG_OCTET_STRING, _tlv(_der.TAG_ENUMERATED, bytes([code]))),
            ),
        )
        for code in (1, 3, 4, 5, 6)
    ]
    entries = b"".join(
        _tlv(0x30, _der.encode_integer(serial) + revoked_at + reasons[serial % 5])
        for serial in serials
    )
    extensions = _tlv(
        0xA0,
        _tlv(
            0x30,
            _tlv(
                0x30,
                _der.encode_oid("2.5.29.20")
                + _tlv(_der.TAG_OCTET_STRING, _der.encode_integer(1)),
            ),
        ),
    )
    tbs = _tlv(
        0x30,
        _der.encode_integer(1)
        + algorithm
        + name.public_bytes()
        + _tlv(_der.TAG_UTC_TIME, b"260101000000Z")
        + _tlv(_der.TAG_UTC_TIME, b"360101000000Z")
        + _tlv(0x30, entries)
        + extensions,
    )
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    crl = _tlv(0x30, tbs + algorithm + _tlv(_der.TAG_BIT_STRING, b"\x00" + signature))
    return crl, issuer.public_bytes(serialization.Encoding.DER)


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der.encode_length(len(body)) + body


if __name__ == "__main__":
    report = Report()
    run(report)
    print(report.render())
