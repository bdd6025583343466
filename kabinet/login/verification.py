"""The one Verifier of the process, built from settings on first use.

Loading the trust store and building the revocation checker (with its CRL
index and OCSP cache) is work to do once per process, not per login. Tests
that change a ``KABINET_*`` setting get a fresh verifier through the
``setting_changed`` signal (see ``LoginConfig.ready``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kabinet.pki.errors import PkiError
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.fetchers import HttpFetcher
from kabinet.pki.revocation.policy import RevocationPolicy
from kabinet.pki.trust import load_trust
from kabinet.pki.verifier import Verifier

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_verifier: Verifier | None = None

# Settings that shape the verifier; a change to any of them drops it.
VERIFIER_SETTINGS = frozenset(
    {
        "KABINET_TRUST",
        "KABINET_TRUST_HOME",
        "KABINET_REVOCATION",
        "KABINET_CRL_DIR",
        "KABINET_OCSP_URL",
        "KABINET_OCSP_TIMEOUT_SECONDS",
        "KABINET_REVOCATION_CACHE_SECONDS",
        "KABINET_REVOCATION_CLOCK_SKEW_SECONDS",
        "KABINET_CRL_REFRESH_SECONDS",
        "KABINET_REVOCATION_NETWORK_BUDGET_SECONDS",
    }
)


def revocation_settings() -> RevocationSettings:
    """The revocation checker's settings from ``KABINET_*``."""
    crl_dir = settings.KABINET_CRL_DIR
    return RevocationSettings(
        policy=RevocationPolicy(settings.KABINET_REVOCATION),
        ocsp_url=settings.KABINET_OCSP_URL,
        crl_dir=None if crl_dir is None else Path(crl_dir),
        good_cache_seconds=settings.KABINET_REVOCATION_CACHE_SECONDS,
        clock_skew_seconds=settings.KABINET_REVOCATION_CLOCK_SKEW_SECONDS,
        crl_refresh_seconds=settings.KABINET_CRL_REFRESH_SECONDS,
        network_budget_seconds=float(
            settings.KABINET_REVOCATION_NETWORK_BUDGET_SECONDS
        ),
    )


def build_verifier() -> Verifier:
    """A new Verifier from the current settings."""
    trust = load_trust(
        settings.KABINET_TRUST, trust_home=Path(settings.KABINET_TRUST_HOME)
    )
    revocation = revocation_settings()
    if revocation.policy is RevocationPolicy.OFF:
        logger.warning(
            "KABINET_REVOCATION=off: signer certificates are not checked for "
            "revocation; a revoked key can log in"
        )
    checker = RevocationChecker(
        revocation,
        fetcher=HttpFetcher(
            timeout_seconds=float(settings.KABINET_OCSP_TIMEOUT_SECONDS)
        ),
    )
    logger.info(
        "Verifier built: trust %s, revocation %s",
        settings.KABINET_TRUST,
        revocation.policy.value,
    )
    return Verifier(trust=trust, revocation=checker)


def get_verifier() -> Verifier:
    """The process's Verifier, built on first use."""
    global _verifier
    verifier = _verifier
    if verifier is not None:
        return verifier
    with _lock:
        if _verifier is None:
            _verifier = build_verifier()
        return _verifier


def reset_verifier() -> None:
    """Drop the cached Verifier; the next login builds one from settings."""
    global _verifier
    with _lock:
        _verifier = None


def require_verifier_loads() -> None:
    """Build the process's verifier now, failing with the setting's name.

    A serving process calls this when it starts (kabinet.wsgi), so a trust
    set that was never installed or a CRL folder that is gone stops the
    start instead of refusing every login later.

    Raises:
        ImproperlyConfigured: the trust or revocation settings do not load.
    """
    try:
        get_verifier()
    except (OSError, ValueError, PkiError) as error:
        raise ImproperlyConfigured(
            f"KABINET_TRUST / KABINET_REVOCATION settings do not load: {error}"
        ) from error
