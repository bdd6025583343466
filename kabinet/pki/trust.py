"""Trust anchors: the pinned NCA trust sets and the store built from them.

A trust set is named in code by where NCA publishes each CA certificate
and by the SHA-256 of that certificate's DER. Installing a set (from a
download or from a local folder) keeps a certificate only if its
fingerprint is pinned, so neither a tampered download nor a wrong file in
an offline folder can add an anchor.

"production" is the current NCA hierarchy: the GOST 2022 root and its
issuing CA, the RSA 2020 root and the RSA 2022 issuing CA (nca-pki.md 2.5).

"test" is NCA's test hierarchy as far as its CAs are still valid and their
algorithm can be verified: the GOST TEST 2022 root and its issuing CA
(every current SDK test key), and the RSA TEST 2020 root with its 2023
issuing CA "ҰҚО 3.0 (RSA TEST)" (valid to 2028). The GOST TEST 2020 root
and its 2023 issuing CA "ҰҚО 3.0 (GOST TEST)" are left out on purpose:
they sign with GOST 34.310-2004, which kabinet does not verify
(AlgorithmUnsupported), so as anchors they could only fail. The 2018/2019
test CAs expired in 2024.

URLs: the primary one is where NCA's own clients and NCANode download the
certificate; ``mirrors`` holds the other places NCA names, mostly the
caIssuers URL in the AIA of the certificates each CA issued. Which URL
answered does not matter: the pin decides.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kabinet.pki.asn1 import pem_blocks
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import FetchFailed, InputMalformed, PkiError, TrustPinMismatch
from kabinet.pki.revocation.fetchers import Fetcher

logger = logging.getLogger(__name__)

CERTIFICATE_SUFFIXES = frozenset({".pem", ".cer", ".crt", ".der"})
MANIFEST_NAME = "trust-set.json"
# A folder of CA certificates is small; a file above this is not one.
MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024

_CERTIFICATE_LABELS = ("CERTIFICATE", "X509 CERTIFICATE")


@dataclass(frozen=True)
class PinnedCertificate:
    """One CA certificate of a trust set, pinned by the SHA-256 of its DER."""

    name: str
    url: str
    sha256: str
    is_root: bool
    mirrors: tuple[str, ...] = ()

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url, *self.mirrors)


TRUST_SETS: Mapping[str, tuple[PinnedCertificate, ...]] = MappingProxyType(
    {
        "production": (
            PinnedCertificate(
                name="root_gost_2022",
                url="https://pki.gov.kz/cert/root_gost_2022.cer",
                sha256=(
                    "af77725f8328bb24f89d81da3acdf7cee4324248538b7ba2cd2a860517fb9dca"
                ),
                is_root=True,
                mirrors=("http://root.gov.kz/cert/root_gost2015_2022.cer",),
            ),
            PinnedCertificate(
                name="nca_gost_2022",
                url="https://pki.gov.kz/cert/nca_gost_2022.cer",
                sha256=(
                    "32c7d233a42703a327f3025543a05b930e3f39a786c68dfa196baa86d5618524"
                ),
                is_root=False,
                mirrors=("http://pki.gov.kz/cert/nca_gost_2022.cer",),
            ),
            PinnedCertificate(
                name="root_rsa_2020",
                url="https://pki.gov.kz/cert/root_rsa_2020.cer",
                sha256=(
                    "9ba06354b626641715182e4d07c9dbaa1777720fa795d03174ffc68876535dcd"
                ),
                is_root=True,
                mirrors=("http://root.gov.kz/cert/root_rsa_2020.cer",),
            ),
            PinnedCertificate(
                name="nca_rsa_2022",
                url="https://pki.gov.kz/cert/nca_rsa_2022.cer",
                sha256=(
                    "84fb799a66140950818c056a5d9730acc2a7622cdd4ef0d47113b132fb892905"
                ),
                is_root=False,
                mirrors=("http://pki.gov.kz/cert/nca_rsa_2022.cer",),
            ),
        ),
        "test": (
            PinnedCertificate(
                name="root_test_gost_2022",
                url="http://root.gov.kz/cert/root_test_gost_2022.cer",
                sha256=(
                    "b995e79e7c07429f8f79e185451e5599ce342ac720000f01b3854fdfa03031a6"
                ),
                is_root=True,
                mirrors=("http://test.pki.gov.kz/cert/root_test_gost_2022.cer",),
            ),
            PinnedCertificate(
                name="nca_gost2022_test",
                url="http://test.pki.gov.kz/cert/nca_gost2022_test.cer",
                sha256=(
                    "beeffc0bdb77cd798c35983eb0715f6ef0051cccb71d7cd05505e8a4fb2c6f4d"
                ),
                is_root=False,
            ),
            PinnedCertificate(
                name="root_rsa_test_2020",
                url="http://test.pki.gov.kz/cert/root_rsa_test.cer",
                sha256=(
                    "1778a7639bcbf3333e7a83461d1e126bff46a0f74b73d3345356540dad138b11"
                ),
                is_root=True,
                # The caIssuers URL exactly as "ҰҚО 3.0 (RSA TEST)" names it.
                mirrors=("http://test.pki.gov.kz/crl/root_rsa_test.cer",),
            ),
            PinnedCertificate(
                name="nca_rsa_test_2023",
                url="http://test.pki.gov.kz/cert/nca_rsa_test.cer",
                sha256=(
                    "5b92d85a88fdeee7ccdb06771d82fa1faae3de87839edb368ea1ac07fca04f2a"
                ),
                is_root=False,
            ),
        ),
    }
)


class TrustStore:
    """Trust anchors (roots) and the intermediate CAs paths may pass through.

    Candidate issuers are looked up by the issuer Name DER and narrowed by
    the authority/subject key identifiers when both are present.
    """

    def __init__(
        self, roots: Iterable[Certificate], intermediates: Iterable[Certificate]
    ) -> None:
        root_list = list(dict.fromkeys(roots))
        root_set = set(root_list)
        self.roots: tuple[Certificate, ...] = tuple(root_list)
        self.intermediates: tuple[Certificate, ...] = tuple(
            c for c in dict.fromkeys(intermediates) if c not in root_set
        )
        self._root_set = frozenset(root_set)
        self._by_subject: dict[bytes, list[Certificate]] = {}
        for certificate in (*self.roots, *self.intermediates):
            self._by_subject.setdefault(certificate.subject_der, []).append(certificate)

    def __repr__(self) -> str:
        return (
            f"TrustStore(roots={len(self.roots)}, "
            f"intermediates={len(self.intermediates)})"
        )

    def __len__(self) -> int:
        return len(self.roots) + len(self.intermediates)

    @classmethod
    def from_certificates(
        cls,
        roots: Iterable[Certificate],
        intermediates: Iterable[Certificate] = (),
    ) -> TrustStore:
        """A store of the given anchors and intermediates."""
        return cls(roots, intermediates)

    @classmethod
    def from_directory(cls, path: Path) -> TrustStore:
        """A store of every certificate in a folder of PEM or DER files.

        Files ending in .pem, .cer, .crt or .der are read (a PEM file may
        hold several certificates); other files are ignored. A self-issued
        certificate is a root, any other an intermediate.

        Raises:
            FileNotFoundError: ``path`` is not a folder.
            InputMalformed: a certificate file does not parse.
        """
        if not path.is_dir():
            raise FileNotFoundError(f"trust folder {path} does not exist")
        certificates = read_certificate_folder(path)
        roots = [c for c in certificates if _is_root(c)]
        intermediates = [c for c in certificates if not _is_root(c)]
        store = cls(roots, intermediates)
        logger.info("trust store loaded from %s: %r", path, store)
        return store

    def is_root(self, certificate: Certificate) -> bool:
        """Whether ``certificate`` is one of the trust anchors."""
        return certificate in self._root_set

    def issuers_of(self, certificate: Certificate) -> tuple[Certificate, ...]:
        """Roots and intermediates that may have issued ``certificate``.

        Same Name DER as the certificate's issuer; when the certificate has
        an authorityKeyIdentifier and the candidate a subjectKeyIdentifier,
        they must be equal (RFC 5280 4.2.1.1).
        """
        candidates = self._by_subject.get(certificate.issuer_der, [])
        key_id = certificate.authority_key_id
        return tuple(
            c
            for c in candidates
            if key_id is None or c.subject_key_id is None or c.subject_key_id == key_id
        )


def load_trust(spec: str, *, trust_home: Path) -> TrustStore:
    """The trust store named by ``spec``.

    "production" and "test" are read from ``trust_home/<name>`` as written
    by install/update/import, and must still hold exactly the pinned
    certificates of that set: a file added or removed since is refused.
    Any other ``spec`` is a folder of CA certificates taken as it is (a
    generated test PKI, an operator's own choice).

    Raises:
        FileNotFoundError: the named set is not installed, or the folder
            does not exist.
        TrustPinMismatch: an installed set holds a certificate not pinned,
            or lacks a pinned one.
        InputMalformed: a certificate file does not parse.
    """
    if spec in TRUST_SETS:
        directory = trust_home / spec
        if not directory.is_dir():
            raise FileNotFoundError(
                f"trust set {spec!r} is not installed in {directory}; install it "
                f"with `kabinet pki trust update {spec}` or `kabinet pki trust "
                f"import {spec} DIR`"
            )
        store = TrustStore.from_directory(directory)
        _pins_for(spec, (*store.roots, *store.intermediates), require_complete=True)
        return store
    return TrustStore.from_directory(Path(spec))


def install_trust_set(
    name: str, certificates: Iterable[bytes], target: Path
) -> list[Path]:
    """Write the trust set ``name`` to ``target/<name>`` from certificates.

    ``target`` is the trust home that :func:`load_trust` reads. Every
    certificate must match a pin of the set and every pin must be matched;
    duplicates are dropped. The folder is written next to its final place
    and renamed into it, so a reader sees the old set or the new one,
    never a mixture; a refusal leaves the old set untouched.

    Returns:
        The certificate files written, in the order of the pins.

    Raises:
        TrustPinMismatch: a certificate is not pinned, or a pin has no
            certificate.
        InputMalformed: an item is not a certificate.
        KeyError: ``name`` is not a trust set.
    """
    pins = TRUST_SETS[name]
    loaded = [Certificate.load(data) for data in certificates]
    matched = _pins_for(name, loaded, require_complete=True)
    target.mkdir(parents=True, exist_ok=True)
    final = target / name
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.new-", dir=target))
    try:
        for pin in pins:
            _write_synced(staging / f"{pin.name}.pem", matched[pin.name].to_pem())
        _write_synced(staging / MANIFEST_NAME, _manifest(name, matched))
        _swap_in(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info(
        "trust set %s installed in %s (%s certificates)", name, final, len(pins)
    )
    return [final / f"{pin.name}.pem" for pin in pins]


def update_trust_set(name: str, target: Path, *, fetcher: Fetcher) -> list[Path]:
    """Download the trust set ``name`` and install it in ``target/<name>``.

    Each certificate is taken from the first of its URLs whose answer
    matches the pin.

    Raises:
        FetchFailed: a certificate could not be downloaded from any URL.
        TrustPinMismatch: what was downloaded does not match the pin.
    """
    pins = TRUST_SETS[name]
    downloaded = [_download_pinned(pin, fetcher) for pin in pins]
    return install_trust_set(name, downloaded, target)


def import_trust_set(name: str, source: Path, target: Path) -> list[Path]:
    """Install the trust set ``name`` from the certificates in ``source``.

    For offline installs: ``source`` holds the CA certificates (PEM or
    DER, any of the usual suffixes) and nothing else that looks like one.

    Raises:
        FileNotFoundError: ``source`` is not a folder.
        TrustPinMismatch, InputMalformed: as for install_trust_set.
    """
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is not a folder")
    certificates = read_certificate_folder(source)
    return install_trust_set(name, [c.der for c in certificates], target)


def read_certificate_folder(path: Path) -> list[Certificate]:
    """Every certificate in the certificate files of a folder, sorted by name.

    Raises:
        InputMalformed: a file is too large or does not parse; the message
            names it.
    """
    certificates: list[Certificate] = []
    for file in sorted(path.iterdir()):
        if file.name.startswith(".") or not file.is_file():
            continue
        if file.suffix.lower() not in CERTIFICATE_SUFFIXES:
            continue
        if file.stat().st_size > MAX_CERTIFICATE_FILE_BYTES:
            raise InputMalformed(f"{file} is too large to be a certificate file")
        data = file.read_bytes()
        try:
            certificates.extend(_split_certificates(data))
        except PkiError as exc:
            raise InputMalformed(f"{file}: {exc.message}") from None
    return certificates


def _split_certificates(data: bytes) -> list[Certificate]:
    if b"-----BEGIN " not in data:
        return [Certificate.load(data)]
    blocks = [body for label, body in pem_blocks(data) if label in _CERTIFICATE_LABELS]
    if not blocks:
        # Certificate.load names the labels that were found instead.
        return [Certificate.load(data)]
    return [Certificate.load(body) for body in blocks]


def _is_root(certificate: Certificate) -> bool:
    return certificate.is_self_issued and (
        certificate.authority_key_id is None
        or certificate.authority_key_id == certificate.subject_key_id
    )


def _pins_for(
    name: str, certificates: Iterable[Certificate], *, require_complete: bool
) -> dict[str, Certificate]:
    """Map pin names to certificates, refusing anything not pinned."""
    by_fingerprint = {pin.sha256: pin for pin in TRUST_SETS[name]}
    matched: dict[str, Certificate] = {}
    for certificate in certificates:
        pin = by_fingerprint.get(certificate.sha256)
        if pin is None:
            raise TrustPinMismatch(
                f"certificate {certificate.subject!r} (SHA-256 "
                f"{certificate.sha256}) is not pinned in trust set {name!r}"
            )
        matched[pin.name] = certificate
    missing = [pin.name for pin in TRUST_SETS[name] if pin.name not in matched]
    if require_complete and missing:
        raise TrustPinMismatch(
            f"trust set {name!r} is incomplete: no certificate for {', '.join(missing)}"
        )
    return matched


def _download_pinned(pin: PinnedCertificate, fetcher: Fetcher) -> bytes:
    failure: PkiError | None = None
    for url in pin.urls:
        try:
            certificate = Certificate.load(fetcher.get(url))
        except FetchFailed as exc:
            failure = failure if isinstance(failure, TrustPinMismatch) else exc
            continue
        except InputMalformed as exc:
            failure = TrustPinMismatch(f"{url} did not return a certificate: {exc}")
            continue
        if certificate.sha256 == pin.sha256:
            logger.info("%s downloaded from %s", pin.name, url)
            return certificate.der
        logger.warning(
            "%s from %s has SHA-256 %s, pinned %s",
            pin.name,
            url,
            certificate.sha256,
            pin.sha256,
        )
        failure = TrustPinMismatch(
            f"{url} returned {certificate.subject!r} with SHA-256 "
            f"{certificate.sha256}, not the pinned {pin.name}"
        )
    assert failure is not None
    raise failure


def _manifest(name: str, matched: Mapping[str, Certificate]) -> str:
    entries = []
    for pin in TRUST_SETS[name]:
        certificate = matched[pin.name]
        entries.append(
            {
                "name": pin.name,
                "file": f"{pin.name}.pem",
                "sha256": certificate.sha256,
                "url": pin.url,
                "is_root": pin.is_root,
                "subject": certificate.subject,
                "not_after": certificate.not_after.isoformat(),
            }
        )
    document = {"trust_set": name, "certificates": entries}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _swap_in(staging: Path, final: Path) -> None:
    """Rename ``staging`` to ``final``, replacing an existing folder.

    POSIX cannot rename a folder over a non-empty one, so the old folder
    is first renamed aside; between the two renames ``final`` is briefly
    absent, and a reader then fails to load rather than load a mixture.
    """
    if not final.exists():
        os.rename(staging, final)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
    retired.rmdir()
    os.rename(final, retired)
    try:
        os.rename(staging, final)
    except OSError:
        os.rename(retired, final)
        raise
    shutil.rmtree(retired, ignore_errors=True)
