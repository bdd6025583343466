"""The process's verifier follows the KABINET_* revocation settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings

from kabinet.devtools.testpki import TestPki
from kabinet.login.verification import require_verifier_loads, revocation_settings
from kabinet.pki.revocation.policy import RevocationPolicy


def test_revocation_settings_carry_every_kabinet_value(
    settings: Settings, tmp_path: Path
) -> None:
    settings.KABINET_REVOCATION = "crl"
    settings.KABINET_CRL_DIR = str(tmp_path)
    settings.KABINET_OCSP_URL = "http://127.0.0.1:9/ocsp/"
    settings.KABINET_REVOCATION_CACHE_SECONDS = 60
    settings.KABINET_REVOCATION_CLOCK_SKEW_SECONDS = 30
    settings.KABINET_CRL_REFRESH_SECONDS = 600
    settings.KABINET_REVOCATION_NETWORK_BUDGET_SECONDS = 7

    result = revocation_settings()

    assert result.policy is RevocationPolicy.CRL
    assert result.crl_dir == tmp_path
    assert result.ocsp_url == "http://127.0.0.1:9/ocsp/"
    assert result.good_cache_seconds == 60
    assert result.clock_skew_seconds == 30
    assert result.crl_refresh_seconds == 600
    assert result.network_budget_seconds == 7.0


def test_trust_set_never_installed_stops_the_start_naming_the_setting(
    settings: Settings, tmp_path: Path
) -> None:
    settings.KABINET_TRUST = "production"
    settings.KABINET_TRUST_HOME = str(tmp_path)

    with pytest.raises(ImproperlyConfigured, match="KABINET_TRUST"):
        require_verifier_loads()


def test_usable_trust_lets_the_start_go_on(
    settings: Settings, test_pki: TestPki
) -> None:
    settings.KABINET_TRUST = str(test_pki.trust_dir)
    settings.KABINET_REVOCATION = "crl"
    settings.KABINET_CRL_DIR = str(test_pki.crl_dir)

    require_verifier_loads()
