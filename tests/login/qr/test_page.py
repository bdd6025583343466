"""The QR way in on the login page, in Chromium: the page shows the code,
the eGov app emulator scans what the page shows (the QR text from
``#qr-image[data-qr]``, or on a phone the link of the button), and the page
lands on the main page or says why not and offers a new code.

Playwright's sync API allows one instance per thread (it keeps an event
loop running there), and tests/browser holds one in the main thread for
the whole session; this module drives its own Chromium from a thread of its
own (:class:`ChromiumThread`), so both work in one run. Every page action
goes through ``chromium.run``; the emulator, the clock and the database
stay in the main thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from kabinet.devtools.egov_app import App, Outcome
from kabinet.login.qr.messages import QR_PAGE_MESSAGES, message_for
from tests.browser.conftest import CHROMIUM, STEP_TIMEOUT_MS, launch_chromium
from tests.login.qr.conftest import AppCalls, Phone
from tests.web_conftest import Clock

pytestmark = pytest.mark.browser

T = TypeVar("T")

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
HANDSET: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "is_mobile": True,
    "has_touch": True,
}
# A whole step (a page load, a wait for a state) never takes this long.
STEP_LIMIT_SECONDS = 60


class ChromiumThread:
    """Debian's Chromium, owned by one worker thread that runs every call."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._contexts: list[BrowserContext] = []
        self._browser: Browser | None = None
        self._stop: Callable[[], None] | None = None
        self.run(self._start)

    def _start(self) -> None:
        playwright = sync_playwright().start()
        self._browser = launch_chromium(playwright)
        browser = self._browser

        def stop() -> None:
            browser.close()
            playwright.stop()

        self._stop = stop

    def run(self, action: Callable[..., T], *args: Any) -> T:
        """Run ``action(*args)`` in the browser's thread and return its result."""
        return self._pool.submit(action, *args).result(timeout=STEP_LIMIT_SECONDS)

    def new_page(self, options: dict[str, Any]) -> Page:
        def open_context() -> Page:
            assert self._browser is not None
            context = self._browser.new_context(locale="ru-RU", **options)
            context.set_default_timeout(STEP_TIMEOUT_MS)
            self._contexts.append(context)
            return context.new_page()

        return self.run(open_context)

    def close_contexts(self) -> None:
        def close() -> None:
            while self._contexts:
                self._contexts.pop().close()

        self.run(close)

    def close(self) -> None:
        if self._stop is not None:
            self.run(self._stop)
        self._pool.shutdown()


@pytest.fixture(scope="module")
def chromium_thread() -> Iterator[ChromiumThread]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    chromium = ChromiumThread()
    yield chromium
    chromium.close()


@pytest.fixture()
def chromium(chromium_thread: ChromiumThread) -> Iterator[ChromiumThread]:
    yield chromium_thread
    chromium_thread.close_contexts()


def ru(code: str) -> str:
    with translation.override("ru"):
        if code in QR_PAGE_MESSAGES:
            return str(QR_PAGE_MESSAGES[code])
        return message_for(code)


# ---------------------------------------------------------------------------
# Page actions (run in the browser's thread)


def open_qr_login(page: Page, base_url: str, role: str) -> str:
    """Open the login page, choose the role and the QR way in; the QR text."""
    page.goto(f"{base_url}/login/")
    page.wait_for_selector("#login[data-ready='true']", state="attached")
    page.wait_for_selector("#qr-panel[data-ready='true']", state="attached")
    # Set once; a reload of the page would lose it.
    page.evaluate("window.kabinetTestMarker = 'same page'")
    page.get_by_test_id(f"role-{role}").click()
    page.get_by_test_id("method-qr").click()
    return shown_qr(page)


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


def wait_for_main_page(page: Page, base_url: str) -> None:
    page.wait_for_url(f"{base_url}/")
    page.get_by_test_id("cabinet").wait_for()


def is_visible(page: Page, test_id: str) -> bool:
    return page.get_by_test_id(test_id).is_visible()


def attribute(page: Page, test_id: str, name: str) -> str | None:
    return page.get_by_test_id(test_id).get_attribute(name)


def text_of(page: Page, test_id: str) -> str:
    return page.get_by_test_id(test_id).inner_text()


def click(page: Page, test_id: str) -> None:
    page.get_by_test_id(test_id).click()


def same_page(page: Page) -> bool:
    return bool(page.evaluate("window.kabinetTestMarker === 'same page'"))


# ---------------------------------------------------------------------------
# Tests


def test_code_scanned_by_the_app_lands_on_the_main_page(
    chromium: ChromiumThread, cabinet: str, phone: Phone, app_calls: AppCalls
) -> None:
    page = chromium.new_page(DESKTOP)
    qr = chromium.run(open_qr_login, page, cabinet, "candidate")
    assert chromium.run(wait_for_state, page, "waiting") == ru("waiting")
    assert chromium.run(is_visible, page, "qr-image")
    assert chromium.run(is_visible, page, "qr-instructions")
    assert chromium.run(attribute, page, "qr-app", "data-apps") == "egov_mobile"
    assert "eGov Mobile" in chromium.run(text_of, page, "qr-app")
    assert chromium.run(attribute, page, "qr-countdown", "data-seconds")
    assert not chromium.run(is_visible, page, "qr-open-egov-mobile")

    assert app_calls.api1(qr).status_code == 200
    assert chromium.run(wait_for_state, page, "scanned") == ru("scanned")
    result = phone.scan(qr, key="gost_individual", app=App.MOBILE)

    assert result.outcome is Outcome.SIGNED
    chromium.run(wait_for_main_page, page, cabinet)


def test_certificate_of_the_wrong_kind_is_refused_on_the_page(
    chromium: ChromiumThread, cabinet: str, phone: Phone
) -> None:
    page = chromium.new_page(DESKTOP)
    first = chromium.run(open_qr_login, page, cabinet, "applicant")
    assert chromium.run(attribute, page, "qr-app", "data-apps") == "egov_business"

    result = phone.scan(first, key="gost_individual", app=App.MOBILE)

    assert result.outcome is Outcome.REFUSED
    shown = chromium.run(wait_for_state, page, "rejected", "role_not_allowed")
    assert ru("role_not_allowed") in shown
    assert chromium.run(is_visible, page, "qr-new-code")
    chromium.run(click, page, "qr-new-code")
    chromium.run(wait_for_state, page, "waiting")
    assert chromium.run(shown_qr, page) != first
    assert not chromium.run(is_visible, page, "qr-new-code")
    assert chromium.run(same_page, page)


def test_expired_code_is_replaced_on_a_click_without_reloading(
    chromium: ChromiumThread, cabinet: str, clock: Clock
) -> None:
    page = chromium.new_page(DESKTOP)
    first = chromium.run(open_qr_login, page, cabinet, "candidate")
    chromium.run(wait_for_state, page, "waiting")

    clock.advance(301)

    assert chromium.run(wait_for_state, page, "expired") == ru("expired")
    chromium.run(click, page, "qr-new-code")
    chromium.run(wait_for_state, page, "waiting")
    assert chromium.run(shown_qr, page) != first
    assert chromium.run(same_page, page)


def test_phone_gets_app_buttons_and_its_link_logs_in(
    chromium: ChromiumThread, cabinet: str, phone: Phone
) -> None:
    page = chromium.new_page(HANDSET)
    chromium.run(open_qr_login, page, cabinet, "applicant")
    chromium.run(wait_for_state, page, "waiting")
    assert chromium.run(attribute, page, "qr-panel", "data-device") == "phone"
    assert chromium.run(is_visible, page, "qr-open-egov-business")
    assert not chromium.run(is_visible, page, "qr-open-egov-mobile")
    assert not chromium.run(is_visible, page, "qr-image")
    assert chromium.run(is_visible, page, "qr-show-code")
    link = chromium.run(attribute, page, "qr-open-egov-business", "href")
    assert link is not None
    assert link.startswith("https://m.egov.kz/businessSign/?link=")

    result = phone.scan(link, key="gost_legal_first_head", app=App.BUSINESS)

    assert result.outcome is Outcome.SIGNED
    chromium.run(wait_for_main_page, page, cabinet)


def test_phone_can_still_show_the_code(chromium: ChromiumThread, cabinet: str) -> None:
    page = chromium.new_page(HANDSET)
    chromium.run(open_qr_login, page, cabinet, "participant")
    chromium.run(wait_for_state, page, "waiting")
    assert chromium.run(is_visible, page, "qr-open-egov-mobile")
    assert chromium.run(is_visible, page, "qr-open-egov-business")

    chromium.run(click, page, "qr-show-code")

    assert chromium.run(is_visible, page, "qr-image")
