"""CMS SignedData (RFC 5652) as NCALayer, Kalkan and the eGov apps make it.

``verify_cms`` answers one question: which certificate signed which bytes.
It checks the structure and the cryptography only; the chain, the time and
revocation are the verifier's business. ``sign_cms`` makes the same shape
for the test PKI and the emulators.

The rules are deliberately narrower than RFC 5652 allows, because a login
signature has exactly one legitimate shape:

- exactly one SignerInfo, its certificate inside the container;
- encapsulated content of type id-data, attached, or detached and supplied
  by the caller;
- signed attributes present (they bind the content through messageDigest),
  with contentType and messageDigest exactly once and signingTime at most
  once;
- the digest algorithm of the key's family (Streebog for GOST, SHA-256 for
  RSA).

Unsigned attributes (Kalkan adds an RFC 3161 timestamp token there) are
never read. An ESS signingCertificate(V2) signed attribute, when a signer
adds one, is not compared with the embedded certificate: the signature
binds the key, and the verifier's chain check binds that certificate to a
person, so a substituted certificate could only carry the same key.
"""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms, core, x509

from kabinet.pki import _der, oids
from kabinet.pki._time import require_aware
from kabinet.pki.asn1 import MAX_SIGNED_DOCUMENT_BYTES, decode_armor
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    ContentMismatch,
    InputMalformed,
    SignerCertificateMissing,
    SignersMultiple,
)
from kabinet.pki.signature import (
    PrivateKey,
    digest,
    digest_algorithm_for,
    verify_signature,
)
from kabinet.pki.signature import sign as sign_bytes

__all__ = ["CmsSignature", "sign_cms", "to_pem", "verify_cms"]

logger = logging.getLogger(__name__)

PEM_LABELS = ("CMS", "PKCS7")

# NCALayer embeds the signer certificate only (nca-pki.md 5); a chain would
# add a few. Each one is parsed in full, so their number is bounded.
MAX_CERTIFICATES = 16

# asn1crypto parses lazily, so a malformed inner structure surfaces as one of
# these on first access rather than at load time.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


@dataclass(frozen=True)
class CmsSignature:
    """What a valid CMS SignedData says: these bytes, signed by this signer.

    ``signing_time`` is the signer's own claim (the signingTime attribute),
    not a trusted time; ``None`` when the attribute is absent.
    """

    content: bytes
    signer: Certificate
    signing_time: datetime | None
    attached: bool
    digest_algorithm: str
    signature_algorithm: str


@dataclass(frozen=True)
class _SignedAttributes:
    """The signed attributes of the one SignerInfo, read but not judged."""

    der: bytes
    content_types: tuple[str, ...]
    message_digests: tuple[bytes, ...]
    signing_times: tuple[datetime, ...]


@dataclass(frozen=True)
class _SignedData:
    """The parts of a SignedData read before its signer, as plain values."""

    content_type: str
    content: bytes | None
    certificates: tuple[bytes, ...]
    signer_infos: tuple[cms.SignerInfo, ...]


@dataclass(frozen=True)
class _SignerInfo:
    """The one SignerInfo, as plain values."""

    sid_issuer_der: bytes | None
    sid_serial: int | None
    sid_key_id: bytes | None
    digest_algorithm: str
    signature_algorithm: str
    signature: bytes
    signed_attributes: _SignedAttributes | None


def verify_cms(data: bytes, *, detached_content: bytes | None = None) -> CmsSignature:
    """Verify a CMS SignedData with exactly one signer.

    Args:
        data: PEM (``-----BEGIN CMS-----`` or PKCS7), bare base64 as
            commonUtils returns it, or DER.
        detached_content: the signed bytes when the signature is detached;
            must be ``None`` for an attached signature.

    Returns:
        The content, the signer certificate and the claimed signing time.

    Raises:
        InputTooLarge: ``data`` exceeds ``MAX_SIGNED_DOCUMENT_BYTES``.
        InputMalformed: not a SignedData of the accepted shape.
        SignersMultiple: more than one SignerInfo.
        SignerCertificateMissing: the signer's certificate is not inside.
        AlgorithmUnsupported: an algorithm outside the supported set, or a
            digest algorithm that does not belong to the signer's key.
        ContentMismatch: contentType or messageDigest does not describe the
            content.
        SignatureInvalid: the signature does not verify with the signer's key.
    """
    der = decode_armor(data, labels=PEM_LABELS, max_bytes=MAX_SIGNED_DOCUMENT_BYTES)
    signed_data = _parse_signed_data(der)
    logger.debug("cms parsed: %s signer info(s)", len(signed_data.signer_infos))

    if not signed_data.signer_infos:
        raise InputMalformed("CMS SignedData has no SignerInfo")
    if len(signed_data.signer_infos) > 1:
        raise SignersMultiple(
            f"CMS SignedData has {len(signed_data.signer_infos)} signers; exactly "
            "one is accepted"
        )
    signer_info = _parse_signer_info(signed_data.signer_infos[0])

    # A login signs plain bytes (the challenge); any other content type would
    # let the same signature be read as something else.
    if signed_data.content_type != oids.CMS_DATA:
        raise InputMalformed(
            f"encapsulated content type is {signed_data.content_type}, "
            f"expected id-data {oids.CMS_DATA}"
        )

    content, attached = _resolve_content(signed_data.content, detached_content)

    signer = _find_signer_certificate(signed_data.certificates, signer_info)
    logger.debug("cms signer certificate: serial %s", signer.serial_hex)

    # RFC 5652 5.4: without signed attributes the signature covers the
    # content directly; the login flow requires the messageDigest binding.
    attributes = signer_info.signed_attributes
    if attributes is None:
        raise InputMalformed(
            "SignerInfo has no signed attributes; the content must be bound "
            "through the messageDigest attribute (RFC 5652 5.4)"
        )
    _check_single_attribute_values(attributes)

    if attributes.content_types[0] != signed_data.content_type:
        raise ContentMismatch(
            f"contentType attribute {attributes.content_types[0]} differs from "
            f"the encapsulated content type {signed_data.content_type} "
            "(RFC 5652 11.1)"
        )

    public_key = signer.public_key
    expected_digest_algorithm = digest_algorithm_for(public_key)
    if signer_info.digest_algorithm != expected_digest_algorithm:
        raise AlgorithmUnsupported(
            f"digest algorithm {signer_info.digest_algorithm} does not match the "
            f"signer's {signer.algorithm} key (expected {expected_digest_algorithm})"
        )

    content_digest = digest(signer_info.digest_algorithm, content)
    if not hmac.compare_digest(content_digest, attributes.message_digests[0]):
        raise ContentMismatch(
            "messageDigest attribute does not match the digest of the content "
            "(RFC 5652 11.2)"
        )
    logger.debug("cms messageDigest matches the content")

    verify_signature(
        public_key=public_key,
        signature_algorithm=signer_info.signature_algorithm,
        message=attributes.der,
        signature=signer_info.signature,
        digest_algorithm=signer_info.digest_algorithm,
    )
    logger.debug("cms signature verified for serial %s", signer.serial_hex)

    return CmsSignature(
        content=content,
        signer=signer,
        signing_time=attributes.signing_times[0] if attributes.signing_times else None,
        attached=attached,
        digest_algorithm=signer_info.digest_algorithm,
        signature_algorithm=signer_info.signature_algorithm,
    )


def sign_cms(
    content: bytes,
    *,
    key: PrivateKey,
    certificate: Certificate,
    signing_time: datetime,
    attached: bool = True,
) -> bytes:
    """Sign ``content`` into a CMS SignedData shaped like NCALayer's output.

    SignedData v1, id-data, the signer certificate only, a SignerInfo v1
    with issuerAndSerialNumber and the signed attributes contentType,
    signingTime and messageDigest. GOST keys sign with Streebog and the KZ
    OIDs, RSA keys with SHA-256.

    Returns:
        The DER encoding; ``to_pem`` gives NCALayer's armour.
    """
    signing_time = require_aware(signing_time, name="signing_time").replace(
        microsecond=0
    )
    digest_algorithm = digest_algorithm_for(key)

    # RFC 5652 5.4 signs the DER SET OF: asn1crypto sorts the encodings, and
    # this order is already the sorted one (they differ in length).
    signed_attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [_cms_time(signing_time)]}
            ),
            cms.CMSAttribute(
                {
                    "type": "message_digest",
                    "values": [digest(digest_algorithm, content)],
                }
            ),
        ]
    )
    signature_algorithm, signature_value = sign_bytes(key, signed_attributes.dump())

    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value=cms.IssuerAndSerialNumber(
                    {
                        "issuer": x509.Name.load(certificate.issuer_der),
                        "serial_number": certificate.serial,
                    }
                ),
            ),
            "digest_algorithm": _digest_algorithm_identifier(digest_algorithm),
            "signed_attrs": signed_attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm(
                {"algorithm": signature_algorithm, "parameters": core.Null()}
            ),
            "signature": signature_value,
        }
    )
    encapsulated: dict[str, object] = {"content_type": "data"}
    if attached:
        encapsulated["content"] = content
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [_digest_algorithm_identifier(digest_algorithm)],
            "encap_content_info": encapsulated,
            "certificates": [
                cms.CertificateChoices(
                    name="certificate", value=x509.Certificate.load(certificate.der)
                )
            ],
            "signer_infos": [signer_info],
        }
    )
    content_info = cms.ContentInfo(
        {"content_type": "signed_data", "content": signed_data}
    )
    der: bytes = content_info.dump()
    return der


def to_pem(der: bytes) -> str:
    """Armour DER SignedData the way NCALayer's ``basics.sign`` returns it."""
    encoded = base64.b64encode(der).decode("ascii")
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return "-----BEGIN CMS-----\n" + "\n".join(lines) + "\n-----END CMS-----\n"


def _parse_signed_data(der: bytes) -> _SignedData:
    """Read the container around the signers."""
    with _malformed_on_parse_error("not a CMS SignedData"):
        content_info = cms.ContentInfo.load(der, strict=True)
        outer_type = content_info["content_type"].dotted
        if outer_type != oids.CMS_SIGNED_DATA:
            raise InputMalformed(
                f"CMS content type is {outer_type}, expected id-signedData "
                f"{oids.CMS_SIGNED_DATA}"
            )
        signed_data = content_info["content"]
        encapsulated = signed_data["encap_content_info"]
        content_value = encapsulated["content"]
        return _SignedData(
            content_type=encapsulated["content_type"].dotted,
            content=None
            if isinstance(content_value, core.Void)
            else content_value.native,
            certificates=tuple(
                choice.chosen.dump()
                for choice in _present(signed_data["certificates"])
                if choice.name == "certificate"
            ),
            signer_infos=tuple(signed_data["signer_infos"]),
        )


def _parse_signer_info(signer_info: cms.SignerInfo) -> _SignerInfo:
    """Read the one SignerInfo."""
    with _malformed_on_parse_error("malformed CMS SignerInfo"):
        sid = signer_info["sid"]
        if sid.name == "issuer_and_serial_number":
            sid_issuer_der = sid.chosen["issuer"].dump()
            sid_serial = sid.chosen["serial_number"].native
            sid_key_id = None
        else:
            sid_issuer_der = sid_serial = None
            sid_key_id = sid.chosen.native
        return _SignerInfo(
            sid_issuer_der=sid_issuer_der,
            sid_serial=sid_serial,
            sid_key_id=sid_key_id,
            digest_algorithm=signer_info["digest_algorithm"]["algorithm"].dotted,
            signature_algorithm=signer_info["signature_algorithm"]["algorithm"].dotted,
            signature=signer_info["signature"].native,
            signed_attributes=_read_signed_attributes(signer_info["signed_attrs"]),
        )


@contextmanager
def _malformed_on_parse_error(what: str) -> Iterator[None]:
    """Turn the parser's own exceptions into InputMalformed."""
    try:
        yield
    except _PARSE_ERRORS as exc:
        raise InputMalformed(f"{what}: {exc}") from exc


def _read_signed_attributes(value: core.Asn1Value) -> _SignedAttributes | None:
    """Collect contentType, messageDigest and signingTime values, keeping the
    bytes the signature covers."""
    if isinstance(value, core.Void):
        return None
    content_types: list[str] = []
    message_digests: list[bytes] = []
    signing_times: list[datetime] = []
    for attribute in value:
        kind = attribute["type"].dotted
        values = list(attribute["values"])
        if kind == oids.CMS_CONTENT_TYPE:
            content_types.extend(v.dotted for v in values)
        elif kind == oids.CMS_MESSAGE_DIGEST:
            message_digests.extend(v.native for v in values)
        elif kind == oids.CMS_SIGNING_TIME:
            signing_times.extend(require_aware(v.native) for v in values)
    # RFC 5652 5.4: the signature covers the DER SET OF (tag 0x31), not the
    # [0] IMPLICIT form carried in the SignerInfo. The received bytes must
    # already be that DER (sorted, definite lengths): then the bytes hashed
    # here are the ones other verifiers re-encode, and no BER variant of the
    # same attributes can verify differently.
    contents: bytes = value.contents
    der = b"\x31" + _der.encode_length(len(contents)) + contents
    if cms.CMSAttributes.load(der).dump(force=True) != der:
        raise InputMalformed(
            "signed attributes are not DER-encoded (RFC 5652 5.4 signs their "
            "DER encoding)"
        )
    return _SignedAttributes(
        der=der,
        content_types=tuple(content_types),
        message_digests=tuple(message_digests),
        signing_times=tuple(signing_times),
    )


def _present(value: core.Asn1Value) -> list[core.Asn1Value]:
    """The elements of an OPTIONAL SET OF, or nothing when it is absent."""
    if isinstance(value, core.Void):
        return []
    return list(value)


def _resolve_content(
    encapsulated: bytes | None, detached_content: bytes | None
) -> tuple[bytes, bool]:
    """The signed bytes and whether they came attached."""
    if encapsulated is not None and detached_content is not None:
        raise InputMalformed(
            "the CMS carries its content, so detached_content must not be given"
        )
    if encapsulated is None and detached_content is None:
        raise InputMalformed(
            "the CMS is detached (no eContent) and no detached_content was given"
        )
    if encapsulated is not None:
        return encapsulated, True
    assert detached_content is not None
    return detached_content, False


def _find_signer_certificate(
    certificates: tuple[bytes, ...], signer_info: _SignerInfo
) -> Certificate:
    """The one certificate in ``certificates`` that the SignerInfo's sid
    names (RFC 5652 5.3)."""
    if len(certificates) > MAX_CERTIFICATES:
        raise InputMalformed(
            f"CMS carries {len(certificates)} certificates; at most "
            f"{MAX_CERTIFICATES} are accepted"
        )
    matches: set[Certificate] = set()
    for der in certificates:
        certificate = Certificate.load(der)
        if signer_info.sid_key_id is not None:
            if certificate.subject_key_id == signer_info.sid_key_id:
                matches.add(certificate)
        elif (
            certificate.serial == signer_info.sid_serial
            and certificate.issuer_der == signer_info.sid_issuer_der
        ):
            matches.add(certificate)
    if not matches:
        raise SignerCertificateMissing(
            "the signer's certificate is not among the CMS certificates"
        )
    if len(matches) > 1:
        raise InputMalformed(
            f"{len(matches)} different certificates match the signer identifier"
        )
    return matches.pop()


def _check_single_attribute_values(attributes: _SignedAttributes) -> None:
    """RFC 5652 11.1-11.3: contentType and messageDigest exactly once with
    one value each; signingTime at most once."""
    if len(attributes.content_types) != 1:
        raise InputMalformed(
            f"{len(attributes.content_types)} contentType values in the signed "
            "attributes; exactly one is required (RFC 5652 11.1)"
        )
    if len(attributes.message_digests) != 1:
        raise InputMalformed(
            f"{len(attributes.message_digests)} messageDigest values in the signed "
            "attributes; exactly one is required (RFC 5652 11.2)"
        )
    if len(attributes.signing_times) > 1:
        raise InputMalformed(
            f"{len(attributes.signing_times)} signingTime values in the signed "
            "attributes; at most one is allowed (RFC 5652 11.3)"
        )


def _cms_time(moment: datetime) -> cms.Time:
    """RFC 5652 11.3: UTCTime for 1950-2049, GeneralizedTime otherwise."""
    if 1950 <= moment.year <= 2049:
        return cms.Time(name="utc_time", value=moment)
    return cms.Time(name="generalized_time", value=moment)


def _digest_algorithm_identifier(oid: str) -> algos.DigestAlgorithm:
    """AlgorithmIdentifier with NULL parameters, as Kalkan and NCANode write
    it for both Streebog and SHA-256."""
    return algos.DigestAlgorithm({"algorithm": oid, "parameters": core.Null()})
