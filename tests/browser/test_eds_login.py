"""The ЭЦП login in Chromium: the page, the NCALayer emulator and the server.

Every refusal is checked twice: the page shows the message for its code
(in Russian, the default language), and ``/api/me`` with the browser's own
cookies says that nobody is logged in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django import Settings

from kabinet.devtools.ncalayer import NcaLayerEmulator
from kabinet.devtools.testpki import TestPki
from kabinet.login.views import NCALAYER_DOWNLOAD_URL
from tests.browser.conftest import LoginPage, ru

pytestmark = pytest.mark.browser

# (role, key): every role with a key it accepts, over the three algorithms.
FITTING = [
    ("applicant", "gost_legal_first_head"),
    ("applicant", "rsa_legal_first_head"),
    ("participant", "gost_individual"),
    ("expert", "gost_legal_signer"),
    ("candidate", "gost256_individual"),
    ("candidate", "rsa_individual_auth"),
]


def assert_nobody_logged_in(login_page: LoginPage) -> None:
    status, answer = login_page.me()
    assert status == 401
    assert answer["error"]["code"] == "not_authenticated"
    assert login_page.page.url.endswith("/login/")


def wait_for_main_page(page: Page, base_url: str) -> None:
    page.wait_for_url(f"{base_url}/")
    page.get_by_test_id("cabinet").wait_for()


@pytest.mark.parametrize(("role", "key"), FITTING)
def test_fitting_key_lands_on_main_page_with_name_and_iin(
    login_page: LoginPage,
    ncalayer: NcaLayerEmulator,
    test_pki: TestPki,
    role: str,
    key: str,
) -> None:
    identity = test_pki.keys[key].certificate.identity
    assert identity.iin and identity.surname and identity.first_name
    ncalayer.choose(key)

    login_page.log_in(role)

    page = login_page.page
    wait_for_main_page(page, login_page.base_url)
    shown_name = page.get_by_test_id("user-name").inner_text()
    assert identity.surname in shown_name
    assert identity.first_name in shown_name
    assert page.get_by_test_id("user-iin").inner_text().strip() == identity.iin
    assert page.get_by_test_id("user-role").get_attribute("data-role") == role
    assert page.get_by_test_id("login-method").get_attribute("data-method") == "eds"
    if identity.bin is not None:
        assert page.get_by_test_id("org-bin").inner_text().strip() == identity.bin
    status, me = login_page.me()
    assert status == 200
    assert me["user"]["iin"] == identity.iin
    assert me["role"]["id"] == role
    assert me["certificate"]["serial"] == test_pki.keys[key].certificate.serial_hex


def test_key_of_wrong_type_for_role_is_refused_with_its_message(
    login_page: LoginPage, ncalayer: NcaLayerEmulator
) -> None:
    # The participant role asks NCALayer for no particular key type, so the
    # information system's key is offered, signed with and refused by the
    # server's role policy.
    ncalayer.choose("gost_information_system")

    login_page.log_in("participant")

    assert login_page.wait_for_message("role_not_allowed") == ru("role_not_allowed")
    assert login_page.page.get_by_test_id("eds-send").is_hidden()
    assert_nobody_logged_in(login_page)


def test_candidate_filter_keeps_legal_entity_key_out_of_ncalayer_dialog(
    login_page: LoginPage, ncalayer: NcaLayerEmulator
) -> None:
    # NCALayer shows a key the page's filter rules out as disabled; the
    # user can only close the dialog.
    ncalayer.choose("gost_legal_signer")
    ncalayer.clear_requests()

    login_page.choose_role("candidate")
    login_page.choose_certificate()

    text = login_page.wait_for_message("ncalayer_cancelled")
    assert text == ru("ncalayer_cancelled")
    (request,) = ncalayer.requests
    assert request.key_name is None
    assert request.reason is not None and "extended key usages" in request.reason
    assert_nobody_logged_in(login_page)


@pytest.mark.parametrize(
    ("revocation", "role", "key"),
    [
        ("crl", "candidate", "gost_individual_revoked"),
        # Revoked after the full CRL was issued: only the delta CRL lists it.
        ("crl", "applicant", "gost_legal_first_head_revoked"),
        ("ocsp", "candidate", "gost_individual_revoked"),
    ],
)
def test_revoked_key_is_refused_with_its_message(
    request: pytest.FixtureRequest,
    login_page: LoginPage,
    ncalayer: NcaLayerEmulator,
    pki_settings: Settings,
    revocation: str,
    role: str,
    key: str,
) -> None:
    if revocation == "ocsp":
        pki_settings.KABINET_REVOCATION = "ocsp"
        pki_settings.KABINET_OCSP_URL = request.getfixturevalue("ocsp_responder")
    ncalayer.choose(key)

    login_page.log_in(role)

    text = login_page.wait_for_message("certificate_revoked")
    assert text == ru("certificate_revoked")
    assert_nobody_logged_in(login_page)


def test_cancelled_dialog_shows_its_message_and_a_new_attempt_logs_in(
    login_page: LoginPage, ncalayer: NcaLayerEmulator
) -> None:
    ncalayer.choose("gost_individual")
    ncalayer.cancel_next()

    login_page.choose_role("candidate")
    login_page.choose_certificate()

    text = login_page.wait_for_message("ncalayer_cancelled")
    assert text == ru("ncalayer_cancelled")
    assert login_page.page.get_by_test_id("eds-send").is_hidden()
    assert_nobody_logged_in(login_page)

    login_page.choose_certificate()
    login_page.page.get_by_test_id("eds-send").wait_for(state="visible")
    login_page.send()
    wait_for_main_page(login_page.page, login_page.base_url)


def test_ncalayer_error_reply_is_shown_and_nobody_logged_in(
    login_page: LoginPage, ncalayer: NcaLayerEmulator
) -> None:
    ncalayer.choose("gost_individual")
    ncalayer.fail_next(details="token removed")

    login_page.choose_role("candidate")
    login_page.choose_certificate()

    text = login_page.wait_for_message("ncalayer_error")
    assert text == ru("ncalayer_error").replace("%(detail)s", "token removed")
    assert_nobody_logged_in(login_page)


def test_ncalayer_not_running_shows_where_to_get_it_and_retry_logs_in(
    login_page: LoginPage, ncalayer: NcaLayerEmulator
) -> None:
    page = login_page.page
    ncalayer.choose("gost_individual")
    ncalayer.stop()
    try:
        login_page.choose_role("candidate")
        login_page.choose_certificate()

        missing = page.get_by_test_id("ncalayer-missing")
        missing.wait_for(state="visible")
        assert ru("ncalayer_missing") in missing.inner_text()
        download = page.get_by_test_id("ncalayer-download")
        assert download.get_attribute("href") == NCALAYER_DOWNLOAD_URL
        assert NCALAYER_DOWNLOAD_URL == "https://pki.gov.kz/ncalayer/"
        assert_nobody_logged_in(login_page)
    finally:
        ncalayer.start()

    page.get_by_test_id("ncalayer-retry").click()

    page.get_by_test_id("eds-send").wait_for(state="visible")
    assert missing.is_hidden()
    login_page.send()
    wait_for_main_page(page, login_page.base_url)
