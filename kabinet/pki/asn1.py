"""ASN.1 plumbing shared by the trust engine: size limits, armour, OIDs.

Importing this module teaches asn1crypto the Kazakh and tc26 GOST key
algorithms. Out of the box asn1crypto looks the key algorithm up in a fixed
table when it parses a SubjectPublicKeyInfo or a PKCS#8 PrivateKeyInfo and
raises KeyError for these OIDs, which leaves the object half parsed. After
registration a GOST key parses as an OCTET STRING (the KZ x||y or scalar
bytes), its AlgorithmIdentifier parameters as :class:`GostKeyParameters`,
and unknown key algorithms stay opaque bytes instead of failing.

The OIDs keep their dotted form as ``.native`` (no names are added to the
maps), so callers compare them with :mod:`kabinet.pki.oids`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Final, TypeVar

from asn1crypto import core, keys

from kabinet.pki import oids
from kabinet.pki.errors import InputMalformed, InputTooLarge

logger = logging.getLogger(__name__)

MAX_CERTIFICATE_BYTES: Final = 64 * 1024
MAX_SIGNED_DOCUMENT_BYTES: Final = 1024 * 1024
MAX_PKCS12_BYTES: Final = 256 * 1024
MAX_CRL_BYTES: Final = 128 * 1024 * 1024
MAX_OCSP_RESPONSE_BYTES: Final = 64 * 1024

# Key algorithms whose SubjectPublicKeyInfo carries an OCTET STRING inside
# the BIT STRING (RFC 4491 2.3.2; the KZ profile does the same, nca-pki.md
# 1.1) and whose AlgorithmIdentifier parameters are GostKeyParameters.
GOST_KEY_ALGORITHMS: Final = frozenset(
    {
        oids.GOST2015_256_KEY,
        oids.GOST2015_512_KEY,
        oids.GOST2004_KEY,
        oids.TC26_GOST2012_256_KEY,
        oids.TC26_GOST2012_512_KEY,
        oids.CRYPTOPRO_GOST2001_KEY,
    }
)

# Private keys stored as a little-endian OCTET STRING (nca-pki.md 1.1 for
# KZ 2015; RFC 9215 for tc26) versus a big-endian INTEGER (KZ 2004).
_GOST_OCTET_PRIVATE_KEYS: Final = frozenset(
    {
        oids.GOST2015_256_KEY,
        oids.GOST2015_512_KEY,
        oids.TC26_GOST2012_256_KEY,
        oids.TC26_GOST2012_512_KEY,
    }
)
_GOST_INTEGER_PRIVATE_KEYS: Final = frozenset(
    {oids.GOST2004_KEY, oids.CRYPTOPRO_GOST2001_KEY}
)


class GostKeyParameters(core.Sequence):  # type: ignore[misc]
    """GostR3410-PublicKeyParameters (RFC 4491 2.3.1), also used by KZ."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
        ("encryption_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


class KeyStorages(core.SequenceOf):  # type: ignore[misc]
    """Value of the NCA key storage extension 1.2.398.3.3.5 (nca-pki.md 2.4)."""

    _child_spec = core.ObjectIdentifier


class RawExtension(core.Sequence):  # type: ignore[misc]
    """Extension (RFC 5280 4.1) whose extnValue is kept byte for byte: no
    per-OID parsing, so an odd value of one extension cannot stop the rest."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("extn_id", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extn_value", core.OctetString),
    ]


class RawExtensions(core.SequenceOf):  # type: ignore[misc]
    _child_spec = RawExtension


_SpecCallback = Callable[[Any], Any]
_registered = False


def _register_gost_with_asn1crypto() -> None:
    """Patch asn1crypto's key tables once; see the module docstring."""
    global _registered
    if _registered:
        return
    for oid in GOST_KEY_ALGORITHMS:
        keys.PublicKeyAlgorithm._oid_specs[oid] = GostKeyParameters
        keys.PrivateKeyAlgorithm._oid_specs[oid] = GostKeyParameters

    public_key_spec: _SpecCallback = keys.PublicKeyInfo._spec_callbacks["public_key"]
    private_key_spec: _SpecCallback = keys.PrivateKeyInfo._spec_callbacks["private_key"]

    def public_key_with_gost(info: Any) -> Any:
        algorithm = info["algorithm"]["algorithm"].dotted
        if algorithm in GOST_KEY_ALGORITHMS:
            return core.OctetString
        try:
            return public_key_spec(info)
        except KeyError:
            return (core.OctetBitString, None)

    def private_key_with_gost(info: Any) -> Any:
        algorithm = info["private_key_algorithm"]["algorithm"].dotted
        if algorithm in _GOST_OCTET_PRIVATE_KEYS:
            return core.OctetString
        if algorithm in _GOST_INTEGER_PRIVATE_KEYS:
            return core.Integer
        try:
            return private_key_spec(info)
        except KeyError:
            return (core.OctetString, None)

    keys.PublicKeyInfo._spec_callbacks = {"public_key": public_key_with_gost}
    keys.PrivateKeyInfo._spec_callbacks = {"private_key": private_key_with_gost}
    _registered = True


_register_gost_with_asn1crypto()


_Value = TypeVar("_Value", bound=core.Asn1Value)


def parse_der(spec: type[_Value], der: bytes, *, what: str) -> _Value:
    """Parse ``der`` as ``spec`` completely, refusing trailing bytes.

    asn1crypto parses lazily; ``.native`` forces every nested value so that
    a malformed structure fails here and not later in some property.

    Raises:
        InputMalformed: the bytes are not a well-formed ``spec``.
    """
    try:
        value: _Value = spec.load(der, strict=True)
        value.native  # noqa: B018 - forces the lazy parse of every field
    except InputMalformed:
        raise
    except Exception as exc:
        raise InputMalformed(f"{what} is not valid DER: {exc}") from exc
    return value


_PEM_BEGIN: Final = b"-----BEGIN "
_PEM_END: Final = b"-----END "
# RFC 7468 3: a label is printable ASCII; NCA's and OpenSSL's are capitals,
# digits and spaces. The bound keeps every match short.
_PEM_BEGIN_LINE: Final = re.compile(rb"-----BEGIN ([A-Z0-9 #]{1,64})-----")
_PEM_END_LINE: Final = re.compile(rb"-----END ([A-Z0-9 #]{1,64})-----")
_BASE64_TEXT: Final = re.compile(rb"[A-Za-z0-9+/=\s]+")


def decode_armor(data: bytes, *, labels: tuple[str, ...], max_bytes: int) -> bytes:
    """Return the DER inside PEM (with one of ``labels``), bare base64 or DER.

    The size is checked on the raw input before anything else is done.

    Raises:
        InputTooLarge: ``data`` is longer than ``max_bytes``.
        InputMalformed: ``data`` is none of the three forms, or PEM with a
            label other than ``labels``.
    """
    if not isinstance(data, bytes | bytearray):
        raise InputMalformed(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"input of {len(data)} bytes exceeds the limit of {max_bytes} bytes"
        )
    data = bytes(data)
    if not data:
        raise InputMalformed("input is empty")

    if _looks_like_der(data):
        return data

    if b"-----BEGIN " in data:
        return _decode_pem(data, labels)

    text = data.strip()
    if not _BASE64_TEXT.fullmatch(text):
        raise InputMalformed("input is neither DER, PEM nor base64")
    der = _decode_base64(text)
    if not _looks_like_der(der):
        raise InputMalformed("base64 input does not decode to a DER structure")
    return der


def pem_blocks(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The PEM blocks of ``data`` in order: (label, base64 text between the
    lines).

    One pass over the input: each block ends at the first END line after
    its BEGIN line (RFC 7468 2 has no nesting), so hostile input with many
    BEGIN lines and no END costs time linear in its size. A BEGIN line not
    in PEM form is skipped as text.

    Raises:
        InputMalformed: a block without an END line, or whose END line
            carries another label.
    """
    position = data.find(_PEM_BEGIN)
    while position != -1:
        begin = _PEM_BEGIN_LINE.match(data, position)
        if begin is None:
            position = data.find(_PEM_BEGIN, position + 1)
            continue
        label = begin.group(1)
        end_position = data.find(_PEM_END, begin.end())
        end = _PEM_END_LINE.match(data, end_position) if end_position != -1 else None
        if end is None:
            raise InputMalformed(f"PEM block {label.decode('ascii')} has no END line")
        if end.group(1) != label:
            raise InputMalformed(
                f"PEM block {label.decode('ascii')} ends with END "
                f"{end.group(1).decode('ascii')}"
            )
        yield label.decode("ascii"), data[begin.end() : end_position]
        position = data.find(_PEM_BEGIN, end.end())


def _decode_pem(data: bytes, labels: tuple[str, ...]) -> bytes:
    found: list[str] = []
    for label, body in pem_blocks(data):
        if label not in labels:
            found.append(label)
            continue
        der = _decode_base64(body)
        if not _looks_like_der(der):
            raise InputMalformed(f"PEM block {label} does not hold a DER structure")
        return der
    if found:
        raise InputMalformed(
            f"expected PEM {' or '.join(labels)}, found {', '.join(found)}"
        )
    raise InputMalformed("PEM armour is incomplete (no BEGIN line)")


def _decode_base64(text: bytes) -> bytes:
    compact = b"".join(text.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputMalformed(f"invalid base64: {exc}") from exc


def _looks_like_der(data: bytes) -> bool:
    """True when ``data`` is exactly one SEQUENCE, by its length header.

    X.690 8.1.3: short form below 0x80, long form with up to four length
    bytes here. Indefinite length (BER, 0x80) is accepted when the data
    ends with end-of-contents octets, as some PKCS#12 and CMS writers emit.
    """
    if len(data) < 2 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        return len(data) == 2 + first
    if first == 0x80:
        return data.endswith(b"\x00\x00")
    count = first & 0x7F
    if count > 4 or len(data) < 2 + count:
        return False
    length = int.from_bytes(data[2 : 2 + count], "big")
    return len(data) == 2 + count + length
