"""Staff sign-in to the admin with a password: guessing is stopped."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from kabinet.accounts.models import User
from kabinet.login.models import StaffSignInFailure
from tests.web_conftest import Web

PASSWORD = "right-pw-for-test-only"


@pytest.fixture()
def operator(web: Web, settings: Settings) -> User:
    settings.KABINET_RATE_LIMIT_STAFF_FAILURES = 3
    # A fast hasher: these tests count sign-ins, not hashing work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_superuser("operator", password=PASSWORD)


def sign_in(username: str, password: str, *, ip: str = "192.0.2.10") -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest-browser/1.0")
    client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
    )
    return client


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_right_password_signs_staff_in(operator: User) -> None:
    assert signed_in(sign_in("operator", PASSWORD))
    assert not StaffSignInFailure.objects.exists()


def test_guessed_user_name_is_stopped_even_with_the_right_password(
    operator: User,
) -> None:
    for number in range(3):
        sign_in("operator", f"guess-{number}", ip=f"203.0.113.{number}")

    right_now = sign_in("operator", PASSWORD, ip="192.0.2.99")

    assert not signed_in(right_now)
    failures = StaffSignInFailure.objects.all()
    assert failures.count() == 4
    assert {failure.username for failure in failures} == {"operator"}
    assert failures.filter(ip="203.0.113.1").exists()


def test_user_name_is_counted_in_any_letter_case(operator: User) -> None:
    for name in ("OPERATOR", "Operator", "operator"):
        sign_in(name, "guess", ip="203.0.113.5")

    assert not signed_in(sign_in("operator", PASSWORD, ip="192.0.2.99"))


def test_address_trying_many_user_names_is_stopped(operator: User) -> None:
    for name in ("admin", "root", "staff"):
        sign_in(name, "guess", ip="203.0.113.7")

    from_there = sign_in("operator", PASSWORD, ip="203.0.113.7")
    from_elsewhere = sign_in("operator", PASSWORD, ip="192.0.2.99")

    assert not signed_in(from_there)
    assert signed_in(from_elsewhere)


def test_staff_sign_in_works_again_after_the_window(
    web: Web, operator: User, settings: Settings
) -> None:
    for number in range(3):
        sign_in("operator", f"guess-{number}")
    web.clock.advance(settings.KABINET_RATE_LIMIT_WINDOW_SECONDS + 1)

    assert signed_in(sign_in("operator", PASSWORD))


def test_staff_read_the_failed_sign_ins_but_cannot_change_them(
    operator: User,
) -> None:
    sign_in("operator", "guess")
    staff = sign_in("operator", PASSWORD)
    failure = StaffSignInFailure.objects.get()

    listing = staff.get("/admin/login/staffsigninfailure/")
    change = staff.post(
        f"/admin/login/staffsigninfailure/{failure.pk}/change/", {"username": "x"}
    )

    assert listing.status_code == 200
    assert "operator" in listing.content.decode()
    assert change.status_code == 403
    assert StaffSignInFailure.objects.get().username == "operator"
