"""Settings are checked at start-up and name the wrong one in the error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kabinet import settings as kabinet_settings
from kabinet.accounts.roles import Role
from kabinet.login.roles import build_role_policies
from kabinet.pki.certificate import EmployeeRole, SubjectType

ROOT = Path(__file__).resolve().parents[2]


def _start(
    env: dict[str, str], tmp_path: Path, code: str = "import kabinet.settings"
) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh process, as a server start would (or
    run ``code`` there)."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KABINET_")
    }
    clean.update({"KABINET_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_required_outside_development(tmp_path: Path) -> None:
    started = _start({"KABINET_PUBLIC_URL": "https://cabinet.example.kz"}, tmp_path)

    assert started.returncode != 0
    assert "ImproperlyConfigured: KABINET_SECRET_KEY" in started.stderr


def test_public_url_is_required_outside_development(tmp_path: Path) -> None:
    started = _start({"KABINET_SECRET_KEY": "k" * 50}, tmp_path)

    assert started.returncode != 0
    assert "ImproperlyConfigured: KABINET_PUBLIC_URL" in started.stderr


def test_production_configuration_starts(tmp_path: Path) -> None:
    started = _start(
        {
            "KABINET_SECRET_KEY": "k" * 50,
            "KABINET_PUBLIC_URL": "https://cabinet.example.kz",
        },
        tmp_path,
    )

    assert started.returncode == 0, started.stderr


# Asks for the login page over https as a production server would answer it
# (no database is needed for an anonymous visitor) and prints what matters.
_PRODUCTION_LOGIN_PAGE = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "kabinet.settings"
django.setup()
from django.test import Client
response = Client(HTTP_HOST="cabinet.example.kz").get("/login/", secure=True)
cookie = response.cookies["kabinet_csrf"]
print(response.status_code, response.get("Strict-Transport-Security"))
print(bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"])
"""


def test_production_pages_send_hsts_and_secure_cookies(tmp_path: Path) -> None:
    started = _start(
        {
            "KABINET_SECRET_KEY": "k" * 50,
            "KABINET_PUBLIC_URL": "https://cabinet.example.kz",
        },
        tmp_path,
        _PRODUCTION_LOGIN_PAGE,
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines() == [
        "200 max-age=31536000",
        "True True Lax",
    ]


def test_development_mode_starts_without_secrets(tmp_path: Path) -> None:
    started = _start({"KABINET_DEBUG": "1"}, tmp_path)

    assert started.returncode == 0, started.stderr
    assert (tmp_path / "dev-secret-key").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KABINET_DEBUG", "maybe"),
        ("KABINET_REVOCATION", "sometimes"),
        ("KABINET_CHALLENGE_TTL_SECONDS", "600"),
        ("KABINET_SESSION_IDLE_TIMEOUT_SECONDS", "ten"),
        ("KABINET_DATABASE_URL", "mysql://db/kabinet"),
        ("KABINET_NCALAYER_URL", "https://127.0.0.1:13579"),
        ("KABINET_TRUST", "/nonexistent/trust"),
        ("KABINET_ROLE_POLICY", "{not json"),
        ("KABINET_BANK_BIN", "12345"),
    ],
)
def test_wrong_setting_is_named_at_start_up(
    tmp_path: Path, name: str, value: str
) -> None:
    started = _start({"KABINET_DEBUG": "1", name: value}, tmp_path)

    assert started.returncode != 0
    assert f"ImproperlyConfigured: {name}" in started.stderr


def test_http_public_url_is_refused_in_production(tmp_path: Path) -> None:
    started = _start(
        {
            "KABINET_SECRET_KEY": "k" * 50,
            "KABINET_PUBLIC_URL": "http://cabinet.example.kz",
        },
        tmp_path,
    )

    assert "ImproperlyConfigured: KABINET_PUBLIC_URL" in started.stderr


def test_development_mode_is_refused_for_an_https_public_url(tmp_path: Path) -> None:
    started = _start(
        {
            "KABINET_DEBUG": "1",
            "KABINET_SECRET_KEY": "k" * 50,
            "KABINET_PUBLIC_URL": "https://cabinet.example.kz",
        },
        tmp_path,
    )

    assert started.returncode != 0
    assert "ImproperlyConfigured: KABINET_DEBUG" in started.stderr


def test_sqlite_url_reads_relative_and_absolute_paths(tmp_path: Path) -> None:
    relative = kabinet_settings._database("X", "sqlite:///var/db.sqlite3")
    absolute = kabinet_settings._database("X", f"sqlite:///{tmp_path}/db.sqlite3")

    assert relative["NAME"] == str(Path("var/db.sqlite3").resolve())
    assert absolute["NAME"] == str(tmp_path / "db.sqlite3")
    assert absolute["TEST"]["NAME"] == str(tmp_path / "test-db.sqlite3")


def test_postgresql_url_is_read_in_full() -> None:
    database = kabinet_settings._database(
        "X", "postgresql://bank:p%40ss@db.internal:6432/kabinet?sslmode=require"
    )

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["USER"], database["PASSWORD"]) == ("bank", "p@ss")
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        "6432",
        "kabinet",
    )
    assert database["OPTIONS"] == {"sslmode": "require"}


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^KABINET_DATABASE_URL"):
        kabinet_settings._database("KABINET_DATABASE_URL", "sqlite://")


def test_role_policy_overrides_one_field_and_keeps_the_rest() -> None:
    policies = build_role_policies(
        {"applicant": {"employee_roles": ["first_head", "signer"]}}
    )

    applicant = policies[Role.APPLICANT]
    assert applicant.accepted_subject_types == {SubjectType.LEGAL_ENTITY}
    assert applicant.allowed_employee_roles == frozenset(
        {EmployeeRole.FIRST_HEAD, EmployeeRole.SIGNER}
    )
    assert policies[Role.PARTICIPANT].accepted_subject_types == {
        SubjectType.LEGAL_ENTITY,
        SubjectType.INDIVIDUAL,
    }
    assert policies[Role.CANDIDATE].allowed_employee_roles is None
    assert all(
        SubjectType.INFORMATION_SYSTEM not in policy.accepted_subject_types
        for policy in policies.values()
    )


@pytest.mark.parametrize(
    "raw",
    [
        {"boss": {}},
        {"applicant": []},
        {"applicant": {"subject_types": []}},
        {"applicant": {"subject_types": ["robot"]}},
        {"applicant": {"employee_roles": ["janitor"]}},
        {"applicant": {"employee_roles": []}},
        {"applicant": {"subjects": ["individual"]}},
    ],
)
def test_wrong_role_policy_is_refused_naming_the_setting(
    raw: dict[str, object],
) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^KABINET_ROLE_POLICY: "):
        build_role_policies(raw)


def test_wrong_role_policy_stops_the_start(tmp_path: Path) -> None:
    env = {
        "KABINET_DEBUG": "1",
        "KABINET_ROLE_POLICY": '{"candidate": {"subject_types": ["x"]}}',
    }
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KABINET_")
    }
    clean.update({"KABINET_VAR_DIR": str(tmp_path), **env})

    started = subprocess.run(
        [sys.executable, "-m", "kabinet", "check"],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert started.returncode != 0
    assert "ImproperlyConfigured: KABINET_ROLE_POLICY" in started.stderr
