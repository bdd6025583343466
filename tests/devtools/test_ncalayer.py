"""The NCALayer emulator, driven over a real WebSocket like a login page."""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.sync.client import connect

from kabinet.devtools import ncalayer
from kabinet.devtools.ncalayer import (
    KeyFile,
    KeyFileError,
    KeyFilter,
    LoadedKey,
    NcaLayerEmulator,
    Outcome,
    TlsFiles,
)
from kabinet.devtools.testpki import TestPki
from kabinet.pki.cms import verify_cms
from kabinet.pki.errors import InputMalformed, Pkcs12PasswordWrong
from kabinet.pki.xmldsig import canonicalize, verify_xml
from tests import vectors

BASICS = "kz.gov.pki.knca.basics"
COMMON_UTILS = "kz.gov.pki.knca.commonUtils"
NCA_INDIVIDUAL = "keys/test-2026-2027/sdk2026_individual_valid.p12"
# Carries no emailProtection EKU (an information-system certificate).
NCA_INFOSYSTEM = "keys/test-2026-2027/sdk2026_legal_infosystem_valid.p12"
EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4"
LOGIN_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><login><nonce>c2VjcmV0</nonce></login>'
)


def _nca_key_file(path: str) -> KeyFile:
    return KeyFile(
        path=vectors.VECTORS_DIR / path,
        password=vectors.entry(path)["password"],
        name=Path(path).stem,
    )


@pytest.fixture(scope="module")
def loaded_keys(test_pki: TestPki) -> dict[str, LoadedKey]:
    """Opened once per module: GOST key files take a moment to open."""
    files = [
        _nca_key_file(NCA_INDIVIDUAL),
        _nca_key_file(NCA_INFOSYSTEM),
        *ncalayer.key_files_from_test_pki(test_pki, ["rsa_legal_first_head"]),
    ]
    return {key.name: key for key in ncalayer.load_keys(files)}


@pytest.fixture()
def emulator(loaded_keys: dict[str, LoadedKey]) -> Iterator[NcaLayerEmulator]:
    with NcaLayerEmulator(loaded_keys.values(), port=0, control_port=0) as running:
        yield running


def _send(url: str, request: dict[str, Any] | str, **connect_args: Any) -> Any:
    with connect(url, **connect_args) as ws:
        json.loads(ws.recv())  # the greeting
        ws.send(request if isinstance(request, str) else json.dumps(request))
        reply = ws.recv()
    return json.loads(reply)


def _sign_request(
    data: str | list[str],
    *,
    output_format: str = "cms",
    encapsulate: bool = True,
    decode: bool = True,
    ekus: list[str] | None = None,
    iin: str = "",
    bin_: str = "",
    chain: list[str] | None = None,
) -> dict[str, Any]:
    # chain: [] lets test keys be selected (nca-pki.md 3.2); tests that need
    # the absent-chain behaviour build their own request.
    return {
        "module": BASICS,
        "method": "sign",
        "args": {
            "allowedStorages": ["PKCS12"],
            "format": output_format,
            "data": data,
            "signingParams": {"decode": decode, "encapsulate": encapsulate},
            "signerParams": {
                "extKeyUsageOids": ekus or [],
                "iin": iin,
                "bin": bin_,
                "chain": [] if chain is None else chain,
            },
            "locale": "ru",
        },
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- transport ----------------------------------------------------------


def test_connection_opens_with_the_version_greeting(emulator: NcaLayerEmulator) -> None:
    with connect(emulator.url) as ws:
        assert ws.recv() == '{"result":{"version":"1.4"}}'


def test_heartbeat_is_echoed(emulator: NcaLayerEmulator) -> None:
    with connect(emulator.url) as ws:
        ws.recv()
        ws.send("--heartbeat--")
        assert ws.recv() == "--heartbeat--"
    assert emulator.requests == ()


@pytest.mark.parametrize(
    "request_",
    [
        {"module": "kz.gov.pki.knca.unknown", "method": "sign", "args": {}},
        {"method": "signXml", "args": ["PKCS12", "", "", "<a/>"]},
    ],
    ids=["unknown module", "legacy applet (no module)"],
)
def test_unknown_module_gets_module_not_found(
    emulator: NcaLayerEmulator, request_: dict[str, Any]
) -> None:
    reply = _send(emulator.url, request_)

    assert reply == {"success": False, "errorCode": "MODULE_NOT_FOUND"}
    assert emulator.requests[-1].outcome is Outcome.UNKNOWN_MODULE


def test_non_json_request_gets_general_error(emulator: NcaLayerEmulator) -> None:
    reply = _send(emulator.url, "sign please")

    assert reply["status"] is False
    assert reply["code"] == "GENERAL_ERROR"


def test_non_loopback_host_is_refused(loaded_keys: dict[str, LoadedKey]) -> None:
    with pytest.raises(ValueError, match="loopback"):
        NcaLayerEmulator(loaded_keys.values(), host="0.0.0.0")


def test_wss_serves_with_the_given_certificate(
    loaded_keys: dict[str, LoadedKey], tmp_path: Path
) -> None:
    certificate_path, key_path = _self_signed_localhost(tmp_path)
    client_context = ssl.create_default_context(cafile=str(certificate_path))
    tls = TlsFiles(certificate=certificate_path, key=key_path)

    with NcaLayerEmulator(loaded_keys.values(), port=0, tls=tls) as running:
        assert running.url.startswith("wss://127.0.0.1:")
        with connect(running.url, ssl=client_context) as ws:
            assert json.loads(ws.recv()) == {"result": {"version": "1.4"}}


# -- basics.sign --------------------------------------------------------


def test_basics_cms_attached_carries_the_decoded_data_signed_by_the_chosen_key(
    emulator: NcaLayerEmulator, loaded_keys: dict[str, LoadedKey]
) -> None:
    nonce = b"\x00challenge\xff"
    emulator.choose("sdk2026_individual_valid")

    reply = _send(emulator.url, _sign_request(_b64(nonce)))

    pem = reply["body"]["result"]
    assert reply["status"] is True
    assert pem.startswith("-----BEGIN CMS-----")
    signature = verify_cms(pem.encode("ascii"))
    assert signature.attached is True
    assert signature.content == nonce
    assert signature.signer == loaded_keys["sdk2026_individual_valid"].certificate
    assert signature.signer.algorithm == "GOST R 34.10-2015 512"


def test_basics_cms_detached_verifies_against_the_data_with_an_rsa_key(
    emulator: NcaLayerEmulator, loaded_keys: dict[str, LoadedKey]
) -> None:
    nonce = b"detached challenge"
    emulator.choose("rsa_legal_first_head")

    reply = _send(emulator.url, _sign_request(_b64(nonce), encapsulate=False))

    pem = reply["body"]["result"]
    with pytest.raises(InputMalformed) as missing:
        verify_cms(pem.encode("ascii"))
    assert missing.value.code == "malformed_input"
    signature = verify_cms(pem.encode("ascii"), detached_content=nonce)
    assert signature.attached is False
    assert signature.signer == loaded_keys["rsa_legal_first_head"].certificate
    assert signature.signer.algorithm.startswith("RSA")


def test_basics_cms_without_decode_signs_the_utf8_text(
    emulator: NcaLayerEmulator,
) -> None:
    emulator.choose("rsa_legal_first_head")

    reply = _send(emulator.url, _sign_request("вход в кабинет", decode=False))

    signature = verify_cms(reply["body"]["result"].encode("ascii"))
    assert signature.content == "вход в кабинет".encode()


def test_basics_cms_with_array_data_answers_an_array(
    emulator: NcaLayerEmulator,
) -> None:
    emulator.choose("rsa_legal_first_head")

    reply = _send(emulator.url, _sign_request([_b64(b"one"), _b64(b"two")]))

    result = reply["body"]["result"]
    assert isinstance(result, list)
    assert [verify_cms(pem.encode()).content for pem in result] == [b"one", b"two"]


def test_basics_xml_answers_an_array_of_signed_documents(
    emulator: NcaLayerEmulator, loaded_keys: dict[str, LoadedKey]
) -> None:
    emulator.choose("sdk2026_individual_valid")

    reply = _send(
        emulator.url, _sign_request(LOGIN_XML, output_format="xml", decode=False)
    )

    result = reply["body"]["result"]
    assert isinstance(result, list) and len(result) == 1
    signature = verify_xml(result[0].encode("utf-8"))
    assert signature.document == canonicalize(LOGIN_XML.encode("utf-8"))
    assert signature.signer == loaded_keys["sdk2026_individual_valid"].certificate


def test_cancel_next_answers_an_empty_body_once(emulator: NcaLayerEmulator) -> None:
    emulator.choose("rsa_legal_first_head")
    emulator.cancel_next()

    first = _send(emulator.url, _sign_request(_b64(b"x")))
    second = _send(emulator.url, _sign_request(_b64(b"x")))

    assert first == {"status": True, "body": {}}
    assert "result" in second["body"]
    assert [r.outcome for r in emulator.requests] == [Outcome.CANCELED, Outcome.SIGNED]


def test_fail_next_answers_the_error_shape(emulator: NcaLayerEmulator) -> None:
    emulator.fail_next(
        "INVOCATION_ERROR", "An invoked method threw an exception.", "io"
    )

    reply = _send(emulator.url, _sign_request(_b64(b"x")))

    assert reply == {
        "status": False,
        "code": "INVOCATION_ERROR",
        "message": "An invoked method threw an exception.",
        "details": "io",
    }
    assert emulator.requests[-1].outcome is Outcome.FAILED


def test_key_lacking_a_requested_eku_is_not_selectable_and_the_dialog_closes(
    emulator: NcaLayerEmulator,
) -> None:
    emulator.choose("sdk2026_legal_infosystem_valid")

    reply = _send(emulator.url, _sign_request(_b64(b"x"), ekus=[EMAIL_PROTECTION]))

    assert reply == {"status": True, "body": {}}
    record = emulator.requests[-1]
    assert record.outcome is Outcome.CANCELED
    assert record.reason is not None and EMAIL_PROTECTION in record.reason


def test_key_having_every_requested_eku_signs(emulator: NcaLayerEmulator) -> None:
    emulator.choose("sdk2026_individual_valid")

    reply = _send(
        emulator.url,
        _sign_request(_b64(b"x"), ekus=[EMAIL_PROTECTION, "1.2.398.3.3.4.1.1"]),
    )

    assert verify_cms(reply["body"]["result"].encode()).content == b"x"


def test_ignored_filters_sign_with_a_key_the_page_ruled_out(
    loaded_keys: dict[str, LoadedKey],
) -> None:
    with NcaLayerEmulator(
        loaded_keys.values(), port=0, key_filter=KeyFilter.IGNORE
    ) as running:
        running.choose("sdk2026_legal_infosystem_valid")
        reply = _send(running.url, _sign_request(_b64(b"x"), ekus=[EMAIL_PROTECTION]))

    signature = verify_cms(reply["body"]["result"].encode())
    assert signature.signer == loaded_keys["sdk2026_legal_infosystem_valid"].certificate


@pytest.mark.parametrize(
    ("iin", "bin_"),
    [("000000000000", ""), ("", "000000000000")],
    ids=["other IIN", "other BIN"],
)
def test_iin_or_bin_filter_for_another_person_closes_the_dialog(
    emulator: NcaLayerEmulator, iin: str, bin_: str
) -> None:
    emulator.choose("sdk2026_individual_valid")

    reply = _send(emulator.url, _sign_request(_b64(b"x"), iin=iin, bin_=bin_))

    assert reply == {"status": True, "body": {}}


def test_iin_filter_matching_the_key_signs(emulator: NcaLayerEmulator) -> None:
    emulator.choose("sdk2026_individual_valid")

    reply = _send(emulator.url, _sign_request(_b64(b"x"), iin="123456789011"))

    assert "result" in reply["body"]


def test_absent_chain_allows_only_production_keys(emulator: NcaLayerEmulator) -> None:
    emulator.choose("sdk2026_individual_valid")
    request = _sign_request(_b64(b"x"))
    del request["args"]["signerParams"]["chain"]

    reply = _send(emulator.url, request)

    assert reply == {"status": True, "body": {}}
    reason = emulator.requests[-1].reason
    assert reason is not None and "chain" in reason


def test_chain_naming_the_issuing_ca_allows_its_keys(
    emulator: NcaLayerEmulator,
) -> None:
    issuer_pem = vectors.read("ca/test/nca_gost2022_test.pem").decode("ascii")
    emulator.choose("sdk2026_individual_valid")

    allowed = _send(emulator.url, _sign_request(_b64(b"x"), chain=[issuer_pem]))
    emulator.choose("rsa_legal_first_head")
    refused = _send(emulator.url, _sign_request(_b64(b"x"), chain=[issuer_pem]))

    assert "result" in allowed["body"]
    assert refused == {"status": True, "body": {}}


def test_expired_key_is_selectable_only_with_allow_expired(
    loaded_keys: dict[str, LoadedKey],
) -> None:
    after_expiry = datetime(2027, 6, 1, tzinfo=UTC)
    with NcaLayerEmulator(
        loaded_keys.values(), port=0, clock=lambda: after_expiry
    ) as running:
        running.choose("sdk2026_individual_valid")
        refused = _send(running.url, _sign_request(_b64(b"x")))
        request = _sign_request(_b64(b"x"))
        request["args"]["signingParams"]["allowExpired"] = True
        allowed = _send(running.url, request)

    assert refused == {"status": True, "body": {}}
    signature = verify_cms(allowed["body"]["result"].encode())
    assert signature.signing_time == after_expiry


@pytest.mark.parametrize(
    ("change", "expected_details"),
    [
        ({"data": "not base64!"}, "base64"),
        ({"format": "raw"}, "format"),
        ({"data": []}, "data"),
        ({"signingParams": {"decode": True, "digested": True}}, "digested"),
    ],
    ids=["bad base64", "raw format", "empty data", "digested"],
)
def test_unusable_parameters_get_invalid_signing_params(
    emulator: NcaLayerEmulator, change: dict[str, Any], expected_details: str
) -> None:
    request = _sign_request(_b64(b"x"))
    request["args"].update(change)

    reply = _send(emulator.url, request)

    assert reply["status"] is False
    assert reply["code"] == "INVALID_SIGNING_PARAMS"
    assert expected_details in reply["details"]
    assert emulator.requests[-1].outcome is Outcome.REFUSED


def test_requests_are_recorded_with_origin_and_key(emulator: NcaLayerEmulator) -> None:
    emulator.choose("rsa_legal_first_head")

    _send(
        emulator.url,
        _sign_request(_b64(b"x")),
        origin="http://127.0.0.1:8000",
    )

    (record,) = emulator.requests
    assert record.module == BASICS
    assert record.method == "sign"
    assert record.origin == "http://127.0.0.1:8000"
    assert record.key_name == "rsa_legal_first_head"
    assert record.outcome is Outcome.SIGNED
    assert record.args["data"] == _b64(b"x")


# -- commonUtils --------------------------------------------------------


def _common(method: str, *args: Any, uuid: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "module": COMMON_UTILS,
        "method": method,
        "args": list(args),
    }
    if uuid is not None:
        request["uuid"] = uuid
    return request


def test_common_utils_get_active_tokens_lists_none(emulator: NcaLayerEmulator) -> None:
    assert _send(emulator.url, _common("getActiveTokens")) == {
        "code": "200",
        "responseObject": [],
    }


def test_common_utils_get_key_info_describes_the_chosen_key(
    emulator: NcaLayerEmulator, loaded_keys: dict[str, LoadedKey]
) -> None:
    emulator.choose("sdk2026_individual_valid")
    certificate = loaded_keys["sdk2026_individual_valid"].certificate

    reply = _send(emulator.url, _common("getKeyInfo", "PKCS12", uuid="u-1"))

    info = reply["responseObject"]
    assert reply["code"] == "200"
    assert reply["uuid"] == "u-1"
    assert info["pem"] == certificate.to_pem()
    assert info["serialNumber"] == certificate.serial_hex
    assert info["subjectCn"] == "ТЕСТОВ ТЕСТ"
    assert info["certNotAfter"] == str(int(certificate.not_after.timestamp() * 1000))


@pytest.mark.parametrize("attach", [True, False], ids=["attached", "detached"])
def test_common_utils_cades_answers_bare_base64(
    emulator: NcaLayerEmulator, loaded_keys: dict[str, LoadedKey], attach: bool
) -> None:
    emulator.choose("sdk2026_individual_valid")

    reply = _send(
        emulator.url,
        _common("createCAdESFromBase64", "PKCS12", "SIGNATURE", _b64(b"nonce"), attach),
    )

    assert reply["code"] == "200"
    der = base64.b64decode(reply["responseObject"], validate=True)
    signature = verify_cms(der, detached_content=None if attach else b"nonce")
    assert signature.content == b"nonce"
    assert signature.attached is attach
    assert signature.signer == loaded_keys["sdk2026_individual_valid"].certificate


def test_common_utils_sign_xml_and_sign_xmls(emulator: NcaLayerEmulator) -> None:
    emulator.choose("rsa_legal_first_head")

    one = _send(
        emulator.url, _common("signXml", "PKCS12", "SIGNATURE", LOGIN_XML, "", "")
    )
    many = _send(
        emulator.url,
        _common("signXmls", "PKCS12", "SIGNATURE", [LOGIN_XML, "<b>2</b>"], "", ""),
    )

    expected = canonicalize(LOGIN_XML.encode("utf-8"))
    assert verify_xml(one["responseObject"].encode("utf-8")).document == expected
    documents = [verify_xml(x.encode("utf-8")).document for x in many["responseObject"]]
    assert documents == [expected, canonicalize(b"<b>2</b>")]


def test_common_utils_cancel_answers_action_canceled(
    emulator: NcaLayerEmulator,
) -> None:
    emulator.cancel_next()

    reply = _send(
        emulator.url, _common("signXml", "PKCS12", "SIGNATURE", LOGIN_XML, "", "")
    )

    assert reply == {"code": "500", "message": "action.canceled"}


def test_common_utils_failure_answers_code_500_with_the_message(
    emulator: NcaLayerEmulator,
) -> None:
    emulator.fail_next("INVOCATION_ERROR", "Неверный пароль")

    reply = _send(
        emulator.url,
        _common("createCAdESFromBase64", "PKCS12", "SIGNATURE", _b64(b"x"), True),
    )

    assert reply == {"code": "500", "message": "Неверный пароль"}


def test_common_utils_change_locale_is_accepted(emulator: NcaLayerEmulator) -> None:
    assert _send(emulator.url, _common("changeLocale", "ru")) == {"code": "200"}


def test_common_utils_key_type_signature_needs_non_repudiation(
    emulator: NcaLayerEmulator, test_pki: TestPki
) -> None:
    auth_only = ncalayer.load_keys(
        ncalayer.key_files_from_test_pki(test_pki, ["rsa_individual_auth"])
    )
    with NcaLayerEmulator(auth_only, port=0) as running:
        refused = _send(
            running.url,
            _common("createCAdESFromBase64", "PKCS12", "SIGNATURE", _b64(b"x"), True),
        )
        allowed = _send(
            running.url,
            _common(
                "createCAdESFromBase64", "PKCS12", "AUTHENTICATION", _b64(b"x"), True
            ),
        )

    assert refused == {"code": "500", "message": "action.canceled"}
    assert allowed["code"] == "200"


def test_common_utils_hash_signing_is_reported_unsupported(
    emulator: NcaLayerEmulator,
) -> None:
    reply = _send(
        emulator.url,
        _common("createCAdESFromBase64Hash", "PKCS12", "SIGNATURE", _b64(b"h" * 64)),
    )

    assert reply["code"] == "500"
    assert "not supported" in reply["message"]


# -- keys at start-up ---------------------------------------------------


def test_wrong_key_password_at_start_up_is_a_clear_error() -> None:
    key_file = KeyFile(path=vectors.VECTORS_DIR / NCA_INDIVIDUAL, password="wrong")

    with pytest.raises(KeyFileError, match="wrong password") as raised:
        NcaLayerEmulator([key_file], port=0)

    assert isinstance(raised.value.__cause__, Pkcs12PasswordWrong)
    assert raised.value.__cause__.code == "pkcs12_password_wrong"
    assert "sdk2026_individual_valid.p12" in str(raised.value)


def test_command_line_with_a_wrong_password_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = ncalayer.main(["--key", f"{vectors.VECTORS_DIR / NCA_INDIVIDUAL}:wrong"])

    assert code == 2
    assert "wrong password" in capsys.readouterr().err


def test_command_line_with_a_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ncalayer.main(["--key", f"{tmp_path / 'none.p12'}:Qwerty12", "--port", "0"])

    assert code == 2
    assert "none.p12" in capsys.readouterr().err


def test_choosing_an_unknown_key_raises_key_error(emulator: NcaLayerEmulator) -> None:
    with pytest.raises(KeyError):
        emulator.choose("nobody")


# -- the control page ---------------------------------------------------


def _control(
    emulator: NcaLayerEmulator,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    origin: str | None = None,
) -> tuple[int, Any]:
    assert emulator.control_url is not None
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        emulator.control_url + path,
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    if origin is not None:
        request.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_control_endpoint_chooses_the_key_and_cancels_the_next_signature(
    emulator: NcaLayerEmulator,
) -> None:
    status, state = _control(emulator, "/api/choose", {"key": "rsa_legal_first_head"})
    assert status == 200
    assert state["selected"] == "rsa_legal_first_head"
    assert {key["name"] for key in state["keys"]} == {
        "sdk2026_individual_valid",
        "sdk2026_legal_infosystem_valid",
        "rsa_legal_first_head",
    }

    _control(emulator, "/api/cancel-next", {})
    reply = _send(emulator.url, _sign_request(_b64(b"x")))
    assert reply == {"status": True, "body": {}}

    signed = _send(emulator.url, _sign_request(_b64(b"x")))
    assert verify_cms(signed["body"]["result"].encode()).signer.algorithm.startswith(
        "RSA"
    )
    status, requests = _control(emulator, "/api/requests")
    assert [r["outcome"] for r in requests] == ["canceled", "signed"]


def test_control_endpoint_fail_next_sets_the_error(emulator: NcaLayerEmulator) -> None:
    _control(emulator, "/api/fail-next", {"code": "GENERAL_ERROR", "message": "boom"})

    reply = _send(emulator.url, _sign_request(_b64(b"x")))

    assert reply["code"] == "GENERAL_ERROR"
    assert reply["message"] == "boom"


def test_control_endpoint_refuses_an_unknown_key(emulator: NcaLayerEmulator) -> None:
    status, body = _control(emulator, "/api/choose", {"key": "nobody"})

    assert status == 404
    assert "nobody" in body["error"]
    assert emulator.selected == "sdk2026_individual_valid"


def test_control_endpoint_refuses_a_foreign_origin(emulator: NcaLayerEmulator) -> None:
    status, _body = _control(
        emulator,
        "/api/choose",
        {"key": "rsa_legal_first_head"},
        origin="https://evil.example",
    )

    assert status == 403
    assert emulator.selected == "sdk2026_individual_valid"


def test_control_page_lists_the_keys(emulator: NcaLayerEmulator) -> None:
    assert emulator.control_url is not None
    with urllib.request.urlopen(emulator.control_url + "/", timeout=10) as response:
        page = response.read().decode("utf-8")

    assert "sdk2026_individual_valid" in page
    assert "rsa_legal_first_head" in page
    assert "ТЕСТОВ ТЕСТ" in page


def test_control_page_form_selects_a_key(emulator: NcaLayerEmulator) -> None:
    assert emulator.control_url is not None
    request = urllib.request.Request(
        emulator.control_url + "/choose",
        data=b"key=rsa_legal_first_head",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200  # after the redirect to /

    assert emulator.selected == "rsa_legal_first_head"


def test_ask_mode_waits_for_the_answer_on_the_control_page(
    loaded_keys: dict[str, LoadedKey],
) -> None:
    with NcaLayerEmulator(
        loaded_keys.values(), port=0, control_port=0, ask=True
    ) as running:
        replies: list[Any] = []
        client = threading.Thread(
            target=lambda: replies.append(
                _send(running.url, _sign_request(_b64(b"asked")))
            )
        )
        client.start()
        state = _wait_for_pending(running)
        assert state["pending"]["keys"]["rsa_legal_first_head"] is None

        status, _ = _control(running, "/api/answer", {"key": "rsa_legal_first_head"})
        client.join(timeout=30)

    assert status == 200
    signature = verify_cms(replies[0]["body"]["result"].encode())
    assert signature.signer == loaded_keys["rsa_legal_first_head"].certificate


def test_ask_mode_refuses_an_answer_with_a_disabled_key(
    loaded_keys: dict[str, LoadedKey],
) -> None:
    with NcaLayerEmulator(
        loaded_keys.values(), port=0, control_port=0, ask=True
    ) as running:
        replies: list[Any] = []
        request = _sign_request(_b64(b"x"), ekus=[EMAIL_PROTECTION])
        client = threading.Thread(
            target=lambda: replies.append(_send(running.url, request))
        )
        client.start()
        _wait_for_pending(running)

        status, body = _control(
            running, "/api/answer", {"key": "sdk2026_legal_infosystem_valid"}
        )
        cancel_status, _ = _control(running, "/api/answer", {"cancel": True})
        client.join(timeout=30)

    assert status == 409
    assert EMAIL_PROTECTION in body["error"]
    assert cancel_status == 200
    assert replies == [{"status": True, "body": {}}]


def _wait_for_pending(emulator: NcaLayerEmulator) -> dict[str, Any]:
    # Polls the emulator's own state until the client's request arrives.
    for _ in range(500):
        state = emulator.state()
        if state["pending"] is not None:
            return state
        threading.Event().wait(0.02)
    raise AssertionError("the request never reached the dialog")


def _self_signed_localhost(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = folder / "localhost.pem"
    key_path = folder / "localhost.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


def test_busy_control_port_fails_start_and_releases_the_websocket_port(
    loaded_keys: dict[str, LoadedKey],
) -> None:
    # Other emulators of the session (the browser tests') may be running.
    threads_before = set(threading.enumerate())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        emulator = NcaLayerEmulator(
            loaded_keys.values(), port=0, control_port=busy.getsockname()[1]
        )
        with pytest.raises(OSError):
            emulator.start()

    assert emulator.control_url is None
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    started = set(threading.enumerate()) - threads_before
    assert "ncalayer" not in [thread.name for thread in started]
