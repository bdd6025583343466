"""The keys an NCALayer emulator holds, and the filters of its key dialog.

NCALayer shows every key of the chosen storage and disables those that do
not match what the page asked for (``signerParams``, ``allowedStorages``,
the validity period unless ``allowExpired``). The functions here answer
"could the user pick this key?" and, when not, say why in a sentence a
developer understands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import Pkcs12PasswordWrong
from kabinet.pki.pkcs12 import KeyStore, load_pkcs12

logger = logging.getLogger(__name__)

# Refuse absurd files before reading them whole; NCA's p12 files are a few
# kilobytes (asn1.MAX_PKCS12_BYTES is the same bound).
MAX_KEY_FILE_BYTES = 256 * 1024

# Subject key identifiers of the current production NCA issuing CAs
# (pki.gov.kz/cert/nca_gost_2022.cer and nca_rsa_2022.cer). NCALayer lets a
# user pick only keys of these CAs when a page passes no ``chain``.
PRODUCTION_ISSUER_KEY_IDS = frozenset(
    {
        bytes.fromhex("fe30be9fc890633f1fff5a3c0cb0c85f4c6d1708"),
        bytes.fromhex("dcae24d749b26480d2de37233c3ea4515db55ac7"),
    }
)

# The storage name NCALayer uses for key files (nca-pki.md 3.2).
FILE_STORAGE = "PKCS12"


class KeyFileError(Exception):
    """Raised when a key file cannot be opened; the message names the file."""


@dataclass(frozen=True)
class KeyFile:
    """A PKCS#12 file and its password, as a developer passes it in."""

    path: Path
    password: str = field(repr=False)
    name: str | None = None


@dataclass(frozen=True)
class LoadedKey:
    """An opened key: the name shown in the dialog and the key store."""

    name: str
    store: KeyStore
    path: Path | None = None

    @property
    def certificate(self) -> Certificate:
        return self.store.certificate

    def describe(self) -> dict[str, object]:
        """What the control page and the JSON endpoint show about the key."""
        certificate = self.store.certificate
        identity = certificate.identity
        return {
            "name": self.name,
            "subject": certificate.subject,
            "issuer": certificate.issuer,
            "common_name": identity.common_name,
            "iin": identity.iin,
            "bin": identity.bin,
            "organisation": identity.organisation,
            "subject_type": identity.subject_type.value,
            "algorithm": certificate.algorithm,
            "serial": certificate.serial_hex,
            "not_before": certificate.not_before.isoformat(),
            "not_after": certificate.not_after.isoformat(),
            "key_usage": sorted(certificate.key_usage),
            "extended_key_usage": sorted(certificate.extended_key_usage),
            "path": str(self.path) if self.path is not None else None,
        }


def load_key(key_file: KeyFile) -> LoadedKey:
    """Open one PKCS#12 file.

    Raises:
        KeyFileError: the file is missing, too large, not a PKCS#12 file,
            or the password is wrong.
    """
    path = Path(key_file.path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    if size > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"key file {path} is {size} bytes, larger than a PKCS#12")
    try:
        store = load_pkcs12(path.read_bytes(), key_file.password)
    except Pkcs12PasswordWrong as exc:
        raise KeyFileError(f"wrong password for key file {path}") from exc
    except Exception as exc:
        raise KeyFileError(f"cannot open key file {path}: {exc}") from exc
    name = key_file.name or path.stem
    logger.info("loaded key %s (%s) from %s", name, store.certificate.subject, path)
    return LoadedKey(name=name, store=store, path=path)


def load_keys(keys: Iterable[KeyFile | LoadedKey]) -> tuple[LoadedKey, ...]:
    """Open every key; names must be unique.

    Raises:
        KeyFileError: a file cannot be opened.
        ValueError: no keys, or two keys with one name.
    """
    loaded: list[LoadedKey] = []
    for item in keys:
        loaded.append(item if isinstance(item, LoadedKey) else load_key(item))
    if not loaded:
        raise ValueError("an NCALayer emulator needs at least one key")
    names = [key.name for key in loaded]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"key names must be unique: {', '.join(duplicates)}")
    return tuple(loaded)


def key_files_in(directory: Path, password: str) -> list[KeyFile]:
    """Every ``*.p12`` file of a folder (sorted by name), with one password."""
    if not directory.is_dir():
        raise KeyFileError(f"{directory} is not a folder")
    files = sorted(directory.glob("*.p12"))
    if not files:
        raise KeyFileError(f"no .p12 files in {directory}")
    return [KeyFile(path=path, password=password) for path in files]


@dataclass(frozen=True)
class KeyRequirements:
    """What a page asked the dialog for, read from one request."""

    allowed_storages: tuple[str, ...] | None = None
    extended_key_usages: tuple[str, ...] = ()
    iin: str | None = None
    bin: str | None = None
    serial_number: str | None = None
    # None: the page passed no chain, only production NCA keys qualify;
    # (): no chain check; otherwise the CA certificates the page allows.
    chain: tuple[Certificate, ...] | None = ()
    allow_expired: bool = True
    key_type: str | None = None


def requirements_from_basics(args: Mapping[str, object]) -> KeyRequirements:
    """Read ``allowedStorages``, ``signerParams`` and ``allowExpired``.

    Raises:
        ValueError: a parameter has the wrong JSON type.
    """
    signer_params = args.get("signerParams")
    if signer_params is None:
        signer_params = {}
    if not isinstance(signer_params, Mapping):
        raise ValueError("signerParams must be an object")
    signing_params = args.get("signingParams") or {}
    if not isinstance(signing_params, Mapping):
        raise ValueError("signingParams must be an object")

    storages = args.get("allowedStorages")
    allowed_storages = (
        None if storages is None else _strings(storages, "allowedStorages")
    )

    ekus = signer_params.get("extKeyUsageOids")
    extended_key_usages = () if ekus is None else _strings(ekus, "extKeyUsageOids")

    chain_value = signer_params.get("chain")
    chain: tuple[Certificate, ...] | None
    if chain_value is None:
        chain = None
    else:
        chain = tuple(
            Certificate.load(pem.encode("ascii"))
            for pem in _strings(chain_value, "signerParams.chain")
        )

    return KeyRequirements(
        allowed_storages=allowed_storages,
        extended_key_usages=extended_key_usages,
        iin=_optional_string(signer_params.get("iin"), "signerParams.iin"),
        bin=_optional_string(signer_params.get("bin"), "signerParams.bin"),
        serial_number=_optional_string(
            signer_params.get("serialNumber"), "signerParams.serialNumber"
        ),
        chain=chain,
        allow_expired=signing_params.get("allowExpired") is True,
    )


def requirements_from_key_type(storage: object, key_type: object) -> KeyRequirements:
    """The old commonUtils calls filter only by storage and key type."""
    storages = (storage,) if isinstance(storage, str) else ()
    return KeyRequirements(
        allowed_storages=storages,
        key_type=key_type if isinstance(key_type, str) else None,
    )


def refusal_reason(
    key: LoadedKey, requirements: KeyRequirements, *, now: datetime
) -> str | None:
    """Why the dialog would show this key disabled, or None if it is usable."""
    certificate = key.certificate

    storages = requirements.allowed_storages
    if storages is not None and FILE_STORAGE not in storages:
        return f"the page allows only the storages {list(storages)}, not key files"

    missing = [
        oid
        for oid in requirements.extended_key_usages
        if oid not in certificate.extended_key_usage
    ]
    if missing:
        return f"the certificate lacks the extended key usages {missing}"

    identity = certificate.identity
    if requirements.iin and identity.iin != requirements.iin:
        return f"the page asks for IIN {requirements.iin}, the key has {identity.iin}"
    if requirements.bin and identity.bin != requirements.bin:
        return f"the page asks for BIN {requirements.bin}, the key has {identity.bin}"
    if requirements.serial_number and not _same_serial(
        requirements.serial_number, certificate.serial
    ):
        return f"the page asks for certificate serial {requirements.serial_number}"

    chain_reason = _chain_refusal(certificate, requirements.chain)
    if chain_reason is not None:
        return chain_reason

    if not requirements.allow_expired:
        if now < certificate.not_before:
            return f"the certificate is valid only from {certificate.not_before}"
        if now > certificate.not_after:
            return f"the certificate expired on {certificate.not_after}"

    return _key_type_refusal(certificate, requirements.key_type)


def _chain_refusal(
    certificate: Certificate, chain: Sequence[Certificate] | None
) -> str | None:
    if chain is not None and len(chain) == 0:
        return None
    if chain is None:
        if certificate.authority_key_id in PRODUCTION_ISSUER_KEY_IDS:
            return None
        return (
            "signerParams.chain is absent, so only keys of the production NCA "
            "are selectable (a page passes chain: [] to allow test keys)"
        )
    for ca in chain:
        if certificate.issuer_der == ca.subject_der:
            return None
    return "the certificate's issuer is not among the CA certificates in chain"


def _key_type_refusal(certificate: Certificate, key_type: str | None) -> str | None:
    # commonUtils keyType (nca-pki.md 3.3). A legacy SIGN key has
    # nonRepudiation, a legacy AUTH key keyEncipherment; today's single
    # GOST-2015 keys carry nonRepudiation and keyAgreement and serve both,
    # which is how the emulator reads keyAgreement.
    usage = certificate.key_usage
    if key_type == "SIGNATURE" and "content_commitment" not in usage:
        return "keyType SIGNATURE needs a key with nonRepudiation"
    if key_type == "AUTHENTICATION" and not usage & {
        "key_encipherment",
        "key_agreement",
    }:
        return "keyType AUTHENTICATION needs a key with keyEncipherment"
    return None


def _same_serial(asked: str, serial: int) -> bool:
    try:
        return int(asked.replace(":", "").replace(" ", ""), 16) == serial
    except ValueError:
        return False


def _strings(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be an array of strings")
    return tuple(value)


def _optional_string(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value
