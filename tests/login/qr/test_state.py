"""The life of a code and the PUT check, without HTTP: each transition and
each guard of :mod:`kabinet.login.qr.state` and
:mod:`kabinet.login.qr.verification` on its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from pytest_django import Settings

from kabinet.accounts.roles import LoginMethod, Role
from kabinet.login.audit import AttemptTrail
from kabinet.login.challenge import consume_challenge
from kabinet.login.client import RequestMeta
from kabinet.login.errors import (
    ChallengeExpired,
    ChallengeNotFound,
    ChallengeUsed,
    RequestInvalid,
    RoleNotAllowed,
)
from kabinet.login.models import LoginAttempt
from kabinet.login.qr.errors import QrLoginDeclined, QrTokenInvalid, QrTokenMissing
from kabinet.login.qr.models import QrLogin, QrState
from kabinet.login.qr.protocol import api2_answer
from kabinet.login.qr.state import (
    ABANDONED_AFTER,
    PICKUP_WINDOW,
    PublicState,
    find_qr_login,
    hand_out_token,
    issue_qr_login,
    pick_up,
    record_rejected,
    require_bearer_token,
    require_open,
    state_of,
)
from kabinet.login.qr.verification import (
    MAX_PUT_BYTES,
    parse_put_body,
    require_document_matches,
    require_issued_documents,
    require_not_declined,
    verify_qr_login,
)
from kabinet.pki.errors import ContentMismatch, InputMalformed, InputTooLarge
from tests.login.qr.conftest import BANK_BIN, signed_payload
from tests.web_conftest import Keys

META = RequestMeta(ip="192.0.2.10", user_agent="kabinet-test-app/1")
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture()
def qr_settings(db: None, pki_settings: Settings) -> Settings:
    pki_settings.KABINET_PUBLIC_URL = "https://cabinet.example.kz"
    pki_settings.KABINET_BANK_BIN = BANK_BIN
    return pki_settings


def issue(role: Role = Role.CANDIDATE, at: datetime = NOW) -> tuple[str, QrLogin]:
    issued = issue_qr_login(SessionStore(), role=role, client_ip="192.0.2.1", at=at)
    return issued.id, find_qr_login(issued.id)


def fresh(public_id: str) -> QrLogin:
    return find_qr_login(public_id)


def signed_body(login: QrLogin, keys: Keys, key: str = "gost_individual") -> bytes:
    payload = api2_answer(
        document_xml=login.document_xml,
        role=Role(login.challenge.role),
        issued_at=login.challenge.issued_at,
        language="ru",
    )
    return json.dumps(signed_payload(payload, keys, key)).encode("utf-8")


def put(
    login: QrLogin, token: str, body: bytes, at: datetime = NOW
) -> tuple[Any, AttemptTrail]:
    trail = AttemptTrail(method=LoginMethod.QR, meta=META, at=at)
    result = verify_qr_login(
        login=login,
        authorization_header=f"Bearer {token}",
        body=body,
        request_meta=META,
        at=at,
        trail=trail,
    )
    return result, trail


# ---------------------------------------------------------------------------
# States


@pytest.mark.usefixtures("qr_settings")
def test_new_code_waits_until_api1_is_read_then_is_scanned() -> None:
    public_id, login = issue()
    assert state_of(login, at=NOW) is PublicState.WAITING

    hand_out_token(login, at=NOW)

    assert fresh(public_id).state == QrState.SCANNED
    assert state_of(fresh(public_id), at=NOW) is PublicState.SCANNED


@pytest.mark.usefixtures("qr_settings")
def test_code_expires_with_its_challenge() -> None:
    public_id, login = issue()
    expires_at = login.challenge.expires_at

    assert state_of(login, at=expires_at - timedelta(seconds=1)) is PublicState.WAITING
    assert state_of(login, at=expires_at) is PublicState.EXPIRED
    with pytest.raises(ChallengeExpired) as raised:
        hand_out_token(login, at=expires_at)
    assert raised.value.code == "challenge_expired"
    assert fresh(public_id).state == QrState.WAITING


@pytest.mark.usefixtures("qr_settings")
def test_code_used_up_without_an_outcome_stops_showing_scanned() -> None:
    public_id, login = issue()
    hand_out_token(login, at=NOW)
    consume_challenge(login.challenge_id, method=LoginMethod.QR, at=NOW)
    login = fresh(public_id)
    expires_at = login.challenge.expires_at

    assert state_of(login, at=expires_at) is PublicState.SCANNED
    assert state_of(login, at=expires_at + ABANDONED_AFTER) is PublicState.EXPIRED


@pytest.mark.usefixtures("qr_settings")
def test_api1_after_the_code_was_used_is_refused() -> None:
    public_id, login = issue()
    hand_out_token(login, at=NOW)
    consume_challenge(login.challenge_id, method=LoginMethod.QR, at=NOW)

    with pytest.raises(ChallengeUsed) as raised:
        hand_out_token(fresh(public_id), at=NOW)
    assert raised.value.code == "challenge_used"
    with pytest.raises(ChallengeUsed):
        require_open(fresh(public_id).challenge, at=NOW)


@pytest.mark.usefixtures("qr_settings")
def test_refusal_is_not_recorded_over_a_decided_code(keys: Keys) -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)
    put(login, token, signed_body(login, keys))

    record_rejected(fresh(public_id), code="server_error", at=NOW)

    assert fresh(public_id).state == QrState.SIGNED


@pytest.mark.usefixtures("qr_settings")
@pytest.mark.parametrize("public_id", ["", "short", "A" * 42 + "!", "A" * 44])
def test_id_not_of_the_issued_form_is_not_found(public_id: str) -> None:
    with pytest.raises(ChallengeNotFound) as raised:
        find_qr_login(public_id)
    assert raised.value.code == "challenge_not_found"


@pytest.mark.usefixtures("qr_settings")
def test_only_the_hash_of_the_id_and_token_is_stored() -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)

    row = QrLogin.objects.get()
    stored = " ".join(str(value) for value in row.__dict__.values())
    assert public_id not in stored
    assert token not in stored
    assert public_id not in repr(row) and row.id_hash not in repr(row)


# ---------------------------------------------------------------------------
# The bearer token


@pytest.mark.usefixtures("qr_settings")
@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Token abc"])
def test_missing_bearer_token_is_refused(header: str | None) -> None:
    _, login = issue()
    hand_out_token(login, at=NOW)

    with pytest.raises(QrTokenMissing) as raised:
        require_bearer_token(login, authorization=header)
    assert raised.value.code == "qr_token_missing"


@pytest.mark.usefixtures("qr_settings")
def test_token_before_any_scan_is_refused() -> None:
    _, login = issue()

    with pytest.raises(QrTokenInvalid) as raised:
        require_bearer_token(login, authorization="Bearer " + "0" * 43)
    assert raised.value.code == "qr_token_invalid"


@pytest.mark.usefixtures("qr_settings")
def test_bearer_scheme_is_case_insensitive_and_long_tokens_are_refused() -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)
    login = fresh(public_id)

    require_bearer_token(login, authorization=f"bearer {token}")
    with pytest.raises(QrTokenInvalid):
        require_bearer_token(login, authorization="Bearer " + token * 10)


# ---------------------------------------------------------------------------
# The PUT


@pytest.mark.usefixtures("qr_settings")
def test_accepted_put_is_picked_up_once(keys: Keys) -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)

    authorization, trail = put(fresh(public_id), token, signed_body(login, keys))

    assert authorization.role is Role.CANDIDATE
    assert trail.certificate == keys["gost_individual"].certificate
    assert state_of(fresh(public_id), at=NOW) is PublicState.SIGNED
    picked = pick_up(fresh(public_id), at=NOW)
    assert picked is not None
    assert picked.user == authorization.user
    assert picked.certificate == keys["gost_individual"].certificate
    assert picked.person is not None and picked.person.iin == picked.identity.iin
    assert (picked.role, picked.method) == (Role.CANDIDATE, LoginMethod.QR)
    assert pick_up(fresh(public_id), at=NOW) is None
    assert fresh(public_id).state == QrState.COMPLETED


@pytest.mark.usefixtures("qr_settings")
def test_accepted_put_left_too_long_is_not_picked_up(keys: Keys) -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)
    put(login, token, signed_body(login, keys))

    late = NOW + PICKUP_WINDOW

    assert state_of(fresh(public_id), at=late) is PublicState.EXPIRED
    assert pick_up(fresh(public_id), at=late) is None


@pytest.mark.usefixtures("qr_settings")
def test_refused_put_records_its_code_and_uses_the_code_up(keys: Keys) -> None:
    public_id, login = issue(Role.APPLICANT)
    token = hand_out_token(login, at=NOW)

    with pytest.raises(RoleNotAllowed) as raised:
        put(login, token, signed_body(login, keys, "gost_individual"))

    assert raised.value.code == "role_not_allowed"
    row = fresh(public_id)
    assert (row.state, row.error_code) == (QrState.REJECTED, "role_not_allowed")
    assert row.challenge.used_at is not None
    assert state_of(row, at=NOW) is PublicState.REJECTED
    with pytest.raises(ChallengeUsed):
        put(row, token, signed_body(row, keys, "gost_legal_first_head"))


@pytest.mark.usefixtures("qr_settings")
def test_put_that_is_not_json_changes_nothing(keys: Keys) -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)

    with pytest.raises(RequestInvalid):
        put(login, token, b"\xff\xfe")

    row = fresh(public_id)
    assert row.state == QrState.SCANNED
    assert row.challenge.used_at is None
    authorization, _ = put(row, token, signed_body(row, keys))
    assert authorization.role is Role.CANDIDATE


@pytest.mark.usefixtures("qr_settings")
def test_put_after_expiry_changes_nothing(keys: Keys) -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)

    with pytest.raises(ChallengeExpired):
        put(login, token, signed_body(login, keys), at=login.challenge.expires_at)

    row = fresh(public_id)
    assert (row.state, row.challenge.used_at) == (QrState.SCANNED, None)


@pytest.mark.usefixtures("qr_settings")
def test_declined_put_rejects_the_code(keys: Keys) -> None:
    public_id, login = issue()
    token = hand_out_token(login, at=NOW)
    payload = api2_answer(
        document_xml=login.document_xml,
        role=Role.CANDIDATE,
        issued_at=NOW,
        language="ru",
    )
    payload["status"] = "CANCELED"

    with pytest.raises(QrLoginDeclined) as raised:
        put(login, token, json.dumps(payload).encode())

    assert raised.value.code == "qr_declined"
    row = fresh(public_id)
    assert (row.state, row.error_code) == (QrState.REJECTED, "qr_declined")
    assert not LoginAttempt.objects.exists()  # the view writes the audit row


# ---------------------------------------------------------------------------
# The PUT's guards, one by one


def test_put_body_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge) as raised:
        parse_put_body(b" " * (MAX_PUT_BYTES + 1))
    assert raised.value.code == "input_too_large"


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"{", b"\xff"])
def test_put_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(RequestInvalid) as raised:
        parse_put_body(body)
    assert raised.value.code == "bad_request"


@pytest.mark.parametrize("status", ["CANCELED", "canceled", "REJECTED", None, 0, ""])
def test_any_status_but_signed_is_a_decline(status: object) -> None:
    with pytest.raises(QrLoginDeclined):
        require_not_declined({"status": status, "documentsToSign": []})


@pytest.mark.parametrize("payload", [{}, {"status": "SIGNED"}, {"status": "signed"}])
def test_no_status_or_signed_is_not_a_decline(payload: dict[str, Any]) -> None:
    require_not_declined(payload)


@pytest.mark.parametrize(
    "documents",
    [
        [{"id": True, "documentXml": "<a/>"}],
        [{"id": "1", "documentXml": "<a/>"}],
        [{"id": 2, "documentXml": "<a/>"}],
        [{"id": 1, "documentXml": "<a/>"}, {"id": 1, "documentXml": "<a/>"}],
        [{"id": 1, "documentXml": "<a/>"}, {"id": 2, "documentXml": "<a/>"}],
        [],
    ],
)
def test_other_documents_than_the_issued_one_are_refused(
    documents: list[dict[str, Any]],
) -> None:
    with pytest.raises(ContentMismatch) as raised:
        require_issued_documents({"documentsToSign": documents}, expected_ids=(1,))
    assert raised.value.code == "content_mismatch"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"documentsToSign": "x"},
        {"documentsToSign": ["x"]},
        {"documentsToSign": [{"id": 1}]},
        {"documentsToSign": [{"id": 1, "documentXml": ""}]},
        {"documentsToSign": [{"id": 1, "documentXml": 5}]},
    ],
)
def test_documents_without_signed_xml_are_malformed(payload: dict[str, Any]) -> None:
    with pytest.raises(InputMalformed) as raised:
        require_issued_documents(payload, expected_ids=(1,))
    assert raised.value.code == "malformed_input"


def test_signed_xml_over_the_limit_is_refused() -> None:
    payload = {"documentsToSign": [{"id": 1, "documentXml": "<a>" + "x" * 2**20}]}

    with pytest.raises(InputTooLarge):
        require_issued_documents(payload, expected_ids=(1,))


def test_issued_document_matches_whatever_its_xml_declaration() -> None:
    issued = '<?xml version="1.0" encoding="UTF-8"?><login><nonce>n</nonce></login>'

    require_document_matches(
        b"<login><nonce>n</nonce></login>", expected_document=issued
    )
    with pytest.raises(ContentMismatch):
        require_document_matches(
            b"<login><nonce>m</nonce></login>", expected_document=issued
        )
