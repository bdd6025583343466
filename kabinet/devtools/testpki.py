"""A generated PKI shaped like NCA's, for development and tests.

Two hierarchies as NCA runs them (nca-pki.md 2.5): a GOST R 34.10-2015-512
root and issuing CA, and an RSA root and issuing CA, named like NCA's but
marked "TEST-KABINET" so nobody takes them for the real test PKI. The
issuing CAs sign user certificates in NCA's profiles (nca-pki.md 2.1-2.4):
individuals, employees of legal entities with their roles, an information
system, the legacy RSA AUTH and SIGN shapes; plus certificates that must be
refused (expired, not yet valid, revoked, and a look-alike issued by a CA
that copies the test CA's name but not its key). Each issuing CA gets a
full and a delta CRL and a delegated OCSP responder certificate; the
responder itself is :mod:`kabinet.devtools.ocsp_responder`.

Everything is real: X.509 certificates and CRLs signed with
:func:`kabinet.pki.signature.sign`, PKCS#12 files in NCA's format written by
:func:`kabinet.pki.pkcs12.dump_pkcs12`, all with the password ``Qwerty12``
like NCA's SDK test keys.

Layout of the generated folder (``target``)::

    testpki.json   manifest: what :func:`load` reads back
    trust/         root and issuing CA certificates, PEM (KABINET_TRUST)
    cert/          the same, DER, served at {base_url}/cert/<file>.cer
    crl/           full, delta and root CRLs, DER (KABINET_CRL_DIR), served
                   at {base_url}/crl/<file>.crl
    ocsp/          OCSP responder certificates (PEM) and keys (PKCS#12)
    keys/          one <name>.p12 and <name>.pem per user key
    forged/        the look-alike CA certificates; never trusted

URLs in the certificates all start with ``base_url`` (default
``http://127.0.0.1:8780``): OCSP at ``{base_url}/ocsp/``, CA certificates
at ``{base_url}/cert/``, CRLs at ``{base_url}/crl/``. The CA private keys
are not kept: a PKI that has gone stale is generated again, not extended.

RSA CA keys have 4096 bits and user and responder keys 2048, as NCA's
(nca-pki.md 1.4). The two 4096-bit keys cost about half a second of the
generation, usually under a second and a half in all;
``rsa_ca_key_bits=2048`` saves that where the size does not matter.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import rsa

from kabinet.devtools import _x509_build as build
from kabinet.pki import oids
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import Certificate
from kabinet.pki.gost import CURVE_256_A, CURVE_512_A, GostPrivateKey
from kabinet.pki.pkcs12 import KeyStore, dump_pkcs12, load_pkcs12
from kabinet.pki.signature import PrivateKey

logger = logging.getLogger(__name__)

PASSWORD: Final = "Qwerty12"  # the published NCA SDK test password
DEFAULT_BASE_URL: Final = "http://127.0.0.1:8780"
RSA_CA_KEY_BITS: Final = 4096
RSA_USER_KEY_BITS: Final = 2048
MANIFEST_NAME: Final = "testpki.json"

_MANIFEST_FORMAT: Final = "kabinet-testpki"
_MANIFEST_VERSION: Final = 1
_MANAGED_DIRS: Final = ("trust", "cert", "crl", "ocsp", "keys", "forged")

# Root CA certificate policy of NCA's roots (nca-pki.md 2.2); the issuing
# CAs carry the NCA policy 1.2.398.3.3.2 like NCA's GOST TEST 2022 CA.

# Key usage of today's single GOST key (nca-pki.md 2.2).
_SIGNING_KEY_USAGE: Final = ("digital_signature", "non_repudiation", "key_agreement")

# How long things live, relative to the generation time ``now``.
_ROOT_LIFETIME: Final = timedelta(days=3650)
_CA_BACKDATE: Final = timedelta(days=730)
_USER_BACKDATE: Final = timedelta(days=30)
_USER_LIFETIME: Final = timedelta(days=365)
_INFORMATION_SYSTEM_LIFETIME: Final = timedelta(days=3 * 365)
_EXPIRED_BACKDATE: Final = timedelta(days=400)
_NOT_YET_VALID_AHEAD: Final = timedelta(days=30)
_CRL_BACKDATE: Final = timedelta(days=2)
_CRL_LIFETIME: Final = timedelta(days=180)
_DELTA_CRL_BACKDATE: Final = timedelta(hours=1)
_DELTA_CRL_LIFETIME: Final = timedelta(days=30)
_ROOT_CRL_LIFETIME: Final = timedelta(days=365)
_BASE_CRL_NUMBER: Final = 12
_ROOT_CRL_NUMBER: Final = 1
# A reused PKI must stay usable for at least this long.
_REUSE_MARGIN: Final = timedelta(days=1)


class KeyStatus(StrEnum):
    """What a verifier must conclude about an issued key."""

    GOOD = "good"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNTRUSTED = "untrusted"


class TestPkiError(ValueError):
    """Raised when a generated folder cannot be read back as a test PKI."""

    __test__: ClassVar[bool] = False  # not a pytest test class


@dataclass(frozen=True)
class IssuedKey:
    """One user key: its PKCS#12 file, certificate and intended status."""

    name: str
    p12_path: Path
    password: str = field(repr=False)
    certificate: Certificate
    status: str


@dataclass(frozen=True)
class Revocation:
    """One revoked serial of an issuing CA.

    ``reason`` is the CRLReason name as asn1crypto spells it
    (``key_compromise``); ``None`` means no reasonCode. ``in_delta_only``
    marks a revocation made after the full CRL was issued: only the delta
    CRL and the OCSP responder know it.
    """

    serial: int
    revoked_at: datetime
    reason: str | None
    in_delta_only: bool


@dataclass(frozen=True)
class Authority:
    """An issuing CA of the test PKI and everything its OCSP responder needs."""

    name: str
    root: Certificate
    intermediate: Certificate
    ocsp_certificate: Certificate
    ocsp_p12_path: Path
    crl_path: Path
    delta_crl_path: Path
    root_crl_path: Path
    issued_serials: frozenset[int]
    revocations: tuple[Revocation, ...]

    def revocation_for(self, serial: int) -> Revocation | None:
        """The revocation of ``serial``, or None when it is not revoked."""
        for revocation in self.revocations:
            if revocation.serial == serial:
                return revocation
        return None


@dataclass(frozen=True)
class TestPki:
    """A generated test PKI, as :func:`generate` made it or :func:`load` read it."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    root: Path
    base_url: str
    generated_at: datetime
    authorities: Mapping[str, Authority]
    keys: Mapping[str, IssuedKey]
    key_authorities: Mapping[str, str]
    forged_root: Certificate
    forged_intermediate: Certificate

    @property
    def trust_dir(self) -> Path:
        """Root and issuing CA certificates (PEM); KABINET_TRUST may name it."""
        return self.root / "trust"

    @property
    def crl_dir(self) -> Path:
        """Full, delta and root CRLs (DER); KABINET_CRL_DIR may name it."""
        return self.root / "crl"

    @property
    def cert_dir(self) -> Path:
        """CA certificates (DER) as the caIssuers URLs serve them."""
        return self.root / "cert"

    @property
    def ocsp_url(self) -> str:
        """The OCSP URL written in every user certificate's AIA."""
        return f"{self.base_url}/ocsp/"

    def key_store(self, name: str) -> KeyStore:
        """The private key and certificate of user key ``name``, from its p12."""
        key = self.keys[name]
        return load_pkcs12(key.p12_path.read_bytes(), key.password)

    def issuer_of(self, name: str) -> Certificate:
        """The CA certificate that issued user key ``name``."""
        authority = self.key_authorities[name]
        if authority == _FORGED:
            return self.forged_intermediate
        return self.authorities[authority].intermediate

    def authority_of(self, name: str) -> Authority:
        """The issuing CA of user key ``name``.

        Raises:
            KeyError: the key is the look-alike, whose CA is not part of
                the test PKI.
        """
        return self.authorities[self.key_authorities[name]]

    def revocation_of(self, name: str) -> Revocation | None:
        """How user key ``name`` was revoked, or None."""
        authority = self.authorities.get(self.key_authorities[name])
        if authority is None:
            return None
        return authority.revocation_for(self.keys[name].certificate.serial)

    def ocsp_signer(self, authority: str) -> KeyStore:
        """The delegated OCSP responder key and certificate of a CA."""
        path = self.authorities[authority].ocsp_p12_path
        return load_pkcs12(path.read_bytes(), PASSWORD)

    def trust_certificates(self) -> tuple[Certificate, ...]:
        """Every certificate in ``trust_dir``: roots, then issuing CAs."""
        return tuple(a.root for a in self.authorities.values()) + tuple(
            a.intermediate for a in self.authorities.values()
        )


# --- What gets issued ---------------------------------------------------------


class _KeyType(StrEnum):
    GOST512 = "gost512"
    GOST256 = "gost256"
    RSA = "rsa"


@dataclass(frozen=True)
class _Person:
    surname: str
    first_name: str
    patronymic: str
    iin: str


@dataclass(frozen=True)
class _Organisation:
    name: str
    bin: str


@dataclass(frozen=True)
class _Profile:
    """keyUsage, base extKeyUsage and policy of one NCA certificate type
    (nca-pki.md 2.2)."""

    key_usage: tuple[str, ...]
    purposes: tuple[str, ...]
    policy: str


_GOST_INDIVIDUAL: Final = _Profile(
    _SIGNING_KEY_USAGE,
    (oids.EKU_EMAIL_PROTECTION, oids.ROLE_INDIVIDUAL),
    oids.POLICY_NCA,
)
_GOST_LEGAL_ENTITY: Final = _Profile(
    _SIGNING_KEY_USAGE,
    (oids.EKU_EMAIL_PROTECTION, oids.ROLE_LEGAL_ENTITY),
    oids.POLICY_NCA,
)
# NCA's 2026 information-system certificate has no emailProtection.
_GOST_INFORMATION_SYSTEM: Final = _Profile(
    _SIGNING_KEY_USAGE,
    (oids.ROLE_LEGAL_ENTITY, oids.ROLE_LEGAL_INFORMATION_SYSTEM),
    oids.POLICY_NCA,
)
_RSA_AUTH_INDIVIDUAL: Final = _Profile(
    ("digital_signature", "key_encipherment"),
    (oids.EKU_CLIENT_AUTH, oids.ROLE_INDIVIDUAL),
    oids.POLICY_INDIVIDUAL_AUTHENTICATION,
)
_RSA_SIGN_LEGAL_ENTITY: Final = _Profile(
    ("digital_signature", "non_repudiation"),
    (oids.EKU_EMAIL_PROTECTION, oids.ROLE_LEGAL_ENTITY),
    oids.POLICY_LEGAL_SIGNATURE,
)


@dataclass(frozen=True)
class _KeySpec:
    name: str
    authority: str
    key_type: _KeyType
    profile: _Profile
    status: KeyStatus
    person: _Person | None = None
    organisation: _Organisation | None = None
    system_name: str | None = None
    roles: tuple[str, ...] = ()
    email: str | None = None
    revocation_reason: str | None = None
    revoked_after_full_crl: bool = False


def _check_digit(first_eleven: str) -> int | None:
    """IIN/BIN check digit: weights 1..11, then 3..11,1,2, modulo 11; a
    second 10 means the number cannot be completed (nca-pki.md 2.1)."""
    digits = [int(c) for c in first_eleven]
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        remainder = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _number(first_eleven: str, *, valid: bool) -> str:
    """A 12-digit IIN or BIN with a correct or a deliberately wrong check
    digit (NCA's own test IINs fail the check, so both kinds must pass)."""
    digit = _check_digit(first_eleven)
    if digit is None:
        raise ValueError(f"{first_eleven} cannot take a valid check digit")
    return first_eleven + str(digit if valid else (digit + 1) % 10)


_GOST: Final = "gost"
_RSA: Final = "rsa"
_FORGED: Final = "forged"

_COMPANY: Final = _Organisation(
    'АО "КАБИНЕТ ТЕСТ"', "BIN" + _number("04034000123", valid=True)
)
_PARTNER: Final = _Organisation(
    'ТОО "ТЕСТ СЕРІКТЕС"', "BIN" + _number("15114000456", valid=False)
)

_SAPAROV: Final = _Person(
    "САПАРОВ", "НҰРЛАН", "ЕРЛАНҰЛЫ", "IIN" + _number("85031430012", valid=True)
)

_KEY_SPECS: Final[tuple[_KeySpec, ...]] = (
    _KeySpec(
        "gost_individual",
        _GOST,
        _KeyType.GOST512,
        _GOST_INDIVIDUAL,
        KeyStatus.GOOD,
        person=_SAPAROV,
    ),
    _KeySpec(
        "gost_legal_first_head",
        _GOST,
        _KeyType.GOST512,
        _GOST_LEGAL_ENTITY,
        KeyStatus.GOOD,
        person=_Person(
            "ЖАКУПОВА",
            "АЙГУЛЬ",
            "МАРАТОВНА",
            "IIN" + _number("78092240034", valid=True),
        ),
        organisation=_COMPANY,
        roles=(oids.ROLE_FIRST_HEAD,),
    ),
    _KeySpec(
        "gost_legal_signer",
        _GOST,
        _KeyType.GOST512,
        _GOST_LEGAL_ENTITY,
        KeyStatus.GOOD,
        person=_Person(
            "ОМАРОВ", "ДАНИЯР", "АСКАРОВИЧ", "IIN" + _number("90010130056", valid=True)
        ),
        organisation=_COMPANY,
        roles=(oids.ROLE_SIGNER,),
        email="d.omarov@kabinet-test.kz",
    ),
    _KeySpec(
        "gost_legal_employee",
        _GOST,
        _KeyType.GOST512,
        _GOST_LEGAL_ENTITY,
        KeyStatus.GOOD,
        person=_Person(
            "ЛИ", "ЕКАТЕРИНА", "ВИКТОРОВНА", "IIN" + _number("95060740078", valid=False)
        ),
        organisation=_COMPANY,
        roles=(oids.ROLE_EMPLOYEE,),
    ),
    _KeySpec(
        "gost_information_system",
        _GOST,
        _KeyType.GOST512,
        _GOST_INFORMATION_SYSTEM,
        KeyStatus.GOOD,
        organisation=_COMPANY,
        system_name='ИС "КАБИНЕТ ТЕСТ"',
    ),
    _KeySpec(
        "gost256_individual",
        _GOST,
        _KeyType.GOST256,
        _GOST_INDIVIDUAL,
        KeyStatus.GOOD,
        person=_Person(
            "ТЕМИРОВ", "АРМАН", "БОЛАТОВИЧ", "IIN" + _number("88021530090", valid=True)
        ),
    ),
    _KeySpec(
        "rsa_individual_auth",
        _RSA,
        _KeyType.RSA,
        _RSA_AUTH_INDIVIDUAL,
        KeyStatus.GOOD,
        person=_Person(
            "КИМ", "ОЛЕГ", "СЕРГЕЕВИЧ", "IIN" + _number("80050530101", valid=True)
        ),
    ),
    _KeySpec(
        "rsa_legal_first_head",
        _RSA,
        _KeyType.RSA,
        _RSA_SIGN_LEGAL_ENTITY,
        KeyStatus.GOOD,
        person=_Person(
            "НУРЛАНОВА",
            "САУЛЕ",
            "ЕРЛАНОВНА",
            "IIN" + _number("75080840112", valid=True),
        ),
        organisation=_PARTNER,
        roles=(oids.ROLE_FIRST_HEAD,),
    ),
    _KeySpec(
        "gost_individual_expired",
        _GOST,
        _KeyType.GOST512,
        _GOST_INDIVIDUAL,
        KeyStatus.EXPIRED,
        person=_Person(
            "ЕСЕНОВ",
            "БАУЫРЖАН",
            "ТАЛҒАТҰЛЫ",
            "IIN" + _number("92111130123", valid=True),
        ),
    ),
    _KeySpec(
        "gost_individual_not_yet_valid",
        _GOST,
        _KeyType.GOST512,
        _GOST_INDIVIDUAL,
        KeyStatus.NOT_YET_VALID,
        person=_Person(
            "ӘБДІЕВА",
            "МАДИНА",
            "РУСЛАНҚЫЗЫ",
            "IIN" + _number("99020240134", valid=True),
        ),
    ),
    _KeySpec(
        "gost_individual_revoked",
        _GOST,
        _KeyType.GOST512,
        _GOST_INDIVIDUAL,
        KeyStatus.REVOKED,
        person=_Person(
            "ГРИГОРЬЕВ", "ИГОРЬ", "ПЕТРОВИЧ", "IIN" + _number("83070730145", valid=True)
        ),
        revocation_reason="key_compromise",
    ),
    _KeySpec(
        "gost_legal_first_head_revoked",
        _GOST,
        _KeyType.GOST512,
        _GOST_LEGAL_ENTITY,
        KeyStatus.REVOKED,
        person=_Person(
            "БЕКОВ", "ТИМУР", "ҚАНАТҰЛЫ", "IIN" + _number("87121230156", valid=True)
        ),
        organisation=_PARTNER,
        roles=(oids.ROLE_FIRST_HEAD,),
        revocation_reason="affiliation_changed",
        revoked_after_full_crl=True,
    ),
    # The look-alike claims a real test user's identity on purpose: that
    # is what an attacker with a home-made "NCA" CA would do.
    _KeySpec(
        "forged_individual",
        _FORGED,
        _KeyType.GOST512,
        _GOST_INDIVIDUAL,
        KeyStatus.UNTRUSTED,
        person=_SAPAROV,
    ),
)

# Earlier certificates of each issuing CA, revoked long ago and without a
# key here, so that the CRLs carry entries with and without reasons as
# NCA's do.
_PAST_REVOCATIONS: Final[Mapping[str, tuple[tuple[timedelta, str | None], ...]]] = {
    _GOST: ((timedelta(days=200), "superseded"), (timedelta(days=90), None)),
    _RSA: (
        (timedelta(days=150), "cessation_of_operation"),
        (timedelta(days=40), "certificate_hold"),
    ),
}
# When the revoked keys were revoked, by whether that happened after the
# full CRL was issued (two days before generation) or before it.
_REVOKED_KEY_AGO: Final = {False: timedelta(days=10), True: timedelta(days=1)}


# --- Generation --------------------------------------------------------------


@dataclass(frozen=True)
class _Ca:
    """A CA certificate with its key, while the PKI is being generated."""

    certificate: Certificate
    name: asn1_x509.Name
    key: PrivateKey = field(repr=False)
    key_id: bytes


@dataclass(frozen=True)
class _Urls:
    base: str

    def cert(self, stem: str) -> str:
        return f"{self.base}/cert/{stem}.cer"

    def crl(self, file_name: str) -> str:
        return f"{self.base}/crl/{file_name}"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/ocsp/"

    @property
    def cps(self) -> str:
        return f"{self.base}/cps"


@dataclass(frozen=True)
class _Files:
    """File names of one hierarchy ("gost" or "rsa")."""

    hierarchy: str

    @property
    def root(self) -> str:
        return f"root_{self.hierarchy}_test"

    @property
    def intermediate(self) -> str:
        return f"nca_{self.hierarchy}_test"

    @property
    def ocsp(self) -> str:
        return f"ocsp_{self.hierarchy}_test"

    @property
    def crl(self) -> str:
        return f"nca_{self.hierarchy}_test.crl"

    @property
    def delta_crl(self) -> str:
        return f"nca_{self.hierarchy}_d_test.crl"

    @property
    def root_crl(self) -> str:
        return f"root_{self.hierarchy}_test.crl"


_LABELS: Final = {_GOST: "GOST", _RSA: "RSA"}


def _root_name(label: str) -> str:
    return f"НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ ({label}) TEST-KABINET"


def _intermediate_name(label: str) -> str:
    return f"ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ ({label}) TEST-KABINET"


def _new_key(key_type: _KeyType, *, rsa_bits: int) -> PrivateKey:
    if key_type is _KeyType.GOST512:
        return GostPrivateKey.generate(CURVE_512_A)
    if key_type is _KeyType.GOST256:
        return GostPrivateKey.generate(CURVE_256_A)
    return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)


def _issue_root(label: str, key: PrivateKey, *, now: datetime, urls: _Urls) -> _Ca:
    serial, key_id = build.new_serial_and_key_id()
    name = build.build_name(
        [(oids.COMMON_NAME, _root_name(label)), (oids.COUNTRY, "KZ")]
    )
    not_before = now - _CA_BACKDATE
    der = build.build_certificate(
        serial=serial,
        issuer=name,
        subject=name,
        not_before=not_before,
        not_after=not_before + _ROOT_LIFETIME + _CA_BACKDATE,
        subject_public_key_info=build.spki_der(key.public_key()),
        extensions=[
            build.basic_constraints(ca=True),
            build.key_usage(["key_cert_sign", "crl_sign"]),
            build.subject_key_identifier(key_id),
            build.authority_key_identifier(
                key_id, issuer_name=name, issuer_serial=serial
            ),
            build.certificate_policies([oids.POLICY_NCA_ROOT], cps_url=urls.cps),
        ],
        signing_key=key,
    )
    return _Ca(Certificate.load(der), name, key, key_id)


def _issue_intermediate(
    label: str,
    key: PrivateKey,
    *,
    root: _Ca,
    files: _Files,
    now: datetime,
    urls: _Urls,
) -> _Ca:
    serial, key_id = build.new_serial_and_key_id()
    name = build.build_name(
        [(oids.COMMON_NAME, _intermediate_name(label)), (oids.COUNTRY, "KZ")]
    )
    # A day younger than the root and three days shorter, as NCA's are.
    not_before = now - _CA_BACKDATE + timedelta(days=1)
    der = build.build_certificate(
        serial=serial,
        issuer=root.name,
        subject=name,
        not_before=not_before,
        not_after=root.certificate.not_after - timedelta(days=3),
        subject_public_key_info=build.spki_der(key.public_key()),
        extensions=[
            build.basic_constraints(ca=True, path_length=0),
            build.key_usage(["key_cert_sign", "crl_sign"]),
            build.crl_distribution_points([urls.crl(files.root_crl)]),
            build.subject_key_identifier(key_id),
            build.authority_key_identifier(
                root.key_id,
                issuer_name=root.name,
                issuer_serial=root.certificate.serial,
            ),
            build.authority_information_access(ca_issuer_urls=[urls.cert(files.root)]),
            build.certificate_policies([oids.POLICY_NCA], cps_url=urls.cps),
        ],
        signing_key=root.key,
    )
    return _Ca(Certificate.load(der), name, key, key_id)


def _issue_ocsp_responder(
    label: str, key: PrivateKey, *, issuer: _Ca, now: datetime
) -> Certificate:
    """A delegated responder certificate shaped like NCA's "OCSP RESPONDER"
    (RFC 6960 4.2.2.2: id-kp-OCSPSigning, issued by the CA itself)."""
    serial, key_id = build.new_serial_and_key_id()
    subject = build.build_name(
        [
            (oids.COMMON_NAME, "OCSP RESPONDER"),
            (oids.COUNTRY, "KZ"),
            (oids.ORGANISATION, _intermediate_name(label)),
        ]
    )
    not_before = now - _USER_BACKDATE
    der = build.build_certificate(
        serial=serial,
        issuer=issuer.name,
        subject=subject,
        not_before=not_before,
        not_after=not_before + _USER_LIFETIME,
        subject_public_key_info=build.spki_der(key.public_key()),
        extensions=[
            build.key_usage(["digital_signature"], critical=False),
            build.ocsp_no_check(),
            build.extended_key_usage([oids.EKU_OCSP_SIGNING]),
            build.subject_key_identifier(key_id),
            build.authority_key_identifier(issuer.key_id),
            build.key_storages([oids.KEY_STORAGE_PKCS12]),
        ],
        signing_key=issuer.key,
    )
    return Certificate.load(der)


def _subject(spec: _KeySpec) -> list[tuple[str, str]]:
    """Subject attributes in NCA's order (nca-pki.md 2.1)."""
    organisation = spec.organisation
    if spec.person is None:
        if organisation is None or spec.system_name is None:
            raise ValueError(f"{spec.name}: an information system needs its BIN")
        # The BIN both as SERIALNUMBER (older NCA IS certificates, as
        # NCANode reads them) and as OU (NCA's 2026 IS certificate).
        return [
            (oids.COMMON_NAME, spec.system_name),
            (oids.SERIAL_NUMBER, organisation.bin),
            (oids.COUNTRY, "KZ"),
            (oids.ORGANISATION, organisation.name),
            (oids.ORGANISATIONAL_UNIT, organisation.bin),
        ]
    person = spec.person
    attributes = [
        (oids.COMMON_NAME, f"{person.surname} {person.first_name}"),
        (oids.SURNAME, person.surname),
        (oids.SERIAL_NUMBER, person.iin),
        (oids.COUNTRY, "KZ"),
    ]
    if organisation is not None:
        attributes += [
            (oids.ORGANISATION, organisation.name),
            (oids.ORGANISATIONAL_UNIT, organisation.bin),
        ]
    attributes.append((oids.GIVEN_NAME, person.patronymic))
    if spec.email is not None:
        attributes.append((oids.EMAIL_ADDRESS, spec.email))
    return attributes


def _validity(spec: _KeySpec, now: datetime) -> tuple[datetime, datetime]:
    lifetime = _USER_LIFETIME
    if spec.profile is _GOST_INFORMATION_SYSTEM:
        lifetime = _INFORMATION_SYSTEM_LIFETIME
    if spec.status is KeyStatus.EXPIRED:
        not_before = now - _EXPIRED_BACKDATE
    elif spec.status is KeyStatus.NOT_YET_VALID:
        not_before = now + _NOT_YET_VALID_AHEAD
    else:
        not_before = now - _USER_BACKDATE
    return not_before, not_before + lifetime


def _issue_user(
    spec: _KeySpec,
    key: PrivateKey,
    *,
    issuer: _Ca,
    files: _Files,
    now: datetime,
    urls: _Urls,
) -> Certificate:
    serial, key_id = build.new_serial_and_key_id()
    not_before, not_after = _validity(spec, now)
    # Extension order of NCA's 2026 test certificates.
    der = build.build_certificate(
        serial=serial,
        issuer=issuer.name,
        subject=build.build_name(_subject(spec)),
        not_before=not_before,
        not_after=not_after,
        subject_public_key_info=build.spki_der(key.public_key()),
        extensions=[
            build.certificate_policies([spec.profile.policy], cps_url=urls.cps),
            build.authority_information_access(
                ocsp_urls=[urls.ocsp], ca_issuer_urls=[urls.cert(files.intermediate)]
            ),
            build.crl_distribution_points([urls.crl(files.crl)]),
            build.freshest_crl([urls.crl(files.delta_crl)]),
            build.extended_key_usage(spec.profile.purposes + spec.roles),
            build.key_usage(spec.profile.key_usage),
            build.subject_key_identifier(key_id),
            build.authority_key_identifier(issuer.key_id),
            build.key_storages([oids.KEY_STORAGE_PKCS12]),
        ],
        signing_key=issuer.key,
    )
    return Certificate.load(der)


def _past_revocations(authority: str, now: datetime) -> list[Revocation]:
    revocations = []
    for ago, reason in _PAST_REVOCATIONS[authority]:
        serial, _ = build.new_serial_and_key_id()
        revocations.append(Revocation(serial, now - ago, reason, in_delta_only=False))
    return revocations


def _crls(
    ca: _Ca, root: _Ca, revocations: Sequence[Revocation], *, now: datetime
) -> tuple[bytes, bytes, bytes]:
    """Full CRL, delta CRL (RFC 5280 5.2.4) and the root's CRL."""
    full_this_update = now - _CRL_BACKDATE
    full = build.build_crl(
        issuer=ca.name,
        authority_key_id=ca.key_id,
        this_update=full_this_update,
        next_update=full_this_update + _CRL_LIFETIME,
        number=_BASE_CRL_NUMBER,
        entries=[
            build.CrlEntry(r.serial, r.revoked_at, r.reason)
            for r in revocations
            if not r.in_delta_only
        ],
        signing_key=ca.key,
    )
    delta_this_update = now - _DELTA_CRL_BACKDATE
    delta = build.build_crl(
        issuer=ca.name,
        authority_key_id=ca.key_id,
        this_update=delta_this_update,
        next_update=delta_this_update + _DELTA_CRL_LIFETIME,
        number=_BASE_CRL_NUMBER + 1,
        entries=[
            build.CrlEntry(r.serial, r.revoked_at, r.reason)
            for r in revocations
            if r.in_delta_only
        ],
        signing_key=ca.key,
        delta_of=_BASE_CRL_NUMBER,
    )
    root_crl = build.build_crl(
        issuer=root.name,
        authority_key_id=root.key_id,
        this_update=full_this_update,
        next_update=full_this_update + _ROOT_CRL_LIFETIME,
        number=_ROOT_CRL_NUMBER,
        entries=[],
        signing_key=root.key,
    )
    return full, delta, root_crl


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_iso(value: str) -> datetime:
    return require_aware(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _normalise_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not carry a query or fragment: {base_url!r}")
    return base_url.rstrip("/")


def generate(
    target: Path,
    *,
    now: datetime,
    base_url: str = DEFAULT_BASE_URL,
    rsa_ca_key_bits: int = RSA_CA_KEY_BITS,
) -> TestPki:
    """Generate a fresh test PKI into ``target`` around the moment ``now``.

    Everything is built in memory first; ``target`` is touched only when
    all of it succeeded. ``target`` must be empty, missing, or a folder
    that holds an earlier test PKI (which is replaced).

    Raises:
        ValueError: ``now`` is naive, ``base_url`` is not an http(s) URL,
            or ``target`` holds something other than a test PKI.
    """
    now = require_aware(now, name="now").replace(microsecond=0)
    base_url = _normalise_base_url(base_url)
    target = target.resolve()
    _check_target(target)
    urls = _Urls(base_url)
    files: dict[str, bytes] = {}
    manifest: dict[str, Any] = {
        "format": _MANIFEST_FORMAT,
        "version": _MANIFEST_VERSION,
        "generated_at": _iso(now),
        "base_url": base_url,
        "password": PASSWORD,
        "authorities": {},
        "keys": {},
        "sha256": {},
    }

    def add_certificate(path: str, certificate: Certificate) -> None:
        files[path] = certificate.to_pem().encode("ascii")
        manifest["sha256"][path] = certificate.sha256

    issuing: dict[str, _Ca] = {}
    roots: dict[str, _Ca] = {}
    hierarchy_keys: dict[str, _KeyType] = {_GOST: _KeyType.GOST512, _RSA: _KeyType.RSA}
    for hierarchy, key_type in hierarchy_keys.items():
        label, hierarchy_files = _LABELS[hierarchy], _Files(hierarchy)
        root = _issue_root(
            label, _new_key(key_type, rsa_bits=rsa_ca_key_bits), now=now, urls=urls
        )
        intermediate = _issue_intermediate(
            label,
            _new_key(key_type, rsa_bits=rsa_ca_key_bits),
            root=root,
            files=hierarchy_files,
            now=now,
            urls=urls,
        )
        roots[hierarchy], issuing[hierarchy] = root, intermediate
        for stem, ca in (
            (hierarchy_files.root, root),
            (hierarchy_files.intermediate, intermediate),
        ):
            add_certificate(f"trust/{stem}.pem", ca.certificate)
            files[f"cert/{stem}.cer"] = ca.certificate.der

    # The look-alike copies the GOST names and URLs, never the keys.
    forged_root = _issue_root(
        _LABELS[_GOST], _new_key(_KeyType.GOST512, rsa_bits=0), now=now, urls=urls
    )
    forged = _issue_intermediate(
        _LABELS[_GOST],
        _new_key(_KeyType.GOST512, rsa_bits=0),
        root=forged_root,
        files=_Files(_GOST),
        now=now,
        urls=urls,
    )
    add_certificate(f"forged/{_Files(_GOST).root}.pem", forged_root.certificate)
    add_certificate(f"forged/{_Files(_GOST).intermediate}.pem", forged.certificate)
    manifest["forged"] = {
        "root": f"forged/{_Files(_GOST).root}.pem",
        "intermediate": f"forged/{_Files(_GOST).intermediate}.pem",
    }

    issued: dict[str, list[int]] = {_GOST: [], _RSA: []}
    revocations: dict[str, list[Revocation]] = {
        hierarchy: _past_revocations(hierarchy, now) for hierarchy in issuing
    }
    for hierarchy, revoked in revocations.items():
        issued[hierarchy] += [r.serial for r in revoked]

    for spec in _KEY_SPECS:
        hierarchy = _GOST if spec.authority == _FORGED else spec.authority
        issuer = forged if spec.authority == _FORGED else issuing[spec.authority]
        key = _new_key(spec.key_type, rsa_bits=RSA_USER_KEY_BITS)
        certificate = _issue_user(
            spec, key, issuer=issuer, files=_Files(hierarchy), now=now, urls=urls
        )
        if spec.authority != _FORGED:
            issued[spec.authority].append(certificate.serial)
        if spec.status is KeyStatus.REVOKED:
            revocations[spec.authority].append(
                Revocation(
                    certificate.serial,
                    now - _REVOKED_KEY_AGO[spec.revoked_after_full_crl],
                    spec.revocation_reason,
                    in_delta_only=spec.revoked_after_full_crl,
                )
            )
        add_certificate(f"keys/{spec.name}.pem", certificate)
        files[f"keys/{spec.name}.p12"] = dump_pkcs12(
            KeyStore(private_key=key, certificate=certificate, chain=()), PASSWORD
        )
        manifest["keys"][spec.name] = {
            "authority": spec.authority,
            "status": spec.status.value,
            "certificate": f"keys/{spec.name}.pem",
            "p12": f"keys/{spec.name}.p12",
        }

    for hierarchy, ca in issuing.items():
        label, hierarchy_files = _LABELS[hierarchy], _Files(hierarchy)
        responder_key = _new_key(hierarchy_keys[hierarchy], rsa_bits=RSA_USER_KEY_BITS)
        responder = _issue_ocsp_responder(label, responder_key, issuer=ca, now=now)
        issued[hierarchy].append(responder.serial)
        add_certificate(f"ocsp/{hierarchy_files.ocsp}.pem", responder)
        files[f"ocsp/{hierarchy_files.ocsp}.p12"] = dump_pkcs12(
            KeyStore(private_key=responder_key, certificate=responder, chain=()),
            PASSWORD,
        )
        full, delta, root_crl = _crls(
            ca, roots[hierarchy], revocations[hierarchy], now=now
        )
        files[f"crl/{hierarchy_files.crl}"] = full
        files[f"crl/{hierarchy_files.delta_crl}"] = delta
        files[f"crl/{hierarchy_files.root_crl}"] = root_crl
        manifest["authorities"][hierarchy] = {
            "root": f"trust/{hierarchy_files.root}.pem",
            "intermediate": f"trust/{hierarchy_files.intermediate}.pem",
            "ocsp_certificate": f"ocsp/{hierarchy_files.ocsp}.pem",
            "ocsp_p12": f"ocsp/{hierarchy_files.ocsp}.p12",
            "crl": f"crl/{hierarchy_files.crl}",
            "delta_crl": f"crl/{hierarchy_files.delta_crl}",
            "root_crl": f"crl/{hierarchy_files.root_crl}",
            "issued_serials": [format(s, "x") for s in sorted(issued[hierarchy])],
            "revocations": [
                {
                    "serial": format(r.serial, "x"),
                    "revoked_at": _iso(r.revoked_at),
                    "reason": r.reason,
                    "in_delta_only": r.in_delta_only,
                }
                for r in sorted(revocations[hierarchy], key=lambda r: r.revoked_at)
            ],
        }

    manifest_text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    pki = _assemble(target, manifest, lambda path: files[path])
    _write_tree(target, files, manifest_text.encode("utf-8"))
    logger.info(
        "generated test PKI in %s: %d keys, base URL %s",
        target,
        len(pki.keys),
        base_url,
    )
    return pki


def _check_target(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise ValueError(f"{target} exists and is not a folder")
    if any(target.iterdir()) and not (target / MANIFEST_NAME).is_file():
        raise ValueError(
            f"{target} is not empty and holds no test PKI; not touching it"
        )


def _write_tree(target: Path, files: Mapping[str, bytes], manifest: bytes) -> None:
    """Replace the managed folders of ``target`` with ``files``; the
    manifest goes last so that a half-written folder is never loadable."""
    target.mkdir(parents=True, exist_ok=True)
    (target / MANIFEST_NAME).unlink(missing_ok=True)
    for name in _MANAGED_DIRS:
        shutil.rmtree(target / name, ignore_errors=True)
    for relative, data in files.items():
        _write_file(target / relative, data)
    _write_file(target / MANIFEST_NAME, manifest)


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# --- Reading back ---------------------------------------------------------------


def load(target: Path) -> TestPki:
    """Read a test PKI that :func:`generate` wrote into ``target``.

    Raises:
        FileNotFoundError: there is no manifest in ``target``.
        TestPkiError: the manifest is not one this module wrote, or a
            certificate file differs from what the manifest recorded.
    """
    target = target.resolve()
    text = (target / MANIFEST_NAME).read_text(encoding="utf-8")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TestPkiError(f"{target / MANIFEST_NAME} is not JSON: {exc}") from exc
    return _assemble(target, manifest, lambda path: _read_inside(target, path))


def _read_inside(target: Path, relative: str) -> bytes:
    path = (target / relative).resolve()
    if not path.is_relative_to(target):
        raise TestPkiError(f"manifest path {relative!r} leaves {target}")
    return path.read_bytes()


def _assemble(
    target: Path, manifest: Mapping[str, Any], read: Callable[[str], bytes]
) -> TestPki:
    """Build the TestPki that ``manifest`` describes, reading certificates
    through ``read`` (from memory while generating, from disk in load)."""
    try:
        if manifest.get("format") != _MANIFEST_FORMAT:
            raise TestPkiError(f"{target}: not a {_MANIFEST_FORMAT} manifest")
        if manifest.get("version") != _MANIFEST_VERSION:
            raise TestPkiError(
                f"{target}: manifest version {manifest.get('version')!r}, "
                f"expected {_MANIFEST_VERSION}"
            )
        fingerprints: Mapping[str, str] = manifest["sha256"]

        def certificate(path: str) -> Certificate:
            loaded = Certificate.load(read(path))
            if loaded.sha256 != fingerprints.get(path):
                raise TestPkiError(f"{target / path} differs from the manifest")
            return loaded

        authorities = {
            name: Authority(
                name=name,
                root=certificate(entry["root"]),
                intermediate=certificate(entry["intermediate"]),
                ocsp_certificate=certificate(entry["ocsp_certificate"]),
                ocsp_p12_path=target / entry["ocsp_p12"],
                crl_path=target / entry["crl"],
                delta_crl_path=target / entry["delta_crl"],
                root_crl_path=target / entry["root_crl"],
                issued_serials=frozenset(int(s, 16) for s in entry["issued_serials"]),
                revocations=tuple(
                    Revocation(
                        serial=int(r["serial"], 16),
                        revoked_at=_parse_iso(r["revoked_at"]),
                        reason=r["reason"],
                        in_delta_only=bool(r["in_delta_only"]),
                    )
                    for r in entry["revocations"]
                ),
            )
            for name, entry in manifest["authorities"].items()
        }
        password: str = manifest["password"]
        keys = {
            name: IssuedKey(
                name=name,
                p12_path=target / entry["p12"],
                password=password,
                certificate=certificate(entry["certificate"]),
                status=KeyStatus(entry["status"]).value,
            )
            for name, entry in manifest["keys"].items()
        }
        key_authorities = {
            name: str(entry["authority"]) for name, entry in manifest["keys"].items()
        }
        return TestPki(
            root=target,
            base_url=str(manifest["base_url"]),
            generated_at=_parse_iso(manifest["generated_at"]),
            authorities=authorities,
            keys=keys,
            key_authorities=key_authorities,
            forged_root=certificate(manifest["forged"]["root"]),
            forged_intermediate=certificate(manifest["forged"]["intermediate"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, TestPkiError):
            raise
        raise TestPkiError(f"{target}: manifest is incomplete: {exc!r}") from exc


# --- Reuse --------------------------------------------------------------------


def _status_at(certificate: Certificate, at: datetime) -> KeyStatus | None:
    """The date-derived status of a certificate at ``at``, or None when it
    is inside its validity but closer than the reuse margin to its end."""
    if certificate.not_after < at:
        return KeyStatus.EXPIRED
    if certificate.not_before > at:
        return KeyStatus.NOT_YET_VALID
    if certificate.not_after < at + _REUSE_MARGIN:
        return None
    return KeyStatus.GOOD


def _crl_next_update(path: Path) -> datetime:
    tbs = asn1_crl.CertificateList.load(path.read_bytes())["tbs_cert_list"]
    next_update: datetime = tbs["next_update"].native
    return next_update


def is_current(pki: TestPki, *, at: datetime, base_url: str | None = None) -> bool:
    """Whether ``pki`` still behaves as generated at ``at``: same base URL,
    every CA and responder certificate and CRL valid for at least a day
    more, and every user key still in its intended date-derived state."""
    at = require_aware(at)
    if base_url is not None and _normalise_base_url(base_url) != pki.base_url:
        return False
    for authority in pki.authorities.values():
        for certificate in (
            authority.root,
            authority.intermediate,
            authority.ocsp_certificate,
        ):
            if _status_at(certificate, at) is not KeyStatus.GOOD:
                return False
        for crl_path in (
            authority.crl_path,
            authority.delta_crl_path,
            authority.root_crl_path,
        ):
            if _crl_next_update(crl_path) < at + _REUSE_MARGIN:
                return False
    for key in pki.keys.values():
        expected = key.status
        if expected in (KeyStatus.REVOKED, KeyStatus.UNTRUSTED):
            expected = KeyStatus.GOOD
        if _status_at(key.certificate, at) != expected:
            return False
    return True


def ensure(
    target: Path,
    *,
    now: datetime,
    base_url: str = DEFAULT_BASE_URL,
    rsa_ca_key_bits: int = RSA_CA_KEY_BITS,
) -> TestPki:
    """The test PKI in ``target``: reused when it is still current at
    ``now`` for ``base_url``, generated afresh otherwise."""
    if (target / MANIFEST_NAME).is_file():
        try:
            pki = load(target)
        except (OSError, TestPkiError) as exc:
            logger.warning(
                "test PKI in %s is unreadable, regenerating: %s", target, exc
            )
        else:
            if is_current(pki, at=now, base_url=base_url):
                logger.info("reusing the test PKI in %s", target)
                return pki
            logger.info("test PKI in %s is stale, regenerating", target)
    return generate(target, now=now, base_url=base_url, rsa_ca_key_bits=rsa_ca_key_bits)


# --- Command line ---------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kabinet.devtools.testpki DIR [--base-url URL]``."""
    parser = argparse.ArgumentParser(
        prog="python -m kabinet.devtools.testpki",
        description="Generate (or reuse) an NCA-like test PKI and list its keys.",
    )
    parser.add_argument("target", type=Path, help="folder of the test PKI")
    parser.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        help=f"prefix of the OCSP/CRL/CA URLs in certificates ({DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--force", action="store_true", help="generate even if a current PKI is there"
    )
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    try:
        if args.force:
            pki = generate(args.target, now=now, base_url=args.base_url)
        else:
            pki = ensure(args.target, now=now, base_url=args.base_url)
    except ValueError as exc:
        parser.error(str(exc))
    _print_summary(pki)
    return 0


def _print_summary(pki: TestPki) -> None:
    out = sys.stdout
    out.write(f"Test PKI in {pki.root} (generated {_iso(pki.generated_at)})\n")
    out.write(f"  trust anchors (KABINET_TRUST):  {pki.trust_dir}\n")
    out.write(f"  CRLs (KABINET_CRL_DIR):         {pki.crl_dir}\n")
    out.write(f"  OCSP responder URL:             {pki.ocsp_url}\n")
    out.write(f"  password of every .p12 file:    {PASSWORD}\n\n")
    width = max(len(name) for name in pki.keys)
    for name, key in pki.keys.items():
        certificate = key.certificate
        identity = certificate.identity
        numbers = " ".join(
            f"{label}{value}"
            for label, value in (("IIN", identity.iin), ("BIN", identity.bin))
            if value
        )
        roles = ",".join(sorted(role.value for role in identity.employee_roles))
        line = (
            f"{name:<{width}}  {key.status:<13}  {certificate.algorithm:<21}  "
            f"{identity.common_name}  {numbers}  {roles}"
        )
        out.write(line.rstrip() + "\n")
        out.write(f"{'':<{width}}  {key.p12_path}  (password {key.password})\n")


if __name__ == "__main__":
    raise SystemExit(main())
