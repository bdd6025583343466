"""The eGov app emulator against a bank that follows egov-qr.md to the letter.

The bank here is a small HTTP server written from the reference's API 1 and
API 2 examples, not from the emulator: it checks the Bearer token, verifies
what comes back with kabinet.pki, and answers 200 {"status": "success"} or
403 {"message"} in the language of Accept-Language.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from kabinet.devtools import egov_app
from kabinet.devtools.egov_app import (
    App,
    AppResult,
    Decline,
    Outcome,
    Tamper,
    UsageError,
    run_app,
)
from kabinet.devtools.testpki import TestPki
from kabinet.pki.certificate import Certificate
from kabinet.pki.cms import verify_cms
from kabinet.pki.errors import PkiError
from kabinet.pki.pkcs12 import KeyStore, load_pkcs12
from kabinet.pki.signature import verify_signature
from kabinet.pki.xmldsig import canonicalize, verify_xml
from tests import vectors

NCA_INDIVIDUAL = "keys/test-2026-2027/sdk2026_individual_valid.p12"
SHA256_WITH_RSA = "1.2.840.113549.1.1.11"

REFUSALS = {
    "ru": "Подпись не соответствует запрашиваемым данным",
    "kk": "Қолтаңба сұралған деректерге сәйкес келмейді",
    "en": "The signature does not match the requested data",
}
BAD_TOKEN = {"ru": "Доступ запрещён", "kk": "Қол жеткізу жабық", "en": "Forbidden"}


@dataclass
class Bank:
    """The bank's side of one QR login: API 1 and API 2 (egov-qr.md 2-4)."""

    auth_type: str = "Token"
    sign_method: str = "XML"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    attempt: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    nonce: str = field(default_factory=lambda: secrets.token_hex(32))
    expiry_date: str = "2099-03-01T10:02:00.000Z"
    api2_url_override: str | None = None
    expected_signer: Certificate | None = None
    base_url: str = ""
    calls: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    put_body: dict[str, Any] | None = None
    eds_login: bytes | None = None
    # A test may serve its own API 2 answer and check the PUT its own way.
    api2_override: dict[str, Any] | None = None
    checker: Callable[[dict[str, Any]], None] | None = None
    success_body: dict[str, Any] = field(default_factory=lambda: {"status": "success"})

    @property
    def api1_url(self) -> str:
        return f"{self.base_url}/egov/s/{self.attempt}/mgovSign"

    @property
    def api2_url(self) -> str:
        return (
            self.api2_url_override or f"{self.base_url}/egov/s/{self.attempt}/documents"
        )

    @property
    def qr(self) -> str:
        return f"mobileSign:{self.api1_url}"

    @property
    def login_xml(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><login>'
            f"<nonce>{self.nonce}</nonce><timeTicket>1772370000000</timeTicket>"
            "<service>bank.kz</service></login>"
        )

    def api1(self) -> dict[str, Any]:
        document: dict[str, Any] = {"uri": self.api2_url, "auth_type": self.auth_type}
        if self.auth_type == "Token":
            document["auth_token"] = self.token
        return {
            "description": "Вход в интернет-банк",
            "expiry_date": self.expiry_date,
            "organisation": {
                "nameRu": "АО «Банк»",
                "nameKz": "«Банк» АҚ",
                "nameEn": "Bank JSC",
                "bin": "123456789012",
            },
            "document": document,
        }

    def api2(self) -> dict[str, Any]:
        if self.api2_override is not None:
            return self.api2_override
        document: dict[str, Any] = {
            "id": 1,
            "nameRu": "Вход в интернет-банк",
            "nameKz": "Интернет-банкке кіру",
            "nameEn": "Internet bank sign-in",
            "meta": [
                {"name": "Сайт", "value": "bank.kz"},
                {"name": "Время запроса", "value": "01.03.2026 15:00"},
            ],
        }
        if self.sign_method == "XML":
            document["documentXml"] = self.login_xml
        else:
            data = base64.b64encode(self.nonce.encode("ascii")).decode("ascii")
            document["document"] = {"file": {"mime": "text/plain", "data": data}}
        return {
            "signMethod": self.sign_method,
            "version": 1,
            "documentsToSign": [document],
        }

    def check_signed(self, payload: dict[str, Any]) -> None:
        """Raises PkiError or ValueError when the PUT is not what was asked."""
        if self.checker is not None:
            self.checker(payload)
            return
        (document,) = payload["documentsToSign"]
        if document["id"] != 1 or payload["signMethod"] != self.sign_method:
            raise ValueError("not the issued document")
        if self.sign_method == "XML":
            xml = verify_xml(document["documentXml"].encode("utf-8"))
            if xml.document != canonicalize(self.login_xml.encode("utf-8")):
                raise ValueError("the signed XML is not the issued one")
            signer = xml.signer
        else:
            der = base64.b64decode(document["document"]["file"]["data"])
            issued = self.nonce.encode("ascii")
            if self.sign_method == "CMS_WITH_DATA":
                cms = verify_cms(der)
            else:
                cms = verify_cms(der, detached_content=issued)
            if cms.content != issued:
                raise ValueError("the signed data is not the issued one")
            signer = cms.signer
        if self.expected_signer is not None and signer != self.expected_signer:
            raise ValueError("signed by another certificate")


class _BankHandler(BaseHTTPRequestHandler):
    bank: Bank

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.bank.calls.append((self.command, self.path, dict(self.headers), body))
        return body

    def _answer(self, status: int, payload: object) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _lang(self) -> str:
        lang = self.headers.get("Accept-Language", "ru")
        return lang if lang in REFUSALS else "ru"

    def _token_ok(self) -> bool:
        if self.bank.auth_type != "Token":
            return True
        return self.headers.get("Authorization") == f"Bearer {self.bank.token}"

    def do_GET(self) -> None:
        self._record()
        bank = self.bank
        if self.path == f"/egov/s/{bank.attempt}/mgovSign":
            self._answer(200, bank.api1())
        elif self.path == f"/egov/s/{bank.attempt}/documents":
            if not self._token_ok():
                self._answer(403, {"message": BAD_TOKEN[self._lang()]})
            else:
                self._answer(200, bank.api2())
        else:
            self._answer(404, {"message": "not found"})

    def do_POST(self) -> None:
        body = self._record()
        bank = self.bank
        if bank.auth_type != "Eds" or self.path != f"/egov/s/{bank.attempt}/documents":
            self._answer(405, {"message": "method not allowed"})
            return
        try:
            login = verify_xml(json.loads(body)["xml"].encode("utf-8"))
        except (PkiError, ValueError, KeyError) as exc:
            self._answer(403, {"message": str(exc)})
            return
        bank.eds_login = login.document
        self._answer(200, bank.api2())

    def do_PUT(self) -> None:
        body = self._record()
        bank = self.bank
        if self.path != f"/egov/s/{bank.attempt}/documents":
            self._answer(404, {"message": "not found"})
            return
        if not self._token_ok():
            self._answer(403, {"message": BAD_TOKEN[self._lang()]})
            return
        payload = json.loads(body)
        bank.put_body = payload
        if payload.get("status") == "CANCELED":
            self._answer(200, {"status": "success"})
            return
        try:
            bank.check_signed(payload)
        except (PkiError, ValueError, KeyError):
            self._answer(403, {"message": REFUSALS[self._lang()]})
            return
        self._answer(200, bank.success_body)


@pytest.fixture()
def bank() -> Iterator[Bank]:
    state = Bank()
    handler = type("Handler", (_BankHandler,), {"bank": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def nca_key() -> KeyStore:
    return load_pkcs12(
        vectors.read(NCA_INDIVIDUAL), vectors.entry(NCA_INDIVIDUAL)["password"]
    )


@pytest.fixture(scope="module")
def rsa_key(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("rsa_legal_first_head")


def _methods(bank: Bank) -> list[tuple[str, str]]:
    return [(method, path.rsplit("/", 1)[-1]) for method, path, _h, _b in bank.calls]


# -- a good run ----------------------------------------------------------


def test_qr_scan_signs_the_login_xml_and_the_bank_accepts(
    bank: Bank, nca_key: KeyStore
) -> None:
    bank.expected_signer = nca_key.certificate

    result = run_app(bank.qr, key_store=nca_key)

    assert result.outcome is Outcome.SIGNED
    assert result.exit_code == 0
    assert result.status == 200
    assert result.message == "success"
    assert _methods(bank) == [
        ("GET", "mgovSign"),
        ("GET", "documents"),
        ("PUT", "documents"),
    ]
    assert bank.put_body is not None
    # Everything but documentXml comes back unchanged (API 2 PUT).
    unsigned = bank.api2()
    signed = bank.put_body
    assert signed["signMethod"] == unsigned["signMethod"]
    assert signed["version"] == 1
    (document,) = signed["documentsToSign"]
    (issued,) = unsigned["documentsToSign"]
    assert {k: v for k, v in document.items() if k != "documentXml"} == {
        k: v for k, v in issued.items() if k != "documentXml"
    }


def test_rsa_key_signs_as_well(bank: Bank, rsa_key: KeyStore) -> None:
    bank.expected_signer = rsa_key.certificate

    result = run_app(bank.qr, key_store=rsa_key, app="business")

    assert result.outcome is Outcome.SIGNED


def test_p12_file_and_password_are_accepted(bank: Bank) -> None:
    result = run_app(
        bank.qr,
        p12=vectors.VECTORS_DIR / NCA_INDIVIDUAL,
        password=vectors.entry(NCA_INDIVIDUAL)["password"],
    )

    assert result.outcome is Outcome.SIGNED


def test_headers_follow_the_spec_on_every_call(bank: Bank, rsa_key: KeyStore) -> None:
    run_app(bank.qr, key_store=rsa_key, lang="kk")

    (api1, api2, put) = bank.calls
    for _method, _path, headers, _body in bank.calls:
        assert headers["Accept-Language"] == "kk"
    assert "Authorization" not in api1[2]
    assert api2[2]["Authorization"] == f"Bearer {bank.token}"
    assert put[2]["Authorization"] == f"Bearer {bank.token}"
    assert put[2]["Content-Type"] == "application/json"


def test_user_agent_names_the_app_played(bank: Bank, rsa_key: KeyStore) -> None:
    run_app(bank.qr, key_store=rsa_key, app=App.BUSINESS)

    assert "eGov Business" in bank.calls[0][2]["User-Agent"]


def test_shown_texts_follow_the_language(bank: Bank, rsa_key: KeyStore) -> None:
    result = run_app(bank.qr, key_store=rsa_key, lang="kk")

    assert result.organisation_name == "«Банк» АҚ"
    assert result.organisation_bin == "123456789012"
    assert result.description == "Вход в интернет-банк"
    assert result.documents[0].name == "Интернет-банкке кіру"
    assert result.documents[0].meta == (
        ("Сайт", "bank.kz"),
        ("Время запроса", "01.03.2026 15:00"),
    )


def test_printout_shows_what_the_app_shows(bank: Bank, rsa_key: KeyStore) -> None:
    out = io.StringIO()

    run_app(bank.qr, key_store=rsa_key, out=out)

    text = out.getvalue()
    assert "Вход в интернет-банк" in text
    assert "АО «Банк» (БИН 123456789012)" in text
    assert "Срок действия QR-кода: 2099-03-01T10:02:00.000Z" in text
    assert "Время запроса: 01.03.2026 15:00" in text
    assert "Подписание выполнено успешно (success)" in text
    assert bank.token not in text


@pytest.mark.parametrize("sign_method", ["CMS_WITH_DATA", "CMS_SIGN_ONLY"])
def test_cms_methods_sign_the_decoded_data(
    bank: Bank, nca_key: KeyStore, sign_method: str
) -> None:
    bank.sign_method = sign_method
    bank.expected_signer = nca_key.certificate

    result = run_app(bank.qr, key_store=nca_key)

    assert result.outcome is Outcome.SIGNED
    assert result.sign_method == sign_method
    assert any("timestamp" in note for note in result.notes)


def test_auth_type_none_sends_no_authorization(bank: Bank, rsa_key: KeyStore) -> None:
    bank.auth_type = "None"

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.SIGNED
    assert all("Authorization" not in headers for _m, _p, headers, _b in bank.calls)


def test_auth_type_eds_posts_a_signed_login_naming_api2(
    bank: Bank, rsa_key: KeyStore
) -> None:
    bank.auth_type = "Eds"

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.SIGNED
    assert _methods(bank) == [
        ("GET", "mgovSign"),
        ("POST", "documents"),
        ("PUT", "documents"),
    ]
    assert bank.eds_login is not None
    assert f"<url>{bank.api2_url}</url>".encode() in bank.eds_login


def test_mix_sign_signs_each_document_by_its_own_method(
    bank: Bank, rsa_key: KeyStore
) -> None:
    data = base64.b64encode(b"contract text").decode("ascii")
    bank.api2_override = {
        "signMethod": "MIX_SIGN",
        "version": 1,
        "documentsToSign": [
            {
                "id": 1,
                "signMethod": "XML",
                "nameRu": "Заявление",
                "documentXml": "<a>1</a>",
            },
            {
                "id": 2,
                "signMethod": "CMS_SIGN_ONLY",
                "nameRu": "Договор",
                "document": {"file": {"mime": "text/plain", "data": data}},
            },
        ],
    }

    def check(payload: dict[str, Any]) -> None:
        xml, cms = payload["documentsToSign"]
        if verify_xml(xml["documentXml"].encode()).document != canonicalize(
            b"<a>1</a>"
        ):
            raise ValueError("XML document changed")
        der = base64.b64decode(cms["document"]["file"]["data"])
        verify_cms(der, detached_content=b"contract text")
        if cms["signMethod"] != "CMS_SIGN_ONLY" or cms["nameRu"] != "Договор":
            raise ValueError("fields other than the data changed")

    bank.checker = check

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.SIGNED
    assert [d.sign_method for d in result.documents] == ["XML", "CMS_SIGN_ONLY"]


def test_sign_bytes_array_returns_signature_and_certificate(
    bank: Bank, rsa_key: KeyStore
) -> None:
    bank.api2_override = {
        "signMethod": "SIGN_BYTES_ARRAY",
        "version": 1,
        "documentsToSign": [
            {
                "id": 1,
                "nameRu": "Данные",
                "document": {"file": {"mime": "text/plain", "data": "bytes to sign"}},
            },
        ],
    }

    def check(payload: dict[str, Any]) -> None:
        answer = json.loads(payload["documentsToSign"][0]["document"]["file"]["data"])
        certificate = Certificate.load(answer["certificate"].encode("ascii"))
        verify_signature(
            public_key=certificate.public_key,
            signature_algorithm=SHA256_WITH_RSA,
            message=b"bytes to sign",
            signature=base64.b64decode(answer["signature"]),
        )

    bank.checker = check

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.SIGNED


def test_success_without_the_v5_body_is_noted(bank: Bank, rsa_key: KeyStore) -> None:
    bank.success_body = {"backUrl": "https://bank.kz/back"}
    out = io.StringIO()

    result = run_app(bank.qr, key_store=rsa_key, out=out)

    assert result.outcome is Outcome.SIGNED
    assert result.back_url == "https://bank.kz/back"
    assert any("status" in note for note in result.notes)
    assert "backUrl: https://bank.kz/back" in out.getvalue()


def test_unknown_sign_method_is_a_protocol_error(bank: Bank, rsa_key: KeyStore) -> None:
    bank.sign_method = "xml"

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.PROTOCOL_ERROR
    assert _methods(bank) == [("GET", "mgovSign"), ("GET", "documents")]


def test_auth_type_in_the_wrong_case_is_a_protocol_error(
    bank: Bank, rsa_key: KeyStore
) -> None:
    bank.auth_type = "token"

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.PROTOCOL_ERROR
    assert result.message is not None and "auth_type" in result.message


# -- deep links ----------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected_app"),
    [
        ("https://m.egov.kz/mobileSign/?link={encoded}", App.MOBILE),
        ("https://m.egov.kz/businessSign/?link={encoded}", App.BUSINESS),
        (
            "https://mgovsign.page.link/?link={encoded}"
            "&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov",
            App.MOBILE,
        ),
        (
            "https://egovbusiness.page.link/?link={raw}&isi=1597880144"
            "&ibi=kz.mobile.mgov.business&apn=kz.mobile.mgov.business",
            App.BUSINESS,
        ),
    ],
    ids=[
        "m.egov.kz mobile",
        "m.egov.kz business",
        "page.link mobile",
        "page.link business",
    ],
)
def test_deep_link_opens_its_app_and_runs(
    bank: Bank, rsa_key: KeyStore, template: str, expected_app: App
) -> None:
    link = template.format(encoded=quote(bank.api1_url, safe=""), raw=bank.api1_url)

    result = run_app(link, key_store=rsa_key)

    assert result.outcome is Outcome.SIGNED
    assert result.app is expected_app
    assert result.api1_url == bank.api1_url


def test_link_for_the_other_app_is_a_usage_error(bank: Bank, rsa_key: KeyStore) -> None:
    link = f"https://m.egov.kz/businessSign/?link={quote(bank.api1_url, safe='')}"

    with pytest.raises(UsageError, match="business"):
        run_app(link, key_store=rsa_key, app="mobile")


def test_link_without_mgovsign_is_a_usage_error(rsa_key: KeyStore) -> None:
    link = "https://m.egov.kz/mobileSign/?link=https%3A%2F%2Fbank.kz%2Fegov%2Fs%2F1"

    with pytest.raises(UsageError, match="mgovSign"):
        run_app(link, key_store=rsa_key)


@pytest.mark.parametrize(
    "text",
    ["https://bank.kz/egov/s/1/mgovSign", "mobileSign:ftp://bank.kz/mgovSign", "hello"],
    ids=["bare URL", "not http", "junk"],
)
def test_text_that_is_no_qr_nor_link_is_a_usage_error(
    text: str, rsa_key: KeyStore
) -> None:
    with pytest.raises(UsageError):
        run_app(text, key_store=rsa_key)


# -- declining and refusals ----------------------------------------------


def test_decline_puts_the_unsigned_json_with_status_canceled(bank: Bank) -> None:
    result = run_app(bank.qr, decline=True)

    assert result.outcome is Outcome.DECLINED
    assert result.exit_code == 0
    assert bank.put_body is not None
    assert bank.put_body["status"] == "CANCELED"
    assert bank.put_body["documentsToSign"] == bank.api2()["documentsToSign"]


def test_silent_decline_makes_no_put(bank: Bank) -> None:
    result = run_app(bank.qr, decline=Decline.SILENT)

    assert result.outcome is Outcome.DECLINED
    assert _methods(bank) == [("GET", "mgovSign"), ("GET", "documents")]


def test_bank_refusal_is_reported_with_its_localized_message(
    bank: Bank, nca_key: KeyStore, rsa_key: KeyStore
) -> None:
    bank.expected_signer = nca_key.certificate
    out = io.StringIO()

    result = run_app(bank.qr, key_store=rsa_key, lang="en", out=out)

    assert result.outcome is Outcome.REFUSED
    assert result.status == 403
    assert result.message is not None and REFUSALS["en"] in result.message
    assert result.exit_code == 1
    assert REFUSALS["en"] in out.getvalue()
    # The one-time id in the URL is a bearer secret (egov-qr.md 7).
    assert bank.attempt not in out.getvalue()
    assert bank.attempt not in result.message


def test_wrong_token_is_refused_at_api2(bank: Bank, rsa_key: KeyStore) -> None:
    result = run_app(bank.qr, key_store=rsa_key, tamper=[Tamper.TOKEN])

    assert result.outcome is Outcome.REFUSED
    assert result.status == 403
    assert result.message is not None and BAD_TOKEN["ru"] in result.message
    assert _methods(bank) == [("GET", "mgovSign"), ("GET", "documents")]


@pytest.mark.parametrize(
    "tamper",
    [Tamper.DOCUMENT, Tamper.SIGNATURE, Tamper.UNSIGNED, Tamper.DOCUMENT_ID],
    ids=lambda t: t.value,
)
def test_tampered_xml_is_refused_by_the_bank(
    bank: Bank, rsa_key: KeyStore, tamper: Tamper
) -> None:
    result = run_app(bank.qr, key_store=rsa_key, tamper=[tamper])

    assert result.outcome is Outcome.REFUSED
    assert result.status == 403


@pytest.mark.parametrize(
    "tamper", [Tamper.DOCUMENT, Tamper.SIGNATURE], ids=lambda t: t.value
)
def test_tampered_cms_is_refused_by_the_bank(
    bank: Bank, rsa_key: KeyStore, tamper: Tamper
) -> None:
    bank.sign_method = "CMS_WITH_DATA"

    result = run_app(bank.qr, key_store=rsa_key, tamper=[tamper])

    assert result.status == 403


def test_corrupted_xml_signature_fails_as_signature_invalid(
    bank: Bank, rsa_key: KeyStore
) -> None:
    run_app(bank.qr, key_store=rsa_key, tamper=[Tamper.SIGNATURE])

    assert bank.put_body is not None
    signed = bank.put_body["documentsToSign"][0]["documentXml"].encode("utf-8")
    with pytest.raises(PkiError) as raised:
        verify_xml(signed)
    assert raised.value.code == "signature_invalid"


def test_api2_on_another_origin_is_a_protocol_error(
    bank: Bank, rsa_key: KeyStore
) -> None:
    bank.api2_url_override = "http://127.0.0.2:9/egov/documents"

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.PROTOCOL_ERROR
    assert result.exit_code == 1
    assert _methods(bank) == [("GET", "mgovSign")]


def test_unknown_attempt_is_reported_as_refused(bank: Bank, rsa_key: KeyStore) -> None:
    result = run_app(f"{bank.qr}-gone", key_store=rsa_key)

    assert result.outcome is Outcome.REFUSED
    assert result.status == 404


def test_expired_qr_is_noted_and_the_bank_decides(
    bank: Bank, rsa_key: KeyStore
) -> None:
    bank.expiry_date = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(
        timespec="milliseconds"
    )

    result = run_app(bank.qr, key_store=rsa_key)

    assert result.outcome is Outcome.SIGNED
    assert any("expired" in note for note in result.notes)


def test_expiry_without_milliseconds_is_noted(bank: Bank, rsa_key: KeyStore) -> None:
    bank.expiry_date = "2099-03-01T10:02:00+00:00"

    result = run_app(bank.qr, key_store=rsa_key)

    assert any("yyyy-MM-dd" in note for note in result.notes)


def test_signing_needs_a_key(bank: Bank) -> None:
    with pytest.raises(UsageError, match="key"):
        run_app(bank.qr)


def test_wrong_p12_password_is_a_usage_error(bank: Bank) -> None:
    with pytest.raises(UsageError, match="wrong password"):
        run_app(bank.qr, p12=vectors.VECTORS_DIR / NCA_INDIVIDUAL, password="wrong")
    assert bank.calls == []


# -- command line ----------------------------------------------------------


def _cli(bank: Bank, *extra: str) -> int:
    return egov_app.main(
        [
            bank.qr,
            "--p12",
            str(vectors.VECTORS_DIR / NCA_INDIVIDUAL),
            "--password",
            vectors.entry(NCA_INDIVIDUAL)["password"],
            *extra,
        ]
    )


def test_command_line_exits_0_when_the_bank_accepts(
    bank: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(bank, "--lang", "en") == 0
    assert "Signed successfully" in capsys.readouterr().out


def test_command_line_exits_1_when_the_bank_refuses(bank: Bank) -> None:
    assert _cli(bank, "--tamper", "document") == 1


def test_command_line_declines(bank: Bank) -> None:
    assert _cli(bank, "--decline") == 0
    assert bank.put_body is not None and bank.put_body["status"] == "CANCELED"


def test_command_line_exits_2_on_bad_usage(
    bank: Bank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        egov_app.main(["not a qr", "--p12", str(tmp_path / "k.p12"), "--password", "x"])
        == 2
    )
    assert _cli(bank, "--password", "wrong") == 2
    assert "wrong password" in capsys.readouterr().err
    assert bank.calls == []


def test_result_repr_hides_the_exchanges(bank: Bank, rsa_key: KeyStore) -> None:
    result: AppResult = run_app(bank.qr, key_store=rsa_key)

    assert bank.token not in repr(result)
