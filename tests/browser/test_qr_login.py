"""The QR login in Chromium: the page shows the code, the eGov app emulator
scans it and signs over real HTTP, and the page finishes the login by itself.

The emulator runs in a thread while the page polls, as a phone would beside
the browser; it reads the QR text from the image's ``data-qr`` attribute.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page
from pytest_django import Settings

from kabinet.devtools.egov_app import App, AppResult, Outcome, run_app
from kabinet.devtools.testpki import TestPki
from tests.browser.conftest import LoginPage, ru

pytestmark = pytest.mark.browser

# Any twelve digits: the eGov app shows the bank's BIN, nothing checks it.
BANK_BIN = "123456789012"


@pytest.fixture()
def qr_login_page(page: Page, cabinet: str, pki_settings: Settings) -> LoginPage:
    """The login page with the QR way in switched on; the code points at
    the live server."""
    pki_settings.KABINET_PUBLIC_URL = cabinet
    pki_settings.KABINET_BANK_BIN = BANK_BIN
    return LoginPage(page, cabinet).open()


def show_code(login_page: LoginPage, role: str) -> str:
    """Choose the role and the QR way in; the text of the code shown."""
    page = login_page.page
    login_page.choose_role(role)
    page.get_by_test_id("method-qr").click()
    image = page.locator("[data-testid='qr-image'][data-qr^='mobileSign:']")
    image.wait_for(state="visible")
    qr = image.get_attribute("data-qr")
    assert qr is not None
    return qr


def scan(qr: str, *, test_pki: TestPki, key: str, app: App) -> AppResult:
    """The eGov app emulator's run, in a thread beside the polling page."""
    with ThreadPoolExecutor(max_workers=1) as phone:
        return phone.submit(
            run_app,
            qr,
            key_store=test_pki.key_store(key),
            app=app,
            lang="ru",
            timeout_seconds=20.0,
        ).result()


def test_scanned_and_signed_code_lands_the_browser_on_main_page(
    qr_login_page: LoginPage, test_pki: TestPki
) -> None:
    identity = test_pki.keys["gost_individual"].certificate.identity
    page = qr_login_page.page
    qr = show_code(qr_login_page, "candidate")
    assert page.get_by_test_id("qr-panel").get_attribute("data-state") == "waiting"

    result = scan(qr, test_pki=test_pki, key="gost_individual", app=App.MOBILE)

    assert result.outcome is Outcome.SIGNED
    page.wait_for_url(f"{qr_login_page.base_url}/")
    assert page.get_by_test_id("user-iin").inner_text().strip() == identity.iin
    assert page.get_by_test_id("login-method").get_attribute("data-method") == "qr"
    status, me = qr_login_page.me()
    assert status == 200
    assert me["user"]["iin"] == identity.iin
    assert me["role"]["id"] == "candidate"
    assert me["method"]["id"] == "qr"


def test_certificate_of_wrong_kind_for_role_shows_the_refusal(
    qr_login_page: LoginPage, test_pki: TestPki
) -> None:
    page = qr_login_page.page
    qr = show_code(qr_login_page, "candidate")

    result = scan(qr, test_pki=test_pki, key="gost_legal_signer", app=App.BUSINESS)

    assert result.outcome is Outcome.REFUSED
    assert result.status == 403
    message = page.locator(
        "[data-testid='qr-message'][data-state='rejected']"
        "[data-code='role_not_allowed']"
    )
    message.wait_for(state="visible")
    assert ru("role_not_allowed") in message.inner_text()
    assert page.get_by_test_id("qr-panel").get_attribute("data-state") == "rejected"
    assert page.get_by_test_id("qr-new-code").is_visible()
    status, answer = qr_login_page.me()
    assert status == 401
    assert answer["error"]["code"] == "not_authenticated"
    assert page.url.endswith("/login/")


def test_development_page_shows_the_code_text_it_encodes(
    page: Page, cabinet: str, pki_settings: Settings
) -> None:
    pki_settings.KABINET_PUBLIC_URL = cabinet
    pki_settings.KABINET_BANK_BIN = BANK_BIN
    pki_settings.DEBUG = True
    login_page = LoginPage(page, cabinet).open()

    qr = show_code(login_page, "participant")

    assert page.get_by_test_id("qr-text").inner_text() == qr
