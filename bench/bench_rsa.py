"""RSA verification through the dispatcher, and certificate parse time."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench._harness import Report
from kabinet.pki.certificate import Certificate
from kabinet.pki.signature import load_public_key, sign, verify_signature
from tests import vectors

GROUP = "RSA and certificate parsing"
GOST_CERTIFICATE = "certs/from-p12/sdk2026_legal_head_valid.pem"
RSA_CERTIFICATE = "certs/from-p12/sdk2018_individual_auth_rsa.pem"
RSA_ISSUER = "ca/prod-legacy/nca_rsa_2018.pem"


def run(report: Report) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    spki = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_key = load_public_key(spki)
    message = bytes(range(256)) * 4
    algorithm, signature = sign(private_key, message)

    def verify_1kib() -> None:
        verify_signature(
            public_key=public_key,
            signature_algorithm=algorithm,
            message=message,
            signature=signature,
        )

    report.time(
        GROUP, "RSA-2048 PKCS#1 v1.5 SHA-256 verify, 1 KiB", verify_1kib, runs=2000
    )

    user = Certificate.load(vectors.read(RSA_CERTIFICATE))
    issuer_key = Certificate.load(vectors.read(RSA_ISSUER)).public_key

    def verify_nca_certificate() -> None:
        verify_signature(
            public_key=issuer_key,
            signature_algorithm=user.signature_algorithm,
            message=user.tbs_der,
            signature=user.signature_value,
        )

    report.time(
        GROUP,
        "RSA-4096 verify of an NCA user certificate",
        verify_nca_certificate,
        runs=2000,
    )

    pem = vectors.read(GOST_CERTIFICATE)
    der = Certificate.load(pem).der
    report.time(
        GROUP,
        "Certificate.load, GOST user certificate, DER",
        lambda: Certificate.load(der),
        runs=500,
    )
    report.time(
        GROUP,
        "Certificate.load, GOST user certificate, PEM",
        lambda: Certificate.load(pem),
        runs=500,
    )
    report.time(
        GROUP,
        "Certificate.load + identity, GOST user certificate",
        lambda: Certificate.load(der).identity,
        runs=500,
    )
