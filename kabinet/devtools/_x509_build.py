"""Assembling and signing X.509 structures for the test PKI.

cryptography's builders cannot sign with GOST keys, so certificates, CRLs
and OCSP responses are assembled here as asn1crypto structures, the DER of
the to-be-signed part is signed with :func:`kabinet.pki.signature.sign`,
and the result is wrapped (RFC 5280 4.1 and 5.1, RFC 6960 4.2.1). The
encodings follow what NCA's own software emits (nca-pki.md 1.1 and 2):
UTF8String names with PrintableString country and serialNumber, a NULL
parameter in every signature AlgorithmIdentifier, UTCTime before 2050.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from asn1crypto import core, crl, keys, ocsp, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kabinet.pki import oids
from kabinet.pki._time import require_aware
from kabinet.pki.asn1 import GostKeyParameters, KeyStorages, RawExtensions
from kabinet.pki.gost import GostPrivateKey, GostPublicKey
from kabinet.pki.signature import PrivateKey, PublicKey, sign


@dataclass(frozen=True)
class Extension:
    """One certificate or CRL extension: its OID, criticality, DER value."""

    oid: str
    critical: bool
    value: bytes


@dataclass(frozen=True)
class CrlEntry:
    """One revokedCertificates entry (RFC 5280 5.1.2.6).

    ``reason`` is the CRLReason name as asn1crypto spells it
    (``key_compromise``, ``certificate_hold``, ...); ``None`` leaves the
    reasonCode extension out, as NCA does for many entries.
    """

    serial: int
    revoked_at: datetime
    reason: str | None


# RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
_UTC_TIME_LAST_YEAR: Final = 2049

# RFC 5280 4.1.2.2: serial numbers are at most 20 octets.
_KEY_ID_BYTES: Final = 20


class _Attribute(core.Sequence):  # type: ignore[misc]
    """AttributeTypeAndValue with a value already encoded in its string type."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("type", core.ObjectIdentifier),
        ("value", core.Any),
    ]


class _RelativeName(core.SetOf):  # type: ignore[misc]
    _child_spec = _Attribute


class _Name(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _RelativeName


class _AlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class _SubjectPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    """SubjectPublicKeyInfo that never looks inside the algorithm."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.Any),
        ("public_key", core.OctetBitString),
    ]


# Each attribute in the string type NCA uses (nca-pki.md 2.1; RFC 5280
# 4.1.2.4 and appendix A for the PrintableString and IA5String ones).
_PRINTABLE_ATTRIBUTES: Final = frozenset({oids.COUNTRY, oids.SERIAL_NUMBER})
_IA5_ATTRIBUTES: Final = frozenset({oids.EMAIL_ADDRESS})


def build_name(attributes: Sequence[tuple[str, str]]) -> x509.Name:
    """A Name with one attribute per RDN, in the order given.

    Args:
        attributes: (attribute type OID, value) pairs, for example
            ``(oids.COMMON_NAME, "ТЕСТОВ ТЕСТ")``.
    """
    rdns = []
    for oid, value in attributes:
        if oid in _PRINTABLE_ATTRIBUTES:
            encoded = core.PrintableString(value)
        elif oid in _IA5_ATTRIBUTES:
            encoded = core.IA5String(value)
        else:
            encoded = core.UTF8String(value)
        attribute = _Attribute({"type": oid, "value": core.Any(encoded)})
        rdns.append(_RelativeName([attribute]))
    return x509.Name.load(_Name(rdns).dump())


def new_serial_and_key_id() -> tuple[int, bytes]:
    """A fresh serial number and key identifier, paired the way NCA pairs them.

    NCA certificates carry a random 20-byte subjectKeyIdentifier and a
    serial number equal to it with the top bit cleared, which keeps the
    INTEGER positive within 20 octets (RFC 5280 4.1.2.2); compare serial
    7A:D2:4B... with SKI FA:D2:4B... of the NCA GOST TEST 2022 CA.
    """
    while True:
        key_id = secrets.token_bytes(_KEY_ID_BYTES)
        serial = int.from_bytes(key_id, "big") & ((1 << (8 * _KEY_ID_BYTES - 1)) - 1)
        if serial:
            return serial, key_id


def spki_der(public_key: PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of a public key.

    GOST keys use the KZ layout (nca-pki.md 1.1): key OID with parameters
    SEQUENCE {curve OID, Streebog OID}, and an OCTET STRING holding x||y,
    each half little-endian, inside the BIT STRING (RFC 4491 2.3.2).
    """
    if isinstance(public_key, GostPublicKey):
        if public_key.curve.size == 64:
            key_oid, digest_oid = oids.GOST2015_512_KEY, oids.STREEBOG_512
        else:
            key_oid, digest_oid = oids.GOST2015_256_KEY, oids.STREEBOG_256
        parameters = GostKeyParameters(
            {
                "public_key_param_set": public_key.curve.oid,
                "digest_param_set": digest_oid,
            }
        )
        algorithm = _AlgorithmIdentifier(
            {"algorithm": key_oid, "parameters": core.Any(parameters)}
        )
        info = _SubjectPublicKeyInfo(
            {
                "algorithm": core.Any(algorithm),
                "public_key": core.OctetString(public_key.to_kz_bytes()).dump(),
            }
        )
        return bytes(info.dump())
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    raise TypeError(f"unsupported public key type {type(public_key).__name__}")


def public_key_bits(spki: bytes) -> bytes:
    """The subjectPublicKey BIT STRING value, as hashed in an OCSP CertID
    issuerKeyHash (RFC 6960 4.1.1: without tag, length and unused bits)."""
    info = _SubjectPublicKeyInfo.load(spki)
    value: bytes = info["public_key"].native
    return value


def signature_algorithm_for(private_key: PrivateKey) -> str:
    """The signature algorithm OID that ``sign`` uses for this key."""
    if isinstance(private_key, GostPrivateKey):
        if private_key.curve.size == 64:
            return oids.GOST2015_512_SIGNATURE
        return oids.GOST2015_256_SIGNATURE
    if isinstance(private_key, rsa.RSAPrivateKey):
        return oids.SHA256_WITH_RSA
    raise TypeError(f"unsupported private key type {type(private_key).__name__}")


def _algorithm(oid: str) -> dict[str, Any]:
    # NCA writes NULL parameters for GOST too (nca-pki.md 1.1); RSA requires
    # them (RFC 4055 5).
    return {"algorithm": oid, "parameters": core.Null()}


def _sign(private_key: PrivateKey, tbs: bytes) -> bytes:
    expected = signature_algorithm_for(private_key)
    algorithm, signature = sign(private_key, tbs)
    if algorithm != expected:
        raise RuntimeError(
            f"signer produced {algorithm}, but the structure names {expected}"
        )
    return signature


def _time(at: datetime) -> x509.Time:
    at = require_aware(at)
    if at.year <= _UTC_TIME_LAST_YEAR:
        return x509.Time(name="utc_time", value=at)
    return x509.Time(name="general_time", value=at)


def raw_extensions(extensions: Iterable[Extension]) -> bytes:
    """DER of Extensions with each extnValue exactly as given; asn1crypto
    would otherwise insist on parsing values of the OIDs it knows."""
    return bytes(
        RawExtensions(
            [
                {"extn_id": e.oid, "critical": e.critical, "extn_value": e.value}
                for e in extensions
            ]
        ).dump()
    )


def _extensions(extensions: Iterable[Extension]) -> list[dict[str, Any]]:
    return [
        {
            "extn_id": extension.oid,
            "critical": extension.critical,
            "extn_value": core.ParsableOctetString(extension.value),
        }
        for extension in extensions
    ]


# --- Extension values (RFC 5280 4.2) ---------------------------------------


def basic_constraints(*, ca: bool, path_length: int | None = None) -> Extension:
    """basicConstraints, critical as RFC 5280 4.2.1.9 requires for CAs."""
    value: dict[str, Any] = {"ca": ca}
    if path_length is not None:
        value["path_len_constraint"] = path_length
    return Extension(oids.BASIC_CONSTRAINTS, True, x509.BasicConstraints(value).dump())


def key_usage(names: Iterable[str], *, critical: bool = True) -> Extension:
    """keyUsage from asn1crypto bit names (``digital_signature``, ...)."""
    return Extension(oids.KEY_USAGE, critical, x509.KeyUsage(set(names)).dump())


def extended_key_usage(purposes: Sequence[str]) -> Extension:
    """extKeyUsage; NCA puts its role OIDs here next to the standard ones."""
    return Extension(
        oids.EXTENDED_KEY_USAGE, False, x509.ExtKeyUsageSyntax(list(purposes)).dump()
    )


def certificate_policies(policies: Sequence[str], *, cps_url: str) -> Extension:
    """certificatePolicies, each with a CPS pointer qualifier as NCA writes."""
    value = x509.CertificatePolicies(
        [
            {
                "policy_identifier": policy,
                "policy_qualifiers": [
                    {
                        "policy_qualifier_id": "certification_practice_statement",
                        "qualifier": core.IA5String(cps_url),
                    }
                ],
            }
            for policy in policies
        ]
    )
    return Extension(oids.CERTIFICATE_POLICIES, False, value.dump())


def _distribution_points(urls: Sequence[str]) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            {
                "distribution_point": {
                    "full_name": [
                        x509.GeneralName(name="uniform_resource_identifier", value=url)
                        for url in urls
                    ]
                }
            }
        ]
    )


def crl_distribution_points(urls: Sequence[str]) -> Extension:
    """cRLDistributionPoints with one point naming ``urls``."""
    value = _distribution_points(urls).dump()
    return Extension(oids.CRL_DISTRIBUTION_POINTS, False, value)


def freshest_crl(urls: Sequence[str]) -> Extension:
    """freshestCRL, where the delta CRL lives (RFC 5280 4.2.1.15)."""
    return Extension(oids.FRESHEST_CRL, False, _distribution_points(urls).dump())


def authority_information_access(
    *, ocsp_urls: Sequence[str] = (), ca_issuer_urls: Sequence[str] = ()
) -> Extension:
    """authorityInfoAccess: OCSP responders first, then caIssuers."""
    descriptions = [
        {
            "access_method": "ocsp",
            "access_location": x509.GeneralName(
                name="uniform_resource_identifier", value=url
            ),
        }
        for url in ocsp_urls
    ] + [
        {
            "access_method": "ca_issuers",
            "access_location": x509.GeneralName(
                name="uniform_resource_identifier", value=url
            ),
        }
        for url in ca_issuer_urls
    ]
    value = x509.AuthorityInfoAccessSyntax(descriptions).dump()
    return Extension(oids.AUTHORITY_INFORMATION_ACCESS, False, value)


def subject_key_identifier(key_id: bytes) -> Extension:
    """subjectKeyIdentifier (RFC 5280 4.2.1.2)."""
    return Extension(
        oids.SUBJECT_KEY_IDENTIFIER, False, core.OctetString(key_id).dump()
    )


def authority_key_identifier(
    key_id: bytes,
    *,
    issuer_name: x509.Name | None = None,
    issuer_serial: int | None = None,
) -> Extension:
    """authorityKeyIdentifier; CA certificates also name the issuer's issuer
    and serial, as NCA's CA certificates do."""
    value: dict[str, Any] = {"key_identifier": key_id}
    if issuer_name is not None and issuer_serial is not None:
        value["authority_cert_issuer"] = [
            x509.GeneralName(name="directory_name", value=issuer_name)
        ]
        value["authority_cert_serial_number"] = issuer_serial
    return Extension(
        oids.AUTHORITY_KEY_IDENTIFIER,
        False,
        x509.AuthorityKeyIdentifier(value).dump(),
    )


def key_storages(storages: Sequence[str]) -> Extension:
    """NCA's "key storage" extension, 1.2.398.3.3.5 (nca-pki.md 2.4)."""
    return Extension(
        oids.KEY_STORAGE_EXTENSION, False, KeyStorages(list(storages)).dump()
    )


def ocsp_no_check() -> Extension:
    """id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1), NULL value."""
    return Extension(oids.OCSP_NO_CHECK, False, core.Null().dump())


# --- Signed structures -------------------------------------------------------


def build_certificate(
    *,
    serial: int,
    issuer: x509.Name,
    subject: x509.Name,
    not_before: datetime,
    not_after: datetime,
    subject_public_key_info: bytes,
    extensions: Sequence[Extension],
    signing_key: PrivateKey,
) -> bytes:
    """A signed v3 certificate (RFC 5280 4.1), DER."""
    algorithm = _algorithm(signature_algorithm_for(signing_key))
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": algorithm,
            "issuer": issuer,
            "validity": {
                "not_before": _time(not_before),
                "not_after": _time(not_after),
            },
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(subject_public_key_info),
            "extensions": _extensions(extensions),
        }
    )
    tbs_der = tbs.dump()
    certificate = x509.Certificate(
        {
            "tbs_certificate": x509.TbsCertificate.load(tbs_der),
            "signature_algorithm": algorithm,
            "signature_value": _sign(signing_key, tbs_der),
        }
    )
    return bytes(certificate.dump())


def build_crl(
    *,
    issuer: x509.Name,
    authority_key_id: bytes,
    this_update: datetime,
    next_update: datetime,
    number: int,
    entries: Sequence[CrlEntry],
    signing_key: PrivateKey,
    delta_of: int | None = None,
) -> bytes:
    """A signed v2 CRL (RFC 5280 5.1), DER.

    ``delta_of`` makes it a delta CRL over the base CRL of that number
    (RFC 5280 5.2.4: deltaCRLIndicator, critical).
    """
    algorithm = _algorithm(signature_algorithm_for(signing_key))
    crl_extensions: list[dict[str, Any]] = []
    if delta_of is not None:
        crl_extensions.append(
            {"extn_id": "delta_crl_indicator", "critical": True, "extn_value": delta_of}
        )
    crl_extensions += [
        {"extn_id": "crl_number", "critical": False, "extn_value": number},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": authority_key_id},
        },
    ]
    tbs: dict[str, Any] = {
        "version": "v2",
        "signature": algorithm,
        "issuer": issuer,
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "crl_extensions": crl_extensions,
    }
    revoked = [_crl_entry(entry) for entry in sorted(entries, key=_by_time)]
    if revoked:
        tbs["revoked_certificates"] = revoked
    tbs_der = crl.TbsCertList(tbs).dump()
    certificate_list = crl.CertificateList(
        {
            "tbs_cert_list": crl.TbsCertList.load(tbs_der),
            "signature_algorithm": algorithm,
            "signature": _sign(signing_key, tbs_der),
        }
    )
    return bytes(certificate_list.dump())


def _by_time(entry: CrlEntry) -> datetime:
    return entry.revoked_at


def _crl_entry(entry: CrlEntry) -> dict[str, Any]:
    value: dict[str, Any] = {
        "user_certificate": entry.serial,
        "revocation_date": _time(entry.revoked_at),
    }
    if entry.reason is not None:
        value["crl_entry_extensions"] = [
            {"extn_id": "crl_reason", "critical": False, "extn_value": entry.reason}
        ]
    return value


def build_ocsp_response(
    response_data: ocsp.ResponseData,
    *,
    signing_key: PrivateKey,
    certificates: Sequence[bytes],
) -> bytes:
    """A successful OCSPResponse wrapping a signed BasicOCSPResponse
    (RFC 6960 4.2.1), DER."""
    tbs_der = response_data.dump()
    basic = ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": ocsp.ResponseData.load(tbs_der),
            "signature_algorithm": _algorithm(signature_algorithm_for(signing_key)),
            "signature": _sign(signing_key, tbs_der),
            "certs": [x509.Certificate.load(der) for der in certificates],
        }
    )
    response = ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {
                "response_type": "basic_ocsp_response",
                "response": core.ParsableOctetString(basic.dump()),
            },
        }
    )
    return bytes(response.dump())


def ocsp_error_response(status: str) -> bytes:
    """An unsigned OCSPResponse carrying only an error status
    (RFC 6960 4.2.1: malformed_request, internal_error, try_later,
    sign_required, unauthorized)."""
    if status == "successful":
        raise ValueError("a successful response needs a signed body")
    return bytes(ocsp.OCSPResponse({"response_status": status}).dump())


def cert_id_hashes(
    *, algorithm: str, issuer_name_der: bytes, issuer_spki_der: bytes
) -> tuple[bytes, bytes] | None:
    """(issuerNameHash, issuerKeyHash) of RFC 6960 4.1.1 with the hash an
    OCSP request chose, or None when that hash is not a hashlib one."""
    try:
        name_hash = hashlib.new(algorithm, issuer_name_der).digest()
        key_hash = hashlib.new(algorithm, public_key_bits(issuer_spki_der)).digest()
    except ValueError:
        return None
    return name_hash, key_hash
