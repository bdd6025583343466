"""``kabinet pki``: look inside NCA certificates and signatures, verify them,
and install the pinned trust sets.

Commands::

    kabinet pki inspect FILE [--password PW] [--json]
    kabinet pki verify FILE [--content FILE] [--at ISO-8601]
        [--trust production|test|DIR] [--trust-home DIR]
        [--revocation off|ocsp|crl|ocsp-then-crl] [--crl FILE ...]
        [--crl-dir DIR] [--ocsp-url URL] [--json]
    kabinet pki trust update NAME [--trust-home DIR]
    kabinet pki trust import NAME DIR [--trust-home DIR]

``-v`` before the command prints the verifier's log (DEBUG and up) on
standard error.

``inspect`` recognises a certificate (PEM, bare base64 or DER), a PKCS#12 key
store (``--password`` is required; the file is never opened without it), a
CMS and a signed XML document. For a container it checks the container's own
cryptography (not the path, time or revocation) and describes the signer.

``verify`` checks a CMS or a signed XML document completely: container,
path to the trust set at ``--at`` (default: now), key usage and revocation.
``--at`` must carry a time zone (``2026-05-18T12:00:00Z``). ``--trust`` is
"production" (default) or "test", read from the trust home, or a folder of
CA certificates. The trust home is ``--trust-home``, else
``$KABINET_TRUST_HOME``, else ``./var/trust``. ``--crl`` adds CRL files
(full or delta) to the revocation check; ``--crl-dir`` points the checker
at an offline mirror of CRLs; ``--ocsp-url`` overrides the OCSP responder
named in the certificate.

``trust update`` downloads a named trust set from the NCA URLs and keeps
only certificates whose SHA-256 is pinned; ``trust import`` does the same
from a local folder.

Exit status:
    0  inspect: described; verify: valid; trust: written.
    1  verify: not valid; inspect: the input was read but refused (wrong
       PKCS#12 password, unsupported algorithm, bad container signature);
       trust: pin mismatch or download failure.
    2  bad usage or unreadable input (missing or oversized file, malformed
       data, ``--at`` without a zone, trust set not installed).

JSON output (``--json``). Field names are stable; absent values are null,
never left out. Times are ISO 8601 in UTC with a ``Z`` suffix; serial
numbers are lowercase hex; ``sha256`` is the lowercase hex fingerprint of
the certificate DER.

Certificate object (``CERT`` below)::

    {
      "subject": str,             # RFC 4514
      "iin": str | null,          # 12 digits, without the "IIN" prefix
      "bin": str | null,          # 12 digits, without the "BIN" prefix
      "common_name": str | null,
      "surname": str | null,
      "first_name": str | null,
      "patronymic": str | null,
      "organisation": str | null,
      "email": str | null,
      "country": str | null,
      "subject_type": "individual" | "legal_entity" | "information_system",
      "employee_roles": [str],    # sorted: "employee", "financial_signer",
                                  # "first_head", "hr", "signer"
      "serial": str,
      "issuer": str,              # RFC 4514
      "not_before": str,
      "not_after": str,
      "algorithm": str,           # "GOST R 34.10-2015 512", "RSA 2048", ...
      "sha256": str
    }

``inspect`` adds to it (``CERT+``)::

      "key_usage": [str],         # sorted names: "digital_signature", ...
      "extended_key_usage": [str],  # sorted dotted OIDs
      "key_storages": [str],      # dotted OIDs under 1.2.398.3.3.5
      "ocsp_urls": [str], "crl_urls": [str], "delta_crl_urls": [str],
      "is_ca": bool

Content object (``CONTENT``)::

    {"text": str | null,          # the bytes as UTF-8 when printable
     "base64": str,               # always present
     "length": int,               # bytes
     "sha256": str}

``verify``::

    {
      "valid": bool,
      "error": {"code": str, "message": str} | null,
      "signer": CERT | null,
      "signing_time": str | null,   # CMS signingTime; null for XML
      "content": CONTENT | null,    # CMS content or the canonical XML
                                    # document without its signature
      "revocation": "ocsp" | "crl" | "cache" | "off" | null,
      "chain": [str]                # subjects, signer first, anchor last
    }

When ``valid`` is false, ``error`` is set and the other fields are null
(``chain`` is empty): nothing about an unverified signature is reported
as if it were established.

``inspect``::

    {"kind": "certificate", "certificate": CERT+}
    {"kind": "pkcs12", "certificate": CERT+, "chain": [str]}
    {"kind": "cms", "certificate": CERT+, "signing_time": str | null,
     "attached": bool, "digest_algorithm": str,
     "signature_algorithm": str, "content": CONTENT}
    {"kind": "xml", "certificate": CERT+, "signature_algorithm": str,
     "content": CONTENT}

``certificate`` is the signer's for a container; ``chain`` lists the
subjects of the other certificates in a PKCS#12 file. When ``inspect``
refuses its input, it prints ``{"kind": str | null, "error": {"code": str,
"message": str}}``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kabinet.pki import cms, oids, xmldsig
from kabinet.pki.asn1 import (
    MAX_CRL_BYTES,
    MAX_PKCS12_BYTES,
    MAX_SIGNED_DOCUMENT_BYTES,
    decode_armor,
)
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    InputMalformed,
    InputTooLarge,
    PkiError,
)
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.crl import read_issuer
from kabinet.pki.revocation.fetchers import HttpFetcher
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.trust import (
    TRUST_SETS,
    TrustStore,
    import_trust_set,
    load_trust,
    update_trust_set,
)
from kabinet.pki.verifier import VerifiedSignature, Verifier

logger = logging.getLogger(__name__)

DEFAULT_TRUST_HOME = Path("var") / "trust"
TRUST_HOME_VARIABLE = "KABINET_TRUST_HOME"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

# Readable names for display only; decisions use the OIDs themselves.
# nca-pki.md 2.2 and 2.3 (root.gov.kz/oid).
_EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    oids.EKU_CLIENT_AUTH: "clientAuth",
    oids.EKU_EMAIL_PROTECTION: "emailProtection",
    oids.EKU_TIME_STAMPING: "timeStamping",
    oids.EKU_OCSP_SIGNING: "OCSPSigning",
    oids.ROLE_INDIVIDUAL: "individual",
    oids.ROLE_INDIVIDUAL_INFORMATION_SYSTEM: "information system of an individual",
    oids.ROLE_LEGAL_ENTITY: "legal entity",
    oids.ROLE_FIRST_HEAD: "first head",
    oids.ROLE_SIGNER: "person with signing right",
    oids.ROLE_FINANCIAL_SIGNER: "financial signer",
    oids.ROLE_HR: "HR",
    oids.ROLE_EMPLOYEE: "employee",
    oids.ROLE_LEGAL_INFORMATION_SYSTEM: "information system",
    oids.IDENTIFIED_AT_PUBLIC_SERVICE_CENTRE: "identified at a public service centre",
    oids.IDENTIFIED_REMOTELY: "identified remotely",
    oids.IDENTIFIED_BY_DIGITAL_ID: "identified remotely via Digital ID",
    oids.IDENTIFIED_BY_AI_PLATFORM: "identified remotely via AI Platform",
    oids.ROLE_TREASURY_CLIENT: "treasury (IS K2) client",
}
_KEY_STORAGE_NAMES = {
    oids.KEY_STORAGE_PKCS12: "PKCS#12 file",
    oids.KEY_STORAGE_JKS: "JKS file",
    oids.KEY_STORAGE_ID_CARD: "ID card",
    oids.KEY_STORAGE_KAZTOKEN: "Kaztoken",
    oids.KEY_STORAGE_ETOKEN_JAVA: "eToken Java",
    oids.KEY_STORAGE_ETOKEN_5110: "eToken 5110",
    oids.KEY_STORAGE_JACARTA: "JaCarta",
    oids.KEY_STORAGE_AKEY: "aKey",
    oids.KEY_STORAGE_SIM: "SIM card",
    oids.KEY_STORAGE_CLOUD: "Certex Cloud",
}


_ALGORITHM_NAMES = {
    oids.SHA256: "SHA-256",
    oids.STREEBOG_256: "GOST R 34.11-2015 256 (Streebog)",
    oids.STREEBOG_512: "GOST R 34.11-2015 512 (Streebog)",
    oids.GOST34311_DIGEST: "GOST 34.311-95",
    oids.RSA_ENCRYPTION: "RSA",
    oids.SHA256_WITH_RSA: "sha256WithRSAEncryption",
    oids.GOST2015_256_SIGNATURE: "GOST R 34.10-2015 256",
    oids.GOST2015_512_SIGNATURE: "GOST R 34.10-2015 512",
    oids.GOST2015_256_KEY: "GOST R 34.10-2015 256 (key OID)",
    oids.GOST2015_512_KEY: "GOST R 34.10-2015 512 (key OID)",
    oids.GOST2004_SIGNATURE: "GOST 34.310-2004",
}


class UsageError(Exception):
    """Raised inside a command for bad usage or input that cannot be read."""


def main(argv: list[str]) -> int:
    """Run ``kabinet pki`` with ``argv`` (the words after ``pki``).

    Returns:
        The exit status: 0, 1 or 2 (see the module docstring).
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        # argparse exits by itself on --help (0) and on bad usage (2).
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    command: Callable[[argparse.Namespace], int] = args.command
    with _logging(verbose=args.verbose):
        try:
            return command(args)
        except UsageError as problem:
            print(f"kabinet pki: {problem}", file=sys.stderr)
            return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kabinet pki",
        description="Inspect and verify NCA RK certificates and signatures.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the log on stderr"
    )
    commands = parser.add_subparsers(metavar="COMMAND", required=True)

    inspect = commands.add_parser(
        "inspect", help="describe a certificate, PKCS#12, CMS or signed XML"
    )
    inspect.add_argument("file", type=Path, metavar="FILE")
    inspect.add_argument("--password", help="PKCS#12 password")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(command=_inspect)

    verify = commands.add_parser("verify", help="verify a CMS or signed XML")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument(
        "--content", type=Path, metavar="FILE", help="content of a detached CMS"
    )
    verify.add_argument(
        "--at", metavar="ISO-8601", help="validation time with a zone (default: now)"
    )
    verify.add_argument(
        "--trust",
        default="production",
        metavar="production|test|DIR",
        help="trust set name or folder of CA certificates (default: production)",
    )
    verify.add_argument(
        "--revocation",
        default=RevocationPolicy.OCSP_THEN_CRL.value,
        choices=[policy.value for policy in RevocationPolicy],
        help="how to check revocation (default: ocsp-then-crl)",
    )
    verify.add_argument(
        "--crl",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a CRL or delta CRL file to use (repeatable)",
    )
    verify.add_argument(
        "--crl-dir", type=Path, metavar="DIR", help="offline mirror of CRL files"
    )
    verify.add_argument(
        "--ocsp-url", metavar="URL", help="OCSP responder instead of the certificate's"
    )
    _add_trust_home(verify)
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.set_defaults(command=_verify)

    trust = commands.add_parser("trust", help="install a pinned trust set")
    trust_commands = trust.add_subparsers(metavar="ACTION", required=True)
    update = trust_commands.add_parser(
        "update", help="download a trust set and keep the pinned certificates"
    )
    update.add_argument("name", choices=sorted(TRUST_SETS), metavar="NAME")
    _add_trust_home(update)
    update.set_defaults(command=_trust_update)
    imported = trust_commands.add_parser(
        "import", help="install a trust set from a folder of certificates"
    )
    imported.add_argument("name", choices=sorted(TRUST_SETS), metavar="NAME")
    imported.add_argument("source", type=Path, metavar="DIR")
    _add_trust_home(imported)
    imported.set_defaults(command=_trust_import)
    return parser


def _add_trust_home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-home",
        type=Path,
        metavar="DIR",
        help=f"where trust sets live (default: ${TRUST_HOME_VARIABLE} or ./var/trust)",
    )


@contextmanager
def _logging(*, verbose: bool) -> Iterator[None]:
    """Route the package's log to stderr for ``-v``, for one command only.

    Without ``-v`` the command prints the outcome itself; a NullHandler
    keeps Python's last-resort handler from printing each WARNING again.
    Whatever is added is taken away afterwards, so calling main() leaves
    the logging of the calling process as it was.
    """
    package_logger = logging.getLogger("kabinet")
    previous_level = package_logger.level
    handler: logging.Handler
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        package_logger.setLevel(logging.DEBUG)
    else:
        handler = logging.NullHandler()
    package_logger.addHandler(handler)
    try:
        yield
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)


# ---------------------------------------------------------------- inspect


def _inspect(args: argparse.Namespace) -> int:
    data = _read_file(args.file, max_bytes=MAX_SIGNED_DOCUMENT_BYTES)
    kind: str | None = None
    try:
        kind = detect_kind(data)
        if kind == "pkcs12" and args.password is None:
            raise UsageError(f"{args.file} is a PKCS#12 key store; give its --password")
        report = _describe(kind, data, password=args.password)
    except PkiError as error:
        _print_inspect_error(kind, error, as_json=args.json)
        return EXIT_USAGE if isinstance(error, InputMalformed) else EXIT_REFUSED

    if args.json:
        _print_json(report)
    else:
        _print_inspect_text(report)
    return EXIT_OK


def detect_kind(data: bytes) -> str:
    """Tell what a file holds: "certificate", "pkcs12", "cms" or "xml".

    Raises:
        InputMalformed: none of these.
    """
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith(b"-----BEGIN "):
        label = text[len(b"-----BEGIN ") : text.find(b"-----", 11)]
        if label in (b"CERTIFICATE", b"X509 CERTIFICATE"):
            return "certificate"
        if label in (b"CMS", b"PKCS7", b"PKCS #7 SIGNED DATA"):
            return "cms"
        if label == b"PKCS12":
            return "pkcs12"
        raise InputMalformed(f"unknown PEM label {label.decode('ascii', 'replace')}")
    return _der_kind(_der_or_base64(data))


def _der_or_base64(data: bytes) -> bytes:
    if data[:1] == b"\x30":
        return data
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InputMalformed("neither DER, PEM, base64 nor XML") from None


def _der_kind(der: bytes) -> str:
    """Tell the structure by the first field inside the outer SEQUENCE.

    PFX starts with the version INTEGER (RFC 7292 4), ContentInfo with the
    content type OID (RFC 5652 3), Certificate with tbsCertificate, a
    SEQUENCE (RFC 5280 4.1).
    """
    if len(der) < 4 or der[0] != 0x30:
        raise InputMalformed("not a DER SEQUENCE")
    first_length = der[1]
    offset = 2 if first_length < 0x80 else 2 + (first_length & 0x7F)
    if offset >= len(der):
        raise InputMalformed("DER SEQUENCE is truncated")
    inner_tag = der[offset]
    if inner_tag == 0x02:
        return "pkcs12"
    if inner_tag == 0x06:
        return "cms"
    if inner_tag == 0x30:
        return "certificate"
    raise InputMalformed(f"unknown DER structure (inner tag 0x{inner_tag:02x})")


def _describe(kind: str, data: bytes, *, password: str | None) -> dict[str, Any]:
    if kind == "certificate":
        certificate = Certificate.load(data)
        return {"kind": kind, "certificate": certificate_details(certificate)}
    if kind == "pkcs12":
        assert password is not None
        store = load_pkcs12(
            decode_armor(data, labels=("PKCS12",), max_bytes=MAX_PKCS12_BYTES),
            password,
        )
        return {
            "kind": kind,
            "certificate": certificate_details(store.certificate),
            "chain": [other.subject for other in store.chain],
        }
    if kind == "cms":
        signature = cms.verify_cms(data)
        return {
            "kind": kind,
            "certificate": certificate_details(signature.signer),
            "signing_time": _iso(signature.signing_time),
            "attached": signature.attached,
            "digest_algorithm": signature.digest_algorithm,
            "signature_algorithm": signature.signature_algorithm,
            "content": content_fields(signature.content),
        }
    xml = xmldsig.verify_xml(data)
    return {
        "kind": kind,
        "certificate": certificate_details(xml.signer),
        "signature_algorithm": xml.signature_algorithm,
        "content": content_fields(xml.document),
    }


# ----------------------------------------------------------------- verify


def _verify(args: argparse.Namespace) -> int:
    at = parse_at(args.at)
    trust = _load_trust(args.trust, trust_home=_trust_home(args.trust_home))
    data = _read_file(args.file, max_bytes=MAX_SIGNED_DOCUMENT_BYTES)
    detached_content = None
    if args.content is not None:
        detached_content = _read_file(args.content, max_bytes=MAX_SIGNED_DOCUMENT_BYTES)
    is_xml = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    if is_xml and detached_content is not None:
        raise UsageError("--content is for a detached CMS, not for signed XML")

    policy = RevocationPolicy(args.revocation)
    if policy is RevocationPolicy.OFF:
        logger.warning("Revocation checking is off for this verification")
    if args.crl_dir is not None and not args.crl_dir.is_dir():
        raise UsageError(f"--crl-dir {args.crl_dir} is not a folder")
    try:
        settings = RevocationSettings(
            policy=policy, ocsp_url=args.ocsp_url, crl_dir=args.crl_dir
        )
    except ValueError as problem:
        # The policy comes from argparse's choices; only the URL can be bad.
        raise UsageError(f"--ocsp-url: {problem}") from None
    checker = RevocationChecker(settings, fetcher=HttpFetcher())
    for crl_path in args.crl:
        _add_crl(checker, crl_path, trust=trust, at=at)
    verifier = Verifier(trust=trust, revocation=checker)

    try:
        if is_xml:
            result = verifier.verify_xml(data, at=at)
        else:
            result = verifier.verify_cms(data, at=at, detached_content=detached_content)
    except PkiError as error:
        _print_verify(verify_report(None, error), as_json=args.json)
        return EXIT_USAGE if isinstance(error, InputMalformed) else EXIT_REFUSED

    _print_verify(verify_report(result, None), as_json=args.json)
    return EXIT_OK


def parse_at(value: str | None) -> datetime:
    """The validation time from ``--at``; now when it is not given.

    Raises:
        UsageError: not ISO 8601, or no time zone.
    """
    if value is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--at {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise UsageError(
            f"--at {value!r} has no time zone; write it as {value}Z or with +05:00"
        )
    return at.astimezone(UTC)


def _trust_home(value: Path | None) -> Path:
    if value is not None:
        return value
    from_environment = os.environ.get(TRUST_HOME_VARIABLE)
    if from_environment:
        return Path(from_environment)
    return DEFAULT_TRUST_HOME


def _load_trust(spec: str, *, trust_home: Path) -> TrustStore:
    if spec in TRUST_SETS:
        installed = trust_home / spec
        if not installed.is_dir() or not any(installed.iterdir()):
            raise UsageError(
                f"the {spec} trust set is not installed in {installed}. "
                f"Install it with\n"
                f"  kabinet pki trust update {spec} --trust-home {trust_home}\n"
                f"(downloads the NCA certificates and keeps the pinned ones), or "
                f"offline from a folder of certificates with\n"
                f"  kabinet pki trust import {spec} DIR --trust-home {trust_home}"
            )
    elif not Path(spec).is_dir():
        raise UsageError(
            f"--trust {spec!r} is neither "
            f"{' nor '.join(sorted(TRUST_SETS))} nor a folder"
        )
    try:
        return load_trust(spec, trust_home=trust_home)
    except PkiError as error:
        raise UsageError(
            f"cannot load trust set {spec}: {error.code}: {error.message}"
        ) from None


def _add_crl(
    checker: RevocationChecker, path: Path, *, trust: TrustStore, at: datetime
) -> None:
    """Give the checker a CRL file, verified with the trusted CA that issued it.

    Raises:
        UsageError: the file is unreadable, or no trusted CA issued it, or
            its signature or freshness does not hold at ``at``.
    """
    raw = _read_file(path, max_bytes=MAX_CRL_BYTES)
    try:
        der = decode_armor(raw, labels=("X509 CRL",), max_bytes=MAX_CRL_BYTES)
        issuer_name = read_issuer(der)
    except PkiError as error:
        raise UsageError(f"CRL {path}: {error.code}: {error.message}") from None
    candidates = [
        certificate
        for certificate in (*trust.roots, *trust.intermediates)
        if certificate.subject_der == issuer_name
    ]
    if not candidates:
        raise UsageError(f"CRL {path} was not issued by a CA of the trust set")
    failure: PkiError | None = None
    for issuer in candidates:
        try:
            checker.add_crl(der, issuer=issuer, at=at)
        except PkiError as error:
            failure = error
            continue
        return
    assert failure is not None
    raise UsageError(f"CRL {path} refused: {failure.code}: {failure.message}")


def verify_report(
    result: VerifiedSignature | None, error: PkiError | None
) -> dict[str, Any]:
    """The ``verify`` JSON object (schema in the module docstring)."""
    if result is None:
        assert error is not None
        return {
            "valid": False,
            "error": {"code": error.code, "message": error.message},
            "signer": None,
            "signing_time": None,
            "content": None,
            "revocation": None,
            "chain": [],
        }
    return {
        "valid": True,
        "error": None,
        "signer": certificate_fields(result.signer),
        "signing_time": _iso(result.signing_time),
        "content": content_fields(result.content),
        "revocation": result.revocation,
        "chain": [certificate.subject for certificate in result.chain],
    }


# ------------------------------------------------------------------ trust


def _trust_update(args: argparse.Namespace) -> int:
    trust_home = _trust_home(args.trust_home)
    try:
        written = update_trust_set(args.name, trust_home, fetcher=HttpFetcher())
    except PkiError as error:
        print(f"trust set {args.name} not updated: {error.code}: {error.message}")
        return EXIT_REFUSED
    _print_written(args.name, written)
    return EXIT_OK


def _trust_import(args: argparse.Namespace) -> int:
    if not args.source.is_dir():
        raise UsageError(f"{args.source} is not a folder")
    trust_home = _trust_home(args.trust_home)
    try:
        written = import_trust_set(args.name, args.source, trust_home)
    except PkiError as error:
        print(f"trust set {args.name} not imported: {error.code}: {error.message}")
        return EXIT_REFUSED
    _print_written(args.name, written)
    return EXIT_OK


def _print_written(name: str, written: Sequence[Path] | None) -> None:
    paths = list(written or [])
    print(f"trust set {name}: {len(paths)} certificate(s) written")
    for path in paths:
        print(f"  {path}")


# ------------------------------------------------------------ describing


def certificate_fields(certificate: Certificate) -> dict[str, Any]:
    """The certificate object of the JSON schema (``CERT``)."""
    identity = certificate.identity
    return {
        "subject": certificate.subject,
        "iin": identity.iin,
        "bin": identity.bin,
        "common_name": identity.common_name,
        "surname": identity.surname,
        "first_name": identity.first_name,
        "patronymic": identity.patronymic,
        "organisation": identity.organisation,
        "email": identity.email,
        "country": identity.country,
        "subject_type": identity.subject_type.value,
        "employee_roles": sorted(role.value for role in identity.employee_roles),
        "serial": certificate.serial_hex,
        "issuer": certificate.issuer,
        "not_before": _iso(certificate.not_before),
        "not_after": _iso(certificate.not_after),
        "algorithm": certificate.algorithm,
        "sha256": certificate.sha256,
    }


def certificate_details(certificate: Certificate) -> dict[str, Any]:
    """The certificate object of ``inspect`` (``CERT+``)."""
    return {
        **certificate_fields(certificate),
        "key_usage": sorted(certificate.key_usage),
        "extended_key_usage": sorted(certificate.extended_key_usage),
        "key_storages": list(certificate.key_storages),
        "ocsp_urls": list(certificate.ocsp_urls),
        "crl_urls": list(certificate.crl_urls),
        "delta_crl_urls": list(certificate.delta_crl_urls),
        "is_ca": certificate.is_ca,
    }


def content_fields(content: bytes) -> dict[str, Any]:
    """The content object: text when it is printable UTF-8, always base64."""
    return {
        "text": _printable_text(content),
        "base64": base64.b64encode(content).decode("ascii"),
        "length": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def _printable_text(content: bytes) -> str | None:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if all(char.isprintable() or char in "\t\r\n" for char in text):
        return text
    return None


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------- printing


@dataclass(frozen=True)
class _Line:
    label: str
    value: str


_IDENTITY_LABELS = (
    ("subject_type", "Subject type"),
    ("iin", "IIN"),
    ("bin", "BIN"),
    ("common_name", "Name (CN)"),
    ("surname", "Surname"),
    ("first_name", "First name"),
    ("patronymic", "Patronymic"),
    ("organisation", "Organisation"),
    ("email", "E-mail"),
    ("country", "Country"),
)


def _certificate_lines(fields: dict[str, Any]) -> list[_Line]:
    lines = [_Line("Subject", fields["subject"])]
    for key, label in _IDENTITY_LABELS:
        if fields[key] is not None:
            lines.append(_Line(label, str(fields[key])))
    if fields["employee_roles"]:
        lines.append(_Line("Employee roles", ", ".join(fields["employee_roles"])))
    lines += [
        _Line("Serial", fields["serial"]),
        _Line("Issuer", fields["issuer"]),
        _Line("Valid", f"{fields['not_before']} to {fields['not_after']}"),
        _Line("Algorithm", fields["algorithm"]),
        _Line("SHA-256", fields["sha256"]),
    ]
    if "key_usage" not in fields:
        return lines
    lines.append(_Line("Key usage", ", ".join(fields["key_usage"]) or "none"))
    usages = [
        f"{_EKU_NAMES[oid]} ({oid})" if oid in _EKU_NAMES else oid
        for oid in fields["extended_key_usage"]
    ]
    lines.append(_Line("Extended key usage", ", ".join(usages) or "none"))
    storages = [_KEY_STORAGE_NAMES.get(oid, oid) for oid in fields["key_storages"]]
    lines.append(_Line("Key storage", ", ".join(storages) or "not stated"))
    lines.append(_Line("CA", "yes" if fields["is_ca"] else "no"))
    for key, label in (
        ("ocsp_urls", "OCSP"),
        ("crl_urls", "CRL"),
        ("delta_crl_urls", "Delta CRL"),
    ):
        for url in fields[key]:
            lines.append(_Line(label, url))
    return lines


def _print_lines(lines: Sequence[_Line], *, indent: str = "") -> None:
    width = max(len(line.label) for line in lines)
    for line in lines:
        print(f"{indent}{line.label + ':':<{width + 1}} {line.value}")


def _print_content(content: dict[str, Any]) -> None:
    if content["text"] is not None:
        print(f"Content ({content['length']} bytes, text):")
        print(content["text"])
    else:
        print(f"Content ({content['length']} bytes, base64):")
        print(content["base64"])


def _print_inspect_text(report: dict[str, Any]) -> None:
    kind = report["kind"]
    titles = {
        "certificate": "Certificate",
        "pkcs12": "PKCS#12 key store; its certificate",
        "cms": "CMS signature; the signer",
        "xml": "Signed XML; the signer",
    }
    print(titles[kind])
    _print_lines(_certificate_lines(report["certificate"]), indent="  ")
    if kind == "pkcs12":
        for subject in report["chain"]:
            print(f"  Also in the file: {subject}")
    if kind == "cms":
        print(f"Signing time: {report['signing_time'] or 'not stated'}")
        print(f"Content: {'attached' if report['attached'] else 'detached'}")
        print(f"Digest algorithm: {_algorithm_name(report['digest_algorithm'])}")
    if kind in ("cms", "xml"):
        algorithm = _algorithm_name(report["signature_algorithm"])
        print(f"Signature algorithm: {algorithm}")
        _print_content(report["content"])


def _algorithm_name(identifier: str) -> str:
    name = _ALGORITHM_NAMES.get(identifier)
    return f"{name} ({identifier})" if name else identifier


def _print_inspect_error(kind: str | None, error: PkiError, *, as_json: bool) -> None:
    if as_json:
        _print_json(
            {"kind": kind, "error": {"code": error.code, "message": error.message}}
        )
        return
    print(f"Refused: {error.code}: {error.message}")


def _print_verify(report: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        _print_json(report)
        return
    if not report["valid"]:
        print("Signature: NOT valid")
        print(f"Error: {report['error']['code']}: {report['error']['message']}")
        return
    print("Signature: valid")
    print("Signer:")
    _print_lines(_certificate_lines(report["signer"]), indent="  ")
    print(f"Signing time: {report['signing_time'] or 'not stated'}")
    print(f"Revocation checked by: {report['revocation']}")
    print("Path:")
    for subject in report["chain"]:
        print(f"  {subject}")
    _print_content(report["content"])


def _print_json(report: dict[str, Any]) -> None:
    print(json.dumps(report, ensure_ascii=False, indent=2))


# ---------------------------------------------------------------- reading


def _read_file(path: Path, *, max_bytes: int) -> bytes:
    """Read an input file, refusing an oversized one before reading it.

    Raises:
        UsageError: the file cannot be read or is larger than ``max_bytes``.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputTooLarge(f"{size} bytes; the limit is {max_bytes}")
        with path.open("rb") as stream:
            # Read one byte more than allowed: a file growing under us is
            # still refused.
            data = stream.read(max_bytes + 1)
    except InputTooLarge as error:
        raise UsageError(f"{path}: {error.code}: {error.message}") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > max_bytes:
        raise UsageError(f"{path}: input_too_large: more than {max_bytes} bytes")
    if not data:
        raise UsageError(f"{path} is empty")
    return data
