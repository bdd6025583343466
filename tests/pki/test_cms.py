"""CMS SignedData: real NCA containers, our own, and every refusal by code."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos, cms, core, x509
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from kabinet.devtools.testpki import TestPki
from kabinet.pki import oids
from kabinet.pki.asn1 import MAX_SIGNED_DOCUMENT_BYTES
from kabinet.pki.certificate import Certificate
from kabinet.pki.cms import (
    MAX_CERTIFICATES,
    CmsSignature,
    sign_cms,
    to_pem,
    verify_cms,
)
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    ContentMismatch,
    InputMalformed,
    InputTooLarge,
    PkiError,
    SignatureInvalid,
    SignerCertificateMissing,
    SignersMultiple,
)
from kabinet.pki.gost import GostPublicKey
from kabinet.pki.pkcs12 import KeyStore
from kabinet.pki.signature import digest, sign
from tests.pki.revocation._material import QUIET_NAME_WARNINGS, rsa_key
from tests.vectors import at, entry, read

CHALLENGE = b"kabinet-login-challenge-5d1e"
SIGNED_AT = datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)

GOST_CEO = "signed/kalkan_cms_gost512_legal_ceo_attached_tsp_2025-02.p7s"
GOST_EXTRACTION = "signed/kalkan_cms_gost512_extraction_test.p7s"
RSA_ONE_SIGNER = "signed/ncanode_cms_one_signer_rsa_attached.p7s"
RSA_INTEGRATION = "signed/ncanode_cms_integration_rsa_attached.p7s"
RSA_DOCS_2018 = "signed/ncanode_docs_cms_rsa_2018.p7s"
TWO_SIGNERS_ATTACHED = "signed/ncanode_cms_two_signers_attached.p7s"
TWO_SIGNERS_DETACHED = "signed/ncanode_cms_two_signers_detached.p7s"


def _raises(error: type[PkiError], call: Any, *args: Any, **kwargs: Any) -> PkiError:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is error
    assert caught.value.code == error.code
    return caught.value


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _signer_info(der: bytes) -> cms.SignerInfo:
    return cms.ContentInfo.load(der)["content"]["signer_infos"][0]


# --- real NCA containers ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [GOST_CEO, GOST_EXTRACTION, RSA_ONE_SIGNER, RSA_INTEGRATION, RSA_DOCS_2018],
)
def test_real_nca_cms_verifies(path: str) -> None:
    facts = entry(path)
    signer_facts = facts["signers"][0]

    result = verify_cms(read(path))

    assert isinstance(result, CmsSignature)
    assert result.content == bytes.fromhex(facts["content_hex"])
    assert result.attached is True
    assert result.signer.serial == int(signer_facts["serial_hex"], 16)
    assert result.signing_time == at(signer_facts["signingTime"])
    if "GOST" in signer_facts["algorithm"]:
        assert result.digest_algorithm == oids.STREEBOG_512
        assert result.signature_algorithm == oids.GOST2015_512_SIGNATURE
    else:
        assert result.digest_algorithm == oids.SHA256
        assert result.signature_algorithm == oids.SHA256_WITH_RSA


def test_timestamp_token_in_unsigned_attributes_is_ignored() -> None:
    der = read(GOST_CEO)
    unsigned = _signer_info(der)["unsigned_attrs"]
    assert [a["type"].dotted for a in unsigned] == [oids.CMS_TIME_STAMP_TOKEN]

    assert verify_cms(der).content == bytes.fromhex(entry(GOST_CEO)["content_hex"])


@pytest.mark.parametrize("path", [TWO_SIGNERS_ATTACHED, TWO_SIGNERS_DETACHED])
def test_two_signers_are_refused(path: str) -> None:
    detached = None if entry(path)["attached"] else b"test123"

    _raises(SignersMultiple, verify_cms, read(path), detached_content=detached)


def test_pem_armour_verifies_like_der() -> None:
    der = read(RSA_ONE_SIGNER)

    assert verify_cms(to_pem(der).encode()).content == b"test123"


def test_pkcs7_armour_verifies_like_der() -> None:
    der = read(RSA_ONE_SIGNER)
    pem = (
        to_pem(der).replace("BEGIN CMS", "BEGIN PKCS7").replace("END CMS", "END PKCS7")
    )

    assert verify_cms(pem.encode()).content == b"test123"


def test_bare_base64_as_common_utils_returns_it_verifies() -> None:
    encoded = base64.b64encode(read(RSA_ONE_SIGNER))

    assert verify_cms(encoded).content == b"test123"


# --- tampering with real containers ---------------------------------------


@pytest.mark.parametrize("path", [RSA_ONE_SIGNER, GOST_CEO])
def test_changed_signature_byte_is_rejected(path: str) -> None:
    der = read(path)
    signature = _signer_info(der)["signature"].native
    offset = der.index(signature) + 17

    _raises(SignatureInvalid, verify_cms, _flip(der, offset))


def test_changed_content_byte_is_a_content_mismatch() -> None:
    der = read(RSA_ONE_SIGNER)
    assert der.count(b"test123") == 1

    tampered = der.replace(b"test123", b"test124")

    _raises(ContentMismatch, verify_cms, tampered)


def test_changed_gost_content_byte_is_a_content_mismatch() -> None:
    der = read(GOST_CEO)
    content = bytes.fromhex(entry(GOST_CEO)["content_hex"])
    offset = der.index(b"\x04\x03" + content) + 2

    _raises(ContentMismatch, verify_cms, _flip(der, offset))


def test_changed_rsa_public_key_in_embedded_certificate_is_rejected() -> None:
    der = read(RSA_ONE_SIGNER)
    certificate = Certificate.load(
        cms.ContentInfo.load(der)["content"]["certificates"][0].chosen.dump()
    )
    public_key = certificate.public_key
    assert isinstance(public_key, RSAPublicKey)
    modulus = public_key.public_numbers().n.to_bytes(256, "big")
    offset = der.index(modulus) + 100

    _raises(SignatureInvalid, verify_cms, _flip(der, offset))


def test_changed_gost_public_key_in_embedded_certificate_is_malformed() -> None:
    # A changed coordinate leaves the curve: the key itself is refused.
    der = read(GOST_CEO)
    certificate = Certificate.load(
        cms.ContentInfo.load(der)["content"]["certificates"][0].chosen.dump()
    )
    public_key = certificate.public_key
    assert isinstance(public_key, GostPublicKey)
    point = public_key.to_kz_bytes()
    offset = der.index(point) + 5

    _raises(InputMalformed, verify_cms, _flip(der, offset))


# --- input handling ----------------------------------------------------------


def test_oversized_input_is_refused_before_parsing() -> None:
    _raises(InputTooLarge, verify_cms, b"\x30" * (MAX_SIGNED_DOCUMENT_BYTES + 1))


@pytest.mark.parametrize(
    "junk",
    [b"", b"hello", b"\x30\x03\x02\x01\x01", b"-----BEGIN CMS-----\nAAAA\n"],
)
def test_junk_is_malformed(junk: bytes) -> None:
    _raises(InputMalformed, verify_cms, junk)


def test_certificate_instead_of_cms_is_malformed() -> None:
    der = Certificate.load(read("ca/test/nca_gost2022_test.pem")).der

    _raises(InputMalformed, verify_cms, der)


def test_content_info_of_another_type_is_malformed() -> None:
    data = cms.ContentInfo({"content_type": "data", "content": b"x"}).dump()

    error = _raises(InputMalformed, verify_cms, data)
    assert "id-signedData" in error.message


# --- our own signatures: shape and round trip ------------------------------


@pytest.fixture(scope="module")
def gost(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("gost_individual")


@pytest.fixture(scope="module")
def rsa(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("rsa_legal_first_head")


@pytest.fixture(scope="module")
def gost256(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("gost256_individual")


_ALGORITHMS = {
    "gost": (oids.STREEBOG_512, oids.GOST2015_512_SIGNATURE),
    "gost256": (oids.STREEBOG_256, oids.GOST2015_256_SIGNATURE),
    "rsa": (oids.SHA256, oids.SHA256_WITH_RSA),
}


@pytest.mark.parametrize("attached", [True, False])
@pytest.mark.parametrize("name", sorted(_ALGORITHMS))
def test_signed_cms_verifies(name: str, attached: bool, request: Any) -> None:
    store: KeyStore = request.getfixturevalue(name)
    der = sign_cms(
        CHALLENGE,
        key=store.private_key,
        certificate=store.certificate,
        signing_time=SIGNED_AT,
        attached=attached,
    )

    result = verify_cms(der, detached_content=None if attached else CHALLENGE)

    assert result == CmsSignature(
        content=CHALLENGE,
        signer=store.certificate,
        signing_time=SIGNED_AT,
        attached=attached,
        digest_algorithm=_ALGORITHMS[name][0],
        signature_algorithm=_ALGORITHMS[name][1],
    )


def test_signed_cms_has_ncalayer_shape(gost: KeyStore) -> None:
    der = sign_cms(
        CHALLENGE,
        key=gost.private_key,
        certificate=gost.certificate,
        signing_time=SIGNED_AT,
    )

    signed_data = cms.ContentInfo.load(der)["content"]
    signer_info = signed_data["signer_infos"][0]
    assert signed_data["version"].native == "v1"
    assert [a["algorithm"].dotted for a in signed_data["digest_algorithms"]] == [
        oids.STREEBOG_512
    ]
    assert signed_data["encap_content_info"]["content_type"].dotted == oids.CMS_DATA
    assert signed_data["encap_content_info"]["content"].native == CHALLENGE
    assert [c.chosen.dump() for c in signed_data["certificates"]] == [
        gost.certificate.der
    ]
    assert signer_info["version"].native == "v1"
    assert signer_info["sid"].name == "issuer_and_serial_number"
    assert signer_info["sid"].chosen["serial_number"].native == gost.certificate.serial
    assert [a["type"].dotted for a in signer_info["signed_attrs"]] == [
        oids.CMS_CONTENT_TYPE,
        oids.CMS_SIGNING_TIME,
        oids.CMS_MESSAGE_DIGEST,
    ]
    assert signer_info["signed_attrs"][1]["values"][0].native == SIGNED_AT
    assert signer_info["signature_algorithm"]["algorithm"].dotted == (
        oids.GOST2015_512_SIGNATURE
    )
    assert len(signer_info["signature"].native) == 128


def test_detached_cms_carries_no_content(rsa: KeyStore) -> None:
    der = sign_cms(
        CHALLENGE,
        key=rsa.private_key,
        certificate=rsa.certificate,
        signing_time=SIGNED_AT,
        attached=False,
    )

    encapsulated = cms.ContentInfo.load(der)["content"]["encap_content_info"]
    assert encapsulated["content"].native is None
    assert CHALLENGE not in der


def test_to_pem_uses_the_cms_label() -> None:
    pem = to_pem(read(RSA_ONE_SIGNER))

    assert pem.startswith("-----BEGIN CMS-----\n")
    assert pem.endswith("\n-----END CMS-----\n")
    assert max(len(line) for line in pem.splitlines()) == 64


def test_naive_signing_time_is_refused(rsa: KeyStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_cms(
            CHALLENGE,
            key=rsa.private_key,
            certificate=rsa.certificate,
            signing_time=datetime(2026, 3, 1, 9, 30),
        )


def test_signing_time_after_2049_is_generalized_time(rsa: KeyStore) -> None:
    late = datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)
    der = sign_cms(
        CHALLENGE, key=rsa.private_key, certificate=rsa.certificate, signing_time=late
    )

    signing_time = _signer_info(der)["signed_attrs"][1]["values"][0]
    assert signing_time.name == "generalized_time"
    assert verify_cms(der).signing_time == late


# --- detached content ---------------------------------------------------------


def test_detached_cms_with_wrong_content_is_a_content_mismatch(rsa: KeyStore) -> None:
    der = sign_cms(
        CHALLENGE,
        key=rsa.private_key,
        certificate=rsa.certificate,
        signing_time=SIGNED_AT,
        attached=False,
    )

    _raises(ContentMismatch, verify_cms, der, detached_content=CHALLENGE + b"x")


def test_detached_cms_without_content_is_malformed(rsa: KeyStore) -> None:
    der = sign_cms(
        CHALLENGE,
        key=rsa.private_key,
        certificate=rsa.certificate,
        signing_time=SIGNED_AT,
        attached=False,
    )

    error = _raises(InputMalformed, verify_cms, der)
    assert "detached" in error.message


def test_attached_cms_with_detached_content_is_malformed() -> None:
    error = _raises(
        InputMalformed, verify_cms, read(RSA_ONE_SIGNER), detached_content=b"test123"
    )
    assert "detached_content" in error.message


# --- hand-built variants: each rule alone ------------------------------------


def _attribute(kind: str, value: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": [value]})


def _standard_attributes(
    content: bytes, digest_algorithm: str
) -> list[cms.CMSAttribute]:
    return [
        _attribute("content_type", "data"),
        _attribute("signing_time", cms.Time(name="utc_time", value=SIGNED_AT)),
        _attribute("message_digest", digest(digest_algorithm, content)),
    ]


def _build(
    store: KeyStore,
    *,
    content: bytes = CHALLENGE,
    content_type: str = "data",
    attributes: list[cms.CMSAttribute] | None = None,
    digest_algorithm: str | None = None,
    signature_algorithm: str | None = None,
    certificates: list[bytes] | None = None,
    sid: cms.SignerIdentifier | None = None,
    signed_attributes: bool = True,
    attributes_der: bytes | None = None,
) -> bytes:
    """A SignedData made field by field, validly signed over what it holds.

    ``attributes_der`` replaces the signed attributes with these exact bytes
    (a SET OF, tag 0x31), signed as they are.
    """
    certificate = store.certificate
    if digest_algorithm is None:
        digest_algorithm = (
            oids.SHA256 if "RSA" in certificate.algorithm else oids.STREEBOG_512
        )
    if attributes is None:
        attributes = _standard_attributes(content, digest_algorithm)
    signed_attrs = cms.CMSAttributes(attributes)
    if attributes_der is not None:
        signed_attrs = cms.CMSAttributes.load(attributes_der)
    message = signed_attrs.dump() if signed_attributes else content
    algorithm, value = sign(store.private_key, message)
    if sid is None:
        sid = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value=cms.IssuerAndSerialNumber(
                {
                    "issuer": x509.Name.load(certificate.issuer_der),
                    "serial_number": certificate.serial,
                }
            ),
        )
    signer_info: dict[str, Any] = {
        "version": "v1",
        "sid": sid,
        "digest_algorithm": algos.DigestAlgorithm(
            {"algorithm": digest_algorithm, "parameters": core.Null()}
        ),
        "signature_algorithm": algos.SignedDigestAlgorithm(
            {"algorithm": signature_algorithm or algorithm, "parameters": core.Null()}
        ),
        "signature": value,
    }
    if signed_attributes:
        signer_info["signed_attrs"] = signed_attrs
    if certificates is None:
        certificates = [certificate.der]
    signed_data = cms.SignedData(
        {
            # RFC 5652 5.1: version 3 when eContentType is not id-data.
            "version": "v1" if content_type == "data" else "v3",
            "digest_algorithms": [
                algos.DigestAlgorithm(
                    {"algorithm": digest_algorithm, "parameters": core.Null()}
                )
            ],
            "encap_content_info": {
                "content_type": content_type,
                "content": (
                    content
                    if content_type == "data"
                    else core.ParsableOctetString(content)
                ),
            },
            "certificates": [
                cms.CertificateChoices(
                    name="certificate", value=x509.Certificate.load(der)
                )
                for der in certificates
            ],
            "signer_infos": [cms.SignerInfo(signer_info)],
        }
    )
    der: bytes = cms.ContentInfo(
        {"content_type": "signed_data", "content": signed_data}
    ).dump()
    return der


def test_builder_output_verifies(gost: KeyStore) -> None:
    # The variants below differ from this one in a single field.
    assert verify_cms(_build(gost)).content == CHALLENGE


def test_signature_without_signed_attributes_is_refused(gost: KeyStore) -> None:
    der = _build(gost, signed_attributes=False)

    error = _raises(InputMalformed, verify_cms, der)
    assert "signed attributes" in error.message


def test_missing_message_digest_is_refused(gost: KeyStore) -> None:
    attributes = _standard_attributes(CHALLENGE, oids.STREEBOG_512)[:2]

    _raises(InputMalformed, verify_cms, _build(gost, attributes=attributes))


def test_duplicate_message_digest_is_refused(gost: KeyStore) -> None:
    attributes = _standard_attributes(CHALLENGE, oids.STREEBOG_512)
    attributes.append(_attribute("message_digest", b"\x00" * 64))

    error = _raises(InputMalformed, verify_cms, _build(gost, attributes=attributes))
    assert "messageDigest" in error.message


def test_missing_content_type_attribute_is_refused(gost: KeyStore) -> None:
    attributes = _standard_attributes(CHALLENGE, oids.STREEBOG_512)[1:]

    _raises(InputMalformed, verify_cms, _build(gost, attributes=attributes))


def test_duplicate_signing_time_is_refused(rsa: KeyStore) -> None:
    attributes = _standard_attributes(CHALLENGE, oids.SHA256)
    attributes.insert(
        2, _attribute("signing_time", cms.Time(name="utc_time", value=SIGNED_AT))
    )

    error = _raises(InputMalformed, verify_cms, _build(rsa, attributes=attributes))
    assert "signingTime" in error.message


def test_absent_signing_time_is_returned_as_none(rsa: KeyStore) -> None:
    attributes = _standard_attributes(CHALLENGE, oids.SHA256)
    del attributes[1]

    assert verify_cms(_build(rsa, attributes=attributes)).signing_time is None


def test_signed_attributes_out_of_der_order_are_malformed(rsa: KeyStore) -> None:
    # Validly signed over its own encoding, but not the DER one: BouncyCastle
    # and OpenSSL would hash different bytes.
    content_type, signing_time, message_digest = (
        a.dump() for a in _standard_attributes(CHALLENGE, oids.SHA256)
    )
    body = message_digest + content_type + signing_time
    assert len(body) < 128
    unsorted = b"\x31" + bytes([len(body)]) + body

    error = _raises(InputMalformed, verify_cms, _build(rsa, attributes_der=unsorted))
    assert "DER" in error.message


def test_signed_attribute_with_long_form_length_is_malformed(rsa: KeyStore) -> None:
    # messageDigest OCTET STRING with a non-minimal length (04 81 20, X.690
    # 10.1 wants 04 20), validly signed over exactly these bytes.
    content_type, signing_time, _ = (
        a.dump() for a in _standard_attributes(CHALLENGE, oids.SHA256)
    )
    value = b"\x04\x81\x20" + hashlib.sha256(CHALLENGE).digest()
    oid = bytes.fromhex("06092a864886f70d010904")
    body = oid + b"\x31" + bytes([len(value)]) + value
    message_digest = b"\x30" + bytes([len(body)]) + body
    attributes = content_type + signing_time + message_digest
    non_minimal = b"\x31" + bytes([len(attributes)]) + attributes

    error = _raises(InputMalformed, verify_cms, _build(rsa, attributes_der=non_minimal))
    assert "DER" in error.message


def test_content_type_attribute_differing_from_content_is_a_mismatch(
    rsa: KeyStore,
) -> None:
    attributes = _standard_attributes(CHALLENGE, oids.SHA256)
    attributes[0] = _attribute("content_type", "signed_data")

    _raises(ContentMismatch, verify_cms, _build(rsa, attributes=attributes))


def test_message_digest_of_other_content_is_a_mismatch(rsa: KeyStore) -> None:
    attributes = _standard_attributes(b"another challenge", oids.SHA256)

    _raises(ContentMismatch, verify_cms, _build(rsa, attributes=attributes))


def test_content_other_than_id_data_is_refused(rsa: KeyStore) -> None:
    # An OID no library gives a content spec to: asn1crypto.tsp, once
    # imported anywhere in the process, would parse id-ct-TSTInfo content.
    other = "1.2.398.3.99.1"
    attributes = _standard_attributes(CHALLENGE, oids.SHA256)
    attributes[0] = _attribute("content_type", other)

    error = _raises(
        InputMalformed,
        verify_cms,
        _build(rsa, content_type=other, attributes=attributes),
    )
    assert "id-data" in error.message


def test_sha256_digest_with_gost_key_is_refused(gost: KeyStore) -> None:
    der = _build(gost, digest_algorithm=oids.SHA256)

    _raises(AlgorithmUnsupported, verify_cms, der)


def test_streebog_digest_with_rsa_key_is_refused(rsa: KeyStore) -> None:
    der = _build(rsa, digest_algorithm=oids.STREEBOG_512)

    _raises(AlgorithmUnsupported, verify_cms, der)


def test_gost_key_oid_as_signature_algorithm_is_accepted(gost: KeyStore) -> None:
    der = _build(gost, signature_algorithm=oids.GOST2015_512_KEY)

    assert verify_cms(der).signature_algorithm == oids.GOST2015_512_KEY


def test_rsa_encryption_as_signature_algorithm_is_accepted(rsa: KeyStore) -> None:
    der = _build(rsa, signature_algorithm=oids.RSA_ENCRYPTION)

    assert verify_cms(der).signature_algorithm == oids.RSA_ENCRYPTION


def test_signer_found_by_subject_key_identifier(gost: KeyStore) -> None:
    key_id = gost.certificate.subject_key_id
    assert key_id is not None
    sid = cms.SignerIdentifier(name="subject_key_identifier", value=key_id)

    assert verify_cms(_build(gost, sid=sid)).signer == gost.certificate


def test_container_without_certificates_lacks_the_signer(gost: KeyStore) -> None:
    _raises(SignerCertificateMissing, verify_cms, _build(gost, certificates=[]))


def test_container_with_another_certificate_only_lacks_the_signer(
    gost: KeyStore, rsa: KeyStore
) -> None:
    der = _build(gost, certificates=[rsa.certificate.der])

    _raises(SignerCertificateMissing, verify_cms, der)


def test_signer_certificate_among_others_is_found(
    gost: KeyStore, rsa: KeyStore
) -> None:
    der = _build(gost, certificates=[rsa.certificate.der, gost.certificate.der])

    assert verify_cms(der).signer == gost.certificate


def test_container_with_too_many_certificates_is_refused(
    gost: KeyStore, rsa: KeyStore
) -> None:
    others = [rsa.certificate.der] * MAX_CERTIFICATES
    der = _build(gost, certificates=[*others, gost.certificate.der])

    error = _raises(InputMalformed, verify_cms, der)
    assert "certificates" in error.message


def test_signature_by_another_key_is_invalid(gost: KeyStore, test_pki: TestPki) -> None:
    other = test_pki.key_store("gost_legal_signer")
    # Signed by one key, certificate of another, both named by the same sid.
    forged = KeyStore(
        private_key=other.private_key, certificate=gost.certificate, chain=()
    )

    _raises(SignatureInvalid, verify_cms, _build(forged))


def test_message_digest_is_the_hash_of_the_content(rsa: KeyStore) -> None:
    der = sign_cms(
        CHALLENGE,
        key=rsa.private_key,
        certificate=rsa.certificate,
        signing_time=SIGNED_AT,
    )

    message_digest = _signer_info(der)["signed_attrs"][2]["values"][0].native
    assert message_digest == hashlib.sha256(CHALLENGE).digest()


# --- interoperability with an independent implementation -----------------------

OPENSSL = shutil.which("openssl") or "openssl"
needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl not installed"
)


def _openssl_files(store: KeyStore, folder: Path) -> tuple[Path, Path]:
    key = folder / "key.pem"
    certificate = folder / "certificate.pem"
    assert isinstance(store.private_key, RSAPrivateKey)
    key.write_bytes(
        store.private_key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    certificate.write_text(store.certificate.to_pem())
    return key, certificate


@needs_openssl
@pytest.mark.parametrize(
    "options",
    [["-nodetach", "-indef"], ["-nodetach", "-noindef", "-keyid"], []],
    ids=["ber-attached", "der-key-id", "detached"],
)
def test_openssl_made_cms_verifies(
    options: list[str], rsa: KeyStore, tmp_path: Path
) -> None:
    key, certificate = _openssl_files(rsa, tmp_path)
    message = tmp_path / "challenge"
    message.write_bytes(CHALLENGE)
    command = [OPENSSL, "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER"]
    command += ["-signer", str(certificate), "-inkey", str(key), "-in", str(message)]
    der = subprocess.run([*command, *options], capture_output=True, check=True).stdout
    attached = "-nodetach" in options

    result = verify_cms(der, detached_content=None if attached else CHALLENGE)

    assert (result.content, result.signer, result.attached) == (
        CHALLENGE,
        rsa.certificate,
        attached,
    )


@needs_openssl
def test_openssl_verifies_our_rsa_cms(rsa: KeyStore, tmp_path: Path) -> None:
    signed = tmp_path / "signed.p7s"
    signed.write_bytes(
        sign_cms(
            CHALLENGE,
            key=rsa.private_key,
            certificate=rsa.certificate,
            signing_time=SIGNED_AT,
        )
    )

    command = [OPENSSL, "cms", "-verify", "-noverify", "-binary", "-inform", "DER"]
    done = subprocess.run(
        [*command, "-in", str(signed)], capture_output=True, check=True
    )

    assert done.stdout == CHALLENGE


# --- signer identification and hostile structure ---------------------------


def test_signer_named_by_the_key_identifier_of_another_certificate_is_invalid(
    gost: KeyStore, test_pki: TestPki
) -> None:
    other = test_pki.key_store("gost_legal_signer").certificate
    assert other.subject_key_id is not None
    sid = cms.SignerIdentifier(
        name="subject_key_identifier", value=other.subject_key_id
    )
    der = _build(gost, sid=sid, certificates=[gost.certificate.der, other.der])

    _raises(SignatureInvalid, verify_cms, der)


@QUIET_NAME_WARNINGS
def test_second_certificate_with_the_signers_issuer_and_serial_is_malformed(
    gost: KeyStore,
) -> None:
    # A look-alike carrying the signer's issuer name and serial number:
    # which of the two the sid names would be a guess.
    look_alike = rsa_key("look-alike")
    built = (
        crypto_x509.CertificateBuilder()
        .subject_name(crypto_x509.Name.from_rfc4514_string("CN=LOOK-ALIKE"))
        .issuer_name(crypto_x509.load_der_x509_certificate(gost.certificate.der).issuer)
        .public_key(look_alike.public_key())
        .serial_number(gost.certificate.serial)
        .not_valid_before(gost.certificate.not_before)
        .not_valid_after(gost.certificate.not_after)
        .sign(look_alike, hashes.SHA256())
    )
    twin = built.public_bytes(Encoding.DER)
    assert Certificate.load(twin).issuer_der == gost.certificate.issuer_der

    der = _build(gost, certificates=[twin, gost.certificate.der])

    error = _raises(InputMalformed, verify_cms, der)
    assert "match the signer identifier" in error.message


def test_content_nested_ten_thousand_levels_deep_is_malformed() -> None:
    # BER constructed OCTET STRINGs of indefinite length, one in another.
    depth = 10_000
    content = b"\x24\x80" * depth + b"\x04\x01A" + b"\x00\x00" * depth
    encapsulated = (
        b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
        + b"\xa0\x80"
        + content
        + b"\x00\x00\x00\x00"
    )
    signed_data = b"\x30\x80\x02\x01\x01\x31\x00" + encapsulated + b"\x31\x00\x00\x00"
    der = (
        b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x80"
        + signed_data
        + b"\x00\x00\x00\x00"
    )

    _raises(InputMalformed, verify_cms, der)
