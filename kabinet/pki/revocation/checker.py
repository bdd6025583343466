"""Is the signer certificate revoked? One answer, from OCSP, a CRL or memory.

The policy says which sources to ask (OCSP, CRL, OCSP then CRL, or none).
Every source is checked before it is believed, and anything short of a
verified "good" is a refusal: CertificateRevoked when a verified source
says so, RevocationUnknown otherwise.

CRL sources, in this order: CRLs handed to :meth:`RevocationChecker.add_crl`;
then either the offline mirror folder ``crl_dir`` (when set, no CRL is
downloaded) or the certificate's cRLDistributionPoints and freshestCRL URLs
through the fetcher. A delta CRL, once supplied or named by a downloaded
certificate, must be current: the complete CRL alone is never taken in its
place. A CRL's index is kept per issuing CA and rebuilt after
``crl_refresh_seconds`` or as soon as it is stale.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from kabinet.pki._time import require_aware
from kabinet.pki.asn1 import MAX_CRL_BYTES, decode_armor
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    CertificateRevoked,
    FetchFailed,
    InputMalformed,
    OcspResponderBusy,
    PkiError,
    RevocationUnknown,
)
from kabinet.pki.revocation import crl, ocsp
from kabinet.pki.revocation.cache import GoodAnswerCache
from kabinet.pki.revocation.fetchers import Fetcher
from kabinet.pki.revocation.policy import RevocationPolicy

logger = logging.getLogger(__name__)

CRL_FILE_SUFFIXES = frozenset({".crl", ".der"})
# Indexes kept for reuse when the same CRL bytes come again: a complete
# CRL and a delta per issuing CA, for a handful of CAs.
MAX_KEPT_INDEXES = 8
_CRL_LABELS = ("X509 CRL",)


@dataclass(frozen=True)
class RevocationSettings:
    """How revocation is checked; validated once, when constructed.

    ``ocsp_url`` replaces the responder named in the certificate's AIA.
    ``crl_dir`` is an offline mirror of CRL files (``*.crl``, ``*.der``,
    DER or PEM); when set, CRLs are read from it and never downloaded.
    ``ocsp_max_age_seconds`` bounds the age of an OCSP answer that carries
    no nextUpdate (NCA's never do). ``network_budget_seconds`` bounds one
    check's time on the network: no request starts after it has passed,
    and each request is bounded by the fetcher's own timeout and retry, so
    a check with every source unreachable ends within the budget plus one
    request (the eGov app's Smart Bridge allows 30 s per answer).
    """

    policy: RevocationPolicy = RevocationPolicy.OCSP_THEN_CRL
    ocsp_url: str | None = None
    crl_dir: Path | None = None
    good_cache_seconds: int = 300
    clock_skew_seconds: int = 300
    crl_refresh_seconds: int = 3600
    ocsp_max_age_seconds: int = ocsp.DEFAULT_MAX_AGE_SECONDS
    network_budget_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.policy, RevocationPolicy):
            raise ValueError(f"policy must be a RevocationPolicy, got {self.policy!r}")
        if self.ocsp_url is not None and urlsplit(self.ocsp_url).scheme not in (
            "http",
            "https",
        ):
            raise ValueError(f"ocsp_url must be an http(s) URL, got {self.ocsp_url!r}")
        for name in (
            "good_cache_seconds",
            "clock_skew_seconds",
            "crl_refresh_seconds",
            "ocsp_max_age_seconds",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if not self.network_budget_seconds > 0:
            raise ValueError(
                "network_budget_seconds must be > 0, got "
                f"{self.network_budget_seconds!r}"
            )


@dataclass
class _IssuerCrls:
    """The CRL (and delta) currently used for one issuing CA."""

    base: crl.CrlIndex
    delta: crl.CrlIndex | None
    loaded_at: datetime


@dataclass
class _AddedCrls:
    full: list[crl.CrlIndex] = field(default_factory=list)
    delta: list[crl.CrlIndex] = field(default_factory=list)


@dataclass(frozen=True)
class _MirrorFile:
    mtime_ns: int
    size: int
    issuer_der: bytes | None
    is_delta: bool = False


class RevocationChecker:
    """Answers "is this certificate revoked?" under a RevocationPolicy."""

    def __init__(
        self,
        settings: RevocationSettings,
        *,
        fetcher: Fetcher,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.crl_dir is not None and not settings.crl_dir.is_dir():
            raise ValueError(f"crl_dir {settings.crl_dir} is not a folder")
        self.settings = settings
        self._fetcher = fetcher
        # Only for the network budget; validity always uses the given `at`.
        self._monotonic = monotonic
        self._cache = GoodAnswerCache(ttl_seconds=settings.good_cache_seconds)
        self._crls: dict[str, _IssuerCrls] = {}
        self._added: dict[str, _AddedCrls] = {}
        self._mirror: dict[Path, _MirrorFile] = {}
        self._built: dict[tuple[str, str], crl.CrlIndex] = {}
        self._crl_lock = threading.Lock()
        if settings.policy is RevocationPolicy.OFF:
            logger.warning(
                "Revocation checking is OFF: revoked certificates will be accepted"
            )

    def __repr__(self) -> str:
        return (
            f"RevocationChecker(policy={self.settings.policy.value}, "
            f"crl_dir={self.settings.crl_dir})"
        )

    def check(
        self, certificate: Certificate, issuer: Certificate, *, at: datetime
    ) -> str:
        """Establish that ``certificate``, issued by ``issuer``, is not revoked.

        Returns:
            How: "ocsp", "crl", "cache" (an earlier good answer) or "off".

        Raises:
            CertificateRevoked: a verified OCSP answer or CRL lists it.
            RevocationUnknown: no source gave a verified answer.
        """
        at = require_aware(at)
        policy = self.settings.policy
        if policy is RevocationPolicy.OFF:
            logger.debug("revocation not checked for serial %s", certificate.serial_hex)
            return "off"
        if certificate.issuer_der != issuer.subject_der:
            raise RevocationUnknown(
                f"{issuer.subject!r} is not the issuer of certificate serial "
                f"{certificate.serial_hex}"
            )

        key = (issuer.sha256, certificate.serial)
        if self._cache.lookup(key, at=at) is not None:
            logger.debug("revocation of serial %s: cached good", certificate.serial_hex)
            return "cache"

        deadline = self._monotonic() + self.settings.network_budget_seconds
        ocsp_failure: RevocationUnknown | None = None
        if policy.uses_ocsp:
            try:
                answer = self._ask_ocsp(certificate, issuer, at=at, deadline=deadline)
            except CertificateRevoked as exc:
                self._log_refusal(certificate, "OCSP", exc)
                raise
            except RevocationUnknown as exc:
                if not policy.uses_crl:
                    self._log_refusal(certificate, "OCSP", exc)
                    raise
                # RFC 6960 2.2: without a usable OCSP answer the client may
                # turn to another source; the CRL is verified as strictly.
                logger.info(
                    "OCSP gave no usable answer for serial %s (%s); asking the CRL",
                    certificate.serial_hex,
                    exc.message,
                )
                ocsp_failure = exc
            else:
                self._cache.remember(
                    key, source="ocsp", at=at, next_update=answer.next_update
                )
                return "ocsp"

        try:
            valid_until = self._ask_crl(certificate, issuer, at=at, deadline=deadline)
        except CertificateRevoked as exc:
            self._log_refusal(certificate, "CRL", exc)
            raise
        except RevocationUnknown as exc:
            self._log_refusal(certificate, "CRL", exc)
            if ocsp_failure is not None:
                raise RevocationUnknown(
                    f"OCSP: {ocsp_failure.message}; CRL: {exc.message}"
                ) from None
            raise
        self._cache.remember(key, source="crl", at=at, next_update=valid_until)
        return "crl"

    def add_crl(self, der: bytes, *, issuer: Certificate, at: datetime) -> None:
        """Use a CRL or delta CRL file issued by ``issuer`` from now on.

        It is checked (signature, issuer, freshness at ``at``) before it is
        kept; a refused file changes nothing.

        Raises:
            InputTooLarge, InputMalformed: not a CRL.
            RevocationUnknown: a CRL that cannot be used (see CrlIndex.build).
        """
        at = require_aware(at)
        with self._crl_lock:
            index = self._build(der, issuer=issuer, at=at)
            added = self._added.setdefault(issuer.sha256, _AddedCrls())
            bucket = added.delta if index.is_delta else added.full
            bucket.append(index)
            bucket.sort(key=lambda i: i.this_update, reverse=True)
            del bucket[2:]
            self._crls.pop(issuer.sha256, None)
        logger.info("CRL added for %s: %r", issuer.subject, index)

    # ----------------------------------------------------------------- OCSP

    def _ask_ocsp(
        self,
        certificate: Certificate,
        issuer: Certificate,
        *,
        at: datetime,
        deadline: float,
    ) -> ocsp.OcspAnswer:
        url = self.settings.ocsp_url or next(iter(certificate.ocsp_urls), None)
        if url is None:
            raise RevocationUnknown(
                f"certificate serial {certificate.serial_hex} names no OCSP responder"
            )
        try:
            return self._ask_ocsp_once(
                url, certificate, issuer, at=at, deadline=deadline
            )
        except OcspResponderBusy as exc:
            # RFC 6960 2.3 tryLater: NCA's responder says so now and then;
            # one more request, with a new nonce, usually gets the status.
            logger.info("OCSP %s busy (%s); asking once more", url, exc.message)
        return self._ask_ocsp_once(url, certificate, issuer, at=at, deadline=deadline)

    def _ask_ocsp_once(
        self,
        url: str,
        certificate: Certificate,
        issuer: Certificate,
        *,
        at: datetime,
        deadline: float,
    ) -> ocsp.OcspAnswer:
        request = ocsp.build_request(certificate, issuer)
        if self._monotonic() >= deadline:
            raise RevocationUnknown(f"network budget spent before asking {url}")
        try:
            body = self._fetcher.post(url, request.der, ocsp.REQUEST_CONTENT_TYPE)
        except FetchFailed as exc:
            raise RevocationUnknown(
                f"OCSP responder unreachable: {exc.message}"
            ) from None
        answer = ocsp.check_response(
            body,
            request=request,
            issuer=issuer,
            at=at,
            clock_skew_seconds=self.settings.clock_skew_seconds,
            max_age_seconds=self.settings.ocsp_max_age_seconds,
        )
        logger.debug("OCSP %s: serial %s good", url, certificate.serial_hex)
        return answer

    # ------------------------------------------------------------------ CRL

    def _ask_crl(
        self,
        certificate: Certificate,
        issuer: Certificate,
        *,
        at: datetime,
        deadline: float,
    ) -> datetime | None:
        """Look the serial up; return until when a "not listed" holds."""
        with self._crl_lock:
            current = self._current_crls(certificate, issuer, at=at, deadline=deadline)
        entry = crl.revocation_status(
            certificate.serial, base=current.base, delta=current.delta
        )
        if entry is not None:
            raise CertificateRevoked(
                f"CRL: certificate serial {certificate.serial_hex} revoked at "
                f"{entry.revoked_at.isoformat()}, reason {entry.reason or 'none'}",
                revoked_at=entry.revoked_at,
            )
        updates = [current.base.next_update]
        if current.delta is not None:
            updates.append(current.delta.next_update)
        return min((u for u in updates if u is not None), default=None)

    def _current_crls(
        self,
        certificate: Certificate,
        issuer: Certificate,
        *,
        at: datetime,
        deadline: float,
    ) -> _IssuerCrls:
        current = self._crls.get(issuer.sha256)
        if current is not None and not self._refresh_due(current, at=at):
            try:
                self._require_fresh(current, at=at)
            except RevocationUnknown:
                pass
            else:
                return current
        try:
            loaded = self._load_crls(certificate, issuer, at=at, deadline=deadline)
        except RevocationUnknown as exc:
            if current is None:
                raise
            try:
                self._require_fresh(current, at=at)
            except RevocationUnknown:
                raise exc from None
            # The CRL in hand is still within its nextUpdate: its issuer
            # vouches for it until then, so a failed refresh is not a doubt.
            logger.warning(
                "CRL refresh for %s failed (%s); keeping the CRL of %s",
                issuer.subject,
                exc.message,
                current.base.this_update.isoformat(),
            )
            current.loaded_at = at
            return current
        self._crls[issuer.sha256] = loaded
        return loaded

    def _refresh_due(self, current: _IssuerCrls, *, at: datetime) -> bool:
        age = at - current.loaded_at
        return age >= timedelta(seconds=self.settings.crl_refresh_seconds)

    def _require_fresh(self, current: _IssuerCrls, *, at: datetime) -> None:
        skew = self.settings.clock_skew_seconds
        current.base.require_fresh(at=at, clock_skew_seconds=skew)
        if current.delta is not None:
            current.delta.require_fresh(at=at, clock_skew_seconds=skew)

    def _load_crls(
        self,
        certificate: Certificate,
        issuer: Certificate,
        *,
        at: datetime,
        deadline: float,
    ) -> _IssuerCrls:
        added = self._added.get(issuer.sha256, _AddedCrls())
        offline = self.settings.crl_dir is not None
        mirrored, mirror_has_delta = (
            self._mirror_crls(issuer, at=at) if offline else ([], False)
        )

        fulls = [i for i in (*added.full, *mirrored) if not i.is_delta]
        base = self._freshest(fulls, at=at)
        downloaded = False
        if base is None and not offline:
            base = self._download_first(
                certificate.crl_urls, issuer, at=at, delta=False, deadline=deadline
            )
            downloaded = True
        if base is None:
            raise RevocationUnknown(
                f"no current CRL of {issuer.subject!r} is available"
            )

        deltas = [i for i in (*added.delta, *mirrored) if i.is_delta]
        delta = self._applicable_delta(deltas, base, at=at)
        if delta is None and not downloaded and (added.delta or mirror_has_delta):
            # A delta was supplied for this issuer but none is current and
            # extends the complete CRL: the mirror has stopped being
            # refreshed, or its complete CRL is older than its delta. NCA's
            # complete CRLs run for six months; alone, they would pass every
            # certificate revoked since, so the answer is not known.
            raise RevocationUnknown(
                f"the delta CRL of {issuer.subject!r} at hand is stale or does "
                "not extend the complete CRL; the complete CRL alone could miss "
                "recent revocations"
            )
        if delta is None and downloaded and certificate.delta_crl_urls:
            # The certificate says a delta CRL is published next to the base
            # just downloaded; without it the status is only as recent as
            # the base, which NCA issues with a six-month nextUpdate. CRLs
            # supplied by hand or by the mirror come with their delta or
            # without one, as the operator chose.
            delta = self._download_first(
                certificate.delta_crl_urls,
                issuer,
                at=at,
                delta=True,
                deadline=deadline,
            )
            if delta is None:
                raise RevocationUnknown(
                    f"delta CRL of {issuer.subject!r} is not available"
                )
            delta.require_applies_to(base)
        logger.info(
            "CRL for %s in use: %r%s",
            issuer.subject,
            base,
            f" with {delta!r}" if delta is not None else "",
        )
        return _IssuerCrls(base=base, delta=delta, loaded_at=at)

    def _freshest(
        self, indexes: list[crl.CrlIndex], *, at: datetime
    ) -> crl.CrlIndex | None:
        fresh = []
        for index in indexes:
            try:
                index.require_fresh(
                    at=at, clock_skew_seconds=self.settings.clock_skew_seconds
                )
            except RevocationUnknown:
                continue
            fresh.append(index)
        return max(fresh, key=lambda i: i.this_update, default=None)

    def _applicable_delta(
        self, deltas: list[crl.CrlIndex], base: crl.CrlIndex, *, at: datetime
    ) -> crl.CrlIndex | None:
        usable = []
        for delta in deltas:
            try:
                delta.require_applies_to(base)
            except RevocationUnknown as exc:
                logger.debug("delta CRL %r not used: %s", delta, exc.message)
                continue
            usable.append(delta)
        return self._freshest(usable, at=at)

    def _download_first(
        self,
        urls: tuple[str, ...],
        issuer: Certificate,
        *,
        at: datetime,
        delta: bool,
        deadline: float,
    ) -> crl.CrlIndex | None:
        for url in urls:
            if self._monotonic() >= deadline:
                logger.warning("CRL from %s not asked: network budget spent", url)
                return None
            try:
                index = self._build(self._fetcher.get(url), issuer=issuer, at=at)
            except (FetchFailed, InputMalformed, RevocationUnknown) as exc:
                logger.warning("CRL from %s not usable: %s", url, exc.message)
                continue
            if index.is_delta != delta:
                logger.warning(
                    "CRL from %s is %s a delta CRL", url, "not" if delta else "itself"
                )
                continue
            return index
        return None

    def _mirror_crls(
        self, issuer: Certificate, *, at: datetime
    ) -> tuple[list[crl.CrlIndex], bool]:
        """The usable CRLs of ``issuer`` in the offline mirror folder, and
        whether the folder holds a delta CRL of it, usable or not.

        Files are matched to the issuer by name first (read from the file's
        header, remembered per file until it changes), then by signature.
        """
        folder = self.settings.crl_dir
        assert folder is not None
        if not folder.is_dir():
            raise RevocationUnknown(f"CRL folder {folder} does not exist")
        indexes = []
        has_delta = False
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in CRL_FILE_SUFFIXES or not path.is_file():
                continue
            header = self._mirror_header(path)
            if header.issuer_der != issuer.subject_der:
                continue
            has_delta = has_delta or header.is_delta
            try:
                indexes.append(self._build(path.read_bytes(), issuer=issuer, at=at))
            except PkiError as exc:
                logger.warning("CRL file %s not usable: %s", path, exc.message)
        return indexes, has_delta

    def _mirror_header(self, path: Path) -> _MirrorFile:
        stat = path.stat()
        known = self._mirror.get(path)
        if known is not None and (known.mtime_ns, known.size) == (
            stat.st_mtime_ns,
            stat.st_size,
        ):
            return known
        record = _MirrorFile(stat.st_mtime_ns, stat.st_size, None)
        try:
            if stat.st_size > MAX_CRL_BYTES:
                raise InputMalformed(f"{path} exceeds {MAX_CRL_BYTES} bytes")
            header = crl.read_header(_crl_der(path.read_bytes()))
        except PkiError as exc:
            logger.warning(
                "file %s in the CRL folder is not a CRL: %s", path, exc.message
            )
        else:
            record = _MirrorFile(
                stat.st_mtime_ns, stat.st_size, header.issuer_der, header.is_delta
            )
        self._mirror[path] = record
        return record

    def _build(self, data: bytes, *, issuer: Certificate, at: datetime) -> crl.CrlIndex:
        """Check and index a CRL, or reuse the index of the same bytes.

        A refresh usually downloads (or re-reads) the very CRL already in
        hand; its signature was checked against this issuer and its bytes
        have not changed, so only freshness is checked again. Streebog over
        NCA's 19 MB GOST CRL takes about a minute in pure Python.
        """
        der = _crl_der(data)
        key = (issuer.sha256, hashlib.sha256(der).hexdigest())
        known = self._built.get(key)
        if known is not None:
            known.require_fresh(
                at=at, clock_skew_seconds=self.settings.clock_skew_seconds
            )
            return known
        index = crl.CrlIndex.build(
            der,
            issuer=issuer,
            at=at,
            clock_skew_seconds=self.settings.clock_skew_seconds,
        )
        self._built[key] = index
        while len(self._built) > MAX_KEPT_INDEXES:
            del self._built[next(iter(self._built))]
        return index

    @staticmethod
    def _log_refusal(certificate: Certificate, source: str, exc: PkiError) -> None:
        # INFO, not WARNING: the verifier logs the refused login once, with
        # the same code and serial.
        logger.info(
            "revocation check by %s failed for serial %s: %s (%s)",
            source,
            certificate.serial_hex,
            exc.code,
            exc.message,
        )


def _crl_der(data: bytes) -> bytes:
    return decode_armor(data, labels=_CRL_LABELS, max_bytes=MAX_CRL_BYTES)
