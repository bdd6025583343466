"""Fixtures of the QR login tests: the cabinet on a live server, a visitor
(a browser session, played by Django's test client) and the eGov app emulator playing
the phone over real HTTP. Calls the emulator cannot be made to send (a PUT
without a token, a replayed PUT) go through :class:`AppCalls`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from kabinet.devtools.egov_app import (
    QR_PREFIX,
    App,
    AppResult,
    Decline,
    Tamper,
    run_app,
)
from kabinet.pki.xmldsig import sign_xml
from tests.web_conftest import Clock, Keys, clock, keys, pki_settings

__all__ = ["Clock", "clock", "keys", "pki_settings"]

BANK_BIN = "123456789012"


@pytest.fixture()
def cabinet(pki_settings: Settings, live_server: LiveServer) -> Iterator[str]:
    """The cabinet on a live server, trusting the test PKI (revocation from
    its CRL folder: the checks run in full, offline); yields its URL."""
    pki_settings.KABINET_PUBLIC_URL = live_server.url
    pki_settings.KABINET_BANK_BIN = BANK_BIN
    yield live_server.url


@dataclass
class Visitor:
    """The page's side: one browser session talking to the JSON API."""

    client: Client

    def start(self, role: str) -> dict[str, Any]:
        response = self.start_response(role)
        assert response.status_code == 200, response.content
        answer: dict[str, Any] = response.json()
        return answer

    def start_response(self, role: object) -> Any:
        return self.client.post(
            "/api/auth/qr/start",
            data=json.dumps({"role": role}),
            content_type="application/json",
        )

    def status(self, qr_id: str) -> Any:
        return self.client.get(f"/api/auth/qr/{qr_id}/status")

    def state(self, qr_id: str) -> dict[str, Any]:
        response = self.status(qr_id)
        assert response.status_code == 200, response.content
        answer: dict[str, Any] = response.json()
        return answer

    def me(self) -> Any:
        return self.client.get("/api/me")


def _visitor() -> Visitor:
    return Visitor(Client(REMOTE_ADDR="127.0.0.2", HTTP_USER_AGENT="pytest-browser/1"))


@pytest.fixture()
def visitor(cabinet: str) -> Visitor:
    return _visitor()


@pytest.fixture()
def other_visitor(cabinet: str) -> Visitor:
    return _visitor()


@dataclass
class Phone:
    """The eGov app emulator with the test PKI's keys."""

    keys: Keys

    def scan(
        self,
        qr_or_link: str,
        *,
        key: str | None = "gost_individual",
        app: App | None = App.MOBILE,
        lang: str = "ru",
        decline: Decline | bool = False,
        tamper: tuple[Tamper, ...] = (),
    ) -> AppResult:
        return run_app(
            qr_or_link,
            key_store=None if key is None else self.keys[key],
            app=app,
            lang=lang,
            decline=decline,
            tamper=tamper,
            timeout_seconds=20.0,
        )


@pytest.fixture()
def phone(keys: Keys, cabinet: str) -> Phone:
    return Phone(keys)


class AppCalls:
    """Single protocol calls, made the way the app makes them."""

    def __init__(self) -> None:
        self.client = Client(
            REMOTE_ADDR="127.0.0.3",
            HTTP_USER_AGENT="kabinet-test-app/1 (eGov Mobile; kz.mobile.mgov)",
        )

    @staticmethod
    def path(url: str) -> str:
        if url.startswith(QR_PREFIX):
            url = url[len(QR_PREFIX) :]
        return urlsplit(url).path

    def api1(self, qr: str, *, lang: str = "ru") -> Any:
        return self.client.get(self.path(qr), headers={"Accept-Language": lang})

    def api2(self, uri: str, *, token: str | None, lang: str = "ru") -> Any:
        headers = {"Accept-Language": lang}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.get(self.path(uri), headers=headers)

    def put(
        self,
        uri: str,
        payload: dict[str, Any] | bytes,
        *,
        token: str | None,
        lang: str = "ru",
        authorization: str | None = None,
    ) -> Any:
        headers = {"Accept-Language": lang}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        )
        return self.client.put(
            self.path(uri), data=body, content_type="application/json", headers=headers
        )


@pytest.fixture()
def app_calls(cabinet: str) -> AppCalls:
    return AppCalls()


def signed_payload(
    payload: dict[str, Any], keys: Keys, key: str = "gost_individual"
) -> dict[str, Any]:
    """API 2's JSON with documentXml replaced by its signed form, as the app
    sends it back (NIT QR spec, API 2 PUT)."""
    store = keys[key]
    signed = dict(payload)
    documents = []
    for document in payload["documentsToSign"]:
        copy = dict(document)
        copy["documentXml"] = sign_xml(
            document["documentXml"].encode("utf-8"),
            key=store.private_key,
            certificate=store.certificate,
        ).decode("utf-8")
        documents.append(copy)
    signed["documentsToSign"] = documents
    return signed
