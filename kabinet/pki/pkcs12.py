"""PKCS#12 key files as NCA issues them (RFC 7292, nca-pki.md 1.1).

An NCA file holds, in this order, a pkcs8ShroudedKeyBag encrypted with
pbeWithSHAAnd3-KeyTripleDES-CBC and an encryptedData (pbeWithSHAAnd40Bit
RC2-CBC) with the certificate bag; both bags carry localKeyId = the
certificate's subject key identifier and friendlyName = its hex. An
HMAC-SHA1 MAC over the authenticated safe proves the password. A GOST
R 34.10-2015 private key is an OCTET STRING holding the scalar
little-endian; a GOST 34.310-2004 key (an INTEGER) is refused.

``cryptography`` reads the RSA files but not the GOST ones, so the format
is handled here for both. The password never reaches a log, a repr or an
error message, and errors raised after decryption carry no decrypted
bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Final

from asn1crypto import algos, cms, core, keys, pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from kabinet.pki import _pkcs12_pbe, gost, oids
from kabinet.pki.asn1 import MAX_PKCS12_BYTES, GostKeyParameters, parse_der
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    InputMalformed,
    InputTooLarge,
    Pkcs12PasswordWrong,
    PkiError,
)
from kabinet.pki.gost import GostPrivateKey
from kabinet.pki.signature import GOST2004_REFUSAL, PrivateKey

logger = logging.getLogger(__name__)

# What dump_pkcs12 writes. NCA uses 1024 iterations and 20-byte salts;
# the count is doubled to OpenSSL's default, the format is unchanged.
DUMP_ITERATIONS: Final = 2048
_SALT_BYTES: Final = 20

_GOST_KEYS: Final = {
    oids.GOST2015_512_KEY: (64, oids.STREEBOG_512),
    oids.GOST2015_256_KEY: (32, oids.STREEBOG_256),
}


@dataclass(frozen=True)
class KeyStore:
    """A private key with its certificate and any further certificates."""

    private_key: PrivateKey = field(repr=False)
    certificate: Certificate
    chain: tuple[Certificate, ...] = ()


def load_pkcs12(data: bytes, password: str) -> KeyStore:
    """Open an NCA-style PKCS#12 file.

    The MAC is checked before anything is decrypted.

    Raises:
        InputTooLarge: more than MAX_PKCS12_BYTES.
        Pkcs12PasswordWrong: the MAC does not verify with ``password``.
        InputMalformed: not a PKCS#12 file, no MAC, not exactly one private
            key, or no certificate for it.
        AlgorithmUnsupported: a GOST 34.310-2004 key, or a cipher, MAC or
            key algorithm NCA files do not use.
    """
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    if len(data) > MAX_PKCS12_BYTES:
        raise InputTooLarge(
            f"PKCS#12 input of {len(data)} bytes exceeds {MAX_PKCS12_BYTES} bytes"
        )
    try:
        store = _load(bytes(data), _pkcs12_pbe.password_bytes(password))
    except PkiError:
        raise
    except Exception as exc:
        raise InputMalformed(
            f"PKCS#12 structure is malformed ({type(exc).__name__})"
        ) from None
    logger.debug(
        "PKCS#12 opened: certificate serial %s, %s further certificates",
        store.certificate.serial_hex,
        len(store.chain),
    )
    return store


def _load(data: bytes, password: bytes) -> KeyStore:
    pfx = parse_der(pkcs12.Pfx, data, what="PKCS#12 file")
    if pfx["version"].native != "v3":
        raise InputMalformed(f"PKCS#12 version {pfx['version'].native} is not 3")
    auth_safe = pfx["auth_safe"]
    if auth_safe["content_type"].dotted != oids.CMS_DATA:
        raise AlgorithmUnsupported(
            "PKCS#12 public-key integrity mode is not supported (RFC 7292 4)"
        )
    content: bytes = auth_safe["content"].native
    _check_mac(pfx["mac_data"], password, content)

    private_keys: list[bytes] = []
    certificates: list[Certificate] = []
    safe = parse_der(pkcs12.AuthenticatedSafe, content, what="authenticated safe")
    for info in safe:
        for bag in _safe_contents(info, password):
            _collect(bag, password, private_keys, certificates)

    if len(private_keys) != 1:
        raise InputMalformed(
            f"PKCS#12 file holds {len(private_keys)} private keys, expected one"
        )
    private_key = _private_key(private_keys[0])
    matching = [c for c in certificates if _key_matches(private_key, c)]
    if not matching:
        raise InputMalformed("PKCS#12 file has no certificate for its private key")
    certificate = matching[0]
    chain = tuple(c for c in certificates if c != certificate)
    return KeyStore(private_key=private_key, certificate=certificate, chain=chain)


def _check_mac(mac_data: Any, password: bytes, content: bytes) -> None:
    if mac_data.native is None:
        raise InputMalformed("PKCS#12 file has no MAC; its password cannot be checked")
    expected = mac_data["mac"]["digest"].native
    computed = _pkcs12_pbe.mac(
        mac_data["mac"]["digest_algorithm"]["algorithm"].dotted,
        password=password,
        salt=mac_data["mac_salt"].native,
        iterations=mac_data["iterations"].native,
        data=content,
    )
    if not hmac.compare_digest(computed, expected):
        raise Pkcs12PasswordWrong(
            "PKCS#12 MAC does not verify: wrong password or altered file"
        )


def _safe_contents(info: Any, password: bytes) -> Any:
    content_type = info["content_type"].dotted
    if content_type == oids.CMS_DATA:
        return parse_der(pkcs12.SafeContents, info["content"].native, what="bags")
    if content_type == oids.CMS_ENCRYPTED_DATA:
        encrypted = info["content"]["encrypted_content_info"]
        plain = _decrypt(
            encrypted["content_encryption_algorithm"],
            encrypted["encrypted_content"].native,
            password,
        )
        return parse_der(pkcs12.SafeContents, plain, what="encrypted bags")
    raise AlgorithmUnsupported(f"PKCS#12 content type {content_type} is not supported")


def _decrypt(algorithm: Any, data: bytes | None, password: bytes) -> bytes:
    if data is None:
        raise InputMalformed("PKCS#12 encrypted content is absent")
    parameters = algorithm["parameters"]
    if not isinstance(parameters, algos.Pbes1Params):
        raise AlgorithmUnsupported(
            f"PKCS#12 encryption {algorithm['algorithm'].dotted} is not supported"
        )
    return _pkcs12_pbe.decrypt(
        algorithm["algorithm"].dotted,
        password=password,
        salt=parameters["salt"].native,
        iterations=parameters["iterations"].native,
        data=data,
    )


def _collect(
    bag: Any,
    password: bytes,
    private_keys: list[bytes],
    certificates: list[Certificate],
) -> None:
    bag_id = bag["bag_id"].dotted
    value = bag["bag_value"]
    if bag_id == oids.PKCS12_SHROUDED_KEY_BAG:
        private_keys.append(
            _decrypt(
                value["encryption_algorithm"], value["encrypted_data"].native, password
            )
        )
    elif bag_id == oids.PKCS12_KEY_BAG:
        private_keys.append(value.dump())
    elif bag_id == oids.PKCS12_CERT_BAG:
        if value["cert_id"].dotted != oids.PKCS12_X509_CERTIFICATE:
            raise AlgorithmUnsupported(
                f"PKCS#12 certificate type {value['cert_id'].dotted} is not X.509"
            )
        certificates.append(Certificate.load(value["cert_value"].contents))
    else:
        # CRL, secret and nested bags carry nothing a key store needs.
        logger.debug("PKCS#12 bag %s ignored", bag_id)


def _private_key(der: bytes) -> PrivateKey:
    # Errors here say what is wrong, never what was decrypted.
    try:
        info = keys.PrivateKeyInfo.load(der, strict=True)
        algorithm = info["private_key_algorithm"]["algorithm"].dotted
    except Exception:
        raise InputMalformed(
            "decrypted PKCS#12 key is not a PKCS#8 PrivateKeyInfo"
        ) from None
    if algorithm == oids.RSA_ENCRYPTION:
        try:
            key = serialization.load_der_private_key(der, password=None)
        except Exception:
            raise InputMalformed("PKCS#12 RSA private key does not parse") from None
        if not isinstance(key, RSAPrivateKey):
            raise InputMalformed("PKCS#12 rsaEncryption key is not an RSA key")
        return key
    if algorithm in _GOST_KEYS:
        return _gost_private_key(info, algorithm)
    if algorithm == oids.GOST2004_KEY:
        raise AlgorithmUnsupported(GOST2004_REFUSAL.format(oid=algorithm))
    raise AlgorithmUnsupported(f"private key algorithm {algorithm} is not supported")


def _gost_private_key(info: Any, algorithm: str) -> GostPrivateKey:
    size, _ = _GOST_KEYS[algorithm]
    try:
        parameters = info["private_key_algorithm"]["parameters"]
        curve_oid = parameters["public_key_param_set"].dotted
        scalar_bytes = info["private_key"].parsed.native
    except Exception:
        raise InputMalformed("PKCS#12 GOST private key does not parse") from None
    if not isinstance(parameters, GostKeyParameters):
        raise InputMalformed("PKCS#12 GOST private key has no key parameters")
    curve = gost.curve_for_oid(curve_oid)
    if curve.size != size or not isinstance(scalar_bytes, bytes):
        raise InputMalformed("PKCS#12 GOST private key does not fit its curve")
    if len(scalar_bytes) != size:
        raise InputMalformed("PKCS#12 GOST private key has the wrong length")
    # nca-pki.md 1.1: the 2015 scalar is stored little-endian.
    scalar = int.from_bytes(scalar_bytes, "little")
    if not 0 < scalar < curve.q:
        raise InputMalformed("PKCS#12 GOST private key is out of range")
    return GostPrivateKey(curve=curve, scalar=scalar)


def _key_matches(private_key: PrivateKey, certificate: Certificate) -> bool:
    try:
        public_key = certificate.public_key
    except PkiError:
        return False
    if isinstance(private_key, RSAPrivateKey):
        return (
            isinstance(public_key, RSAPublicKey)
            and public_key.public_numbers() == private_key.public_key().public_numbers()
        )
    return public_key == private_key.public_key()


def dump_pkcs12(store: KeyStore, password: str) -> bytes:
    """Write ``store`` in the layout NCA uses (see the module docstring).

    The certificate comes first in the certificate bag, then ``chain``.
    The RSA output also opens with OpenSSL and ``cryptography``.
    """
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    secret = _pkcs12_pbe.password_bytes(password)
    certificate = store.certificate
    # NCA's localKeyId is the subject key identifier; without one, a
    # SHA-1 of the public key info serves only to pair the two bags.
    local_key_id = (
        certificate.subject_key_id
        or hashlib.sha1(certificate.spki_der, usedforsecurity=False).digest()
    )
    attributes = pkcs12.Attributes(
        [
            {"type": "local_key_id", "values": [local_key_id]},
            {"type": "friendly_name", "values": [local_key_id.hex()]},
        ]
    )

    key_salt = secrets.token_bytes(_SALT_BYTES)
    encrypted_key = keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": _pbe_algorithm(oids.PBE_SHA1_3DES, key_salt),
            "encrypted_data": _pkcs12_pbe.encrypt(
                oids.PBE_SHA1_3DES,
                password=secret,
                salt=key_salt,
                iterations=DUMP_ITERATIONS,
                data=_private_key_info(store.private_key),
            ),
        }
    )
    key_bags = pkcs12.SafeContents(
        [
            pkcs12.SafeBag(
                {
                    "bag_id": oids.PKCS12_SHROUDED_KEY_BAG,
                    "bag_value": encrypted_key,
                    "bag_attributes": attributes,
                }
            )
        ]
    )

    certificate_bags = pkcs12.SafeContents(
        [_certificate_bag(certificate, attributes)]
        + [_certificate_bag(c, None) for c in store.chain]
    )
    bags_salt = secrets.token_bytes(_SALT_BYTES)
    encrypted_certificates = cms.EncryptedData(
        {
            "version": "v0",
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": _pbe_algorithm(
                    oids.PBE_SHA1_RC2_40, bags_salt
                ),
                "encrypted_content": _pkcs12_pbe.encrypt(
                    oids.PBE_SHA1_RC2_40,
                    password=secret,
                    salt=bags_salt,
                    iterations=DUMP_ITERATIONS,
                    data=certificate_bags.dump(),
                ),
            },
        }
    )

    authenticated_safe = pkcs12.AuthenticatedSafe(
        [
            {"content_type": "data", "content": key_bags.dump()},
            {"content_type": "encrypted_data", "content": encrypted_certificates},
        ]
    ).dump()
    mac_salt = secrets.token_bytes(_SALT_BYTES)
    digest = _pkcs12_pbe.mac(
        oids.SHA1,
        password=secret,
        salt=mac_salt,
        iterations=DUMP_ITERATIONS,
        data=authenticated_safe,
    )
    pfx = pkcs12.Pfx(
        {
            "version": "v3",
            "auth_safe": {"content_type": "data", "content": authenticated_safe},
            "mac_data": {
                "mac": {"digest_algorithm": {"algorithm": "sha1"}, "digest": digest},
                "mac_salt": mac_salt,
                "iterations": DUMP_ITERATIONS,
            },
        }
    )
    der: bytes = pfx.dump()
    return der


def _pbe_algorithm(algorithm: str, salt: bytes) -> dict[str, Any]:
    return {
        "algorithm": algorithm,
        "parameters": {"salt": salt, "iterations": DUMP_ITERATIONS},
    }


def _certificate_bag(certificate: Certificate, attributes: Any) -> Any:
    bag: dict[str, Any] = {
        "bag_id": oids.PKCS12_CERT_BAG,
        "bag_value": pkcs12.CertBag(
            {
                "cert_id": oids.PKCS12_X509_CERTIFICATE,
                "cert_value": asn1_x509.Certificate.load(certificate.der),
            }
        ),
    }
    if attributes is not None:
        bag["bag_attributes"] = attributes
    return pkcs12.SafeBag(bag)


def _private_key_info(private_key: PrivateKey) -> bytes:
    if isinstance(private_key, RSAPrivateKey):
        return private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    size = private_key.curve.size
    algorithm = oids.GOST2015_512_KEY if size == 64 else oids.GOST2015_256_KEY
    digest_oid = _GOST_KEYS[algorithm][1]
    info = keys.PrivateKeyInfo(
        {
            "version": 0,
            "private_key_algorithm": {
                "algorithm": algorithm,
                "parameters": GostKeyParameters(
                    {
                        "public_key_param_set": private_key.curve.oid,
                        "digest_param_set": digest_oid,
                    }
                ),
            },
            "private_key": core.OctetString(
                private_key.scalar.to_bytes(size, "little")
            ),
        }
    )
    der: bytes = info.dump()
    return der
