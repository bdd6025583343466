"""Certification path validation from a signer certificate to a trust anchor.

Paths are built backwards from the signer, by issuer Name DER narrowed by
authority/subject key identifiers (RFC 5280 4.2.1.1), through the store's
intermediates to one of its roots. Each candidate path is then checked as
RFC 5280 6.1 asks, in a fixed order: every signature (the anchor's own
self-signature excepted: the anchor is trusted by its pin, not by its
signature), every validity period at ``at``, the CA constraints
(basicConstraints cA, keyCertSign, pathLenConstraint) and critical
extensions nobody here understands.

What is not done, and why it is safe for NCA's hierarchy: name
constraints and policy processing (RFC 5280 6.1.3 (b)-(e)); no NCA CA
certificate carries name or policy constraints, and a certificate that
marks either critical fails on its unhandled critical extension.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime

from kabinet.pki import oids
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    CertificateExpired,
    CertificateNotYetValid,
    ChainInvalid,
    IssuerUntrusted,
    PkiError,
    SignatureInvalid,
)
from kabinet.pki.gost import GostPublicKey
from kabinet.pki.signature import PublicKey, load_public_key, verify_signature
from kabinet.pki.trust import TrustStore

logger = logging.getLogger(__name__)

# NCA paths hold three certificates (user, issuing CA, root); the bounds
# only stop a hostile or broken store from making path building explode.
MAX_PATH_CERTIFICATES = 8
MAX_CANDIDATE_PATHS = 16
SIGNATURE_CACHE_SIZE = 4096

# Supported signature algorithms by the key they need: ("rsa", 0) or
# ("gost", bytes per coordinate).
_SIGNATURE_FAMILIES: dict[str, tuple[str, int]] = {
    oids.SHA256_WITH_RSA: ("rsa", 0),
    oids.GOST2015_512_SIGNATURE: ("gost", 64),
    oids.GOST2015_256_SIGNATURE: ("gost", 32),
}

_verified_pairs: OrderedDict[tuple[str, str], None] = OrderedDict()
_verified_pairs_lock = threading.Lock()


def validate_path(
    certificate: Certificate, *, trust: TrustStore, at: datetime
) -> tuple[Certificate, ...]:
    """The validated path from ``certificate`` to a trust anchor.

    Returns:
        The path, leaf first, trust anchor last.

    Raises:
        IssuerUntrusted: no path by names and key identifiers leads to a
            trust anchor.
        SignatureInvalid: a certificate's signature does not verify with
            its issuer's key (the message names the certificate).
        CertificateExpired, CertificateNotYetValid: a certificate on the
            path is outside its validity period at ``at`` (named).
        ChainInvalid: a CA on the path may not issue certificates, its path
            length is exceeded, or a certificate has an unhandled critical
            extension.
        AlgorithmUnsupported: a signature on the path uses an algorithm
            kabinet does not verify.
    """
    at = require_aware(at)
    paths = list(_candidate_paths(certificate, trust))
    if not paths:
        raise IssuerUntrusted(
            f"no trusted issuer for certificate serial {certificate.serial_hex} "
            f"issued by {certificate.issuer!r}"
        )
    first_failure: PkiError | None = None
    for path in paths:
        try:
            _check_path(path, at=at)
        except (
            SignatureInvalid,
            CertificateExpired,
            CertificateNotYetValid,
            ChainInvalid,
            AlgorithmUnsupported,
        ) as exc:
            logger.debug("candidate path refused: %s", exc.message)
            first_failure = first_failure or exc
            continue
        logger.debug(
            "path validated for serial %s: %s",
            certificate.serial_hex,
            " <- ".join(c.subject for c in reversed(path)),
        )
        return path
    assert first_failure is not None
    raise first_failure


def verify_issued_by(certificate: Certificate, issuer: Certificate) -> None:
    """Check the signature on ``certificate`` with the key of ``issuer``.

    Successful checks are remembered by the SHA-256 of both DERs (at most
    SIGNATURE_CACHE_SIZE pairs): CA and OCSP responder certificates recur
    on every login, and a GOST verification costs milliseconds.

    Raises:
        SignatureInvalid, AlgorithmUnsupported.
    """
    key = (issuer.sha256, certificate.sha256)
    with _verified_pairs_lock:
        if key in _verified_pairs:
            _verified_pairs.move_to_end(key)
            return
    public_key = load_public_key(issuer.spki_der)
    try:
        verify_signature(
            public_key=public_key,
            signature_algorithm=certificate.signature_algorithm,
            message=certificate.tbs_der,
            signature=certificate.signature_value,
        )
    except AlgorithmUnsupported:
        family = _SIGNATURE_FAMILIES.get(certificate.signature_algorithm)
        if family is not None and family != _key_family(public_key):
            # A supported algorithm the issuer's key cannot have produced
            # (an RSA signature "by" a GOST CA): a forgery, not a gap in
            # what kabinet supports.
            raise SignatureInvalid(
                f"certificate signed with {certificate.signature_algorithm}, "
                f"which the issuer's key cannot produce"
            ) from None
        raise
    with _verified_pairs_lock:
        _verified_pairs[key] = None
        while len(_verified_pairs) > SIGNATURE_CACHE_SIZE:
            _verified_pairs.popitem(last=False)


def _key_family(public_key: PublicKey) -> tuple[str, int]:
    if isinstance(public_key, GostPublicKey):
        return ("gost", public_key.curve.size)
    return ("rsa", 0)


def clear_signature_cache() -> None:
    """Forget every remembered signature check."""
    with _verified_pairs_lock:
        _verified_pairs.clear()


def _candidate_paths(
    leaf: Certificate, trust: TrustStore
) -> Iterator[tuple[Certificate, ...]]:
    """Paths from ``leaf`` to a root, by names and key identifiers only.

    Depth-first; a certificate appears at most once on a path, paths are
    at most MAX_PATH_CERTIFICATES long, and at most MAX_CANDIDATE_PATHS
    are produced.
    """
    produced = 0
    stack: list[tuple[Certificate, ...]] = [(leaf,)]
    while stack and produced < MAX_CANDIDATE_PATHS:
        path = stack.pop()
        tip = path[-1]
        if trust.is_root(tip):
            produced += 1
            yield path
            continue
        if len(path) >= MAX_PATH_CERTIFICATES:
            continue
        # Reversed so that the store's first candidate is tried first.
        for issuer in reversed(trust.issuers_of(tip)):
            if issuer not in path:
                stack.append((*path, issuer))


def _check_path(path: tuple[Certificate, ...], *, at: datetime) -> None:
    for certificate, issuer in itertools.pairwise(path):
        try:
            verify_issued_by(certificate, issuer)
        except SignatureInvalid:
            raise SignatureInvalid(
                f"signature of certificate serial {certificate.serial_hex} "
                f"({certificate.subject!r}) does not verify with the key of "
                f"{issuer.subject!r}"
            ) from None

    for certificate in path:
        _require_valid_at(certificate, at=at)

    # Position i on the path has i - 1 certificates between itself and the
    # leaf; RFC 5280 4.2.1.9 counts the non-self-issued ones among them.
    for position, ca in enumerate(path[1:], start=1):
        _require_ca(ca)
        below = sum(1 for c in path[1:position] if not c.is_self_issued)
        if ca.path_length is not None and below > ca.path_length:
            raise ChainInvalid(
                f"CA {ca.subject!r} allows {ca.path_length} intermediate CAs "
                f"below it, the path has {below}"
            )

    for certificate in path:
        if certificate.unhandled_critical_extensions:
            raise ChainInvalid(
                f"certificate serial {certificate.serial_hex} has unsupported "
                f"critical extensions "
                f"{', '.join(certificate.unhandled_critical_extensions)}"
            )


def _require_valid_at(certificate: Certificate, *, at: datetime) -> None:
    if at < certificate.not_before:
        raise CertificateNotYetValid(
            f"certificate serial {certificate.serial_hex} ({certificate.subject!r}) "
            f"is valid from {certificate.not_before.isoformat()}, checked at "
            f"{at.isoformat()}"
        )
    if at > certificate.not_after:
        raise CertificateExpired(
            f"certificate serial {certificate.serial_hex} ({certificate.subject!r}) "
            f"expired at {certificate.not_after.isoformat()}, checked at "
            f"{at.isoformat()}"
        )


def _require_ca(ca: Certificate) -> None:
    # RFC 5280 6.1.4 (k) and (n).
    if not ca.is_ca:
        raise ChainInvalid(
            f"issuer {ca.subject!r} (serial {ca.serial_hex}) is not a CA: "
            "basicConstraints cA is not set"
        )
    if "key_cert_sign" not in ca.key_usage:
        raise ChainInvalid(
            f"issuer {ca.subject!r} (serial {ca.serial_hex}) lacks the "
            "keyCertSign key usage"
        )
