"""The whole check of a signed login: container, path, key usage, revocation.

A :class:`Verifier` composes the core. Each step is one function that takes
what it checks and raises the first failure it finds, so the order below is
the order of the checklist and tests can reach every step on its own:

1. container: the CMS or XML-DSig cryptography (exactly one signer, the
   signer certificate inside, digests and signature), ``cms.verify_cms`` /
   ``xmldsig.verify_xml``;
2. path: a path from the signer certificate to a trust anchor, valid at
   ``at`` (``chain.validate_path``);
3. key usage: the signer certificate is an end-entity certificate whose
   key usage allows digitalSignature (RFC 5280 4.2.1.3) and whose extended
   key usage, when present, names a purpose a login can serve (4.2.1.12);
4. revocation: the signer certificate is not revoked, asked of its issuer's
   OCSP responder or CRL by the :class:`RevocationChecker`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from kabinet.pki import cms, oids, xmldsig
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import Certificate, Identity
from kabinet.pki.chain import validate_path
from kabinet.pki.errors import ChainInvalid, KeyUsageNotAllowed, PkiError
from kabinet.pki.revocation.checker import RevocationChecker
from kabinet.pki.trust import TrustStore

logger = logging.getLogger(__name__)

# Extended key usages under which a key may sign a login: the purposes of
# NCA's signing (emailProtection) and legacy AUTH (clientAuth) keys, any
# purpose, and NCA's subscriber classes (individual, legal entity and its
# roles, information systems: nca-pki.md 2.3), which information-system
# certificates carry without a standard purpose.
_LOGIN_PURPOSES = frozenset(
    {oids.EKU_EMAIL_PROTECTION, oids.EKU_CLIENT_AUTH, oids.ANY_EXTENDED_KEY_USAGE}
)
_SUBSCRIBER_CLASSES = oids.ROLE_INDIVIDUAL.rsplit(".", 1)[0] + "."


@dataclass(frozen=True)
class VerifiedSignature:
    """What a signature proved: the signed content and who signed it.

    ``chain`` runs from the signer certificate to the trust anchor;
    ``revocation`` says how the signer's status was established ("ocsp",
    "crl", "cache" or "off").
    """

    content: bytes
    signer: Certificate
    identity: Identity
    chain: tuple[Certificate, ...]
    signing_time: datetime | None
    revocation: str


class Verifier:
    """Verifies signed CMS and XML-DSig logins against a trust store."""

    def __init__(self, *, trust: TrustStore, revocation: RevocationChecker) -> None:
        self._trust = trust
        self._revocation = revocation

    def __repr__(self) -> str:
        return (
            f"Verifier(roots={len(self._trust.roots)}, "
            f"intermediates={len(self._trust.intermediates)})"
        )

    def verify_cms(
        self,
        data: bytes,
        *,
        at: datetime,
        detached_content: bytes | None = None,
    ) -> VerifiedSignature:
        """Verify a CMS SignedData with one signer, as NCALayer makes it.

        Args:
            data: the CMS, PEM (``-----BEGIN CMS-----``), bare base64 or DER.
            at: the validation time (aware); certificates must be valid then.
            detached_content: the signed bytes when the CMS does not carry them.

        Returns:
            The signed content, the signer and the path that was checked.

        Raises:
            PkiError: the subclass of the first check that failed.
        """
        at = require_aware(at)
        logger.info(
            "CMS verification started: %d bytes, %s, at %s",
            len(data),
            "attached" if detached_content is None else "detached",
            at.isoformat(),
        )

        with _step("cms container"):
            signature = cms.verify_cms(data, detached_content=detached_content)

        signer = signature.signer
        chain, revocation = self._check_signer(signer, at=at)

        logger.info(
            "CMS verified: signer serial=%s subject=%s, revocation by %s",
            signer.serial_hex,
            signer.subject,
            revocation,
        )
        return VerifiedSignature(
            content=signature.content,
            signer=signer,
            identity=signer.identity,
            chain=chain,
            signing_time=signature.signing_time,
            revocation=revocation,
        )

    def verify_xml(self, data: bytes, *, at: datetime) -> VerifiedSignature:
        """Verify an enveloped XML-DSig with one signature, as Kalkan makes it.

        The returned content is the canonical document with its signature
        removed (``xmldsig.canonicalize`` gives the same form of what was
        issued). XML-DSig carries no signing time, so ``signing_time`` is None.

        Raises:
            PkiError: the subclass of the first check that failed.
        """
        at = require_aware(at)
        logger.info(
            "XML-DSig verification started: %d bytes, at %s", len(data), at.isoformat()
        )

        with _step("xml container"):
            signature = xmldsig.verify_xml(data)

        signer = signature.signer
        chain, revocation = self._check_signer(signer, at=at)

        logger.info(
            "XML-DSig verified: signer serial=%s subject=%s, revocation by %s",
            signer.serial_hex,
            signer.subject,
            revocation,
        )
        return VerifiedSignature(
            content=signature.document,
            signer=signer,
            identity=signer.identity,
            chain=chain,
            signing_time=None,
            revocation=revocation,
        )

    def check_certificate(
        self, certificate: Certificate, *, at: datetime
    ) -> tuple[Certificate, ...]:
        """Run the path, key usage and revocation checks on a certificate.

        For a signature verified elsewhere (a raw signature from the eGov
        app), this is everything the verifier would check after the
        container.

        Returns:
            The path, leaf first, trust anchor last.

        Raises:
            PkiError: the subclass of the first check that failed.
        """
        at = require_aware(at)
        logger.info(
            "Certificate check started: serial=%s subject=%s, at %s",
            certificate.serial_hex,
            certificate.subject,
            at.isoformat(),
        )

        chain, revocation = self._check_signer(certificate, at=at)

        logger.info(
            "Certificate accepted: serial=%s, revocation by %s",
            certificate.serial_hex,
            revocation,
        )
        return chain

    def _check_signer(
        self, signer: Certificate, *, at: datetime
    ) -> tuple[tuple[Certificate, ...], str]:
        """Path, key usage and revocation of a signer certificate, in order.

        Returns:
            The path (leaf first) and how revocation was established.
        """
        with _step("path", signer):
            chain = validate_path(signer, trust=self._trust, at=at)

        with _step("key usage", signer):
            check_key_usage(signer)

        with _step("revocation", signer):
            revocation = check_revocation(chain, checker=self._revocation, at=at)

        return chain, revocation


def check_key_usage(certificate: Certificate) -> None:
    """Require an end-entity certificate whose key may sign a login.

    No particular extended key usage is required: current NCA GOST
    certificates carry emailProtection and role OIDs but no clientAuth,
    the legacy AUTH ones carry clientAuth, information-system ones only
    their role; which roles may log in is the login policy's decision.
    But a certificate made for another purpose only (an OCSP responder,
    a time-stamping authority, a server) is refused.

    Raises:
        KeyUsageNotAllowed: a CA certificate, digitalSignature is absent,
            or the extended key usage names no purpose a login can serve.
    """
    if certificate.is_ca:
        # RFC 5280 4.2.1.9: a CA key certifies; a login needs a person's or
        # an information system's own key.
        raise KeyUsageNotAllowed(
            f"certificate serial {certificate.serial_hex} is a CA certificate"
        )
    if "digital_signature" not in certificate.key_usage:
        # RFC 5280 4.2.1.3: without digitalSignature the key may not sign
        # anything but certificates and CRLs. NCA certificates always carry
        # the extension, so its absence is treated the same way.
        usages = ", ".join(sorted(certificate.key_usage)) or "none"
        raise KeyUsageNotAllowed(
            f"key usage of certificate serial {certificate.serial_hex} is "
            f"{usages}; digital_signature is required"
        )
    purposes = certificate.extended_key_usage
    if purposes and not any(
        purpose in _LOGIN_PURPOSES or purpose.startswith(_SUBSCRIBER_CLASSES)
        for purpose in purposes
    ):
        # RFC 5280 4.2.1.12: with the extension present the key may be used
        # for the purposes listed only. NCA's test TSA and OCSP responder
        # certificates name a person by IIN; their keys sign other things.
        raise KeyUsageNotAllowed(
            f"extended key usage of certificate serial {certificate.serial_hex} "
            f"is {', '.join(sorted(purposes))}; none of it covers signing a login"
        )


def check_revocation(
    chain: tuple[Certificate, ...], *, checker: RevocationChecker, at: datetime
) -> str:
    """Ask whether the signer certificate (``chain[0]``) has been revoked.

    Only the signer is asked about: every CA on an NCA path (at most a root
    and one intermediate) is pinned by SHA-256 in the installed trust set,
    so a withdrawn CA is dealt with by updating that set, which takes it out
    of every path, rather than by a status request on each login.

    Returns:
        How the answer was obtained: "ocsp", "crl", "cache" or "off".

    Raises:
        CertificateRevoked: OCSP or a CRL lists the signer as revoked.
        RevocationUnknown: the status could not be established.
        ChainInvalid: the path has no issuer to ask about the signer.
    """
    if len(chain) < 2:
        raise ChainInvalid(
            f"certificate serial {chain[0].serial_hex} is itself a trust anchor; "
            "there is no issuer to ask about its revocation"
        )
    signer, issuer = chain[0], chain[1]
    return checker.check(signer, issuer, at=at)


@contextmanager
def _step(name: str, certificate: Certificate | None = None) -> Iterator[None]:
    """Log one step of a verification: DEBUG when it passes, WARNING when not.

    The warning names the step, the error code and the certificate it
    concerns; never the signed content or the signature bytes. A failure
    after the container step carries that certificate as ``signer``.
    """
    try:
        yield
    except PkiError as error:
        if certificate is not None and error.signer is None:
            error.signer = certificate
        if certificate is None:
            logger.warning(
                "Verification failed at %s: %s (%s)", name, error.code, error.message
            )
        else:
            logger.warning(
                "Verification failed at %s: %s (%s); certificate serial=%s subject=%s",
                name,
                error.code,
                error.message,
                certificate.serial_hex,
                certificate.subject,
            )
        raise
    else:
        logger.debug("Verification step passed: %s", name)
