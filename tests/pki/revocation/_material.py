"""Small RSA PKIs made on the spot, for what the real NCA vectors lack.

The real vectors have no currently valid OCSP "good" answer, no delta CRL
with entries and no broken CA; these builders make such material with
``cryptography`` around a fixed moment, NOW. Keys are 2048-bit RSA (the
smallest size kabinet accepts) and are made once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp as x509_ocsp
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
)

from kabinet.pki import _der
from kabinet.pki.certificate import Certificate

# cryptography warns on every NCA CA name (it counts UTF-8 bytes where
# X.520 counts characters); test modules using this one silence it.
QUIET_NAME_WARNINGS = pytest.mark.filterwarnings(
    "ignore:Attribute's length must be:UserWarning"
)

# cryptography stamps OCSP producedAt with the wall clock, so generated
# material is built around the real present rather than a fixed date.
NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
OCSP_URL = "http://127.0.0.1:9/ocsp"
CRL_URL = "http://127.0.0.1:9/crl/ca.crl"
DELTA_URL = "http://127.0.0.1:9/crl/ca_d.crl"


@cache
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """A 2048-bit key per label, the same one for the whole test run."""
    del label
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Issued:
    certificate: Certificate
    key: rsa.RSAPrivateKey
    x509: x509.Certificate


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            # X.520 counts characters, cryptography UTF-8 bytes: NCA's
            # Kazakh CA names exceed the byte count.
            x509.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False),
        ]
    )


def _ski(key: rsa.RSAPrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def make_ca(
    common_name: str,
    *,
    key_label: str,
    issuer: Issued | None = None,
    subject: x509.Name | None = None,
    ca: bool = True,
    key_cert_sign: bool = True,
    crl_sign: bool = True,
    path_length: int | None = None,
    not_before: datetime = NOW - 365 * DAY,
    not_after: datetime = NOW + 3650 * DAY,
    with_aki: bool = True,
    extra_extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    serial: int | None = None,
) -> Issued:
    """A CA certificate, self-signed when ``issuer`` is None."""
    key = rsa_key(key_label)
    subject = subject or name(common_name)
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.x509.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), True)
        .add_extension(_key_usage(cert_sign=key_cert_sign, crl_sign=crl_sign), True)
        .add_extension(_ski(key), False)
    )
    if with_aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                signing_key.public_key()
            ),
            False,
        )
    for extension, critical in extra_extensions:
        builder = builder.add_extension(extension, critical)
    built = builder.sign(signing_key, hashes.SHA256())
    return _issued(built, key)


def make_leaf(
    common_name: str,
    *,
    issuer: Issued,
    key_label: str = "leaf",
    serial: int | None = None,
    not_before: datetime = NOW - 30 * DAY,
    not_after: datetime = NOW + 335 * DAY,
    with_aki: bool = True,
    authority_key: rsa.RSAPrivateKey | None = None,
    ocsp_url: str | None = OCSP_URL,
    crl_url: str | None = CRL_URL,
    delta_url: str | None = None,
    ocsp_signing: bool = False,
    extra_extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    issuer_name: x509.Name | None = None,
) -> Issued:
    """An end-entity certificate (or an OCSP responder one)."""
    key = rsa_key(key_label)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(issuer_name or issuer.x509.subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(_key_usage(digital_signature=True), True)
    )
    if with_aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                (authority_key or issuer.key).public_key()
            ),
            False,
        )
    if ocsp_signing:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False
        )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url),
                    )
                ]
            ),
            False,
        )
    if crl_url:
        builder = builder.add_extension(
            _points(x509.CRLDistributionPoints, crl_url), False
        )
    if delta_url:
        builder = builder.add_extension(_points(x509.FreshestCRL, delta_url), False)
    for extension, critical in extra_extensions:
        builder = builder.add_extension(extension, critical)
    return _issued(builder.sign(issuer.key, hashes.SHA256()), key)


def make_responder(
    issuer: Issued,
    *,
    ocsp_signing: bool = True,
    not_before: datetime = NOW - 30 * DAY,
    not_after: datetime = NOW + 30 * DAY,
) -> Issued:
    """A delegated OCSP responder certificate issued by ``issuer``."""
    return make_leaf(
        "OCSP RESPONDER",
        issuer=issuer,
        key_label="responder",
        ocsp_signing=ocsp_signing,
        not_before=not_before,
        not_after=not_after,
        ocsp_url=None,
        crl_url=None,
    )


def _key_usage(
    *, digital_signature: bool = False, cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _points(kind: type, url: str) -> x509.ExtensionType:
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    extension: x509.ExtensionType = kind([point])
    return extension


def _issued(built: x509.Certificate, key: rsa.RSAPrivateKey) -> Issued:
    der = built.public_bytes(serialization.Encoding.DER)
    return Issued(certificate=Certificate.load(der), key=key, x509=built)


# ----------------------------------------------------------------- CRLs


def make_crl(
    issuer: Issued,
    *,
    revoked: tuple[tuple[int, datetime, x509.ReasonFlags | None], ...] = (),
    this_update: datetime = NOW - DAY,
    next_update: datetime | None = NOW + 7 * DAY,
    number: int = 1,
    base_number: int | None = None,
    extra_extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    signing_key: rsa.RSAPrivateKey | None = None,
) -> bytes:
    """A DER CRL (or delta CRL when ``base_number`` is given)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.x509.subject)
        .last_update(this_update)
        .add_extension(x509.CRLNumber(number), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            False,
        )
    )
    if next_update is not None:
        builder = builder.next_update(next_update)
    if base_number is not None:
        builder = builder.add_extension(x509.DeltaCRLIndicator(base_number), True)
    for extension, critical in extra_extensions:
        builder = builder.add_extension(extension, critical)
    for serial, revoked_at, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial)
        entry = entry.revocation_date(revoked_at)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(signing_key or issuer.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def resign_crl(
    der: bytes,
    key: rsa.RSAPrivateKey,
    *,
    inner_algorithm: bytes | None = None,
    drop_next_update: bool = False,
) -> bytes:
    """Re-sign a CRL after changing what cryptography's builder cannot.

    ``inner_algorithm`` replaces the tbsCertList signature field: the NCA
    2026-08-11 quirk (inner {oid}, outer {oid, NULL}) made with an RSA key,
    so the lenient comparison is tested end to end. ``drop_next_update``
    removes nextUpdate, which the builder insists on.
    """
    _, end = _der.expect(der, 0, len(der), _der.TAG_SEQUENCE)
    outer = list(_der.children(der, _der.header(der, 0, end)[1], end))
    tbs_tag, _, tbs_start, tbs_end = outer[0]
    fields = [der[o:e] for _, o, _, e in _der.children(der, tbs_start, tbs_end)]
    assert fields[0][0] == _der.TAG_INTEGER and fields[1][0] == _der.TAG_SEQUENCE
    if inner_algorithm is not None:
        fields[1] = inner_algorithm
    if drop_next_update:
        assert fields[4][0] in (_der.TAG_UTC_TIME, _der.TAG_GENERALIZED_TIME)
        del fields[4]
    tbs = _tlv(tbs_tag, b"".join(fields))
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    outer_algorithm = der[outer[1][1] : outer[1][3]]
    return _tlv(0x30, tbs + outer_algorithm + _tlv(0x03, b"\x00" + signature))


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der.encode_length(len(body)) + body


SHA256_RSA_WITH_NULL = bytes.fromhex("300d06092a864886f70d01010b0500")
SHA256_RSA_WITHOUT_NULL = bytes.fromhex("300b06092a864886f70d01010b")


# ----------------------------------------------------------------- OCSP


def make_ocsp_response(
    certificate: Issued,
    issuer: Issued,
    *,
    responder: Issued,
    nonce: bytes | None,
    status: str = "good",
    this_update: datetime = NOW,
    next_update: datetime | None = None,
    revoked_at: datetime | None = None,
    reason: x509.ReasonFlags | None = None,
    by_key: bool = False,
    include_responder: bool = True,
    cert_id_serial: int | None = None,
) -> bytes:
    """A signed BasicOCSPResponse about ``certificate``."""
    cert_status = {
        "good": x509_ocsp.OCSPCertStatus.GOOD,
        "revoked": x509_ocsp.OCSPCertStatus.REVOKED,
        "unknown": x509_ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    subject = certificate.x509
    if cert_id_serial is not None:
        subject = make_leaf(
            "OTHER", issuer=issuer, serial=cert_id_serial, ocsp_url=None, crl_url=None
        ).x509
    builder = x509_ocsp.OCSPResponseBuilder().add_response(
        cert=subject,
        issuer=issuer.x509,
        algorithm=hashes.SHA256(),
        cert_status=cert_status,
        this_update=this_update,
        next_update=next_update,
        revocation_time=revoked_at,
        revocation_reason=reason,
    )
    encoding = (
        x509_ocsp.OCSPResponderEncoding.HASH
        if by_key
        else x509_ocsp.OCSPResponderEncoding.NAME
    )
    builder = builder.responder_id(encoding, responder.x509)
    if include_responder and responder.x509 != issuer.x509:
        builder = builder.certificates([responder.x509])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), False)
    response = builder.sign(responder.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def ocsp_failure(status: x509_ocsp.OCSPResponseStatus) -> bytes:
    """An unsigned OCSPResponse carrying only an error status."""
    response = x509_ocsp.OCSPResponseBuilder.build_unsuccessful(status)
    return response.public_bytes(serialization.Encoding.DER)
