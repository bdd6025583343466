"""The protocol's texts built on their own: dates, languages, the login
document, the apps a role needs, the QR picture."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from lxml import etree

from kabinet.accounts.roles import Role
from kabinet.login.challenge import build_statement
from kabinet.login.qr.protocol import (
    EgovApp,
    apps_for,
    language_of,
    login_document,
    nit_date,
)
from kabinet.login.qr.views import qr_image
from kabinet.login.roles import build_role_policies, policy_for
from kabinet.pki.xmldsig import canonicalize


def test_nit_date_has_milliseconds_and_the_astana_offset() -> None:
    moment = datetime(2026, 3, 1, 10, 2, 0, 123456, tzinfo=UTC)

    assert nit_date(moment) == "2026-03-01T15:02:00.123+0500"


def test_nit_date_keeps_three_digits_for_whole_seconds() -> None:
    moment = datetime(2026, 8, 14, 15, 52, 24, tzinfo=timezone(timedelta(hours=5)))

    assert nit_date(moment) == "2026-08-14T15:52:24.000+0500"
    assert datetime.fromisoformat(nit_date(moment)) == moment


def test_nit_date_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        nit_date(datetime(2026, 3, 1, 10, 2))


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ru", "ru"),
        ("kk", "kk"),
        ("kz", "kk"),
        ("kk-KZ", "kk"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de, en;q=0.5", "en"),
        ("de", "ru"),
        ("", "ru"),
        (None, "ru"),
    ],
)
def test_app_language_comes_from_accept_language(
    header: str | None, language: str
) -> None:
    assert language_of(header) == language


def test_login_document_carries_the_challenge_statement() -> None:
    issued_at = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    statement = build_statement(
        origin="https://cabinet.example.kz",
        role=Role.APPLICANT,
        nonce="n" * 43,
        issued_at=issued_at,
    )

    document = login_document(statement)

    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?><login>')
    root = etree.fromstring(document.encode("utf-8"))
    assert [(child.tag, child.text) for child in root] == [
        ("site", "https://cabinet.example.kz"),
        ("role", "applicant"),
        ("nonce", "n" * 43),
        ("time", "2026-05-01T10:00:00Z"),
    ]
    assert canonicalize(document.encode("utf-8")).startswith(b"<login><site>")


@pytest.mark.parametrize(
    "statement",
    [b"", b"something else\n", b"kabinet login\norigin: x\n", b"kabinet login\nx\n"],
)
def test_login_document_refuses_what_is_not_a_statement(statement: bytes) -> None:
    with pytest.raises(ValueError):
        login_document(statement)


@pytest.mark.parametrize(
    ("role", "apps"),
    [
        (Role.CANDIDATE, (EgovApp.MOBILE,)),
        (Role.APPLICANT, (EgovApp.BUSINESS,)),
        (Role.EXPERT, (EgovApp.BUSINESS,)),
        (Role.PARTICIPANT, (EgovApp.MOBILE, EgovApp.BUSINESS)),
    ],
)
def test_each_role_names_the_apps_of_the_subjects_it_accepts(
    role: Role, apps: tuple[EgovApp, ...]
) -> None:
    assert apps_for(policy_for(role)) == apps


def test_apps_follow_a_role_policy_override() -> None:
    policies = build_role_policies({"candidate": {"subject_types": ["legal_entity"]}})

    assert apps_for(policies[Role.CANDIDATE]) == (EgovApp.BUSINESS,)


def test_qr_picture_is_an_svg_data_uri() -> None:
    uri = qr_image("mobileSign:https://cabinet.example.kz/egov/qr/x/mgovSign")

    prefix = "data:image/svg+xml"
    assert uri.startswith(prefix)
    assert "<svg" in _svg(uri)


def _svg(uri: str) -> str:
    header, _, data = uri.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(data).decode("utf-8")
    return unquote(data)
