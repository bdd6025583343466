"""Streebog, the GOST R 34.11-2012 hash (RFC 6986), 256- and 512-bit.

Kazakh GOST R 34.10-2015 signatures hash with it (KZ OIDs
1.2.398.3.10.1.3.2 and .3.3). Output bytes are in the order every
implementation prints them: ``streebog512(b"")`` starts ``8e945da2``. The
standard itself writes messages and digests as numbers with the most
significant byte first, so its examples read byte-reversed.

The pure-Python implementation below is always present. When the standard
library's OpenSSL has the GOST provider (Debian's ``libengine-gost-openssl``
ships ``gostprov``), :func:`streebog512` and :func:`streebog256` use it
instead: it is several hundred times faster, which matters for the 19 MB
NCA CRL, and it is only taken after it has reproduced the RFC 6986 example
at import. The provider is loaded into OpenSSL's default context at import
when it is installed but not configured; ``cryptography`` carries its own
OpenSSL and is not affected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

__all__ = [
    "BytesLike",
    "pure_streebog256",
    "pure_streebog512",
    "streebog256",
    "streebog512",
]

# Here the 512-bit state is one Python int, read from bytes little-endian:
# byte i of a block is bits 8i..8i+7. That is the standard's own numbering
# (RFC 6986 4: the rightmost byte of its hex is a_0), so its constants are
# written exactly as printed there.

# RFC 6986 6.1: the substitution Pi.
_PI = bytes.fromhex(
    "fceedd11cf6e3116fbc4fada23c5044de977f0db932e99ba1736f1bb14cd5fc1"
    "f918655ae25cef21811c3c428b018e4f058402aee36a8fa0060bed987fd4d31f"
    "eb342c51eac848abf22a68a2fd3aceccb5700e56080c7612bf7213479cb75d87"
    "15a19629107b9ac7f391786f9d9eb2b13275193dff358a7e6d54c680c3bd0d57"
    "dff524a93ea843c9d779d6f67c22b903e00fecde7a94b0bcdce828504e330a4a"
    "a79760731e0062441ab83882649f2641ad454692275e552f8ca3a57d69d5953b"
    "0758b34086ac1df730376be488d9e789e11b83494c3ff8fe8d53aa90cad88561"
    "207167a42d2b095bcb9b25d0bee56c5259a674d2e6f4b4c0d166afc2394b63b6"
)

# RFC 6986 6.4: the rows of the matrix A of the linear map l; row i is
# multiplied by bit 63 - i of a 64-bit word.
_A = (
    0x8E20FAA72BA0B470, 0x47107DDD9B505A38, 0xAD08B0E0C3282D1C, 0xD8045870EF14980E,
    0x6C022C38F90A4C07, 0x3601161CF205268D, 0x1B8E0B0E798C13C8, 0x83478B07B2468764,
    0xA011D380818E8F40, 0x5086E740CE47C920, 0x2843FD2067ADEA10, 0x14AFF010BDD87508,
    0x0AD97808D06CB404, 0x05E23C0468365A02, 0x8C711E02341B2D01, 0x46B60F011A83988E,
    0x90DAB52A387AE76F, 0x486DD4151C3DFDB9, 0x24B86A840E90F0D2, 0x125C354207487869,
    0x092E94218D243CBA, 0x8A174A9EC8121E5D, 0x4585254F64090FA0, 0xACCC9CA9328A8950,
    0x9D4DF05D5F661451, 0xC0A878A0A1330AA6, 0x60543C50DE970553, 0x302A1E286FC58CA7,
    0x18150F14B9EC46DD, 0x0C84890AD27623E0, 0x0642CA05693B9F70, 0x0321658CBA93C138,
    0x86275DF09CE8AAA8, 0x439DA0784E745554, 0xAFC0503C273AA42A, 0xD960281E9D1D5215,
    0xE230140FC0802984, 0x71180A8960409A42, 0xB60C05CA30204D21, 0x5B068C651810A89E,
    0x456C34887A3805B9, 0xAC361A443D1C8CD2, 0x561B0D22900E4669, 0x2B838811480723BA,
    0x9BCF4486248D9F5D, 0xC3E9224312C8C1A0, 0xEFFA11AF0964EE50, 0xF97D86D98A327728,
    0xE4FA2054A80B329C, 0x727D102A548B194E, 0x39B008152ACB8227, 0x9258048415EB419D,
    0x492C024284FBAEC0, 0xAA16012142F35760, 0x550B8E9E21F7A530, 0xA48B474F9EF5DC18,
    0x70A6A56E2440598E, 0x3853DC371220A247, 0x1CA76E95091051AD, 0x0EDD37C48A08A6D8,
    0x07E095624504536C, 0x8D70C431AC02A736, 0xC83862965601DD1B, 0x641C314B2B8EE083,
)  # fmt: skip

# RFC 6986 6.6: the twelve iteration constants C_1 .. C_12.
_C = tuple(
    int(constant, 16)
    for constant in (
        "b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc"
        "4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507",
        "6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b50131"
        "9ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7",
        "f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7b"
        "d3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2",
        "ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353f"
        "a9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e",
        "4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbd"
        "bfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57",
        "ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6"
        "cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e",
        "f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c9"
        "0992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493",
        "9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49a"
        "f4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e",
        "378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984"
        "800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb",
        "abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b336103"
        "9fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced",
        "7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab07612001802114846679"
        "8a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b",
        "378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b"
        "5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720",
    )
)

# Anything with the buffer protocol hashes like the bytes it holds.
BytesLike = bytes | bytearray | memoryview

_BLOCK = 64
_MASK_512 = (1 << 512) - 1
_IV_256 = int.from_bytes(b"\x01" * _BLOCK, "little")  # RFC 6986 5.1


def _combined_tables() -> tuple[list[int], ...]:
    """The LPS transformation folded into eight byte-indexed tables.

    Output word i of L(P(S(x))) is the XOR over rows j of
    ``T[j][x[8j + i]]``: P sends byte 8j + i to byte 8i + j (RFC 6986 6.2),
    and l is linear over the bytes of a word, so Pi, the transposition and
    the matrix product all collapse into one lookup per input byte.
    """
    tables = []
    for row in range(8):
        # The word that a single set bit in byte `row` maps to under l.
        bit_images = [_A[63 - (8 * row + bit)] for bit in range(8)]
        table = []
        for value in range(256):
            substituted = _PI[value]
            image = 0
            for bit in range(8):
                if substituted >> bit & 1:
                    image ^= bit_images[bit]
            table.append(image)
        tables.append(table)
    return tuple(tables)


_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _combined_tables()


def _lps(x: int) -> int:
    """L(P(S(x))) of RFC 6986 6.1-6.3 on a 512-bit state."""
    b = x.to_bytes(_BLOCK, "little")
    # Written out in full: this line is where nearly all the time goes, and
    # a Python loop over the 64 bytes would double it.
    return (
        (_T0[b[0]] ^ _T1[b[8]] ^ _T2[b[16]] ^ _T3[b[24]]
         ^ _T4[b[32]] ^ _T5[b[40]] ^ _T6[b[48]] ^ _T7[b[56]])
        | (_T0[b[1]] ^ _T1[b[9]] ^ _T2[b[17]] ^ _T3[b[25]]
           ^ _T4[b[33]] ^ _T5[b[41]] ^ _T6[b[49]] ^ _T7[b[57]]) << 64
        | (_T0[b[2]] ^ _T1[b[10]] ^ _T2[b[18]] ^ _T3[b[26]]
           ^ _T4[b[34]] ^ _T5[b[42]] ^ _T6[b[50]] ^ _T7[b[58]]) << 128
        | (_T0[b[3]] ^ _T1[b[11]] ^ _T2[b[19]] ^ _T3[b[27]]
           ^ _T4[b[35]] ^ _T5[b[43]] ^ _T6[b[51]] ^ _T7[b[59]]) << 192
        | (_T0[b[4]] ^ _T1[b[12]] ^ _T2[b[20]] ^ _T3[b[28]]
           ^ _T4[b[36]] ^ _T5[b[44]] ^ _T6[b[52]] ^ _T7[b[60]]) << 256
        | (_T0[b[5]] ^ _T1[b[13]] ^ _T2[b[21]] ^ _T3[b[29]]
           ^ _T4[b[37]] ^ _T5[b[45]] ^ _T6[b[53]] ^ _T7[b[61]]) << 320
        | (_T0[b[6]] ^ _T1[b[14]] ^ _T2[b[22]] ^ _T3[b[30]]
           ^ _T4[b[38]] ^ _T5[b[46]] ^ _T6[b[54]] ^ _T7[b[62]]) << 384
        | (_T0[b[7]] ^ _T1[b[15]] ^ _T2[b[23]] ^ _T3[b[31]]
           ^ _T4[b[39]] ^ _T5[b[47]] ^ _T6[b[55]] ^ _T7[b[63]]) << 448
    )  # fmt: skip


def _compress(h: int, m: int, n: int) -> int:
    """The compression function g_N(h, m) of RFC 6986 7."""
    k = _lps(h ^ n)
    state = m
    for constant in _C:
        state = _lps(state ^ k)
        k = _lps(k ^ constant)
    return state ^ k ^ h ^ m


def _streebog(data: BytesLike, h: int) -> int:
    """The final 512-bit state for ``data`` from the initial vector ``h``."""
    view = memoryview(data).cast("B")
    length = len(view)
    n = 0
    sigma = 0
    full = length - length % _BLOCK
    # RFC 6986 8.2: whole blocks, starting from the least significant end of
    # the message, which is its first bytes in this byte order.
    for offset in range(0, full, _BLOCK):
        m = int.from_bytes(view[offset : offset + _BLOCK], "little")
        h = _compress(h, m, n)
        n += 512
        sigma = (sigma + m) & _MASK_512
    # RFC 6986 8.3: the remainder, padded with a single 1 bit then zeros.
    tail = view[full:]
    m = int.from_bytes(tail, "little") | 1 << (8 * len(tail))
    h = _compress(h, m, n)
    n = (n + 8 * len(tail)) & _MASK_512
    sigma = (sigma + m) & _MASK_512
    h = _compress(h, n, 0)
    return _compress(h, sigma, 0)


def pure_streebog512(data: BytesLike) -> bytes:
    """Streebog-512 of ``data``, always in pure Python."""
    return _streebog(data, 0).to_bytes(_BLOCK, "little")


def pure_streebog256(data: BytesLike) -> bytes:
    """Streebog-256 of ``data``, always in pure Python."""
    # RFC 6986 8.3 step 3: the most significant half of the final state.
    return (_streebog(data, _IV_256) >> 256).to_bytes(32, "little")


# RFC 6986 10.1 (example 1), in the order implementations print it.
_EXAMPLE = b"012345678901234567890123456789012345678901234567890123456789012"
_EXAMPLE_512 = bytes.fromhex(
    "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa"
    "00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
)
_EXAMPLE_256 = bytes.fromhex(
    "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
)


def _openssl(name: str, expected: bytes) -> Callable[[BytesLike], bytes] | None:
    """hashlib's ``name`` if OpenSSL offers it and it reproduces the RFC."""
    try:
        produced = hashlib.new(name, _EXAMPLE).digest()
    except ValueError:
        return None
    if produced != expected:
        logger.warning(
            "hashlib %s disagrees with the RFC 6986 example; using pure Python",
            name,
        )
        return None

    def digest(data: BytesLike) -> bytes:
        return hashlib.new(name, data).digest()

    return digest


def _load_gost_provider() -> None:
    """Load OpenSSL's ``gostprov`` next to ``default``, if it is installed.

    OpenSSL 3 stops loading ``default`` implicitly once any provider is
    loaded explicitly, so ``default`` is loaded first to keep every other
    digest of ``hashlib`` working. Failure of any kind leaves hashlib as it
    was; the pure implementation then serves.
    """
    if "md_gost12_512" in hashlib.algorithms_available:
        return
    name = ctypes.util.find_library("crypto")
    if name is None:
        return
    try:
        library = ctypes.CDLL(name)
        load = library.OSSL_PROVIDER_load
    except (OSError, AttributeError):
        return
    load.restype = ctypes.c_void_p
    load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    if not load(None, b"default"):
        return
    if load(None, b"gostprov"):
        logger.debug("OpenSSL gostprov loaded for Streebog")


_load_gost_provider()
_OPENSSL_512 = _openssl("md_gost12_512", _EXAMPLE_512)
_OPENSSL_256 = _openssl("md_gost12_256", _EXAMPLE_256)


def streebog512(data: BytesLike) -> bytes:
    """Streebog-512 of ``data`` (64 bytes, as usually printed)."""
    if _OPENSSL_512 is not None:
        return _OPENSSL_512(data)
    return pure_streebog512(data)


def streebog256(data: BytesLike) -> bytes:
    """Streebog-256 of ``data`` (32 bytes, as usually printed)."""
    if _OPENSSL_256 is not None:
        return _OPENSSL_256(data)
    return pure_streebog256(data)
