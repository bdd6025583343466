"""Screenshots of the cabinet in Russian for the documentation.

Not part of the test suite (the file name keeps pytest from collecting it);
run it by name, and commit the PNGs it writes into ``docs/screenshots/``::

    .venv/bin/pytest tests/browser/make_screenshots.py

It uses the browser suite's set-up: Debian's Chromium, the live server
trusting the generated test PKI, and the NCALayer emulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from pytest_django import Settings

from kabinet.devtools.ncalayer import NcaLayerEmulator
from tests.browser.conftest import LoginPage

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Any twelve digits: the QR login is on only when the bank's BIN is set.
BANK_BIN = "123456789012"


def save(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Let focus rings and transitions settle before the picture.
    page.wait_for_timeout(300)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_login_page(login_page: LoginPage) -> None:
    save(login_page.page, "login")

    login_page.choose_role("applicant")
    login_page.page.get_by_test_id("eds-select").wait_for(state="visible")
    save(login_page.page, "login-eds")


def test_ncalayer_missing(login_page: LoginPage, ncalayer: NcaLayerEmulator) -> None:
    ncalayer.stop()
    try:
        login_page.choose_role("applicant")
        login_page.choose_certificate()
        login_page.page.get_by_test_id("ncalayer-missing").wait_for(state="visible")
        save(login_page.page, "ncalayer-missing")
    finally:
        ncalayer.start()


def test_main_page(login_page: LoginPage, ncalayer: NcaLayerEmulator) -> None:
    ncalayer.choose("gost_legal_first_head")
    login_page.log_in("applicant")
    page = login_page.page
    page.wait_for_url(f"{login_page.base_url}/")
    page.get_by_test_id("cabinet").wait_for()
    save(page, "main")


def test_qr_panel(page: Page, cabinet: str, pki_settings: Settings) -> None:
    pki_settings.KABINET_PUBLIC_URL = cabinet
    pki_settings.KABINET_BANK_BIN = BANK_BIN
    login_page = LoginPage(page, cabinet).open()
    login_page.choose_role("participant")
    page.get_by_test_id("method-qr").click()
    page.locator("[data-testid='qr-image'][data-qr^='mobileSign:']").wait_for()
    save(page, "qr")
