"""An X.509 certificate read the way the NCA RK profile defines it.

Parsing is eager: :meth:`Certificate.load` reads every field at once, so a
malformed certificate fails there with InputMalformed and never later in a
property. Extensions come from ``cryptography`` (strict DER). Names, raw
slices and the public key come from asn1crypto: ``cryptography`` cannot
load a GOST public key, and it warns on every NCA CA name because its
length limit counts UTF-8 bytes where X.520 counts characters.

The subscriber profile (nca-pki.md 2.1-2.4) becomes an :class:`Identity`:
IIN from SERIALNUMBER "IIN...", BIN from OU "BIN..." (or SERIALNUMBER
"BIN..." on information-system certificates), surname from SURNAME, first
name from the part of CN after the surname, patronymic from GIVENNAME
(NCA puts the patronymic there), employee roles from the
1.2.398.3.3.4.1.2.x OIDs in extendedKeyUsage.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import textwrap
import warnings
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509

from kabinet.pki import oids
from kabinet.pki.asn1 import (
    MAX_CERTIFICATE_BYTES,
    KeyStorages,
    RawExtension,
    RawExtensions,
    decode_armor,
    parse_der,
)
from kabinet.pki.errors import InputMalformed, PkiError

if TYPE_CHECKING:
    from kabinet.pki.signature import PublicKey

logger = logging.getLogger(__name__)


class SubjectType(Enum):
    """Who a subscriber certificate was issued to.

    The rule, applied in this order:

    1. INFORMATION_SYSTEM when extendedKeyUsage holds an information-system
       role (1.2.398.3.3.4.1.2.6 or one of its sub-arcs, or
       1.2.398.3.3.4.1.1.1), or when the subject has a BIN and no IIN: a
       system has no personal number.
    2. LEGAL_ENTITY when the subject has both an IIN and a BIN: a person
       acting for the organisation named by the BIN.
    3. INDIVIDUAL otherwise: an IIN and no BIN, or neither number (a CA
       certificate, or one outside the NCA profile). The type therefore
       never vouches for a number being present; a caller that needs an IIN
       or a BIN checks that it is not None.
    """

    INDIVIDUAL = "individual"
    LEGAL_ENTITY = "legal_entity"
    INFORMATION_SYSTEM = "information_system"


class EmployeeRole(Enum):
    """A role of a legal entity's employee, from extendedKeyUsage."""

    FIRST_HEAD = "first_head"
    SIGNER = "signer"
    FINANCIAL_SIGNER = "financial_signer"
    HR = "hr"
    EMPLOYEE = "employee"


_EMPLOYEE_ROLES: Final = {
    oids.ROLE_FIRST_HEAD: EmployeeRole.FIRST_HEAD,
    oids.ROLE_SIGNER: EmployeeRole.SIGNER,
    oids.ROLE_FINANCIAL_SIGNER: EmployeeRole.FINANCIAL_SIGNER,
    oids.ROLE_HR: EmployeeRole.HR,
    oids.ROLE_EMPLOYEE: EmployeeRole.EMPLOYEE,
}


@dataclass(frozen=True)
class Identity:
    """The subscriber a certificate names, as the NCA profile encodes it.

    ``iin_checksum_valid`` / ``bin_checksum_valid`` report the check digit
    and are never a reason to refuse: NCA test identities fail it
    (nca-pki.md 2.1). They are None when the number is absent.
    ``employee_roles`` is empty unless the subject type is LEGAL_ENTITY: a
    role only means something inside the organisation a BIN names.
    """

    subject_type: SubjectType
    iin: str | None
    bin: str | None
    common_name: str | None
    surname: str | None
    first_name: str | None
    patronymic: str | None
    organisation: str | None
    email: str | None
    country: str | None
    employee_roles: frozenset[EmployeeRole]
    iin_checksum_valid: bool | None
    bin_checksum_valid: bool | None


def check_digit_valid(number: str) -> bool:
    """Whether a 12-digit IIN or BIN carries a correct check digit.

    The twelfth digit is the weighted sum of the first eleven mod 11 with
    weights 1..11; when that gives 10, weights 3..11, 1, 2 are used, and a
    second 10 means the number cannot be valid.
    """
    if not re.fullmatch(r"[0-9]{12}", number):
        return False
    digits = [int(c) for c in number]
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        control = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
        if control != 10:
            return control == digits[11]
    return False


_KEY_USAGE_NAMES: Final = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)

# Extensions whose meaning some part of kabinet enforces; a critical
# extension outside this set must make path validation fail (RFC 5280 4.2).
_UNDERSTOOD_EXTENSIONS: Final = frozenset(
    {
        oids.KEY_USAGE,
        oids.EXTENDED_KEY_USAGE,
        oids.BASIC_CONSTRAINTS,
        oids.SUBJECT_ALT_NAME,
        oids.CERTIFICATE_POLICIES,
        oids.SUBJECT_KEY_IDENTIFIER,
        oids.AUTHORITY_KEY_IDENTIFIER,
        oids.CRL_DISTRIBUTION_POINTS,
        oids.FRESHEST_CRL,
        oids.AUTHORITY_INFORMATION_ACCESS,
        oids.KEY_STORAGE_EXTENSION,
    }
)

_NAME_LABELS: Final = {
    oids.COMMON_NAME: "CN",
    oids.SURNAME: "SURNAME",
    oids.SERIAL_NUMBER: "SERIALNUMBER",
    oids.COUNTRY: "C",
    oids.LOCALITY: "L",
    oids.STATE: "ST",
    oids.ORGANISATION: "O",
    oids.ORGANISATIONAL_UNIT: "OU",
    oids.GIVEN_NAME: "GIVENNAME",
    oids.EMAIL_ADDRESS: "E",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}

_ALGORITHM_NAMES: Final = {
    oids.GOST2015_512_KEY: "GOST R 34.10-2015 512",
    oids.GOST2015_256_KEY: "GOST R 34.10-2015 256",
    oids.GOST2004_KEY: "GOST 34.310-2004",
    oids.TC26_GOST2012_512_KEY: "GOST R 34.10-2012 512 (tc26)",
    oids.TC26_GOST2012_256_KEY: "GOST R 34.10-2012 256 (tc26)",
}


@dataclass(frozen=True, eq=False, repr=False)
class Certificate:
    """An immutable, fully parsed certificate; build it with :meth:`load`.

    Equality and hashing go by the DER bytes. ``key_usage`` is empty when
    the extension is absent and ``extended_key_usage`` likewise; callers
    that require a usage therefore refuse such certificates.
    """

    der: bytes
    sha256: str
    serial: int
    subject: str
    issuer: str
    subject_der: bytes
    issuer_der: bytes
    subject_attributes: tuple[tuple[str, str], ...]
    not_before: datetime
    not_after: datetime
    tbs_der: bytes
    signature_algorithm: str
    signature_value: bytes
    spki_der: bytes
    public_key_algorithm: str
    algorithm: str
    key_usage: frozenset[str]
    extended_key_usage: frozenset[str]
    is_ca: bool
    path_length: int | None
    subject_key_id: bytes | None
    authority_key_id: bytes | None
    ocsp_urls: tuple[str, ...]
    ca_issuer_urls: tuple[str, ...]
    crl_urls: tuple[str, ...]
    delta_crl_urls: tuple[str, ...]
    policies: tuple[str, ...]
    key_storages: tuple[str, ...]
    email_addresses: tuple[str, ...]
    unhandled_critical_extensions: tuple[str, ...]

    @classmethod
    def load(cls, data: bytes) -> Certificate:
        """Parse a certificate from PEM, bare base64 or DER.

        Raises:
            InputTooLarge: more than MAX_CERTIFICATE_BYTES of input.
            InputMalformed: anything that is not one well-formed certificate.
        """
        der = decode_armor(
            data,
            labels=("CERTIFICATE", "X509 CERTIFICATE"),
            max_bytes=MAX_CERTIFICATE_BYTES,
        )
        try:
            return _parse(der)
        except PkiError:
            raise
        except Exception as exc:
            raise InputMalformed(f"certificate does not parse: {exc}") from exc

    @property
    def serial_hex(self) -> str:
        """The serial number in lowercase hex without leading zeros."""
        return format(self.serial, "x")

    @property
    def is_self_issued(self) -> bool:
        """Subject and issuer names are the same (RFC 5280 6.1)."""
        return self.subject_der == self.issuer_der

    @cached_property
    def public_key(self) -> PublicKey:
        """The subject public key (AlgorithmUnsupported for GOST-2004)."""
        from kabinet.pki.signature import load_public_key

        return load_public_key(self.spki_der)

    @cached_property
    def identity(self) -> Identity:
        """The NCA subscriber this certificate names.

        Raises:
            InputMalformed: the subject carries two different IINs or BINs.
        """
        return _identity(self)

    def to_pem(self) -> str:
        """The certificate in PEM armour."""
        body = base64.b64encode(self.der).decode("ascii")
        lines = "\n".join(textwrap.wrap(body, 64))
        return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        return self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"Certificate(subject={self.subject!r}, serial={self.serial_hex})"


def _parse(der: bytes) -> Certificate:
    parsed = x509.load_der_x509_certificate(der)
    # cryptography has checked the whole DER strictly; asn1crypto parses
    # lazily, so only the parts read below are decoded (a full decode would
    # double the load time for nothing).
    raw = asn1_x509.Certificate.load(der, strict=True)
    tbs = raw["tbs_certificate"]

    outer_algorithm = raw["signature_algorithm"]["algorithm"].dotted
    inner_algorithm = tbs["signature"]["algorithm"].dotted
    if outer_algorithm != inner_algorithm:
        # RFC 5280 4.1.1.2: the two must be identical, otherwise what was
        # signed does not say how it was signed.
        raise InputMalformed(
            f"signatureAlgorithm {outer_algorithm} differs from the "
            f"TBSCertificate signature field {inner_algorithm}"
        )

    spki = tbs["subject_public_key_info"]
    public_key_algorithm = spki["algorithm"]["algorithm"].dotted
    subject_attributes = _name_attributes(tbs["subject"])
    with warnings.catch_warnings():
        # cryptography warns when a name attribute exceeds 64 UTF-8 bytes,
        # but the X.520 bound (ub-common-name, RFC 5280 Appendix A) counts
        # characters: every NCA CA name in Kazakh Cyrillic crosses the byte
        # count and stays within the character count. Extensions embed such
        # names (authorityCertIssuer), so the warning would fire here.
        # Warning filters are process-wide in Python 3.11: another thread
        # parsing at the same moment may at worst see this one message
        # hidden or shown; nothing else depends on it.
        warnings.filterwarnings(
            "ignore", message="Attribute's length must be", category=UserWarning
        )
        extensions = _extensions(parsed, der)

    key_usage = _key_usage(extensions)
    basic_constraints = _extension(extensions, x509.BasicConstraints)
    ski = _extension(extensions, x509.SubjectKeyIdentifier)
    aki = _extension(extensions, x509.AuthorityKeyIdentifier)
    aia = _extension(extensions, x509.AuthorityInformationAccess)
    eku = _extension(extensions, x509.ExtendedKeyUsage)
    policies = _extension(extensions, x509.CertificatePolicies)
    san = _extension(extensions, x509.SubjectAlternativeName)

    return Certificate(
        der=der,
        sha256=hashlib.sha256(der).hexdigest(),
        serial=parsed.serial_number,
        subject=_rfc4514(tbs["subject"]),
        issuer=_rfc4514(tbs["issuer"]),
        subject_der=tbs["subject"].dump(),
        issuer_der=tbs["issuer"].dump(),
        subject_attributes=subject_attributes,
        not_before=parsed.not_valid_before_utc,
        not_after=parsed.not_valid_after_utc,
        tbs_der=parsed.tbs_certificate_bytes,
        signature_algorithm=outer_algorithm,
        signature_value=parsed.signature,
        spki_der=spki.dump(),
        public_key_algorithm=public_key_algorithm,
        algorithm=_algorithm_name(spki, public_key_algorithm),
        key_usage=key_usage,
        extended_key_usage=frozenset(o.dotted_string for o in eku or ()),
        is_ca=basic_constraints is not None and basic_constraints.ca,
        path_length=basic_constraints.path_length if basic_constraints else None,
        subject_key_id=ski.digest if ski else None,
        authority_key_id=aki.key_identifier if aki else None,
        ocsp_urls=_access_urls(aia, oids.ACCESS_OCSP),
        ca_issuer_urls=_access_urls(aia, oids.ACCESS_CA_ISSUERS),
        crl_urls=_distribution_urls(_extension(extensions, x509.CRLDistributionPoints)),
        delta_crl_urls=_distribution_urls(_extension(extensions, x509.FreshestCRL)),
        policies=tuple(p.policy_identifier.dotted_string for p in policies or ()),
        key_storages=_key_storages(extensions),
        email_addresses=tuple(san.get_values_for_type(x509.RFC822Name)) if san else (),
        unhandled_critical_extensions=tuple(
            e.oid.dotted_string
            for e in extensions
            if e.critical and e.oid.dotted_string not in _UNDERSTOOD_EXTENSIONS
        ),
    )


def _extensions(parsed: x509.Certificate, der: bytes) -> x509.Extensions:
    try:
        return parsed.extensions
    except ValueError as error:
        repaired = _with_nocheck_repaired(der)
        if repaired is None:
            raise InputMalformed(
                f"certificate extensions do not parse: {error}"
            ) from None
    # Only the extensions are read from the repaired copy; the signed bytes,
    # the signature and every other field come from the original.
    return x509.load_der_x509_certificate(repaired).extensions


def _with_nocheck_repaired(der: bytes) -> bytes | None:
    """The certificate with an empty id-pkix-ocsp-nocheck value made NULL.

    RFC 6960 4.2.2.2.1 gives the extension a NULL value; the NCA test OCSP
    responder certificates of 2019-2023 carry an empty OCTET STRING instead,
    which strict parsers refuse. The extension only tells a client not to
    check the responder's own status, which this package never relies on,
    so mending it changes nothing that is checked. Any other malformed
    extension stays a refusal (None).
    """
    raw = asn1_x509.Certificate.load(der)
    tbs = raw["tbs_certificate"]
    # Read the extensions without asn1crypto's per-OID value parsing, which
    # is what fails on the empty value.
    extensions = RawExtensions.load(tbs["extensions"].dump(), explicit=3)
    mended = []
    repaired = False
    for extension in extensions:
        oid = extension["extn_id"].dotted
        empty = extension["extn_value"].native == b""
        if oid == oids.OCSP_NO_CHECK and empty and not extension["critical"].native:
            extension = RawExtension(
                {"extn_id": oid, "critical": False, "extn_value": b"\x05\x00"}
            )
            repaired = True
        mended.append(extension)
    if not repaired:
        return None
    tbs["extensions"] = asn1_x509.Extensions.load(RawExtensions(mended).dump())
    repaired_der: bytes = raw.dump(force=True)
    return repaired_der


def _extension(extensions: x509.Extensions, kind: type[Any]) -> Any:
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _key_usage(extensions: x509.Extensions) -> frozenset[str]:
    value = _extension(extensions, x509.KeyUsage)
    if value is None:
        return frozenset()
    return frozenset(name for name in _KEY_USAGE_NAMES if getattr(value, name))


def _access_urls(
    aia: x509.AuthorityInformationAccess | None, method: str
) -> tuple[str, ...]:
    if aia is None:
        return ()
    urls = (
        d.access_location.value
        for d in aia
        if d.access_method.dotted_string == method
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    )
    # NCA certificates list the same OCSP URL twice; order is kept.
    return tuple(dict.fromkeys(urls))


def _distribution_urls(
    points: x509.CRLDistributionPoints | x509.FreshestCRL | None,
) -> tuple[str, ...]:
    if points is None:
        return ()
    urls = (
        name.value
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
    )
    return tuple(dict.fromkeys(urls))


def _key_storages(extensions: x509.Extensions) -> tuple[str, ...]:
    try:
        extension = extensions.get_extension_for_oid(
            x509.ObjectIdentifier(oids.KEY_STORAGE_EXTENSION)
        )
    except x509.ExtensionNotFound:
        return ()
    if not isinstance(extension.value, x509.UnrecognizedExtension):
        raise InputMalformed("key storage extension has an unexpected form")
    storages = parse_der(
        KeyStorages, extension.value.value, what="key storage extension"
    )
    return tuple(oid.dotted for oid in storages)


def _name_attributes(name: asn1_x509.Name) -> tuple[tuple[str, str], ...]:
    return tuple(
        (atv["type"].dotted, _attribute_text(atv["value"].native))
        for rdn in name.chosen
        for atv in rdn
    )


def _attribute_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return "#" + value.hex()
    return str(value)


def _rfc4514(name: asn1_x509.Name) -> str:
    """A readable RFC 4514 string: last RDN first, '+' inside an RDN."""
    rdns = []
    for rdn in name.chosen:
        parts = [
            f"{_NAME_LABELS.get(atv['type'].dotted, atv['type'].dotted)}="
            f"{_escape_rfc4514(_attribute_text(atv['value'].native))}"
            for atv in rdn
        ]
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns))


def _escape_rfc4514(value: str) -> str:
    # RFC 4514 2.4: these characters are escaped anywhere, '#' and space
    # at the start, space at the end.
    escaped = "".join(f"\\{c}" if c in ',+"\\<>;' else c for c in value)
    escaped = escaped.replace("\x00", "\\00")
    if escaped.startswith(("#", " ")):
        escaped = "\\" + escaped
    if escaped.endswith(" ") and not escaped.endswith("\\ "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def _algorithm_name(spki: Any, algorithm: str) -> str:
    if algorithm == oids.RSA_ENCRYPTION:
        modulus: int = spki["public_key"].parsed["modulus"].native
        return f"RSA {modulus.bit_length()}"
    return _ALGORITHM_NAMES.get(algorithm, f"unknown ({algorithm})")


_IIN: Final = re.compile(r"IIN([0-9]{12})")
_BIN: Final = re.compile(r"BIN([0-9]{12})")


def _identity(certificate: Certificate) -> Identity:
    attributes = certificate.subject_attributes
    serial_numbers = _values(attributes, oids.SERIAL_NUMBER)
    units = _values(attributes, oids.ORGANISATIONAL_UNIT)

    iin = _single("IIN", _matches(_IIN, serial_numbers))
    # Information-system certificates may carry the BIN as SERIALNUMBER
    # instead of OU (nca-pki.md 2.1, after NCANode's reading).
    bin_ = _single("BIN", _matches(_BIN, units + serial_numbers))

    eku = certificate.extended_key_usage
    subject_type = _subject_type(iin=iin, bin_=bin_, eku=eku)
    roles = (
        frozenset(role for oid, role in _EMPLOYEE_ROLES.items() if oid in eku)
        if subject_type is SubjectType.LEGAL_ENTITY
        else frozenset()
    )

    common_name = _first(attributes, oids.COMMON_NAME)
    surname = _first(attributes, oids.SURNAME)
    emails = _values(attributes, oids.EMAIL_ADDRESS) + certificate.email_addresses
    return Identity(
        subject_type=subject_type,
        iin=iin,
        bin=bin_,
        common_name=common_name,
        surname=surname,
        first_name=_first_name(common_name, surname),
        patronymic=_first(attributes, oids.GIVEN_NAME),
        organisation=_first(attributes, oids.ORGANISATION),
        email=emails[0] if emails else None,
        country=_first(attributes, oids.COUNTRY),
        employee_roles=roles,
        iin_checksum_valid=None if iin is None else check_digit_valid(iin),
        bin_checksum_valid=None if bin_ is None else check_digit_valid(bin_),
    )


def _subject_type(
    *, iin: str | None, bin_: str | None, eku: frozenset[str]
) -> SubjectType:
    system_arc = oids.ROLE_LEGAL_INFORMATION_SYSTEM
    is_system = (
        oids.ROLE_INDIVIDUAL_INFORMATION_SYSTEM in eku
        or system_arc in eku
        or any(oid.startswith(system_arc + ".") for oid in eku)
        or (bin_ is not None and iin is None)
    )
    if is_system:
        return SubjectType.INFORMATION_SYSTEM
    if bin_ is not None:
        return SubjectType.LEGAL_ENTITY
    return SubjectType.INDIVIDUAL


def _values(attributes: tuple[tuple[str, str], ...], oid: str) -> tuple[str, ...]:
    return tuple(value for kind, value in attributes if kind == oid)


def _first(attributes: tuple[tuple[str, str], ...], oid: str) -> str | None:
    values = _values(attributes, oid)
    if not values:
        return None
    return values[0].strip() or None


def _matches(pattern: re.Pattern[str], values: tuple[str, ...]) -> set[str]:
    found = set()
    for value in values:
        match = pattern.fullmatch(value.strip())
        if match:
            found.add(match.group(1))
    return found


def _single(label: str, found: set[str]) -> str | None:
    if len(found) > 1:
        # Two different numbers leave the subject ambiguous; a CA following
        # the profile never issues that, so nothing is guessed.
        raise InputMalformed(f"certificate subject carries several {label}s")
    return next(iter(found), None)


def _first_name(common_name: str | None, surname: str | None) -> str | None:
    # CN is "SURNAME NAME" (nca-pki.md 2.1); the first name is only there.
    if not common_name or not surname:
        return None
    if not common_name.startswith(surname + " "):
        return None
    return common_name[len(surname) :].strip() or None
