"""Real-browser tests: Debian's Chromium driven by Playwright (sync API).

One browser for the whole session and a new context (cookies, storage) per
test. The cabinet runs in pytest-django's ``live_server`` with a
transactional database, trusting the generated test PKI; an in-process
NCALayer emulator on a free port holds that PKI's keys, and the page talks
to it because ``KABINET_NCALAYER_URL`` points at it.

Chromium is started from ``/usr/bin/chromium`` only (the machine has no
network, and CI installs Debian's package); without it every test here is
skipped with that reason.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from kabinet.devtools.ncalayer import NcaLayerEmulator, key_files_from_test_pki
from kabinet.devtools.testpki import TestPki
from kabinet.login.messages import PAGE_MESSAGES, message_for
from tests.web_conftest import pki_settings

__all__ = ["pki_settings"]

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: nothing in Chromium may try to reach out.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# A login is a few round trips to 127.0.0.1; this only bounds a hang.
STEP_TIMEOUT_MS = 15_000
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium with the suite's flags (shared with the screenshots)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
    )


def free_port() -> int:
    """A port nothing listens on right now, for a server that binds later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- Chromium ---------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    with sync_playwright() as playwright, pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop running in this thread
        # while the browser lives, and Django takes every database call made
        # here meanwhile (the test database's flush included) for async code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(locale="ru-RU", viewport=VIEWPORT)
    fresh.set_default_timeout(STEP_TIMEOUT_MS)
    yield fresh
    fresh.close()


@pytest.fixture()
def page(context: BrowserContext) -> Page:
    return context.new_page()


# --- NCALayer and the cabinet ---------------------------------------------------


@pytest.fixture(scope="session")
def ncalayer(test_pki: TestPki) -> Iterator[NcaLayerEmulator]:
    """The emulator, holding every key of the test PKI, on a fixed free port
    (so that a test can stop it and start it again at the same URL)."""
    emulator = NcaLayerEmulator(
        key_files_from_test_pki(test_pki), port=free_port(), control_port=None
    )
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture()
def cabinet(
    live_server: LiveServer, pki_settings: Settings, ncalayer: NcaLayerEmulator
) -> Iterator[str]:
    """The cabinet's base URL: trusting the test PKI, its pages pointing at
    the emulator, whose switches are reset."""
    pki_settings.KABINET_NCALAYER_URL = ncalayer.url
    ncalayer.reset()
    yield live_server.url
    ncalayer.reset()


# --- Driving the login page -------------------------------------------------------


def ru(code: str) -> str:
    """What the page says in Russian for an error code or a page state."""
    with translation.override("ru"):
        if code in PAGE_MESSAGES:
            return str(PAGE_MESSAGES[code])
        return message_for(code)


@dataclass
class LoginPage:
    """The login page as a user drives it."""

    page: Page
    base_url: str

    def open(self) -> LoginPage:
        self.page.goto(f"{self.base_url}/login/")
        self.page.wait_for_selector("#login[data-ready='true']", state="attached")
        return self

    def choose_role(self, role: str) -> None:
        self.page.get_by_test_id(f"role-{role}").click()

    def choose_certificate(self) -> None:
        self.page.get_by_test_id("eds-select").click()

    def send(self) -> None:
        self.page.get_by_test_id("eds-send").click()

    def wait_for_message(self, code: str) -> str:
        """The text of the message once it shows ``code``."""
        message = self.page.get_by_test_id("login-message")
        self.page.wait_for_selector(
            f"[data-testid='login-message'][data-code='{code}']:visible"
        )
        return message.inner_text().strip()

    def log_in(self, role: str) -> None:
        """Choose the role, sign with the emulator's selected key, send."""
        self.choose_role(role)
        self.choose_certificate()
        self.page.get_by_test_id("eds-send").wait_for(state="visible")
        self.send()

    def me(self) -> tuple[int, dict[str, Any]]:
        """``GET /api/me`` with the browser's cookies."""
        response = self.page.request.get(f"{self.base_url}/api/me")
        return response.status, json.loads(response.text())


@pytest.fixture()
def login_page(page: Page, cabinet: str) -> LoginPage:
    return LoginPage(page, cabinet).open()
