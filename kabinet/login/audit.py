"""The audit log: one row per login attempt, written whatever the outcome.

A login collects what it learns in an :class:`AttemptTrail` (the role, the
certificate, whether it was verified) as it goes, and writes the row once,
at the end, with the result. Nothing secret is kept: no signature, no
challenge, no session key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from kabinet.accounts.roles import LoginMethod
from kabinet.login.client import RequestMeta
from kabinet.login.models import AttemptResult, LoginAttempt
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import PkiError

logger = logging.getLogger(__name__)


@dataclass
class AttemptTrail:
    """What one attempt has revealed so far."""

    method: LoginMethod
    meta: RequestMeta
    at: datetime
    role: str = ""
    certificate: Certificate | None = None
    certificate_verified: bool = False
    _written: bool = field(default=False, repr=False)

    def saw_certificate(self, certificate: Certificate, *, verified: bool) -> None:
        """Note the signer's certificate; ``verified`` once its chain checked
        out and it signed exactly what this attempt was issued."""
        self.certificate = certificate
        self.certificate_verified = verified

    def saw_refused_signer(self, error: PkiError) -> None:
        """Note the certificate a refused signature came from, if known.

        The verifier names it on the error when the container's signature
        checked out and a later check (path, key usage, revocation) refused
        the certificate; it is recorded as unverified.
        """
        if error.signer is not None:
            self.saw_certificate(error.signer, verified=False)

    def succeeded(self) -> LoginAttempt:
        """Write the row of a successful attempt."""
        logger.info(
            "Login succeeded: method=%s role=%s certificate serial=%s",
            self.method.value,
            self.role,
            self._serial(),
        )
        return self._write(AttemptResult.SUCCESS, error_code="")

    def failed(self, error: PkiError) -> LoginAttempt:
        """Write the row of a refused attempt."""
        logger.warning(
            "Login refused: method=%s role=%s code=%s certificate serial=%s ip=%s (%s)",
            self.method.value,
            self.role,
            error.code,
            self._serial(),
            self.meta.ip,
            error.message,
        )
        return self._write(AttemptResult.FAILURE, error_code=error.code)

    def _serial(self) -> str:
        return "" if self.certificate is None else self.certificate.serial_hex

    def _write(self, result: AttemptResult, *, error_code: str) -> LoginAttempt:
        if self._written:
            raise RuntimeError("an attempt is written to the audit log once")
        self._written = True
        iin = bin_ = subject = serial = ""
        if self.certificate is not None:
            serial = self.certificate.serial_hex[:80]
            subject = self.certificate.subject[:500]
            iin, bin_ = _numbers(self.certificate)
        return LoginAttempt.objects.create(
            created_at=self.at,
            method=self.method.value,
            role=self.role[:20],
            result=result.value,
            error_code=error_code[:60],
            iin=iin,
            bin=bin_,
            certificate_serial=serial,
            certificate_subject=subject,
            certificate_verified=self.certificate_verified,
            ip=self.meta.ip,
            network=self.meta.network,
            user_agent=self.meta.user_agent,
        )


def _numbers(certificate: Certificate) -> tuple[str, str]:
    # An unverified certificate may be outside the NCA profile altogether;
    # the audit row then keeps its serial and subject only.
    try:
        identity = certificate.identity
    except PkiError:
        return "", ""
    return identity.iin or "", identity.bin or ""
