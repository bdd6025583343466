"""A minimal DER reader for the structures the revocation code walks by hand.

Only what X.509, CRLs and OCSP use: one-byte tags (tag numbers below 31)
and definite lengths of at most four octets (X.690 8.1.2, 8.1.3). Every
length is checked against the enclosing element, so a truncated or
inflated structure fails with InputMalformed instead of reading past it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from kabinet.pki.errors import InputMalformed

TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_BIT_STRING = 0x03
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_ENUMERATED = 0x0A
TAG_UTC_TIME = 0x17
TAG_GENERALIZED_TIME = 0x18
TAG_SEQUENCE = 0x30
TAG_SET = 0x31


def header(data: bytes, offset: int, end: int) -> tuple[int, int, int]:
    """Read the TLV at ``offset``: (tag, content start, content end)."""
    if offset + 2 > end:
        raise InputMalformed(f"DER element truncated at offset {offset}")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise InputMalformed(f"DER high tag number at offset {offset}")
    first = data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        # 0x80 is the indefinite form, which DER forbids (X.690 10.1).
        if count == 0 or count > 4 or start + count > end:
            raise InputMalformed(f"DER length form not allowed at offset {offset}")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    stop = start + length
    if stop > end:
        raise InputMalformed(f"DER element at offset {offset} overruns its parent")
    return tag, start, stop


def expect(data: bytes, offset: int, end: int, tag: int) -> tuple[int, int]:
    """Read the TLV at ``offset`` and require its tag: (content start, end)."""
    found, start, stop = header(data, offset, end)
    if found != tag:
        raise InputMalformed(
            f"DER tag 0x{found:02x} at offset {offset}, expected 0x{tag:02x}"
        )
    return start, stop


def children(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """The elements inside a constructed value: (tag, offset, start, end)."""
    offset = start
    while offset < end:
        tag, content_start, content_end = header(data, offset, end)
        yield tag, offset, content_start, content_end
        offset = content_end


def encode_length(length: int) -> bytes:
    """The DER length octets for ``length``."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_integer(value: int) -> bytes:
    """The complete DER INTEGER TLV for ``value`` (X.690 8.3)."""
    magnitude = value if value >= 0 else -value - 1
    body = value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)
    return bytes([TAG_INTEGER]) + encode_length(len(body)) + body


def decode_integer(data: bytes, start: int, end: int) -> int:
    """The value of INTEGER contents ``data[start:end]``."""
    if start == end:
        raise InputMalformed("DER INTEGER with no content octets")
    return int.from_bytes(data[start:end], "big", signed=True)


def decode_oid(data: bytes, start: int, end: int) -> str:
    """The dotted form of OBJECT IDENTIFIER contents (X.690 8.19)."""
    if start == end or data[end - 1] & 0x80:
        raise InputMalformed("malformed OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for position in range(start, end):
        octet = data[position]
        if value == 0 and octet == 0x80:
            raise InputMalformed("OBJECT IDENTIFIER arc with a leading 0x80")
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = (
        [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    )
    return ".".join(str(arc) for arc in head + arcs[1:])


def encode_oid(dotted: str) -> bytes:
    """The complete DER OBJECT IDENTIFIER TLV for a dotted OID."""
    arcs = [int(part) for part in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"not an OID: {dotted!r}")
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return bytes([TAG_OID]) + encode_length(len(body)) + bytes(body)


def decode_time(tag: int, data: bytes, start: int, end: int) -> datetime:
    """An aware datetime from UTCTime or GeneralizedTime contents.

    RFC 5280 4.1.2.5 fixes both forms to whole seconds in Zulu time, and
    UTCTime years 50-99 mean 19xx.
    """
    text = data[start:end]
    try:
        if tag == TAG_UTC_TIME and len(text) == 13 and text.endswith(b"Z"):
            year = int(text[0:2])
            year += 1900 if year >= 50 else 2000
            rest = text[2:12]
        elif tag == TAG_GENERALIZED_TIME and len(text) == 15 and text.endswith(b"Z"):
            year = int(text[0:4])
            rest = text[4:14]
        else:
            raise ValueError(text)
        if not rest.isdigit():
            raise ValueError(text)
        return datetime(
            year,
            int(rest[0:2]),
            int(rest[2:4]),
            int(rest[4:6]),
            int(rest[6:8]),
            int(rest[8:10]),
            tzinfo=UTC,
        )
    except ValueError:
        raise InputMalformed(f"DER time value not in RFC 5280 form: {text!r}") from None
