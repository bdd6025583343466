"""The cabinet's pages and session rules, after a login through the API."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django import Settings

from kabinet.accounts.models import (
    Organisation,
    Person,
    SessionEndReason,
    SessionRecord,
    User,
)
from kabinet.accounts.registry import block_organisation, block_person
from kabinet.accounts.roles import Role
from kabinet.cabinet.sections import SECTIONS
from kabinet.login.models import Challenge
from tests.web_conftest import Web


def _text(client: Client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _field(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert match is not None, testid
    return match.group(1).strip()


def test_anonymous_visitor_is_sent_to_the_login_page(web: Web) -> None:
    response = web.client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_main_page_shows_who_is_logged_in(web: Web) -> None:
    client = web.client()
    certificate = web.keys["gost_legal_first_head"].certificate
    identity = certificate.identity
    assert web.log_in(client, "gost_legal_first_head", "applicant").status_code == 200

    html = _text(client)

    assert _field(html, "user-name") == (
        f"{identity.surname} {identity.first_name} {identity.patronymic}"
    )
    assert _field(html, "user-iin") == identity.iin
    assert _field(html, "org-bin") == identity.bin
    assert identity.organisation is not None
    assert _field(html, "org-name") == identity.organisation.replace('"', "&quot;")
    assert _field(html, "user-role") == "Заявитель"
    assert _field(html, "login-method") == "ЭЦП (NCALayer)"
    # Shown in the bank's time zone (Asia/Almaty).
    assert re.fullmatch(
        r"\d\d\.\d\d\.\d{4} \d\d:\d\d", _field(html, "cert-valid-until")
    )
    assert certificate.not_after.isoformat()[:4] in _field(html, "cert-valid-until")


def test_main_page_shows_the_sections_of_the_chosen_role(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    html = _text(client)

    for section in SECTIONS[Role.CANDIDATE]:
        assert f'data-testid="section-{section.id}"' in html
    for section in SECTIONS[Role.APPLICANT]:
        assert f'data-testid="section-{section.id}"' not in html
    assert "Вакансии" in html


def test_individual_has_no_organisation_on_the_main_page(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "participant")

    html = _text(client)

    assert 'data-testid="org-bin"' not in html
    assert _field(html, "user-role") == "Участник проекта"


def test_main_page_follows_the_language_switch(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/"})

    assert response.status_code == 302
    html = _text(client)
    assert '<html lang="kk">' in html
    assert _field(html, "user-role") == "Жұмысқа/тағылымдамаға үміткер"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert _field(_text(client), "user-role") == "Job or internship candidate"


def test_login_page_is_russian_whatever_the_browser_prefers(web: Web) -> None:
    client = Client(headers={"Accept-Language": "en-US,en;q=0.9"})

    html = _text(client, "/login/")

    assert '<html lang="ru">' in html
    assert "Выбрать сертификат ЭЦП" in html


def test_login_page_offers_the_four_roles_and_the_two_ways_in(web: Web) -> None:
    html = _text(web.client(), "/login/")

    for role in ("applicant", "participant", "expert", "candidate"):
        assert f'data-testid="role-{role}"' in html
    assert 'data-testid="eds-select"' in html
    assert 'data-testid="eds-send"' in html
    assert 'id="qr-panel"' in html
    assert 'data-ncalayer-url="wss://127.0.0.1:13579"' in html
    assert 'href="https://pki.gov.kz/ncalayer/"' in html
    assert "Повторить" in html


def test_signed_in_visitor_of_the_login_page_goes_to_the_cabinet(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    response = client.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_pages_send_a_content_security_policy(web: Web) -> None:
    response = web.client().get("/login/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self' wss://127.0.0.1:13579" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_samesite_and_secure(web: Web) -> None:
    client = web.client()

    response = web.log_in(client, "gost_individual", "candidate")

    cookie = response.cookies["kabinet_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"]


def test_logout_button_ends_the_session(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302
    record = SessionRecord.objects.get()
    assert record.end_reason == SessionEndReason.LOGOUT
    assert record.ended_at == web.clock.now()


def test_sessions_page_lists_the_open_sessions(web: Web) -> None:
    first = web.client(ip="10.1.1.1")
    second = web.client(ip="10.1.1.2")
    web.log_in(first, "gost_individual", "candidate")
    web.log_in(second, "gost_individual", "participant")

    html = _text(first, "/sessions/")

    assert html.count('data-testid="session-row"') == 2
    assert html.count('data-current="true"') == 1
    assert "10.1.1.1" in html
    assert "10.1.1.2" in html


def test_ending_the_other_sessions_keeps_only_this_one(web: Web) -> None:
    kept = web.client()
    others = [web.client(), web.client()]
    web.log_in(kept, "gost_individual", "candidate")
    for client in others:
        web.log_in(client, "gost_individual", "candidate")
    stranger = web.client()
    web.log_in(stranger, "gost256_individual", "candidate")

    response = kept.post("/sessions/end-others/")

    assert response.status_code == 302
    assert kept.get("/api/me").status_code == 200
    for client in others:
        assert client.get("/api/me").status_code == 401
    assert stranger.get("/api/me").status_code == 200
    assert (
        SessionRecord.objects.filter(end_reason=SessionEndReason.ENDED_BY_USER).count()
        == 2
    )


def test_idle_session_ends(web: Web, settings: Settings) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")
    web.clock.advance(settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get("/api/me").status_code == 200
    web.clock.advance(settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get("/api/me").status_code == 200

    web.clock.advance(settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS)

    assert client.get("/api/me").status_code == 401
    assert SessionRecord.objects.get().end_reason == SessionEndReason.IDLE


def test_active_session_still_ends_at_the_absolute_limit(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS = 600
    settings.KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS = 1800
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")
    for _ in range(5):
        web.clock.advance(300)
        assert client.get("/api/me").status_code == 200

    web.clock.advance(300)

    assert client.get("/api/me").status_code == 401
    assert SessionRecord.objects.get().end_reason == SessionEndReason.ABSOLUTE


def test_session_ends_when_its_certificate_expires(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")
    SessionRecord.objects.update(certificate_not_after=web.clock.now())

    assert client.get("/api/me").status_code == 401
    assert (
        SessionRecord.objects.get().end_reason == SessionEndReason.CERTIFICATE_EXPIRED
    )


def test_blocking_a_person_ends_their_open_session(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    block_person(Person.objects.get(), reason="test", at=web.clock.now())

    assert client.get("/api/me").status_code == 401
    assert client.get("/").status_code == 302


def test_blocking_an_organisation_ends_its_members_sessions(web: Web) -> None:
    member = web.client()
    individual = web.client()
    web.log_in(member, "gost_legal_first_head", "applicant")
    web.log_in(individual, "gost_individual", "candidate")

    block_organisation(Organisation.objects.get(), reason="test", at=web.clock.now())

    assert member.get("/api/me").status_code == 401
    assert individual.get("/api/me").status_code == 200
    ended = SessionRecord.objects.get(end_reason=SessionEndReason.BLOCKED)
    assert ended.organisation is not None


def test_new_login_in_the_same_browser_replaces_the_session(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    response = web.log_in(client, "gost_legal_first_head", "applicant")

    assert response.status_code == 200
    assert client.get("/api/me").json()["role"]["id"] == "applicant"
    assert (
        SessionRecord.objects.get(end_reason=SessionEndReason.REPLACED).role
        == "candidate"
    )


@pytest.mark.parametrize("path", ["/sessions/", "/"])
def test_staff_session_without_a_login_record_is_not_a_cabinet_session(
    web: Web, path: str
) -> None:
    staff = User.objects.create_user("operator", password="pw-for-test-only")
    client = web.client()
    client.force_login(staff)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/login/"


@pytest.mark.parametrize(
    "path",
    [
        "/logout/",
        "/sessions/end-others/",
        "/i18n/setlang/",
        "/api/auth/logout",
        "/api/auth/eds/challenge",
        "/api/auth/eds/login",
        "/api/auth/qr/start",
    ],
)
def test_post_without_the_csrf_token_is_refused_and_changes_nothing(
    web: Web, settings: Settings, path: str
) -> None:
    settings.KABINET_BANK_BIN = "123456789012"
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")
    other = web.client()
    web.log_in(other, "gost_individual", "candidate")
    client.handler.enforce_csrf_checks = True
    challenges = Challenge.objects.count()

    response = client.post(
        path,
        {"role": "candidate", "language": "en", "next": "/"},
        headers={"Origin": "https://attacker.example"},
    )

    assert response.status_code == 403
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/me").status_code == 200
    assert other.get("/api/me").status_code == 200
    assert "kabinet_language" not in response.cookies
    assert Challenge.objects.count() == challenges
