"""The process's verifier follows the KABINET_* revocation settings."""

from __future__ import annotations

from pathlib import Path

from pytest_django import Settings

from kabinet.login.verification import revocation_settings
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
