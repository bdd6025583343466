"""PKCS#12 password-based keys, encryption and MAC (RFC 7292 Appendix B, C).

Only what NCA key files use: the SHA-1 key derivation, the
pbeWithSHAAnd3-KeyTripleDES-CBC and pbeWithSHAAnd40BitRC2-CBC ciphers, and
an HMAC over the authenticated safe (SHA-1 as NCA writes it; SHA-256 is
read too, as newer OpenSSL writes it).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from kabinet.pki import _pkcs12_rc2, oids
from kabinet.pki.errors import AlgorithmUnsupported, InputMalformed

# A guard against files that would keep the CPU busy: NCA writes 1024,
# OpenSSL 2048; nothing legitimate comes near this.
MAX_ITERATIONS: Final = 100_000

_KEY_MATERIAL: Final = 1
_IV_MATERIAL: Final = 2
_MAC_MATERIAL: Final = 3

_MAC_HASHES: Final = {oids.SHA1: "sha1", oids.SHA256: "sha256"}


def password_bytes(password: str) -> bytes:
    """The password as a BMPString with its two-byte terminator (B.1)."""
    return password.encode("utf-16-be") + b"\x00\x00"


def derive(
    hash_name: str,
    *,
    password: bytes,
    salt: bytes,
    purpose: int,
    iterations: int,
    length: int,
) -> bytes:
    """The RFC 7292 B.2 derivation of ``length`` bytes for one ``purpose``."""
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise InputMalformed(
            f"PKCS#12 iteration count {iterations} is outside 1..{MAX_ITERATIONS}"
        )
    block = hashlib.new(hash_name).block_size
    diversifier = bytes([purpose]) * block
    material = bytearray(_stretch(salt, block) + _stretch(password, block))
    out = bytearray()
    while len(out) < length:
        digest = hashlib.new(hash_name, diversifier + material).digest()
        for _ in range(iterations - 1):
            digest = hashlib.new(hash_name, digest).digest()
        out += digest
        # B.2 step 6C: each block of I becomes I_j + B + 1 mod 2^(8v).
        addend = int.from_bytes(_stretch(digest, block), "big") + 1
        modulus = 1 << (8 * block)
        for start in range(0, len(material), block):
            value = int.from_bytes(material[start : start + block], "big")
            material[start : start + block] = ((value + addend) % modulus).to_bytes(
                block, "big"
            )
    return bytes(out[:length])


def _stretch(value: bytes, block: int) -> bytes:
    """``value`` repeated to the next multiple of ``block`` bytes (B.2)."""
    if not value:
        return b""
    total = block * ((len(value) + block - 1) // block)
    return (value * (total // len(value) + 1))[:total]


@dataclass(frozen=True)
class _Cipher:
    key_bytes: int
    rc2_effective_bits: int | None


_CIPHERS: Final = {
    oids.PBE_SHA1_3DES: _Cipher(key_bytes=24, rc2_effective_bits=None),
    oids.PBE_SHA1_RC2_40: _Cipher(key_bytes=5, rc2_effective_bits=40),
}
_BLOCK: Final = 8


def decrypt(
    algorithm: str, *, password: bytes, salt: bytes, iterations: int, data: bytes
) -> bytes:
    """Decrypt and unpad one PKCS#12 PBE ciphertext (RFC 7292 C).

    Raises:
        AlgorithmUnsupported: a cipher other than 3DES or RC2-40.
        InputMalformed: the ciphertext or its padding is malformed.
    """
    cipher = _cipher(algorithm)
    key, iv = _key_and_iv(cipher, password, salt, iterations)
    if not data or len(data) % _BLOCK:
        raise InputMalformed("PKCS#12 ciphertext is not a whole number of blocks")
    if cipher.rc2_effective_bits is not None:
        plain = _pkcs12_rc2.cbc_decrypt(key, cipher.rc2_effective_bits, iv, data)
    else:
        decryptor = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
    return _unpad(plain)


def encrypt(
    algorithm: str, *, password: bytes, salt: bytes, iterations: int, data: bytes
) -> bytes:
    """Pad and encrypt ``data`` with one PKCS#12 PBE cipher (RFC 7292 C)."""
    cipher = _cipher(algorithm)
    key, iv = _key_and_iv(cipher, password, salt, iterations)
    pad = _BLOCK - len(data) % _BLOCK
    padded = data + bytes([pad]) * pad
    if cipher.rc2_effective_bits is not None:
        return _pkcs12_rc2.cbc_encrypt(key, cipher.rc2_effective_bits, iv, padded)
    encryptor = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def _cipher(algorithm: str) -> _Cipher:
    cipher = _CIPHERS.get(algorithm)
    if cipher is None:
        raise AlgorithmUnsupported(
            f"PKCS#12 encryption {algorithm} is not supported "
            "(3DES and RC2-40 with SHA-1 are)"
        )
    return cipher


def _key_and_iv(
    cipher: _Cipher, password: bytes, salt: bytes, iterations: int
) -> tuple[bytes, bytes]:
    key = derive(
        "sha1",
        password=password,
        salt=salt,
        purpose=_KEY_MATERIAL,
        iterations=iterations,
        length=cipher.key_bytes,
    )
    iv = derive(
        "sha1",
        password=password,
        salt=salt,
        purpose=_IV_MATERIAL,
        iterations=iterations,
        length=_BLOCK,
    )
    return key, iv


def _unpad(plain: bytes) -> bytes:
    # RFC 8018 6.1.1 step 4 padding, as RFC 7292 C prescribes.
    pad = plain[-1]
    if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise InputMalformed("PKCS#12 ciphertext has invalid padding")
    return plain[:-pad]


def mac(
    digest_algorithm: str,
    *,
    password: bytes,
    salt: bytes,
    iterations: int,
    data: bytes,
) -> bytes:
    """The MacData digest over the authenticated safe (RFC 7292 5.1, B.4)."""
    hash_name = _MAC_HASHES.get(digest_algorithm)
    if hash_name is None:
        raise AlgorithmUnsupported(
            f"PKCS#12 MAC digest {digest_algorithm} is not supported"
        )
    key = derive(
        hash_name,
        password=password,
        salt=salt,
        purpose=_MAC_MATERIAL,
        iterations=iterations,
        length=hashlib.new(hash_name).digest_size,
    )
    return hmac.new(key, data, hash_name).digest()
