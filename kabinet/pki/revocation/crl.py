"""CRLs and delta CRLs (RFC 5280 section 5), indexed for serial lookups.

A CRL is checked and indexed once per download. The signed structure is
walked by hand instead of through a general X.509 library, for two
reasons. NCA's GOST CRL runs to ~19 MB; building an object per entry
costs hundreds of megabytes, while an index of entry offsets into the DER
costs four bytes an entry. And NCA's CRLs are not always strictly formed
(the 2026-08-11 test CRL omits the NULL parameters in its inner signature
AlgorithmIdentifier but not in the outer one), which strict parsers refuse.

The index keeps the CRL's DER and a sorted array of entry offsets; a lookup
is a binary search over the serial numbers as they stand in the DER, and
the revocation date and reason are decoded only for the entry found.
"""

from __future__ import annotations

import hashlib
import logging
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509

from kabinet.pki import _der, oids
from kabinet.pki._time import require_aware
from kabinet.pki.asn1 import MAX_CRL_BYTES
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    InputMalformed,
    InputTooLarge,
    RevocationUnknown,
    SignatureInvalid,
)
from kabinet.pki.signature import load_public_key, verify_signature

logger = logging.getLogger(__name__)


_KNOWN_CRL_EXTENSIONS = frozenset(
    {
        oids.CRL_NUMBER,
        oids.DELTA_CRL_INDICATOR,
        oids.ISSUING_DISTRIBUTION_POINT,
        oids.AUTHORITY_KEY_IDENTIFIER,
        oids.FRESHEST_CRL,
        oids.EXPIRED_CERTS_ON_CRL,
    }
)
# certificateIssuer is left out on purpose: it only appears in indirect
# CRLs, which this index does not support (RFC 5280 5.3.3).
_KNOWN_ENTRY_EXTENSIONS = frozenset(
    {oids.CRL_REASON, oids.HOLD_INSTRUCTION, oids.INVALIDITY_DATE}
)

# CRLReason, RFC 5280 5.3.1 (7 is not used).
REASONS = {
    0: "unspecified",
    1: "key_compromise",
    2: "ca_compromise",
    3: "affiliation_changed",
    4: "superseded",
    5: "cessation_of_operation",
    6: "certificate_hold",
    8: "remove_from_crl",
    9: "privilege_withdrawn",
    10: "aa_compromise",
}

_BOOLEAN_TRUE = b"\x01\x01\xff"


@dataclass(frozen=True)
class RevokedEntry:
    """One revoked certificate as a CRL lists it."""

    serial: int
    revoked_at: datetime
    reason: str | None


@dataclass(frozen=True)
class _Extension:
    oid: str
    critical: bool
    value: bytes


@dataclass(frozen=True)
class _CrlParts:
    """The signed structure of a CRL, located but not yet trusted."""

    tbs_start: int
    tbs_end: int
    inner_algorithm: bytes
    outer_algorithm: bytes
    signature_algorithm: str
    signature: bytes
    issuer_der: bytes
    this_update: datetime
    next_update: datetime | None
    entries_start: int
    entries_end: int
    extensions: tuple[_Extension, ...]


class CrlIndex:
    """A verified CRL (full or delta) answering "is this serial listed?".

    Build it with :meth:`build`; the constructor is not public API. The
    index holds the CRL's DER (needed to decode the entry found) and one
    32-bit offset per entry.
    """

    __slots__ = (
        "_der",
        "_offsets",
        "authority_key_id",
        "base_crl_number",
        "crl_number",
        "issuer_der",
        "next_update",
        "sha256",
        "signature_algorithm",
        "this_update",
    )

    def __init__(
        self,
        *,
        der: bytes,
        offsets: array[int],
        parts: _CrlParts,
        crl_number: int | None,
        base_crl_number: int | None,
        authority_key_id: bytes | None,
    ) -> None:
        self._der = der
        self._offsets = offsets
        self.issuer_der = parts.issuer_der
        self.this_update = parts.this_update
        self.next_update = parts.next_update
        self.signature_algorithm = parts.signature_algorithm
        self.crl_number = crl_number
        self.base_crl_number = base_crl_number
        self.authority_key_id = authority_key_id
        self.sha256 = hashlib.sha256(der).hexdigest()

    def __repr__(self) -> str:
        kind = "delta CRL" if self.is_delta else "CRL"
        return (
            f"<CrlIndex {kind} number={self.crl_number} entries={len(self)} "
            f"this_update={self.this_update.isoformat()}>"
        )

    def __len__(self) -> int:
        return len(self._offsets)

    def __contains__(self, serial: object) -> bool:
        return isinstance(serial, int) and self._position(serial) is not None

    @property
    def is_delta(self) -> bool:
        return self.base_crl_number is not None

    @classmethod
    def build(
        cls,
        der: bytes,
        *,
        issuer: Certificate,
        at: datetime,
        clock_skew_seconds: int = 300,
    ) -> CrlIndex:
        """Check a CRL issued by ``issuer`` and index its entries.

        Checks, in order: size, structure, issuer name and key identifier,
        the issuer's right to sign CRLs, the signature, critical extensions
        and scope, and freshness at ``at``.

        Raises:
            InputTooLarge, InputMalformed: the bytes are not a CRL.
            RevocationUnknown: the CRL is well formed but cannot be used
                (wrong issuer, bad signature, unsupported critical
                extension or scope, stale or not yet issued).
        """
        at = require_aware(at)
        if len(der) > MAX_CRL_BYTES:
            raise InputTooLarge(f"CRL of {len(der)} bytes exceeds {MAX_CRL_BYTES}")
        der = bytes(der)
        parts = _parse(der)

        _require_issuer_name(parts, issuer)

        extensions = {e.oid: e for e in parts.extensions}
        authority_key_id = _authority_key_id(
            extensions.get(oids.AUTHORITY_KEY_IDENTIFIER)
        )
        _require_issuer_key_id(authority_key_id, issuer)

        if "crl_sign" not in issuer.key_usage:
            # RFC 5280 6.3.3 (f): the CRL issuer's key must be meant for it.
            raise RevocationUnknown(
                f"CRL issuer {issuer.subject!r} lacks the cRLSign key usage"
            )

        _require_signature(der, parts, issuer)

        _require_known_critical_extensions(parts.extensions)
        _require_full_scope(extensions.get(oids.ISSUING_DISTRIBUTION_POINT))
        offsets = _index_entries(der, parts.entries_start, parts.entries_end)

        crl_number = _integer_extension(extensions.get(oids.CRL_NUMBER))
        base_crl_number = _integer_extension(extensions.get(oids.DELTA_CRL_INDICATOR))
        index = cls(
            der=der,
            offsets=offsets,
            parts=parts,
            crl_number=crl_number,
            base_crl_number=base_crl_number,
            authority_key_id=authority_key_id,
        )
        index.require_fresh(at=at, clock_skew_seconds=clock_skew_seconds)
        logger.debug(
            "indexed %r of %s (sha256 %s)", index, issuer.subject, index.sha256[:16]
        )
        return index

    def require_fresh(self, *, at: datetime, clock_skew_seconds: int = 300) -> None:
        """Raise RevocationUnknown unless the CRL is current at ``at``.

        RFC 5280 5.1.2.4-5: thisUpdate may lie at most ``clock_skew_seconds``
        after ``at``; nextUpdate must be present and not passed.
        """
        at = require_aware(at)
        if self.this_update > at + timedelta(seconds=clock_skew_seconds):
            raise RevocationUnknown(
                f"CRL thisUpdate {self.this_update.isoformat()} is after "
                f"{at.isoformat()}"
            )
        if self.next_update is None:
            raise RevocationUnknown("CRL has no nextUpdate; its freshness is unknown")
        if at > self.next_update:
            raise RevocationUnknown(
                f"CRL expired: nextUpdate {self.next_update.isoformat()} is before "
                f"{at.isoformat()}"
            )

    def require_applies_to(self, base: CrlIndex) -> None:
        """Raise RevocationUnknown unless this delta CRL extends ``base``.

        RFC 5280 5.2.4: the base must be complete, from the same issuer,
        and numbered at least the delta's BaseCRLNumber. NCA numbers its
        delta CRLs in their own sequence (delta 5 on base 10), against
        RFC 5280 5.2.3, so CRL numbers cannot tell which of the two is
        newer; thisUpdate does, and a delta older than its base could
        wrongly lift a hold that the base records again.
        """
        if self.base_crl_number is None:
            raise RevocationUnknown("not a delta CRL: no deltaCRLIndicator")
        if base.is_delta:
            raise RevocationUnknown("a delta CRL applies to a complete CRL only")
        if base.issuer_der != self.issuer_der or (
            base.authority_key_id is not None
            and self.authority_key_id is not None
            and base.authority_key_id != self.authority_key_id
        ):
            raise RevocationUnknown("delta CRL and base CRL have different issuers")
        if base.crl_number is None or base.crl_number < self.base_crl_number:
            raise RevocationUnknown(
                f"delta CRL needs a base CRL numbered >= {self.base_crl_number}, "
                f"the base at hand is {base.crl_number}"
            )
        if self.this_update < base.this_update:
            raise RevocationUnknown("delta CRL is older than its base CRL")

    def lookup(self, serial: int) -> RevokedEntry | None:
        """The entry listing ``serial``, or None if it is not listed."""
        position = self._position(serial)
        if position is None:
            return None
        return _decode_entry(self._der, self._offsets[position])

    def serials(self) -> list[int]:
        """Every listed serial, in index order (for diagnostics and tests)."""
        return [_decode_entry(self._der, o).serial for o in self._offsets]

    def _position(self, serial: int) -> int | None:
        target = _der.encode_integer(serial)
        der = self._der

        def serial_tlv(offset: int) -> bytes:
            return _serial_tlv(der, offset)

        position = bisect_left(self._offsets, target, key=serial_tlv)
        if (
            position < len(self._offsets)
            and serial_tlv(self._offsets[position]) == target
        ):
            return position
        return None


def revocation_status(
    serial: int, *, base: CrlIndex, delta: CrlIndex | None = None
) -> RevokedEntry | None:
    """The entry that revokes ``serial`` per a CRL and its delta, or None.

    The delta has the last word: a removeFromCRL entry there lifts the
    base's entry (a certificate released from hold, RFC 5280 5.3.1), any
    other entry revokes. Call ``delta.require_applies_to(base)`` first.
    """
    if delta is not None:
        entry = delta.lookup(serial)
        if entry is not None:
            return None if entry.reason == "remove_from_crl" else entry
    return base.lookup(serial)


@dataclass(frozen=True)
class CrlHeader:
    """Who says they issued a CRL, and whether it claims to be a delta."""

    issuer_der: bytes
    is_delta: bool


def read_header(der: bytes) -> CrlHeader:
    """The issuer Name DER of a CRL and whether it is a delta CRL, without
    indexing or trusting it.

    Used to match CRL files in an offline mirror to issuing CAs before
    the (more expensive) signature check.
    """
    if len(der) > MAX_CRL_BYTES:
        raise InputTooLarge(f"CRL of {len(der)} bytes exceeds {MAX_CRL_BYTES}")
    parts = _parse(bytes(der))
    is_delta = any(e.oid == oids.DELTA_CRL_INDICATOR for e in parts.extensions)
    return CrlHeader(issuer_der=parts.issuer_der, is_delta=is_delta)


def read_issuer(der: bytes) -> bytes:
    """The issuer Name DER of a CRL, without indexing or trusting it."""
    return read_header(der).issuer_der


def _parse(der: bytes) -> _CrlParts:
    """Locate the parts of CertificateList (RFC 5280 5.1) in ``der``."""
    end = len(der)
    outer_start, outer_end = _der.expect(der, 0, end, _der.TAG_SEQUENCE)
    if outer_end != end:
        raise InputMalformed("trailing bytes after the CRL")
    tbs_start = outer_start
    tbs_content, tbs_end = _der.expect(der, tbs_start, outer_end, _der.TAG_SEQUENCE)
    outer_alg_content, outer_alg_end = _der.expect(
        der, tbs_end, outer_end, _der.TAG_SEQUENCE
    )
    sig_start, sig_end = _der.expect(der, outer_alg_end, outer_end, _der.TAG_BIT_STRING)
    if sig_end != outer_end:
        raise InputMalformed("unexpected element after the CRL signature")
    if sig_start == sig_end or der[sig_start] != 0:
        raise InputMalformed("CRL signature BIT STRING has unused bits")
    signature = der[sig_start + 1 : sig_end]
    outer_algorithm = der[tbs_end:outer_alg_end]
    signature_algorithm = _algorithm_oid(der, outer_alg_content, outer_alg_end)

    fields = list(_der.children(der, tbs_content, tbs_end))
    position = 0
    if position < len(fields) and fields[position][0] == _der.TAG_INTEGER:
        _, _, start, stop = fields[position]
        if _der.decode_integer(der, start, stop) != 1:
            raise InputMalformed("CRL version is not v2")
        position += 1
    inner = _field(fields, position, _der.TAG_SEQUENCE, "signature")
    inner_algorithm = der[inner[1] : inner[3]]
    issuer = _field(fields, position + 1, _der.TAG_SEQUENCE, "issuer")
    issuer_der = der[issuer[1] : issuer[3]]
    position += 2
    this_update = _time_field(der, fields, position, "thisUpdate")
    position += 1
    next_update: datetime | None = None
    if position < len(fields) and fields[position][0] in (
        _der.TAG_UTC_TIME,
        _der.TAG_GENERALIZED_TIME,
    ):
        next_update = _time_field(der, fields, position, "nextUpdate")
        position += 1
    entries_start = entries_end = tbs_end
    if position < len(fields) and fields[position][0] == _der.TAG_SEQUENCE:
        entries_start, entries_end = fields[position][2], fields[position][3]
        position += 1
    extensions: tuple[_Extension, ...] = ()
    if position < len(fields) and fields[position][0] == 0xA0:
        _, _, start, stop = fields[position]
        extensions = _parse_extensions(der, start, stop)
        position += 1
    if position != len(fields):
        raise InputMalformed("unexpected field in tbsCertList")
    return _CrlParts(
        tbs_start=tbs_start,
        tbs_end=tbs_end,
        inner_algorithm=inner_algorithm,
        outer_algorithm=outer_algorithm,
        signature_algorithm=signature_algorithm,
        signature=signature,
        issuer_der=issuer_der,
        this_update=this_update,
        next_update=next_update,
        entries_start=entries_start,
        entries_end=entries_end,
        extensions=extensions,
    )


def _field(
    fields: list[tuple[int, int, int, int]], position: int, tag: int, name: str
) -> tuple[int, int, int, int]:
    if position >= len(fields) or fields[position][0] != tag:
        raise InputMalformed(f"tbsCertList field {name} missing or mistyped")
    return fields[position]


def _time_field(
    der: bytes, fields: list[tuple[int, int, int, int]], position: int, name: str
) -> datetime:
    if position >= len(fields):
        raise InputMalformed(f"tbsCertList field {name} missing")
    tag, _, start, stop = fields[position]
    return _der.decode_time(tag, der, start, stop)


def _algorithm_oid(der: bytes, start: int, end: int) -> str:
    oid_start, oid_end = _der.expect(der, start, end, _der.TAG_OID)
    return _der.decode_oid(der, oid_start, oid_end)


def _parse_extensions(der: bytes, start: int, end: int) -> tuple[_Extension, ...]:
    seq_start, seq_end = _der.expect(der, start, end, _der.TAG_SEQUENCE)
    if seq_end != end:
        raise InputMalformed("trailing bytes after the extensions")
    result = []
    for tag, _, ext_start, ext_end in _der.children(der, seq_start, seq_end):
        if tag != _der.TAG_SEQUENCE:
            raise InputMalformed("extension is not a SEQUENCE")
        parts = list(_der.children(der, ext_start, ext_end))
        if len(parts) not in (2, 3) or parts[0][0] != _der.TAG_OID:
            raise InputMalformed("malformed extension")
        critical = False
        if len(parts) == 3:
            if parts[1][0] != _der.TAG_BOOLEAN or parts[1][3] - parts[1][2] != 1:
                raise InputMalformed("malformed extension critical flag")
            critical = der[parts[1][2]] != 0
        value = parts[-1]
        if value[0] != _der.TAG_OCTET_STRING:
            raise InputMalformed("extension value is not an OCTET STRING")
        result.append(
            _Extension(
                oid=_der.decode_oid(der, parts[0][2], parts[0][3]),
                critical=critical,
                value=der[value[2] : value[3]],
            )
        )
    oids = [e.oid for e in result]
    if len(set(oids)) != len(oids):
        # RFC 5280 4.2: an extension appears at most once.
        raise InputMalformed("duplicate extension")
    return tuple(result)


def _require_issuer_name(parts: _CrlParts, issuer: Certificate) -> None:
    if parts.issuer_der == issuer.subject_der:
        return
    # RFC 5280 7.1 compares names after normalisation; fall back to it only
    # when the encodings differ.
    try:
        same = asn1_x509.Name.load(parts.issuer_der) == asn1_x509.Name.load(
            issuer.subject_der
        )
    except (ValueError, TypeError):
        same = False
    if not same:
        raise RevocationUnknown(f"CRL was not issued by {issuer.subject!r}")


def _authority_key_id(extension: _Extension | None) -> bytes | None:
    if extension is None:
        return None
    try:
        value = asn1_x509.AuthorityKeyIdentifier.load(extension.value)
        key_id = value["key_identifier"].native
    except (ValueError, TypeError):
        raise InputMalformed("malformed CRL authorityKeyIdentifier") from None
    return bytes(key_id) if key_id is not None else None


def _require_issuer_key_id(authority_key_id: bytes | None, issuer: Certificate) -> None:
    # A CA re-keyed under the same name has two keys; the key identifier
    # says which one signed (RFC 5280 5.2.1).
    subject_key_id = issuer.subject_key_id
    if authority_key_id is None or subject_key_id is None:
        return
    if authority_key_id != subject_key_id:
        raise RevocationUnknown(
            "CRL authorityKeyIdentifier does not match the issuer's "
            "subjectKeyIdentifier"
        )


def _same_algorithm(inner: bytes, outer: bytes) -> bool:
    """RFC 5280 5.1.1.2 wants the two AlgorithmIdentifiers identical.

    NCA's 2026-08-11 test CRL has {oid} inside and {oid, NULL} outside;
    absent and NULL parameters are taken as the same, anything else must
    match byte for byte.
    """
    if inner == outer:
        return True
    null = bytes([_der.TAG_NULL, 0])

    def without_null(encoded: bytes) -> bytes:
        start, end = _der.expect(encoded, 0, len(encoded), _der.TAG_SEQUENCE)
        items = [encoded[o:e] for _, o, _, e in _der.children(encoded, start, end)]
        if len(items) == 2 and items[1] == null:
            items = items[:1]
        return b"".join(items)

    try:
        return without_null(inner) == without_null(outer)
    except InputMalformed:
        return False


def _require_signature(der: bytes, parts: _CrlParts, issuer: Certificate) -> None:
    if not _same_algorithm(parts.inner_algorithm, parts.outer_algorithm):
        raise RevocationUnknown("CRL inner and outer signature algorithms differ")
    try:
        verify_signature(
            public_key=load_public_key(issuer.spki_der),
            signature_algorithm=parts.signature_algorithm,
            message=der[parts.tbs_start : parts.tbs_end],
            signature=parts.signature,
        )
    except SignatureInvalid:
        raise RevocationUnknown(
            f"CRL signature does not verify with the key of {issuer.subject!r}"
        ) from None
    except AlgorithmUnsupported as exc:
        raise RevocationUnknown(
            f"CRL signature cannot be checked: {exc.message}"
        ) from None


def _require_known_critical_extensions(extensions: tuple[_Extension, ...]) -> None:
    # RFC 5280 5.2: a CRL with a critical extension we cannot process must
    # not be used.
    for extension in extensions:
        if extension.critical and extension.oid not in _KNOWN_CRL_EXTENSIONS:
            raise RevocationUnknown(
                f"CRL has an unsupported critical extension {extension.oid}"
            )


def _require_full_scope(extension: _Extension | None) -> None:
    """Refuse a CRL whose issuingDistributionPoint narrows what it covers.

    RFC 5280 5.2.5: a CRL limited to some reasons, to CA or attribute
    certificates, or an indirect CRL would answer "not listed" for
    certificates it does not cover. Only a distribution point name and
    onlyContainsUserCerts (we check end-entity certificates) are accepted.
    """
    if extension is None:
        return
    try:
        point = asn1_crl.IssuingDistributionPoint.load(extension.value)
        narrowed = (
            bool(point["only_contains_ca_certs"].native)
            or bool(point["only_contains_attribute_certs"].native)
            or bool(point["indirect_crl"].native)
            or point["only_some_reasons"].native is not None
        )
    except (ValueError, TypeError, KeyError):
        raise InputMalformed("malformed issuingDistributionPoint") from None
    if narrowed:
        raise RevocationUnknown("CRL scope is narrowed by issuingDistributionPoint")


def _integer_extension(extension: _Extension | None) -> int | None:
    if extension is None:
        return None
    value = extension.value
    start, end = _der.expect(value, 0, len(value), _der.TAG_INTEGER)
    if end != len(value):
        raise InputMalformed(f"trailing bytes in extension {extension.oid}")
    return _der.decode_integer(value, start, end)


def _serial_tlv(der: bytes, offset: int) -> bytes:
    """The serial INTEGER TLV of the revokedCertificates entry at ``offset``."""
    first = der[offset + 1]
    start = offset + 2 if first < 0x80 else offset + 2 + (first & 0x7F)
    return der[start : start + 2 + der[start + 1]]


def _index_entries(der: bytes, start: int, end: int) -> array[int]:
    """Offsets of the revokedCertificates entries, sorted by serial.

    The walk checks each entry's framing and its serial's tag and length;
    the entries' other fields are decoded only when an entry is looked up.
    It is written out flat because it runs once per entry: the common
    header forms are read inline, the general reader handles the rest.
    """
    offsets = array("I")
    keys: list[bytes] = []
    add_offset = offsets.append
    add_key = keys.append
    position = start
    while position < end:
        first = der[position + 1] if position + 1 < end else 0x80
        if der[position] == _der.TAG_SEQUENCE and first < 0x80:
            content = position + 2
            stop = content + first
        elif der[position] == _der.TAG_SEQUENCE and first == 0x81:
            content = position + 3
            stop = content + der[position + 2]
        else:
            tag, content, stop = _der.header(der, position, end)
            if tag != _der.TAG_SEQUENCE:
                raise InputMalformed(
                    f"CRL entry at offset {position} is not a SEQUENCE"
                )
        # Serial numbers are at most 20 octets (RFC 5280 4.1.2.2), so the
        # serial has a one-octet length and its TLV is the sort key as is.
        serial_end = content + 2 + (der[content + 1] if content + 1 < stop else 0x80)
        if (
            stop > end
            or der[content] != _der.TAG_INTEGER
            or der[content + 1] >= 0x80
            or serial_end > stop
        ):
            raise InputMalformed(f"CRL entry at offset {position} is malformed")
        # Lookups compare serials as DER encodes them (X.690 8.3.2: no
        # redundant leading 0x00 or 0xFF octet); a serial written otherwise
        # could never be found, and its certificate would pass as unlisted.
        length = der[content + 1]
        if length == 0 or (
            length > 1
            and (der[content + 2], der[content + 3] & 0x80) in ((0x00, 0), (0xFF, 0x80))
        ):
            raise InputMalformed(
                f"CRL entry at offset {position} has a serial not in DER form"
            )
        add_offset(position)
        add_key(der[content:serial_end])
        position = stop
    # An entry with a critical extension holds the octets of BOOLEAN TRUE
    # (X.690 11.1: TRUE is 0xFF); only the entries where the pattern occurs
    # (mostly by chance, inside a serial) are decoded and checked.
    checked = -1
    found = der.find(_BOOLEAN_TRUE, start, end)
    while found != -1:
        entry = bisect_right(offsets, found) - 1
        if entry != checked:
            _require_known_entry_extensions(der, offsets[entry])
            checked = entry
        found = der.find(_BOOLEAN_TRUE, found + 1, end)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    del keys
    return array("I", [offsets[i] for i in order])


def _entry_fields(der: bytes, offset: int) -> list[tuple[int, int, int, int]]:
    _, start, stop = _der.header(der, offset, len(der))
    fields = list(_der.children(der, start, stop))
    if len(fields) not in (2, 3):
        raise InputMalformed(f"CRL entry at offset {offset} is malformed")
    return fields


def _require_known_entry_extensions(der: bytes, offset: int) -> None:
    fields = _entry_fields(der, offset)
    if len(fields) == 2:
        return
    _, extensions_offset, _, extensions_end = fields[2]
    for extension in _parse_extensions(der, extensions_offset, extensions_end):
        if extension.critical and extension.oid not in _KNOWN_ENTRY_EXTENSIONS:
            raise RevocationUnknown(
                f"CRL entry has an unsupported critical extension {extension.oid}"
            )


def _decode_entry(der: bytes, offset: int) -> RevokedEntry:
    fields = _entry_fields(der, offset)
    _, _, serial_start, serial_end = fields[0]
    serial = _der.decode_integer(der, serial_start, serial_end)
    tag, _, time_start, time_end = fields[1]
    revoked_at = _der.decode_time(tag, der, time_start, time_end)
    reason: str | None = None
    if len(fields) == 3:
        extensions = _parse_extensions(der, fields[2][1], fields[2][3])
        for extension in extensions:
            if extension.oid == oids.CRL_REASON:
                value = extension.value
                start, end = _der.expect(value, 0, len(value), _der.TAG_ENUMERATED)
                code = _der.decode_integer(value, start, end)
                reason = REASONS.get(code, f"reason_{code}")
    return RevokedEntry(serial=serial, revoked_at=revoked_at, reason=reason)
