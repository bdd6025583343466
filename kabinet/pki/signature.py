"""Public keys, and the one place that decides how a signature is checked.

Supported: RSA (PKCS#1 v1.5 with SHA-256, keys of 2048 bits and more) and
GOST R 34.10-2015 with Streebog on the KZ OIDs, in the KZ byte order
(nca-pki.md 1.3). GOST 34.310-2004 is refused with AlgorithmUnsupported: its
NCA CAs expired on 2025-06-25, so no valid certificate can carry such a key.
The Russian tc26 OIDs are refused too: they imply the RFC 4491 byte order,
which no NCA software produces.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from typing import Final, TypeAlias

from asn1crypto import keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from kabinet.pki import gost, oids
from kabinet.pki.asn1 import MAX_CERTIFICATE_BYTES, GostKeyParameters, parse_der
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    InputMalformed,
    InputTooLarge,
    SignatureInvalid,
)
from kabinet.pki.gost import GostPrivateKey, GostPublicKey
from kabinet.pki.streebog import streebog256, streebog512

logger = logging.getLogger(__name__)

PublicKey: TypeAlias = RSAPublicKey | GostPublicKey
PrivateKey: TypeAlias = RSAPrivateKey | GostPrivateKey

MIN_RSA_KEY_BITS: Final = 2048

GOST2004_REFUSAL: Final = (
    "GOST 34.310-2004 ({oid}) is not supported: the NCA certification "
    "authorities for it expired on 2025-06-25"
)

# KZ GOST key algorithm -> (bytes per coordinate, digest OID it is used with).
_GOST_KEYS: Final = {
    oids.GOST2015_512_KEY: (64, oids.STREEBOG_512),
    oids.GOST2015_256_KEY: (32, oids.STREEBOG_256),
}

# Signature algorithm -> (bytes per coordinate, digest). The key OIDs are
# here too: OpenSSL-style CMS writers put the key OID in
# SignerInfo.signatureAlgorithm instead of the signature OID
# (crypto-options.md 1), and the result is the same computation.
_GOST_SIGNATURES: Final = {
    oids.GOST2015_512_SIGNATURE: (64, oids.STREEBOG_512),
    oids.GOST2015_512_KEY: (64, oids.STREEBOG_512),
    oids.GOST2015_256_SIGNATURE: (32, oids.STREEBOG_256),
    oids.GOST2015_256_KEY: (32, oids.STREEBOG_256),
}

_GOST2004_ALGORITHMS: Final = frozenset(
    {
        oids.GOST2004_KEY,
        oids.GOST2004_SIGNATURE,
        oids.GOST2004_SIGNATURE_ALT,
        oids.GOST34311_DIGEST,
    }
)


@lru_cache(maxsize=1024)
def load_public_key(spki_der: bytes) -> PublicKey:
    """Load a DER SubjectPublicKeyInfo as an RSA or KZ GOST public key.

    Results are cached by the bytes: CA, OCSP responder and TSA keys recur.

    Raises:
        InputTooLarge: more bytes than any certificate may have.
        InputMalformed: not a SubjectPublicKeyInfo, or a point off the curve.
        AlgorithmUnsupported: GOST 34.310-2004, tc26 GOST, short RSA, or any
            other algorithm; the message names the OID.
    """
    if len(spki_der) > MAX_CERTIFICATE_BYTES:
        raise InputTooLarge(
            f"public key of {len(spki_der)} bytes exceeds {MAX_CERTIFICATE_BYTES}"
        )
    info = parse_der(keys.PublicKeyInfo, spki_der, what="SubjectPublicKeyInfo")
    algorithm = info["algorithm"]["algorithm"].dotted

    if algorithm == oids.RSA_ENCRYPTION:
        return _load_rsa_public_key(spki_der)
    if algorithm in _GOST_KEYS:
        return _load_gost_public_key(info, algorithm)
    if algorithm in _GOST2004_ALGORITHMS:
        raise AlgorithmUnsupported(GOST2004_REFUSAL.format(oid=algorithm))
    raise AlgorithmUnsupported(f"public key algorithm {algorithm} is not supported")


def _load_rsa_public_key(spki_der: bytes) -> RSAPublicKey:
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputMalformed(f"RSA public key does not parse: {exc}") from exc
    if not isinstance(key, RSAPublicKey):
        raise InputMalformed("rsaEncryption public key is not an RSA key")
    if key.key_size < MIN_RSA_KEY_BITS:
        raise AlgorithmUnsupported(
            f"RSA key of {key.key_size} bits is shorter than {MIN_RSA_KEY_BITS}"
        )
    return key


def _load_gost_public_key(info: keys.PublicKeyInfo, algorithm: str) -> GostPublicKey:
    size, expected_digest = _GOST_KEYS[algorithm]
    parameters = info["algorithm"]["parameters"]
    if not isinstance(parameters, GostKeyParameters):
        raise InputMalformed(f"GOST key {algorithm} has no key parameters")
    curve = gost.curve_for_oid(parameters["public_key_param_set"].dotted)
    if curve.size != size:
        raise AlgorithmUnsupported(
            f"GOST key {algorithm} names curve {curve.oid} of the wrong size"
        )
    digest_param_set = parameters["digest_param_set"]
    if digest_param_set.native is not None and (
        digest_param_set.dotted != expected_digest
    ):
        raise AlgorithmUnsupported(
            f"GOST key {algorithm} with digest {digest_param_set.dotted} "
            "is not supported"
        )
    point: bytes = info["public_key"].parsed.native
    return GostPublicKey.from_kz_bytes(curve, point)


def verify_signature(
    *,
    public_key: PublicKey,
    signature_algorithm: str,
    message: bytes,
    signature: bytes,
    digest_algorithm: str | None = None,
) -> None:
    """Check ``signature`` over ``message`` or raise.

    ``message`` is what was signed (a TBSCertificate, the DER SET of CMS
    signed attributes, a canonical SignedInfo); the digest is computed
    here. ``digest_algorithm`` is the CMS digestAlgorithm when there is
    one: it must agree with the signature algorithm, and it is required
    for plain rsaEncryption (RFC 5754 3.2 allows that OID in SignerInfo).

    Raises:
        SignatureInvalid: the signature does not verify with this key.
        AlgorithmUnsupported: the algorithm, the digest or the key type is
            outside the supported set, or they do not belong together.
    """
    if signature_algorithm in (oids.SHA256_WITH_RSA, oids.RSA_ENCRYPTION):
        _verify_rsa(
            public_key=public_key,
            signature_algorithm=signature_algorithm,
            message=message,
            signature=signature,
            digest_algorithm=digest_algorithm,
        )
        return
    if signature_algorithm in _GOST_SIGNATURES:
        _verify_gost(
            public_key=public_key,
            signature_algorithm=signature_algorithm,
            message=message,
            signature=signature,
            digest_algorithm=digest_algorithm,
        )
        return
    if signature_algorithm in _GOST2004_ALGORITHMS:
        raise AlgorithmUnsupported(GOST2004_REFUSAL.format(oid=signature_algorithm))
    raise AlgorithmUnsupported(
        f"signature algorithm {signature_algorithm} is not supported"
    )


def _verify_rsa(
    *,
    public_key: PublicKey,
    signature_algorithm: str,
    message: bytes,
    signature: bytes,
    digest_algorithm: str | None,
) -> None:
    if not isinstance(public_key, RSAPublicKey):
        raise AlgorithmUnsupported(
            f"signature algorithm {signature_algorithm} needs an RSA key, "
            f"got {_key_name(public_key)}"
        )
    if signature_algorithm == oids.RSA_ENCRYPTION and digest_algorithm is None:
        raise AlgorithmUnsupported(
            "rsaEncryption as a signature algorithm needs a digest algorithm"
        )
    if digest_algorithm not in (None, oids.SHA256):
        raise AlgorithmUnsupported(
            f"RSA signatures are accepted with SHA-256 only, got {digest_algorithm}"
        )
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureInvalid("RSA signature does not verify") from None
    logger.debug("RSA-%s signature verified", public_key.key_size)


def _verify_gost(
    *,
    public_key: PublicKey,
    signature_algorithm: str,
    message: bytes,
    signature: bytes,
    digest_algorithm: str | None,
) -> None:
    size, expected_digest = _GOST_SIGNATURES[signature_algorithm]
    if not isinstance(public_key, GostPublicKey) or public_key.curve.size != size:
        raise AlgorithmUnsupported(
            f"signature algorithm {signature_algorithm} needs a "
            f"{size * 8}-bit GOST key, got {_key_name(public_key)}"
        )
    if digest_algorithm not in (None, expected_digest):
        raise AlgorithmUnsupported(
            f"signature algorithm {signature_algorithm} is used with digest "
            f"{expected_digest}, got {digest_algorithm}"
        )
    if not gost.verify(public_key, message, signature):
        raise SignatureInvalid("GOST R 34.10-2015 signature does not verify")
    logger.debug("GOST %s signature verified", public_key.curve.name)


def sign(private_key: PrivateKey, message: bytes) -> tuple[str, bytes]:
    """Sign ``message``; return (signature algorithm OID, signature).

    RSA: PKCS#1 v1.5 with SHA-256. GOST: the KZ signature OID and the KZ
    byte order, Streebog of the curve's size.
    """
    if isinstance(private_key, RSAPrivateKey):
        value = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return oids.SHA256_WITH_RSA, value
    if isinstance(private_key, GostPrivateKey):
        algorithm = (
            oids.GOST2015_512_SIGNATURE
            if private_key.curve.size == 64
            else oids.GOST2015_256_SIGNATURE
        )
        return algorithm, gost.sign(private_key, message)
    raise AlgorithmUnsupported(f"cannot sign with {_key_name(private_key)}")


def digest(algorithm: str, data: bytes) -> bytes:
    """Hash ``data`` with the digest named by its OID.

    Raises:
        AlgorithmUnsupported: not SHA-256 or KZ Streebog-256/512.
    """
    if algorithm == oids.SHA256:
        return hashlib.sha256(data).digest()
    if algorithm == oids.STREEBOG_512:
        return streebog512(data)
    if algorithm == oids.STREEBOG_256:
        return streebog256(data)
    if algorithm in _GOST2004_ALGORITHMS:
        raise AlgorithmUnsupported(GOST2004_REFUSAL.format(oid=algorithm))
    raise AlgorithmUnsupported(f"digest algorithm {algorithm} is not supported")


def digest_algorithm_for(key: PublicKey | PrivateKey) -> str:
    """The digest OID that goes with a key: SHA-256 or Streebog of its size."""
    if isinstance(key, RSAPublicKey | RSAPrivateKey):
        return oids.SHA256
    if isinstance(key, GostPublicKey | GostPrivateKey):
        return oids.STREEBOG_512 if key.curve.size == 64 else oids.STREEBOG_256
    raise AlgorithmUnsupported(f"no digest is defined for {_key_name(key)}")


def _key_name(key: object) -> str:
    if isinstance(key, RSAPublicKey | RSAPrivateKey):
        return f"an RSA-{key.key_size} key"
    if isinstance(key, GostPublicKey | GostPrivateKey):
        return f"a GOST key on {key.curve.name}"
    return f"a {type(key).__name__}"
