"""Which revocation sources a verification consults."""

from __future__ import annotations

from enum import Enum


class RevocationPolicy(Enum):
    """How the revocation status of a signer certificate is established.

    OCSP_THEN_CRL asks the OCSP responder first and turns to the CRL (plus
    its delta) only when OCSP gave no usable answer. A definite OCSP answer
    ("revoked", or "unknown" from the CA's own responder) is never
    overridden by a CRL.
    """

    OFF = "off"
    OCSP = "ocsp"
    CRL = "crl"
    OCSP_THEN_CRL = "ocsp-then-crl"

    @property
    def uses_ocsp(self) -> bool:
        return self in (RevocationPolicy.OCSP, RevocationPolicy.OCSP_THEN_CRL)

    @property
    def uses_crl(self) -> bool:
        return self in (RevocationPolicy.CRL, RevocationPolicy.OCSP_THEN_CRL)
