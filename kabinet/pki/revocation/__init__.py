"""Revocation checking: OCSP, CRL and delta CRL, caching and policy."""
