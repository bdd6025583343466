"""Fixtures and helpers of the web application's tests (login, cabinet,
accounts). The test folders' conftest files import the fixtures from here.

Logins sign the server's challenge with keys of the generated test PKI, and
the server verifies them against that PKI's trust folder and CRLs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from kabinet.devtools.testpki import TestPki
from kabinet.pki.cms import sign_cms, to_pem
from kabinet.pki.pkcs12 import KeyStore

# The keys that fit each role under the default policy.
FITTING_KEYS = {
    "applicant": (
        "gost_legal_first_head",
        "gost_legal_employee",
        "rsa_legal_first_head",
    ),
    "participant": ("gost_individual", "gost_legal_signer"),
    "expert": ("gost_legal_signer",),
    "candidate": ("gost_individual", "gost256_individual", "rsa_individual_auth"),
}


class Keys:
    """The test PKI's key stores, each read from its PKCS#12 file once."""

    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self._stores: dict[str, KeyStore] = {}

    def __getitem__(self, name: str) -> KeyStore:
        if name not in self._stores:
            self._stores[name] = self.pki.key_store(name)
        return self._stores[name]


@pytest.fixture(scope="session")
def keys(test_pki: TestPki) -> Keys:
    return Keys(test_pki)


class Clock:
    """The time the application sees; tests move it forward."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Replace the application's one clock (kabinet.accounts.clock.now)."""
    controlled = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr("kabinet.accounts.clock.now", controlled.now)
    return controlled


@pytest.fixture()
def pki_settings(settings: Settings, test_pki: TestPki) -> Settings:
    """Trust the test PKI; check revocation against its CRL folder."""
    settings.KABINET_TRUST = str(test_pki.trust_dir)
    settings.KABINET_REVOCATION = "crl"
    settings.KABINET_CRL_DIR = test_pki.crl_dir
    settings.KABINET_OCSP_URL = None
    return settings


@pytest.fixture()
def web(db: None, pki_settings: Settings, keys: Keys, clock: Clock) -> Iterator[Web]:
    yield Web(keys=keys, clock=clock)


@dataclass
class Web:
    """Drives the login API the way the page does."""

    keys: Keys
    clock: Clock

    def client(self, ip: str = "127.0.0.1") -> Client:
        return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest-browser/1.0")

    def challenge(self, client: Client, role: str) -> dict[str, Any]:
        response = client.post(
            "/api/auth/eds/challenge", {"role": role}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        answer: dict[str, Any] = response.json()
        return answer

    def sign(self, key: str, data: bytes) -> str:
        store = self.keys[key]
        der = sign_cms(
            data,
            key=store.private_key,
            certificate=store.certificate,
            signing_time=self.clock.now(),
        )
        return to_pem(der)

    def signed_challenge(self, client: Client, key: str, role: str) -> dict[str, str]:
        issued = self.challenge(client, role)
        return {"id": issued["id"], "signature": self.sign(key, statement(issued))}

    def submit(self, client: Client, payload: dict[str, str]) -> Any:
        return client.post(
            "/api/auth/eds/login", payload, content_type="application/json"
        )

    def log_in(self, client: Client, key: str, role: str) -> Any:
        return self.submit(client, self.signed_challenge(client, key, role))


def statement(issued: dict[str, Any]) -> bytes:
    """The bytes the server asked to sign."""
    return base64.b64decode(issued["data"])


def error_code(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code
