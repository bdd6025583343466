"""The QR panel as the login page renders it, before any script runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from tests.login.qr.conftest import BANK_BIN


def login_page(client: Client) -> str:
    response = client.get("/login/")
    assert response.status_code == 200
    return response.content.decode("utf-8")


def qr_config(html: str) -> dict[str, Any]:
    start = html.index('<script id="qr-config" type="application/json">')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    config: dict[str, Any] = json.loads(body)
    return config


@pytest.mark.django_db
def test_login_page_offers_the_qr_way_in_with_its_elements(
    client: Client, settings: Settings
) -> None:
    settings.KABINET_BANK_BIN = BANK_BIN

    html = login_page(client)

    assert 'id="method-qr"' in html and "coming soon" not in html
    for test_id in (
        "qr-panel",
        "qr-image",
        "qr-countdown",
        "qr-instructions",
        "qr-app",
        "qr-message",
        "qr-new-code",
        "qr-open-egov-mobile",
        "qr-open-egov-business",
        "qr-show-code",
    ):
        assert f'data-testid="{test_id}"' in html
    assert "/static/login/qr.js" in html
    assert "Наведите камеру на этот код." in html
    config = qr_config(html)
    assert config["api"] == {
        "start": "/api/auth/qr/start",
        "status": "/api/auth/qr/{id}/status",
    }
    assert config["apps"] == {
        "applicant": ["egov_business"],
        "participant": ["egov_mobile", "egov_business"],
        "expert": ["egov_business"],
        "candidate": ["egov_mobile"],
    }
    assert config["messages"]["scanned"].startswith("Код отсканирован")


@pytest.mark.django_db
def test_login_page_says_when_the_qr_login_is_not_configured(
    client: Client, settings: Settings
) -> None:
    settings.KABINET_BANK_BIN = None

    html = login_page(client)

    assert 'data-testid="qr-unavailable"' in html
    assert 'data-testid="qr-image"' not in html
    assert "Вход по QR-коду недоступен." in html


@pytest.mark.django_db
def test_login_page_follows_the_language_switch(
    client: Client, settings: Settings
) -> None:
    settings.KABINET_BANK_BIN = BANK_BIN
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"

    html = login_page(client)

    assert "Камераны осы кодқа бағыттаңыз." in html
    assert qr_config(html)["messages"]["expired"].startswith("QR-кодтың")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_code_text_is_shown_only_in_development(
    client: Client, settings: Settings, debug: bool
) -> None:
    settings.KABINET_BANK_BIN = BANK_BIN
    settings.DEBUG = debug

    html = login_page(client)

    assert ('data-testid="qr-text"' in html) is debug
