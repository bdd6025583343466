"""RC2 (RFC 2268) in CBC mode, for the certificate bag of NCA PKCS#12 files.

NCA key files encrypt their certificates with pbeWithSHAAnd40BitRC2-CBC
(RFC 7292 Appendix C): a 5-byte key with 40 effective key bits. The RC2
in ``cryptography.hazmat.decrepit`` takes 128-bit keys only, and the
effective key length changes the key schedule, so it cannot stand in.
RC2-40 protects nothing here (the certificate is public); it is read and
written only because the file format demands it.
"""

from __future__ import annotations

from typing import Final

BLOCK_BYTES: Final = 8

# RFC 2268 section 2: the permutation PITABLE, derived from the digits of pi.
_PITABLE: Final = bytes.fromhex(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2"
    "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82"
    "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626"
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7"
    "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec"
    "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731"
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9"
    "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad"
)

_ROTATIONS: Final = (1, 2, 3, 5)
_MASK: Final = 0xFFFF


def expand_key(key: bytes, effective_bits: int) -> tuple[int, ...]:
    """The 64 16-bit subkeys K[0..63] (RFC 2268 section 2)."""
    if not 1 <= len(key) <= 128 or not 1 <= effective_bits <= 1024:
        raise ValueError("RC2 key must be 1..128 bytes, 1..1024 effective bits")
    t = len(key)
    t8 = (effective_bits + 7) // 8
    tm = 0xFF >> (8 * t8 - effective_bits)
    expanded = bytearray(key) + bytearray(128 - t)
    for i in range(t, 128):
        expanded[i] = _PITABLE[(expanded[i - 1] + expanded[i - t]) & 0xFF]
    expanded[128 - t8] = _PITABLE[expanded[128 - t8] & tm]
    for i in range(127 - t8, -1, -1):
        expanded[i] = _PITABLE[expanded[i + 1] ^ expanded[i + t8]]
    return tuple(expanded[2 * i] | expanded[2 * i + 1] << 8 for i in range(64))


def _words(block: bytes) -> list[int]:
    return [block[2 * i] | block[2 * i + 1] << 8 for i in range(4)]


def _bytes(words: list[int]) -> bytes:
    return b"".join(w.to_bytes(2, "little") for w in words)


def encrypt_block(subkeys: tuple[int, ...], block: bytes) -> bytes:
    """Encrypt one 8-byte block (RFC 2268 section 3)."""
    r = _words(block)
    j = 0
    for round_ in range(16):
        for i in range(4):
            r[i] = (
                r[i]
                + subkeys[j]
                + (r[i - 1] & r[i - 2])
                + (~r[i - 1] & _MASK & r[i - 3])
            ) & _MASK
            j += 1
            s = _ROTATIONS[i]
            r[i] = ((r[i] << s) | (r[i] >> (16 - s))) & _MASK
        if round_ in (4, 10):
            for i in range(4):
                r[i] = (r[i] + subkeys[r[i - 1] & 63]) & _MASK
    return _bytes(r)


def decrypt_block(subkeys: tuple[int, ...], block: bytes) -> bytes:
    """Decrypt one 8-byte block (RFC 2268 section 4)."""
    r = _words(block)
    j = 63
    for round_ in range(15, -1, -1):
        for i in (3, 2, 1, 0):
            s = _ROTATIONS[i]
            r[i] = ((r[i] >> s) | (r[i] << (16 - s))) & _MASK
            r[i] = (
                r[i]
                - subkeys[j]
                - (r[i - 1] & r[i - 2])
                - (~r[i - 1] & _MASK & r[i - 3])
            ) & _MASK
            j -= 1
        if round_ in (5, 11):
            for i in (3, 2, 1, 0):
                r[i] = (r[i] - subkeys[r[i - 1] & 63]) & _MASK
    return _bytes(r)


def cbc_encrypt(key: bytes, effective_bits: int, iv: bytes, data: bytes) -> bytes:
    """CBC over whole blocks; the caller pads."""
    if len(iv) != BLOCK_BYTES or len(data) % BLOCK_BYTES:
        raise ValueError("RC2-CBC needs an 8-byte IV and whole blocks")
    subkeys = expand_key(key, effective_bits)
    previous = iv
    out = bytearray()
    for start in range(0, len(data), BLOCK_BYTES):
        block = bytes(
            a ^ b
            for a, b in zip(data[start : start + BLOCK_BYTES], previous, strict=True)
        )
        previous = encrypt_block(subkeys, block)
        out += previous
    return bytes(out)


def cbc_decrypt(key: bytes, effective_bits: int, iv: bytes, data: bytes) -> bytes:
    """CBC over whole blocks; the caller removes the padding."""
    if len(iv) != BLOCK_BYTES or len(data) % BLOCK_BYTES:
        raise ValueError("RC2-CBC needs an 8-byte IV and whole blocks")
    subkeys = expand_key(key, effective_bits)
    previous = iv
    out = bytearray()
    for start in range(0, len(data), BLOCK_BYTES):
        block = data[start : start + BLOCK_BYTES]
        plain = decrypt_block(subkeys, block)
        out += bytes(a ^ b for a, b in zip(plain, previous, strict=True))
        previous = block
    return bytes(out)
