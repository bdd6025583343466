"""CRL and delta CRL indexes: the real NCA test CRLs and generated ones."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from kabinet.pki import _der
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import InputMalformed, InputTooLarge, RevocationUnknown
from kabinet.pki.revocation import crl
from kabinet.pki.revocation.crl import CrlIndex, read_issuer, revocation_status
from tests import vectors
from tests.pki.revocation import _material
from tests.pki.revocation._material import (
    DAY,
    NOW,
    QUIET_NAME_WARNINGS,
    SHA256_RSA_WITH_NULL,
    SHA256_RSA_WITHOUT_NULL,
    Issued,
    make_ca,
    make_crl,
    resign_crl,
)

pytestmark = QUIET_NAME_WARNINGS

GOST_2004_CRLS = {
    "crl/test/nca_gost_test_uko3_2022-03-29.crl",
    "crl/test/nca_gost_test_uqo3_2023-11-17.crl",
    "crl/test/nca_gost_test_uqo3_delta_2023-11-17.crl",
}
REAL_CRLS = vectors.entries("crl")
CHECKABLE_CRLS = [e for e in REAL_CRLS if e["path"] not in GOST_2004_CRLS]


def issuer_of(entry: dict[str, object]) -> Certificate:
    verified = entry["verified_signature"]
    assert isinstance(verified, list)
    return Certificate.load(vectors.read(verified[0]["issued_by"]))


def build(entry: dict[str, object], **options: object) -> CrlIndex:
    path = str(entry["path"])
    return CrlIndex.build(
        vectors.read(path),
        issuer=issuer_of(entry),
        at=vectors.at(str(entry["validate_at"])),
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("entry", CHECKABLE_CRLS, ids=lambda e: e["path"])
def test_real_crl_verifies_at_its_time(entry: dict[str, Any]) -> None:
    index = build(entry)

    assert len(index) == entry["entries"]
    assert index.this_update == vectors.at(entry["thisUpdate"])
    assert index.next_update == vectors.at(entry["nextUpdate"])
    assert index.is_delta == ("delta_crl_indicator_base" in entry)
    if "crl_number" in entry:
        assert index.crl_number == entry["crl_number"]
    if index.is_delta:
        assert index.base_crl_number == entry["delta_crl_indicator_base"]


@pytest.mark.parametrize("path", sorted(GOST_2004_CRLS))
def test_gost_2004_crl_cannot_be_used(path: str) -> None:
    with pytest.raises(RevocationUnknown) as caught:
        build(vectors.entry(path))

    assert caught.value.code == "revocation_unknown"
    assert "34.310-2004" in caught.value.message


def test_crl_with_the_inner_algorithm_quirk_is_accepted() -> None:
    entry = vectors.entry("crl/test/nca_gost2022_test_2026-08-11.crl")
    der = vectors.read(entry["path"])
    assert bytes.fromhex("300c060a2a830e030a0101020302") in der[:64]

    index = build(entry)

    assert len(index) == 195


def test_revoked_certificates_of_the_manifest_are_found() -> None:
    checked = 0
    for certificate_entry in vectors.entries("user_cert"):
        for evidence in certificate_entry.get("revocation_evidence", []):
            crl_entry = vectors.entry(evidence["crl"])
            if crl_entry["path"] in GOST_2004_CRLS:
                continue
            index = build(crl_entry)
            certificate = Certificate.load(vectors.read(certificate_entry["path"]))

            found = index.lookup(certificate.serial)

            assert found is not None
            assert found.serial == certificate.serial
            assert found.revoked_at == vectors.at(evidence["revocationDate"])
            checked += 1
    assert checked >= 10


def test_certificate_not_on_the_crl_is_not_found() -> None:
    index = build(vectors.entry("crl/test/nca_gost2022_test_2026-08-11.crl"))
    valid = Certificate.load(
        vectors.read("certs/from-p12/sdk2026_individual_valid.pem")
    )

    assert index.lookup(valid.serial) is None
    assert valid.serial not in index


def test_reason_is_decoded_for_the_entry_found() -> None:
    index = build(vectors.entry("crl/test/nca_gost2022_test_2022-07-27.crl"))
    ceo = Certificate.load(
        vectors.read("certs/from-p12/ncanode_ceo_revoked_2015_gost512.pem")
    )

    found = index.lookup(ceo.serial)

    assert found is not None
    assert found.reason in crl.REASONS.values()


@pytest.mark.parametrize("offset", [-300, -100])
def test_modified_real_crl_is_refused(offset: int) -> None:
    entry = vectors.entry("crl/test/nca_gost2022_test_2026-08-11.crl")
    der = bytearray(vectors.read(entry["path"]))
    der[offset] ^= 0x01

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(
            bytes(der), issuer=issuer_of(entry), at=vectors.at(entry["validate_at"])
        )

    assert caught.value.code == "revocation_unknown"


def test_real_crl_from_another_ca_is_refused() -> None:
    entry = vectors.entry("crl/test/nca_gost2022_test_2026-08-11.crl")
    other = Certificate.load(vectors.read("ca/test/root_test_gost_2022.pem"))

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(
            vectors.read(entry["path"]),
            issuer=other,
            at=vectors.at(entry["validate_at"]),
        )

    assert caught.value.code == "revocation_unknown"


def test_real_crl_after_its_next_update_is_stale() -> None:
    entry = vectors.entry("crl/test/nca_gost2022_test_2025-04-29.crl")

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(
            vectors.read(entry["path"]),
            issuer=issuer_of(entry),
            at=vectors.at(entry["nextUpdate"]) + timedelta(seconds=1),
        )

    assert caught.value.code == "revocation_unknown"
    assert "nextUpdate" in caught.value.message


def test_real_crl_before_its_this_update_is_refused() -> None:
    entry = vectors.entry("crl/test/nca_gost2022_test_2025-04-29.crl")

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(
            vectors.read(entry["path"]),
            issuer=issuer_of(entry),
            at=vectors.at(entry["thisUpdate"]) - timedelta(hours=1),
        )

    assert caught.value.code == "revocation_unknown"
    assert "thisUpdate" in caught.value.message


def test_real_delta_applies_to_its_base() -> None:
    base = build(vectors.entry("crl/test/nca_gost2022_test_2023-11-17.crl"))
    delta = build(vectors.entry("crl/test/nca_gost2022_test_delta_2023-11-17.crl"))

    delta.require_applies_to(base)


def test_real_delta_does_not_apply_to_an_older_base() -> None:
    base = build(vectors.entry("crl/test/nca_gost2022_test_2023-11-17.crl"))
    delta = build(vectors.entry("crl/test/nca_gost2022_test_delta_2025-04-29.crl"))

    with pytest.raises(RevocationUnknown) as caught:
        delta.require_applies_to(base)

    assert caught.value.code == "revocation_unknown"
    assert ">= 14" in caught.value.message


def test_truncated_crl_is_malformed() -> None:
    der = vectors.read("crl/test/nca_gost2022_test_2026-08-11.crl")

    with pytest.raises(InputMalformed) as caught:
        read_issuer(der[:-10])

    assert caught.value.code == "malformed_input"


def test_oversized_crl_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca = generated_ca()
    monkeypatch.setattr(crl, "MAX_CRL_BYTES", 100)

    with pytest.raises(InputTooLarge) as caught:
        CrlIndex.build(b"\x30" + b"\x00" * 200, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "input_too_large"


def test_naive_time_is_refused() -> None:
    ca = generated_ca()

    with pytest.raises(ValueError, match="timezone-aware"):
        CrlIndex.build(make_crl(ca), issuer=ca.certificate, at=NOW.replace(tzinfo=None))


# ------------------------------------------------------ generated CRLs


def generated_ca(**options: object) -> Issued:
    root = make_ca("ROOT", key_label="root")
    return make_ca("CA", key_label="ca", issuer=root, **options)


def test_lookup_agrees_with_a_set_for_many_serials() -> None:
    ca = generated_ca()
    rng = random.Random(5280)
    listed = {
        rng.getrandbits(rng.choice([8, 63, 64, 120, 159])) + 1 for _ in range(1500)
    }
    revoked = tuple((s, NOW - DAY, None) for s in listed)
    index = CrlIndex.build(make_crl(ca, revoked=revoked), issuer=ca.certificate, at=NOW)
    absent = {rng.getrandbits(159) + 1 for _ in range(1500)} - listed

    assert len(index) == len(listed)
    assert all(index.lookup(s) is not None for s in listed)
    assert all(index.lookup(s) is None for s in absent)
    assert sorted(index.serials()) == sorted(listed)


def test_inner_algorithm_without_null_is_accepted() -> None:
    ca = generated_ca()
    der = resign_crl(
        make_crl(ca, revoked=((7, NOW - DAY, None),)),
        ca.key,
        inner_algorithm=SHA256_RSA_WITHOUT_NULL,
    )
    with pytest.raises(ValueError, match="Inner and outer"):
        x509.load_der_x509_crl(der)

    index = CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert index.lookup(7) is not None


def test_inner_algorithm_of_another_kind_is_refused() -> None:
    ca = generated_ca()
    other = bytes.fromhex("300d06092a864886f70d01010c0500")  # sha384WithRSA
    der = resign_crl(make_crl(ca), ca.key, inner_algorithm=other)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"
    assert "algorithms differ" in caught.value.message


def test_resigned_crl_with_matching_algorithms_is_accepted() -> None:
    ca = generated_ca()
    der = resign_crl(make_crl(ca), ca.key, inner_algorithm=SHA256_RSA_WITH_NULL)

    assert len(CrlIndex.build(der, issuer=ca.certificate, at=NOW)) == 0


def test_crl_signed_by_another_key_is_refused() -> None:
    ca = generated_ca()
    impostor = make_ca("CA", key_label="lookalike")
    der = make_crl(ca, signing_key=impostor.key)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"
    assert "signature" in caught.value.message


def test_crl_of_a_ca_without_crl_sign_is_refused() -> None:
    ca = generated_ca(crl_sign=False)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(make_crl(ca), issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"
    assert "cRLSign" in caught.value.message


def test_crl_without_next_update_is_refused() -> None:
    ca = generated_ca()

    der = resign_crl(make_crl(ca), ca.key, drop_next_update=True)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"


def test_unknown_critical_crl_extension_is_refused() -> None:
    ca = generated_ca()
    unknown = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00"
    )

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(
            make_crl(ca, extra_extensions=((unknown, True),)),
            issuer=ca.certificate,
            at=NOW,
        )

    assert caught.value.code == "revocation_unknown"
    assert "1.2.3.4.5" in caught.value.message


def test_unknown_non_critical_crl_extension_is_ignored() -> None:
    ca = generated_ca()
    unknown = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00"
    )

    index = CrlIndex.build(
        make_crl(ca, extra_extensions=((unknown, False),)),
        issuer=ca.certificate,
        at=NOW,
    )

    assert len(index) == 0


def test_crl_limited_to_ca_certificates_is_refused() -> None:
    ca = generated_ca()
    scope = x509.IssuingDistributionPoint(
        full_name=None,
        relative_name=None,
        only_contains_user_certs=False,
        only_contains_ca_certs=True,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(
            make_crl(ca, extra_extensions=((scope, True),)),
            issuer=ca.certificate,
            at=NOW,
        )

    assert caught.value.code == "revocation_unknown"
    assert "scope" in caught.value.message


def test_crl_limited_to_user_certificates_is_accepted() -> None:
    ca = generated_ca()
    scope = x509.IssuingDistributionPoint(
        full_name=None,
        relative_name=None,
        only_contains_user_certs=True,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )

    index = CrlIndex.build(
        make_crl(ca, extra_extensions=((scope, True),)), issuer=ca.certificate, at=NOW
    )

    assert len(index) == 0


def test_entry_with_a_certificate_issuer_extension_is_refused() -> None:
    ca = generated_ca()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.x509.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(9)
            .revocation_date(NOW - DAY)
            .add_extension(
                x509.CertificateIssuer([x509.DirectoryName(ca.x509.subject)]), True
            )
            .build()
        )
    )
    der = builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"
    assert "2.5.29.29" in caught.value.message


def test_delta_adds_revocations_and_lifts_holds() -> None:
    ca = generated_ca()
    base = CrlIndex.build(
        make_crl(
            ca,
            number=20,
            revoked=(
                (100, NOW - 5 * DAY, x509.ReasonFlags.certificate_hold),
                (101, NOW - 5 * DAY, x509.ReasonFlags.key_compromise),
            ),
        ),
        issuer=ca.certificate,
        at=NOW,
    )
    delta = CrlIndex.build(
        make_crl(
            ca,
            number=7,
            base_number=20,
            this_update=NOW - DAY / 2,
            revoked=(
                (100, NOW - DAY, x509.ReasonFlags.remove_from_crl),
                (102, NOW - DAY, x509.ReasonFlags.superseded),
            ),
        ),
        issuer=ca.certificate,
        at=NOW,
    )
    delta.require_applies_to(base)

    assert revocation_status(100, base=base, delta=delta) is None
    assert revocation_status(100, base=base) is not None
    entry = revocation_status(101, base=base, delta=delta)
    assert entry is not None and entry.reason == "key_compromise"
    entry = revocation_status(102, base=base, delta=delta)
    assert entry is not None and entry.reason == "superseded"
    assert revocation_status(103, base=base, delta=delta) is None


def test_delta_older_than_its_base_does_not_apply() -> None:
    ca = generated_ca()
    base = CrlIndex.build(make_crl(ca, number=20), issuer=ca.certificate, at=NOW)
    delta = CrlIndex.build(
        make_crl(ca, number=21, base_number=20, this_update=NOW - 3 * DAY),
        issuer=ca.certificate,
        at=NOW,
    )

    with pytest.raises(RevocationUnknown) as caught:
        delta.require_applies_to(base)

    assert "older" in caught.value.message


def test_complete_crl_is_not_a_delta() -> None:
    ca = generated_ca()
    index = CrlIndex.build(make_crl(ca, number=3), issuer=ca.certificate, at=NOW)

    with pytest.raises(RevocationUnknown) as caught:
        index.require_applies_to(index)

    assert caught.value.code == "revocation_unknown"


def test_crl_with_a_wrong_authority_key_identifier_is_refused() -> None:
    ca = generated_ca()
    other = make_ca("CA", key_label="lookalike")
    wrong = x509.AuthorityKeyIdentifier.from_issuer_public_key(other.key.public_key())
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.x509.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .add_extension(wrong, False)
    )
    der = builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert "authorityKeyIdentifier" in caught.value.message


def test_critical_entry_extension_deep_in_a_long_crl_is_refused() -> None:
    ca = generated_ca()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.x509.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
    )
    for serial in range(1000, 1100):
        entry = x509.RevokedCertificateBuilder().serial_number(serial)
        entry = entry.revocation_date(NOW - DAY)
        if serial == 1077:
            entry = entry.add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"
                ),
                True,
            )
        builder = builder.add_revoked_certificate(entry.build())
    der = builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    with pytest.raises(RevocationUnknown) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert "1.2.3.4" in caught.value.message


def test_serial_that_looks_like_boolean_true_is_harmless() -> None:
    ca = generated_ca()
    serial = 0x0101FF0101FF
    der = make_crl(ca, revoked=((serial, NOW - DAY, x509.ReasonFlags.superseded),))

    index = CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    entry = index.lookup(serial)
    assert entry is not None and entry.reason == "superseded"


def _with_entry_serials_padded(der: bytes, key: Any) -> bytes:
    """The CRL re-signed with every entry's serial INTEGER given one more,
    redundant leading octet (0x00, or 0xFF for a negative one)."""
    tlv = _material._tlv
    _, end = _der.expect(der, 0, len(der), _der.TAG_SEQUENCE)
    outer = list(_der.children(der, _der.header(der, 0, end)[1], end))
    tbs_tag, _, tbs_start, tbs_end = outer[0]
    fields = [der[o:e] for _, o, _, e in _der.children(der, tbs_start, tbs_end)]
    list_index = next(
        i
        for i, field in enumerate(fields)
        if i > 3 and field[0] == _der.TAG_SEQUENCE and len(field) > 2
    )
    revoked = fields[list_index]
    start, stop = _der.expect(revoked, 0, len(revoked), _der.TAG_SEQUENCE)
    entries = []
    for _, _, entry_start, entry_end in _der.children(revoked, start, stop):
        parts = [
            revoked[o:e]
            for _, o, _, e in _der.children(revoked, entry_start, entry_end)
        ]
        body = parts[0][2:]
        parts[0] = tlv(
            _der.TAG_INTEGER, (b"\xff" if body[0] & 0x80 else b"\x00") + body
        )
        entries.append(tlv(_der.TAG_SEQUENCE, b"".join(parts)))
    fields[list_index] = tlv(_der.TAG_SEQUENCE, b"".join(entries))
    tbs = tlv(tbs_tag, b"".join(fields))
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    outer_algorithm = der[outer[1][1] : outer[1][3]]
    return tlv(0x30, tbs + outer_algorithm + tlv(0x03, b"\x00" + signature))


def test_entry_serial_not_in_minimal_form_refuses_the_crl() -> None:
    # X.690 8.3.2: an INTEGER's first nine bits are never all equal. The
    # index compares serials as encoded, so a padded one would never be
    # found and its certificate would pass as not listed.
    ca = generated_ca()
    der = _with_entry_serials_padded(
        make_crl(ca, revoked=((5, NOW - DAY, None), (0x80, NOW - DAY, None))), ca.key
    )

    with pytest.raises(InputMalformed) as caught:
        CrlIndex.build(der, issuer=ca.certificate, at=NOW)

    assert type(caught.value) is InputMalformed
    assert caught.value.code == "malformed_input"
