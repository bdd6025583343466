"""PKCS#12: every real NCA key file, wrong passwords, damage, round trips."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import pkcs12
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12 as openssl_pkcs12

from kabinet.pki import _pkcs12_pbe, _pkcs12_rc2, gost, oids
from kabinet.pki.asn1 import MAX_PKCS12_BYTES
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    InputMalformed,
    InputTooLarge,
    Pkcs12PasswordWrong,
)
from kabinet.pki.gost import GostPrivateKey
from kabinet.pki.pkcs12 import KeyStore, dump_pkcs12, load_pkcs12
from tests import vectors

KEY_FILES = vectors.entries("pkcs12")
READABLE = [
    e for e in KEY_FILES if e["pkcs12"]["private_key_algorithm"] != oids.GOST2004_KEY
]
GOST2004 = [
    e for e in KEY_FILES if e["pkcs12"]["private_key_algorithm"] == oids.GOST2004_KEY
]

GOST_FILE = vectors.entry("keys/test-2026-2027/sdk2026_legal_head_valid.p12")
RSA_FILE = vectors.entry("keys/test-2018/sdk2018_individual_auth_rsa.p12")
TEST_CA = "ca/test/nca_gost2022_test.pem"


def open_entry(e: dict[str, Any]) -> KeyStore:
    return load_pkcs12(vectors.read(e["path"]), e["password"])


def test_the_manifest_lists_every_key_file() -> None:
    assert len(KEY_FILES) == 27
    assert len(READABLE) == 25
    assert len(GOST2004) == 2


@pytest.mark.parametrize("e", READABLE, ids=lambda e: e["path"].split("/")[-1])
def test_nca_key_file_opens_with_its_certificate_and_matching_key(
    e: dict[str, Any],
) -> None:
    store = open_entry(e)

    assert store.certificate == Certificate.load(vectors.read(e["certificate_file"]))
    assert store.chain == ()
    public_key = store.certificate.public_key
    if isinstance(store.private_key, GostPrivateKey):
        assert store.private_key.public_key() == public_key
    else:
        assert isinstance(public_key, rsa.RSAPublicKey)
        assert (
            store.private_key.public_key().public_numbers()
            == public_key.public_numbers()
        )


@pytest.mark.parametrize("e", GOST2004, ids=lambda e: e["path"].split("/")[-1])
def test_gost2004_key_file_is_unsupported(e: dict[str, Any]) -> None:
    with pytest.raises(AlgorithmUnsupported) as caught:
        open_entry(e)

    assert caught.value.code == "unsupported_algorithm"
    assert oids.GOST2004_KEY in caught.value.message


@pytest.mark.parametrize(
    "e", [GOST_FILE, RSA_FILE, GOST2004[0]], ids=lambda e: e["path"].split("/")[-1]
)
def test_wrong_password_is_refused_before_decryption(e: dict[str, Any]) -> None:
    with pytest.raises(Pkcs12PasswordWrong) as caught:
        load_pkcs12(vectors.read(e["path"]), "Qwerty13")

    assert caught.value.code == "pkcs12_password_wrong"
    assert "Qwerty13" not in str(caught.value)
    assert "Qwerty13" not in repr(caught.value)


@pytest.mark.parametrize("cut", [1, 100, 1000])
def test_truncated_key_file_is_malformed(cut: int) -> None:
    data = vectors.read(GOST_FILE["path"])

    with pytest.raises(InputMalformed) as caught:
        load_pkcs12(data[:-cut], GOST_FILE["password"])

    assert caught.value.code == "malformed_input"


def test_junk_is_malformed() -> None:
    with pytest.raises(InputMalformed) as caught:
        load_pkcs12(b"not a key file", "Qwerty12")

    assert caught.value.code == "malformed_input"


def test_oversized_key_file_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge) as caught:
        load_pkcs12(b"\x30" * (MAX_PKCS12_BYTES + 1), "Qwerty12")

    assert caught.value.code == "input_too_large"


def test_altered_key_file_fails_its_mac() -> None:
    data = bytearray(vectors.read(GOST_FILE["path"]))
    data[200] ^= 0x01

    with pytest.raises(Pkcs12PasswordWrong) as caught:
        load_pkcs12(bytes(data), GOST_FILE["password"])

    assert caught.value.code == "pkcs12_password_wrong"


def test_key_store_repr_hides_the_key_and_password() -> None:
    store = open_entry(GOST_FILE)

    text = repr(store)

    assert "private_key" not in text
    assert str(store.private_key.scalar) not in text  # type: ignore[union-attr]
    assert GOST_FILE["password"] not in text


def _pfx(data: bytes) -> pkcs12.Pfx:
    return pkcs12.Pfx.load(data)


def _bags(data: bytes, password: str) -> list[tuple[str, Any, list[Any]]]:
    """(content type, plain SafeContents, bag attributes) for each safe."""
    secret = _pkcs12_pbe.password_bytes(password)
    out = []
    safe = pkcs12.AuthenticatedSafe.load(_pfx(data)["auth_safe"]["content"].native)
    for info in safe:
        if info["content_type"].dotted == oids.CMS_DATA:
            contents = pkcs12.SafeContents.load(info["content"].native)
        else:
            encrypted = info["content"]["encrypted_content_info"]
            algorithm = encrypted["content_encryption_algorithm"]
            assert algorithm["algorithm"].dotted == oids.PBE_SHA1_RC2_40
            contents = pkcs12.SafeContents.load(
                _pkcs12_pbe.decrypt(
                    algorithm["algorithm"].dotted,
                    password=secret,
                    salt=algorithm["parameters"]["salt"].native,
                    iterations=algorithm["parameters"]["iterations"].native,
                    data=encrypted["encrypted_content"].native,
                )
            )
        out.append((info["content_type"].dotted, contents, list(contents)))
    return out


def _key_bag_plaintext(data: bytes, password: str) -> bytes:
    bag = _bags(data, password)[0][2][0]
    assert bag["bag_id"].dotted == oids.PKCS12_SHROUDED_KEY_BAG
    algorithm = bag["bag_value"]["encryption_algorithm"]
    assert algorithm["algorithm"].dotted == oids.PBE_SHA1_3DES
    return _pkcs12_pbe.decrypt(
        algorithm["algorithm"].dotted,
        password=_pkcs12_pbe.password_bytes(password),
        salt=algorithm["parameters"]["salt"].native,
        iterations=algorithm["parameters"]["iterations"].native,
        data=bag["bag_value"]["encrypted_data"].native,
    )


@pytest.mark.parametrize("password", ["Qwerty12", "Пароль №1", ""])
def test_gost_key_store_round_trips(password: str) -> None:
    original = open_entry(GOST_FILE)

    reopened = load_pkcs12(dump_pkcs12(original, password), password)

    assert reopened.certificate == original.certificate
    assert reopened.private_key == original.private_key


def test_rsa_key_store_round_trips_and_opens_with_cryptography() -> None:
    original = open_entry(RSA_FILE)
    assert isinstance(original.private_key, rsa.RSAPrivateKey)

    data = dump_pkcs12(original, "Секрет-2")
    reopened = load_pkcs12(data, "Секрет-2")
    key, certificate, extra = openssl_pkcs12.load_key_and_certificates(
        data, "Секрет-2".encode()
    )

    assert reopened.certificate == original.certificate
    assert isinstance(reopened.private_key, rsa.RSAPrivateKey)
    expected = original.private_key.private_numbers()
    assert reopened.private_key.private_numbers() == expected
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.private_numbers() == expected
    assert certificate is not None
    assert certificate.serial_number == original.certificate.serial
    assert extra == []


def test_dumped_file_has_nca_layout() -> None:
    store = open_entry(GOST_FILE)
    data = dump_pkcs12(store, "Qwerty12")

    pfx = _pfx(data)
    safes = _bags(data, "Qwerty12")

    assert pfx["version"].native == "v3"
    assert pfx["mac_data"]["mac"]["digest_algorithm"]["algorithm"].dotted == oids.SHA1
    assert len(pfx["mac_data"]["mac_salt"].native) == 20
    assert [s[0] for s in safes] == [oids.CMS_DATA, oids.CMS_ENCRYPTED_DATA]
    key_bag, certificate_bag = safes[0][2][0], safes[1][2][0]
    assert certificate_bag["bag_id"].dotted == oids.PKCS12_CERT_BAG
    ski = store.certificate.subject_key_id
    assert ski is not None
    for bag in (key_bag, certificate_bag):
        attributes = {
            a["type"].dotted: a["values"].native for a in bag["bag_attributes"]
        }
        assert attributes == {
            oids.PKCS9_LOCAL_KEY_ID: [ski],
            oids.PKCS9_FRIENDLY_NAME: [ski.hex()],
        }


def test_dumped_gost_key_is_encoded_exactly_as_nca_encodes_it() -> None:
    original = vectors.read(GOST_FILE["path"])
    store = load_pkcs12(original, GOST_FILE["password"])

    ours = dump_pkcs12(store, "Qwerty12")

    assert _key_bag_plaintext(ours, "Qwerty12") == _key_bag_plaintext(
        original, GOST_FILE["password"]
    )


def test_chain_certificates_round_trip_after_the_certificate() -> None:
    store = open_entry(GOST_FILE)
    ca = Certificate.load(vectors.read(TEST_CA))
    with_chain = KeyStore(
        private_key=store.private_key, certificate=store.certificate, chain=(ca,)
    )

    reopened = load_pkcs12(dump_pkcs12(with_chain, "Qwerty12"), "Qwerty12")

    assert reopened.certificate == store.certificate
    assert reopened.chain == (ca,)


def test_wrong_password_on_a_dumped_file_is_refused() -> None:
    data = dump_pkcs12(open_entry(GOST_FILE), "Qwerty12")

    with pytest.raises(Pkcs12PasswordWrong) as caught:
        load_pkcs12(data, "qwerty12")

    assert caught.value.code == "pkcs12_password_wrong"


def test_file_without_a_certificate_for_its_key_is_malformed() -> None:
    store = open_entry(GOST_FILE)
    stranger = KeyStore(
        private_key=GostPrivateKey.generate(gost.CURVE_512_A),
        certificate=store.certificate,
    )

    with pytest.raises(InputMalformed) as caught:
        load_pkcs12(dump_pkcs12(stranger, "Qwerty12"), "Qwerty12")

    assert caught.value.code == "malformed_input"
    assert "no certificate" in caught.value.message


def _rewrite_mac(data: bytes, **changes: Any) -> bytes:
    pfx = _pfx(data)
    native = pfx.native
    if changes.get("drop"):
        native["mac_data"] = None
        del native["mac_data"]
    else:
        native["mac_data"]["iterations"] = changes["iterations"]
    rebuilt: bytes = pkcs12.Pfx(native).dump()
    return rebuilt


def test_file_without_a_mac_is_malformed() -> None:
    data = _rewrite_mac(dump_pkcs12(open_entry(GOST_FILE), "Qwerty12"), drop=True)

    with pytest.raises(InputMalformed) as caught:
        load_pkcs12(data, "Qwerty12")

    assert caught.value.code == "malformed_input"
    assert "MAC" in caught.value.message


def test_excessive_iteration_count_is_malformed() -> None:
    data = _rewrite_mac(
        dump_pkcs12(open_entry(GOST_FILE), "Qwerty12"), iterations=10**9
    )

    with pytest.raises(InputMalformed) as caught:
        load_pkcs12(data, "Qwerty12")

    assert caught.value.code == "malformed_input"
    assert "iteration" in caught.value.message


@pytest.mark.parametrize(
    ("key", "effective_bits", "plain", "cipher"),
    [
        # RFC 2268 section 5 test vectors.
        ("0000000000000000", 63, "0000000000000000", "ebb773f993278eff"),
        ("ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"),
        ("3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"),
        ("88", 64, "0000000000000000", "61a8a244adacccf0"),
        ("88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"),
        (
            "88bca90e90875a7f0f79c384627bafb2",
            64,
            "0000000000000000",
            "1a807d272bbe5db1",
        ),
        (
            "88bca90e90875a7f0f79c384627bafb2",
            128,
            "0000000000000000",
            "2269552ab0f85ca6",
        ),
    ],
)
def test_rc2_matches_rfc2268(
    key: str, effective_bits: int, plain: str, cipher: str
) -> None:
    subkeys = _pkcs12_rc2.expand_key(bytes.fromhex(key), effective_bits)

    assert _pkcs12_rc2.encrypt_block(subkeys, bytes.fromhex(plain)).hex() == cipher
    assert _pkcs12_rc2.decrypt_block(subkeys, bytes.fromhex(cipher)).hex() == plain
