"""The QR login end to end: the browser (the ``visitor`` fixture) asks for
a code, the eGov app emulator scans it over HTTP against the live server,
and the browser's poll opens the session, or the refusal reaches both the
app and the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from kabinet.accounts.models import SessionRecord
from kabinet.devtools.egov_app import App, AppResult, Decline, Outcome, Tamper
from kabinet.login.models import AttemptResult, LoginAttempt
from kabinet.login.qr.messages import message_for
from kabinet.login.qr.models import QrLogin, QrState
from kabinet.pki.xmldsig import sign_xml
from tests.login.qr.conftest import BANK_BIN, AppCalls, Phone, Visitor, signed_payload
from tests.web_conftest import Clock, Keys

CYRILLIC = re.compile("[а-яА-ЯәіңғүұқөһӘІҢҒҮҰҚӨҺ]")


def localized(code: str, lang: str) -> str:
    with translation.override(lang):
        return message_for(code)


def app_message(result: AppResult) -> str:
    assert result.message is not None
    return result.message


def put_exchange(result: AppResult) -> Any:
    (exchange,) = [item for item in result.exchanges if item.method == "PUT"]
    return exchange


def assert_logged_in(visitor: Visitor, *, role: str, iin: str) -> dict[str, Any]:
    me = visitor.me()
    assert me.status_code == 200, me.content
    body: dict[str, Any] = me.json()
    assert body["role"]["id"] == role
    assert body["method"]["id"] == "qr"
    assert body["user"]["iin"] == iin
    return body


def assert_not_logged_in(visitor: Visitor) -> None:
    me = visitor.me()
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "not_authenticated"


# ---------------------------------------------------------------------------
# Logging in


@pytest.mark.parametrize(
    ("role", "key", "app"),
    [
        ("candidate", "gost_individual", App.MOBILE),
        ("candidate", "rsa_individual_auth", App.MOBILE),
        ("participant", "gost_individual", App.MOBILE),
        ("participant", "gost_legal_signer", App.BUSINESS),
        ("applicant", "gost_legal_first_head", App.BUSINESS),
        ("expert", "gost_legal_signer", App.BUSINESS),
    ],
)
def test_fitting_key_in_its_app_logs_the_browser_in(
    visitor: Visitor, phone: Phone, keys: Keys, role: str, key: str, app: App
) -> None:
    code = visitor.start(role)
    assert visitor.state(code["id"])["state"] == "waiting"

    result = phone.scan(code["qr"], key=key, app=app)

    assert result.outcome is Outcome.SIGNED, result
    assert result.status == 200
    assert app_message(result) == "success"
    assert_not_logged_in(visitor)  # nothing happens before the page's poll
    assert visitor.state(code["id"]) == {"state": "signed", "redirect": "/"}
    identity = keys[key].certificate.identity
    assert identity.iin is not None
    body = assert_logged_in(visitor, role=role, iin=identity.iin)
    if identity.bin is None:
        assert body["organisation"] is None
    else:
        assert body["organisation"]["bin"] == identity.bin
    attempt = LoginAttempt.objects.get()
    assert (attempt.method, attempt.role, attempt.result) == ("qr", role, "success")
    assert attempt.iin == identity.iin
    assert attempt.certificate_verified is True
    assert attempt.certificate_serial == keys[key].certificate.serial_hex


@pytest.mark.parametrize(
    ("role", "key", "app", "link"),
    [
        ("candidate", "gost_individual", App.MOBILE, "egov_mobile"),
        ("applicant", "gost_legal_first_head", App.BUSINESS, "egov_business"),
    ],
)
def test_login_through_the_phone_link_opens_the_same_session(
    visitor: Visitor, phone: Phone, keys: Keys, role: str, key: str, app: App, link: str
) -> None:
    code = visitor.start(role)

    result = phone.scan(code["links"][link], key=key, app=app)

    assert result.outcome is Outcome.SIGNED, result
    assert visitor.state(code["id"])["state"] == "signed"
    iin = keys[key].certificate.identity.iin
    assert iin is not None
    assert_logged_in(visitor, role=role, iin=iin)


def test_app_shows_the_bank_the_site_the_role_and_the_time(
    visitor: Visitor, phone: Phone
) -> None:
    code = visitor.start("candidate")

    result = phone.scan(code["qr"], lang="ru")

    assert result.organisation_bin == BANK_BIN
    assert result.organisation_name == "АО «Банк Развития Казахстана»"
    assert result.auth_type == "Token"
    assert result.sign_method == "XML"
    assert result.notes == ()  # nothing off-spec for the emulator to remark
    (document,) = result.documents
    assert document.id == 1
    rows = dict(document.meta)
    host = code["qr"].split("//", 1)[1].split("/", 1)[0]
    assert result.description is not None
    assert host in result.description
    assert set(rows) == {"Сайт", "Время запроса", "Роль"}
    assert rows["Сайт"] == host
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", rows["Время запроса"])
    assert rows["Роль"] == "Кандидат на работу/стажировку"


def test_scanning_shows_scanned_to_the_page(
    visitor: Visitor, app_calls: AppCalls
) -> None:
    code = visitor.start("candidate")

    assert app_calls.api1(code["qr"]).status_code == 200

    state = visitor.state(code["id"])
    assert state["state"] == "scanned"
    assert 0 < state["expires_in"] <= 300


# ---------------------------------------------------------------------------
# The bearer token


def test_put_without_token_is_refused_with_401_and_changes_nothing(
    visitor: Visitor, app_calls: AppCalls, phone: Phone, keys: Keys
) -> None:
    code = visitor.start("candidate")
    api1 = app_calls.api1(code["qr"]).json()
    uri = api1["document"]["uri"]
    token = api1["document"]["auth_token"]
    payload = app_calls.api2(uri, token=token).json()
    signed = signed_payload(payload, keys, "gost_individual")

    refused = app_calls.put(uri, signed, token=None, lang="en")

    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"
    assert refused.json() == {"message": localized("qr_token_missing", "en")}
    assert visitor.state(code["id"])["state"] == "scanned"
    attempt = LoginAttempt.objects.get()
    assert (attempt.result, attempt.error_code) == ("failure", "qr_token_missing")
    # The code is still good for the right token.
    accepted = app_calls.put(uri, signed, token=token)
    assert accepted.status_code == 200
    assert accepted.json() == {"status": "success"}


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", ""])
def test_put_with_another_scheme_or_empty_token_is_refused_with_401(
    visitor: Visitor, app_calls: AppCalls, authorization: str
) -> None:
    code = visitor.start("candidate")
    uri = app_calls.api1(code["qr"]).json()["document"]["uri"]

    refused = app_calls.put(uri, {}, token=None, authorization=authorization)

    assert refused.status_code == 401
    assert refused.json() == {"message": localized("qr_token_missing", "ru")}


def test_wrong_token_is_refused_with_403_in_the_app_language(
    visitor: Visitor, phone: Phone
) -> None:
    code = visitor.start("candidate")

    result = phone.scan(code["qr"], tamper=(Tamper.TOKEN,), lang="kk")

    assert result.outcome is Outcome.REFUSED
    assert result.status == 403
    expected = localized("qr_token_invalid", "kk")
    assert CYRILLIC.search(expected)
    assert app_message(result).endswith(expected)
    assert visitor.state(code["id"])["state"] == "scanned"
    assert_not_logged_in(visitor)


def test_put_with_a_wrong_token_is_refused_and_the_right_one_still_works(
    visitor: Visitor, app_calls: AppCalls, keys: Keys
) -> None:
    code = visitor.start("candidate")
    api1 = app_calls.api1(code["qr"]).json()
    uri, token = api1["document"]["uri"], api1["document"]["auth_token"]
    signed = signed_payload(app_calls.api2(uri, token=token).json(), keys)
    other = token[:-1] + ("B" if token.endswith("A") else "A")

    refused = app_calls.put(uri, signed, token=other, lang="en")

    assert refused.status_code == 403
    assert refused.json() == {"message": localized("qr_token_invalid", "en")}
    assert app_calls.put(uri, signed, token=token).status_code == 200


def test_reading_api1_again_replaces_the_token(
    visitor: Visitor, app_calls: AppCalls
) -> None:
    code = visitor.start("candidate")
    first = app_calls.api1(code["qr"]).json()["document"]
    second = app_calls.api1(code["qr"]).json()["document"]

    assert first["auth_token"] != second["auth_token"]
    assert app_calls.api2(first["uri"], token=first["auth_token"]).status_code == 403
    assert app_calls.api2(second["uri"], token=second["auth_token"]).status_code == 200


# ---------------------------------------------------------------------------
# The document


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        (Tamper.DOCUMENT, 403, "content_mismatch"),
        (Tamper.DOCUMENT_ID, 403, "content_mismatch"),
        (Tamper.SIGNATURE, 403, "signature_invalid"),
        (Tamper.UNSIGNED, 400, "malformed_input"),
    ],
)
def test_changed_document_or_signature_is_refused_and_the_page_says_why(
    visitor: Visitor, phone: Phone, tamper: Tamper, status: int, code: str
) -> None:
    started = visitor.start("candidate")

    result = phone.scan(started["qr"], tamper=(tamper,), lang="en")

    assert result.outcome is Outcome.REFUSED
    assert result.status == status
    assert app_message(result).endswith(localized(code, "en"))
    assert visitor.state(started["id"]) == {
        "state": "rejected",
        "error": {"code": code, "message": localized(code, "ru")},
    }
    assert_not_logged_in(visitor)
    attempt = LoginAttempt.objects.get()
    assert (attempt.result, attempt.error_code) == (AttemptResult.FAILURE, code)


def test_document_signed_for_another_code_is_refused(
    visitor: Visitor, app_calls: AppCalls, keys: Keys
) -> None:
    first = visitor.start("candidate")
    second = visitor.start("candidate")
    one = app_calls.api1(first["qr"]).json()["document"]
    two = app_calls.api1(second["qr"]).json()["document"]
    signed_for_first = signed_payload(
        app_calls.api2(one["uri"], token=one["auth_token"]).json(), keys
    )

    refused = app_calls.put(two["uri"], signed_for_first, token=two["auth_token"])

    assert refused.status_code == 403
    assert refused.json() == {"message": localized("content_mismatch", "ru")}
    assert visitor.state(second["id"])["error"]["code"] == "content_mismatch"


def test_replayed_signed_xml_does_not_count_against_the_signers_iin(
    visitor: Visitor, app_calls: AppCalls, keys: Keys, pki_settings: Any
) -> None:
    pki_settings.KABINET_RATE_LIMIT_IIN_ATTEMPTS = 2
    store = keys["gost_individual"]
    # An XML document the person signed for someone else, replayed by them.
    elsewhere = sign_xml(
        b'<?xml version="1.0" encoding="UTF-8"?><contract>17</contract>',
        key=store.private_key,
        certificate=store.certificate,
    ).decode("utf-8")
    for _ in range(3):
        code = visitor.start("candidate")
        document = app_calls.api1(code["qr"]).json()["document"]
        payload = app_calls.api2(document["uri"], token=document["auth_token"]).json()
        payload["documentsToSign"][0]["documentXml"] = elsewhere
        refused = app_calls.put(document["uri"], payload, token=document["auth_token"])
        assert refused.json() == {"message": localized("content_mismatch", "ru")}

    code = visitor.start("candidate")
    document = app_calls.api1(code["qr"]).json()["document"]
    payload = app_calls.api2(document["uri"], token=document["auth_token"]).json()
    signed = signed_payload(payload, keys)
    accepted = app_calls.put(document["uri"], signed, token=document["auth_token"])

    assert accepted.status_code == 200, accepted.content
    refused_rows = LoginAttempt.objects.filter(error_code="content_mismatch")
    assert refused_rows.count() == 3
    assert not refused_rows.filter(certificate_verified=True).exists()
    assert set(refused_rows.values_list("iin", flat=True)) == {
        store.certificate.identity.iin
    }


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[" * 5000,
        b'{"documentsToSign": [{"id": 1, "documentXml": "\\ud800"}]}',
    ],
    ids=["syntax", "nested-past-the-parser", "lone-surrogate"],
)
def test_body_that_is_not_json_is_refused_and_changes_nothing(
    visitor: Visitor, app_calls: AppCalls, keys: Keys, body: bytes
) -> None:
    code = visitor.start("candidate")
    api1 = app_calls.api1(code["qr"]).json()["document"]

    refused = app_calls.put(api1["uri"], body, token=api1["auth_token"])

    assert refused.status_code == 400
    assert refused.json() == {"message": localized("bad_request", "ru")}
    assert visitor.state(code["id"])["state"] == "scanned"
    signed = signed_payload(
        app_calls.api2(api1["uri"], token=api1["auth_token"]).json(), keys
    )
    assert (
        app_calls.put(api1["uri"], signed, token=api1["auth_token"]).status_code == 200
    )


def test_post_with_signed_documents_is_taken_as_the_put(
    visitor: Visitor, app_calls: AppCalls, keys: Keys
) -> None:
    code = visitor.start("candidate")
    document = app_calls.api1(code["qr"]).json()["document"]
    token = document["auth_token"]
    signed = signed_payload(app_calls.api2(document["uri"], token=token).json(), keys)

    accepted = app_calls.client.post(
        app_calls.path(document["uri"]),
        data=signed,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert accepted.status_code == 200
    assert accepted.json() == {"status": "success"}
    assert visitor.state(code["id"])["state"] == "signed"


@pytest.mark.parametrize("method", ["delete", "patch"])
def test_other_methods_are_refused_to_the_app_as_a_message(
    visitor: Visitor, app_calls: AppCalls, method: str
) -> None:
    code = visitor.start("candidate")
    uri = app_calls.api1(code["qr"]).json()["document"]["uri"]

    refused = getattr(app_calls.client, method)(
        app_calls.path(uri), headers={"Accept-Language": "en"}
    )

    assert refused.status_code == 405
    assert refused["Allow"] == "GET, PUT, POST"
    assert refused.json() == {"message": localized("method_not_allowed", "en")}


# ---------------------------------------------------------------------------
# Single use and expiry


def test_second_put_for_the_same_code_is_refused(
    visitor: Visitor, phone: Phone, app_calls: AppCalls, keys: Keys
) -> None:
    code = visitor.start("candidate")
    result = phone.scan(code["qr"])
    assert result.outcome is Outcome.SIGNED
    first = put_exchange(result)
    token = first.request_headers["Authorization"].removeprefix("Bearer ")

    again = app_calls.put(first.url, first.request_body, token=token, lang="en")

    assert again.status_code == 409
    assert again.json() == {"message": localized("challenge_used", "en")}
    # The first PUT stands: the visitor still logs in.
    assert visitor.state(code["id"])["state"] == "signed"
    iin = keys["gost_individual"].certificate.identity.iin
    assert iin is not None
    assert_logged_in(visitor, role="candidate", iin=iin)
    assert [row.error_code for row in LoginAttempt.objects.order_by("id")] == [
        "",
        "challenge_used",
    ]


def test_scanning_after_the_code_was_used_is_refused(
    visitor: Visitor, phone: Phone, app_calls: AppCalls
) -> None:
    code = visitor.start("candidate")
    assert phone.scan(code["qr"]).outcome is Outcome.SIGNED

    again = app_calls.api1(code["qr"], lang="en")

    assert again.status_code == 409
    assert again.json() == {"message": localized("challenge_used", "en")}


def test_expired_code_is_refused_by_api1_and_shown_expired(
    visitor: Visitor, phone: Phone, clock: Clock
) -> None:
    code = visitor.start("candidate")
    clock.advance(301)

    result = phone.scan(code["qr"], lang="en")

    assert result.outcome is Outcome.REFUSED
    assert result.status == 410
    assert app_message(result).endswith(localized("challenge_expired", "en"))
    assert visitor.state(code["id"]) == {"state": "expired"}
    assert QrLogin.objects.get().state == QrState.WAITING


def test_put_after_expiry_is_refused(
    visitor: Visitor, app_calls: AppCalls, keys: Keys, clock: Clock
) -> None:
    code = visitor.start("candidate")
    api1 = app_calls.api1(code["qr"]).json()["document"]
    signed = signed_payload(
        app_calls.api2(api1["uri"], token=api1["auth_token"]).json(), keys
    )
    clock.advance(300)

    refused = app_calls.put(api1["uri"], signed, token=api1["auth_token"], lang="kk")

    assert refused.status_code == 410
    assert refused.json() == {"message": localized("challenge_expired", "kk")}
    assert visitor.state(code["id"]) == {"state": "expired"}
    assert_not_logged_in(visitor)
    assert LoginAttempt.objects.get().error_code == "challenge_expired"


def test_api2_after_expiry_is_refused(
    visitor: Visitor, app_calls: AppCalls, clock: Clock
) -> None:
    code = visitor.start("candidate")
    api1 = app_calls.api1(code["qr"]).json()["document"]
    clock.advance(300)

    refused = app_calls.api2(api1["uri"], token=api1["auth_token"])

    assert refused.status_code == 410
    assert refused.json() == {"message": localized("challenge_expired", "ru")}


def test_signed_login_not_picked_up_in_time_expires(
    visitor: Visitor, phone: Phone, clock: Clock
) -> None:
    code = visitor.start("candidate")
    assert phone.scan(code["qr"]).outcome is Outcome.SIGNED
    clock.advance(121)

    assert visitor.state(code["id"]) == {"state": "expired"}
    assert_not_logged_in(visitor)


def test_unknown_code_is_refused_to_app_and_page(
    visitor: Visitor, app_calls: AppCalls
) -> None:
    unknown = "A" * 43

    assert app_calls.api1(f"/egov/qr/{unknown}/mgovSign").status_code == 404
    assert visitor.status(unknown).status_code == 404
    assert visitor.status(unknown).json()["error"]["code"] == "challenge_not_found"
    assert visitor.status("short").status_code == 404


# ---------------------------------------------------------------------------
# The visitor session


def test_poll_from_another_browser_session_is_refused(
    visitor: Visitor, other_visitor: Visitor, phone: Phone
) -> None:
    code = visitor.start("candidate")
    assert phone.scan(code["qr"]).outcome is Outcome.SIGNED

    refused = other_visitor.status(code["id"])

    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "challenge_foreign_session",
            "message": localized("challenge_foreign_session", "ru"),
        }
    }
    assert_not_logged_in(other_visitor)
    # The visitor that asked for the code still gets in.
    assert visitor.state(code["id"])["state"] == "signed"
    assert SessionRecord.objects.count() == 1


def test_poll_without_any_session_is_refused(
    visitor: Visitor, other_visitor: Visitor
) -> None:
    code = visitor.start("candidate")
    other_visitor.client.cookies.clear()

    assert other_visitor.status(code["id"]).status_code == 403


def test_signed_login_is_picked_up_once(visitor: Visitor, phone: Phone) -> None:
    code = visitor.start("candidate")
    assert phone.scan(code["qr"]).outcome is Outcome.SIGNED
    assert visitor.state(code["id"])["state"] == "signed"

    # The session was renewed at login: the old binding went with it.
    again = visitor.status(code["id"])

    assert again.status_code == 403
    assert SessionRecord.objects.count() == 1


# ---------------------------------------------------------------------------
# The certificate and the role


@pytest.mark.parametrize(
    ("role", "key", "app", "status", "code"),
    [
        ("candidate", "gost_legal_first_head", App.BUSINESS, 403, "role_not_allowed"),
        ("applicant", "gost_individual", App.MOBILE, 403, "role_not_allowed"),
        ("expert", "gost_information_system", App.BUSINESS, 403, "role_not_allowed"),
        (
            "candidate",
            "gost_individual_revoked",
            App.MOBILE,
            403,
            "certificate_revoked",
        ),
        (
            "candidate",
            "gost_individual_expired",
            App.MOBILE,
            403,
            "certificate_expired",
        ),
        ("candidate", "forged_individual", App.MOBILE, 403, "untrusted_issuer"),
    ],
)
def test_certificate_that_does_not_fit_is_refused_and_the_page_says_why(
    visitor: Visitor,
    phone: Phone,
    keys: Keys,
    role: str,
    key: str,
    app: App,
    status: int,
    code: str,
) -> None:
    started = visitor.start(role)

    result = phone.scan(started["qr"], key=key, app=app, lang="en")

    assert result.outcome is Outcome.REFUSED
    assert result.status == status
    assert app_message(result).endswith(localized(code, "en"))
    state = visitor.state(started["id"])
    assert state == {
        "state": "rejected",
        "error": {"code": code, "message": localized(code, "ru")},
    }
    assert_not_logged_in(visitor)
    attempt = LoginAttempt.objects.get()
    assert (attempt.method, attempt.error_code) == ("qr", code)
    assert attempt.certificate_serial == keys[key].certificate.serial_hex


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_refusal_reaches_the_app_in_its_language(
    visitor: Visitor, phone: Phone, lang: str
) -> None:
    code = visitor.start("applicant")

    result = phone.scan(code["qr"], key="gost_individual", lang=lang)

    expected = localized("role_not_allowed", lang)
    assert app_message(result).endswith(expected)
    if lang != "en":
        assert CYRILLIC.search(expected)
    exchange = put_exchange(result)
    assert exchange.status == 403
    assert exchange.response_headers["Content-Type"] == "application/json"


# ---------------------------------------------------------------------------
# Declining


def test_decline_in_the_app_rejects_the_code(visitor: Visitor, phone: Phone) -> None:
    code = visitor.start("candidate")

    result = phone.scan(code["qr"], key=None, decline=Decline.CANCELED)

    assert result.outcome is Outcome.DECLINED
    assert result.status == 200
    assert visitor.state(code["id"]) == {
        "state": "rejected",
        "error": {"code": "qr_declined", "message": localized("qr_declined", "ru")},
    }
    assert_not_logged_in(visitor)
    assert LoginAttempt.objects.get().error_code == "qr_declined"


def test_silent_decline_leaves_the_code_scanned_until_it_expires(
    visitor: Visitor, phone: Phone, clock: Clock
) -> None:
    code = visitor.start("candidate")

    result = phone.scan(code["qr"], key=None, decline=Decline.SILENT)

    assert result.outcome is Outcome.DECLINED
    assert visitor.state(code["id"])["state"] == "scanned"
    clock.advance(300)
    assert visitor.state(code["id"]) == {"state": "expired"}


# ---------------------------------------------------------------------------
# Shared rules


def test_codes_count_against_the_address_rate_limit(
    visitor: Visitor, cabinet: str, pki_settings: Any
) -> None:
    pki_settings.KABINET_RATE_LIMIT_IP_CHALLENGES = 2
    visitor.start("candidate")
    visitor.start("candidate")

    refused = visitor.start_response("candidate")

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"


def test_unknown_role_is_refused(visitor: Visitor) -> None:
    refused = visitor.start_response("admin")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "role_unknown"
    assert not QrLogin.objects.exists()


def test_qr_login_without_bank_bin_is_unavailable(
    visitor: Visitor, pki_settings: Any
) -> None:
    pki_settings.KABINET_BANK_BIN = None

    refused = visitor.start_response("candidate")

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "qr_unavailable"
