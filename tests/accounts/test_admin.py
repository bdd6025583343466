"""Staff in the admin: blocking people and organisations, reading the audit log."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from kabinet.accounts.models import Organisation, Person, User
from kabinet.login.models import LoginAttempt
from tests.web_conftest import Web, error_code


@pytest.fixture()
def staff(web: Web) -> Client:
    user = User.objects.create_superuser("operator", password="pw-for-test-only")
    client = Client()
    client.force_login(user)
    return client


def test_blocking_a_person_in_the_admin_stops_their_logins(
    web: Web, staff: Client
) -> None:
    web.log_in(web.client(), "gost_individual", "candidate")
    person = Person.objects.get()

    response = staff.post(
        "/admin/accounts/person/",
        {"action": "block", "_selected_action": [person.pk]},
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_blocked
    assert person.blocked_reason == "blocked by operator"
    assert not person.user.is_active
    refused = web.log_in(web.client(), "gost_individual", "candidate")
    assert error_code(refused) == "account_blocked"


def test_unblocking_a_person_lets_them_in_again(web: Web, staff: Client) -> None:
    web.log_in(web.client(), "gost_individual", "candidate")
    person = Person.objects.get()
    staff.post(
        "/admin/accounts/person/", {"action": "block", "_selected_action": [person.pk]}
    )

    staff.post(
        "/admin/accounts/person/",
        {"action": "unblock", "_selected_action": [person.pk]},
    )

    person.refresh_from_db()
    assert not person.is_blocked
    assert person.user.is_active
    assert web.log_in(web.client(), "gost_individual", "candidate").status_code == 200


def test_blocking_an_organisation_in_the_admin_stops_its_members(
    web: Web, staff: Client
) -> None:
    web.log_in(web.client(), "gost_legal_first_head", "applicant")
    organisation = Organisation.objects.get()

    staff.post(
        "/admin/accounts/organisation/",
        {"action": "block", "_selected_action": [organisation.pk]},
    )

    organisation.refresh_from_db()
    assert organisation.is_blocked
    refused = web.log_in(web.client(), "gost_legal_signer", "expert")
    assert error_code(refused) == "organisation_blocked"


def test_staff_read_the_audit_log_but_cannot_change_it(web: Web, staff: Client) -> None:
    web.log_in(web.client(), "gost_individual", "candidate")
    attempt = LoginAttempt.objects.get()

    listing = staff.get("/admin/login/loginattempt/")
    detail = staff.get(f"/admin/login/loginattempt/{attempt.pk}/change/")
    add = staff.get("/admin/login/loginattempt/add/")
    delete = staff.post(
        f"/admin/login/loginattempt/{attempt.pk}/delete/", {"post": "yes"}
    )

    assert listing.status_code == 200
    assert attempt.certificate_serial in listing.content.decode()
    assert detail.status_code == 200
    assert add.status_code == 403
    assert delete.status_code == 403
    assert LoginAttempt.objects.filter(pk=attempt.pk).exists()


def test_people_and_sessions_pages_open_for_staff(web: Web, staff: Client) -> None:
    web.log_in(web.client(), "gost_legal_signer", "applicant")
    person = Person.objects.get()

    for path in (
        "/admin/accounts/person/",
        f"/admin/accounts/person/{person.pk}/change/",
        "/admin/accounts/organisation/",
        "/admin/accounts/sessionrecord/",
    ):
        assert staff.get(path).status_code == 200, path


def test_idle_staff_session_ends(web: Web, staff: Client, settings: Settings) -> None:
    assert staff.get("/admin/").status_code == 200
    web.clock.advance(settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS - 1)
    assert staff.get("/admin/").status_code == 200
    web.clock.advance(settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS)

    response = staff.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert staff.get("/admin/").status_code == 302


def test_active_staff_session_ends_at_the_absolute_limit(
    web: Web, staff: Client, settings: Settings
) -> None:
    settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS = 600
    settings.KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS = 1800
    assert staff.get("/admin/").status_code == 200
    for _ in range(3):
        web.clock.advance(500)
        assert staff.get("/admin/").status_code == 200

    web.clock.advance(500)
    response = staff.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


MARKUP = '<img src=x onerror="alert(1)">'


def test_markup_from_certificates_and_browsers_is_shown_as_text(
    web: Web, staff: Client
) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT=MARKUP)
    web.log_in(client, "gost_legal_signer", "applicant")
    person = Person.objects.get()
    Person.objects.update(surname=MARKUP, first_name=MARKUP)
    Organisation.objects.update(name=MARKUP)
    LoginAttempt.objects.update(certificate_subject=MARKUP)
    attempt = LoginAttempt.objects.get()

    pages = {
        "main page": client.get("/"),
        "sessions": client.get("/sessions/"),
        "person": staff.get(f"/admin/accounts/person/{person.pk}/change/"),
        "people": staff.get("/admin/accounts/person/"),
        "organisations": staff.get("/admin/accounts/organisation/"),
        "sessions (staff)": staff.get("/admin/accounts/sessionrecord/"),
        "audit entry": staff.get(f"/admin/login/loginattempt/{attempt.pk}/change/"),
    }

    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert MARKUP not in html, name
        assert "&lt;img src=x" in html, name
