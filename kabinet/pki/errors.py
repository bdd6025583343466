"""One hierarchy of verification failures, each with a stable code.

The code is what callers branch on and what users see translated; the
message is for an engineer and says what was expected and what came.
Messages never carry secrets (passwords, private keys, whole tokens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kabinet.pki.certificate import Certificate


class PkiError(Exception):
    """Base of every failure raised by ``kabinet.pki``.

    ``signer`` is the certificate whose signature on the container checked
    out when a later check (path, key usage, revocation) refused it; the
    verifier sets it so that an audit log can name who a refused signature
    comes from without verifying it again. It is None otherwise.
    """

    code: str = "pki_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.signer: Certificate | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InputMalformed(PkiError):
    """Raised when bytes cannot be parsed as the structure they claim to be."""

    code = "malformed_input"


class InputTooLarge(InputMalformed):
    """Raised before any parsing when an input exceeds its size limit."""

    code = "input_too_large"


class AlgorithmUnsupported(PkiError):
    """Raised for an algorithm outside the supported set (GOST 34.310-2004
    included: its CAs expired in June 2025)."""

    code = "unsupported_algorithm"


class SignatureInvalid(PkiError):
    """Raised when a signature does not verify with the claimed key."""

    code = "signature_invalid"


class ContentMismatch(PkiError):
    """Raised when signed content differs from what was expected (message
    digest, XML reference digest, or the challenge the server issued)."""

    code = "content_mismatch"


class SignersMultiple(PkiError):
    """Raised when a container holds more than one signer or signature."""

    code = "multiple_signers"


class SignerCertificateMissing(PkiError):
    """Raised when the signer's certificate is not in the container."""

    code = "signer_certificate_missing"


class CertificateExpired(PkiError):
    """Raised when a certificate's notAfter is before the validation time."""

    code = "certificate_expired"


class CertificateNotYetValid(PkiError):
    """Raised when a certificate's notBefore is after the validation time."""

    code = "certificate_not_yet_valid"


class IssuerUntrusted(PkiError):
    """Raised when no path leads from a certificate to a trust anchor."""

    code = "untrusted_issuer"


class ChainInvalid(PkiError):
    """Raised when a path exists but a CA in it may not issue certificates
    (basic constraints, key usage, path length)."""

    code = "chain_invalid"


class CertificateRevoked(PkiError):
    """Raised when OCSP or a CRL says the certificate is revoked."""

    code = "certificate_revoked"

    def __init__(self, message: str, *, revoked_at: object = None) -> None:
        super().__init__(message)
        self.revoked_at = revoked_at


class RevocationUnknown(PkiError):
    """Raised when revocation status cannot be established with certainty:
    no answer, an unverifiable answer, a stale one, or status "unknown"."""

    code = "revocation_unknown"


class OcspResponderBusy(RevocationUnknown):
    """Raised when an OCSP responder answers tryLater or internalError
    (RFC 6960 2.3): no status, but asking again may get one."""


class KeyUsageNotAllowed(PkiError):
    """Raised when a certificate's key usage or extended key usage does not
    permit the operation."""

    code = "key_usage_not_allowed"


class Pkcs12PasswordWrong(PkiError):
    """Raised when a PKCS#12 file's MAC does not verify with the password."""

    code = "pkcs12_password_wrong"


class TrustPinMismatch(PkiError):
    """Raised when a certificate offered for a named trust set does not match
    any pinned SHA-256 fingerprint."""

    code = "trust_pin_mismatch"


class FetchFailed(PkiError):
    """Raised by a fetcher when a network resource could not be obtained."""

    code = "fetch_failed"
