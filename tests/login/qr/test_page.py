"""The QR way in on the login page, in Chromium: the page shows the code,
the eGov app emulator scans what the page shows (the QR text from
``#qr-image[data-qr]``, or on a phone the link of the button), and the page
lands on the main page or says why not and offers a new code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page

from kabinet.devtools.egov_app import App, Outcome
from kabinet.login.qr.messages import QR_PAGE_MESSAGES, message_for
from tests.browser.conftest import STEP_TIMEOUT_MS, browser
from tests.login.qr.conftest import AppCalls, Phone
from tests.web_conftest import Clock

__all__ = ["browser"]

pytestmark = pytest.mark.browser

IPHONE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def ru(code: str) -> str:
    with translation.override("ru"):
        if code in QR_PAGE_MESSAGES:
            return str(QR_PAGE_MESSAGES[code])
        return message_for(code)


@pytest.fixture()
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        locale="ru-RU", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture()
def handset(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        locale="ru-RU",
        viewport={"width": 390, "height": 844},
        user_agent=IPHONE_USER_AGENT,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    yield context
    context.close()


def open_qr_login(context: BrowserContext, base_url: str, role: str) -> Page:
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.wait_for_selector("#login[data-ready='true']", state="attached")
    page.wait_for_selector("#qr-panel[data-ready='true']", state="attached")
    # Set once; a reload would lose it.
    page.evaluate("window.kabinetTestMarker = 'same page'")
    page.get_by_test_id(f"role-{role}").click()
    page.get_by_test_id("method-qr").click()
    return page


def shown_qr(page: Page) -> str:
    page.wait_for_selector("#qr-image[data-qr^='mobileSign:']", state="attached")
    text = page.get_by_test_id("qr-image").get_attribute("data-qr")
    assert text is not None
    return text


def wait_for_state(page: Page, state: str, code: str = "") -> str:
    selector = f"[data-testid='qr-message'][data-state='{state}']"
    if code:
        selector += f"[data-code='{code}']"
    page.wait_for_selector(selector + ":visible")
    return page.get_by_test_id("qr-message").inner_text().strip()


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.kabinetTestMarker") == "same page"


def test_code_scanned_by_the_app_lands_on_the_main_page(
    desktop: BrowserContext, cabinet: str, phone: Phone, app_calls: AppCalls
) -> None:
    page = open_qr_login(desktop, cabinet, "candidate")
    qr = shown_qr(page)
    assert page.get_by_test_id("qr-image").is_visible()
    assert page.get_by_test_id("qr-instructions").is_visible()
    assert page.get_by_test_id("qr-app").get_attribute("data-apps") == "egov_mobile"
    assert "eGov Mobile" in page.get_by_test_id("qr-app").inner_text()
    assert page.get_by_test_id("qr-countdown").get_attribute("data-seconds")
    assert wait_for_state(page, "waiting") == ru("waiting")
    assert not page.get_by_test_id("qr-open-egov-mobile").is_visible()

    assert app_calls.api1(qr).status_code == 200
    assert wait_for_state(page, "scanned") == ru("scanned")
    result = phone.scan(qr, key="gost_individual", app=App.MOBILE)

    assert result.outcome is Outcome.SIGNED
    page.wait_for_url(f"{cabinet}/")
    page.get_by_test_id("cabinet").wait_for()


def test_certificate_of_the_wrong_kind_is_refused_on_the_page(
    desktop: BrowserContext, cabinet: str, phone: Phone
) -> None:
    page = open_qr_login(desktop, cabinet, "applicant")
    first = shown_qr(page)
    assert page.get_by_test_id("qr-app").get_attribute("data-apps") == "egov_business"

    result = phone.scan(first, key="gost_individual", app=App.MOBILE)

    assert result.outcome is Outcome.REFUSED
    shown = wait_for_state(page, "rejected", "role_not_allowed")
    assert ru("role_not_allowed") in shown
    new_code = page.get_by_test_id("qr-new-code")
    assert new_code.is_visible()

    new_code.click()
    page.wait_for_function(
        "first => document.getElementById('qr-image').dataset.qr.startsWith("
        "'mobileSign:') && document.getElementById('qr-image').dataset.qr !== first",
        arg=first,
    )
    wait_for_state(page, "waiting")
    assert not new_code.is_visible()
    assert_same_page(page)


def test_expired_code_is_replaced_on_a_click_without_reloading(
    desktop: BrowserContext, cabinet: str, clock: Clock
) -> None:
    page = open_qr_login(desktop, cabinet, "candidate")
    first = shown_qr(page)

    clock.advance(301)

    assert wait_for_state(page, "expired") == ru("expired")
    page.get_by_test_id("qr-new-code").click()
    wait_for_state(page, "waiting")
    assert shown_qr(page) != first
    assert_same_page(page)


def test_phone_gets_app_buttons_and_its_link_logs_in(
    handset: BrowserContext, cabinet: str, phone: Phone
) -> None:
    page = open_qr_login(handset, cabinet, "applicant")
    shown_qr(page)
    business = page.get_by_test_id("qr-open-egov-business")
    business.wait_for()
    assert page.get_by_test_id("qr-panel").get_attribute("data-device") == "phone"
    assert not page.get_by_test_id("qr-open-egov-mobile").is_visible()
    assert not page.get_by_test_id("qr-image").is_visible()
    assert page.get_by_test_id("qr-show-code").is_visible()
    link = business.get_attribute("href")
    assert link is not None
    assert link.startswith("https://m.egov.kz/businessSign/?link=")

    result = phone.scan(link, key="gost_legal_first_head", app=App.BUSINESS)

    assert result.outcome is Outcome.SIGNED
    page.wait_for_url(f"{cabinet}/")
    page.get_by_test_id("cabinet").wait_for()


def test_phone_can_still_show_the_code(handset: BrowserContext, cabinet: str) -> None:
    page = open_qr_login(handset, cabinet, "participant")
    shown_qr(page)
    page.get_by_test_id("qr-open-egov-mobile").wait_for()
    assert page.get_by_test_id("qr-open-egov-business").is_visible()

    page.get_by_test_id("qr-show-code").click()

    assert page.get_by_test_id("qr-image").is_visible()
