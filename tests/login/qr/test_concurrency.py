"""Racing requests for one code, over real HTTP to the live server's
threads, each with its own database connection: the app's retried PUTs and
a browser's overlapping polls. The database lets exactly one of each win."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kabinet.accounts.models import SessionRecord
from kabinet.devtools.egov_app import Outcome
from kabinet.login.models import AttemptResult, LoginAttempt
from kabinet.login.qr.models import QrLogin, QrState
from tests.login.qr.conftest import AppCalls, Phone, Visitor, signed_payload
from tests.web_conftest import Keys

PARALLEL = 8


def http(
    method: str, url: str, *, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_parallel_puts_of_one_signature_are_accepted_once(
    cabinet: str, visitor: Visitor, app_calls: AppCalls, keys: Keys
) -> None:
    code = visitor.start("candidate")
    document = app_calls.api1(code["qr"]).json()["document"]
    token = document["auth_token"]
    payload = app_calls.api2(document["uri"], token=token).json()
    body = json.dumps(signed_payload(payload, keys)).encode("utf-8")
    start = threading.Barrier(PARALLEL)

    def send(_: int) -> int:
        start.wait()
        status, _answer = http(
            "PUT",
            document["uri"],
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept-Language": "ru",
            },
            body=body,
        )
        return status

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        statuses = sorted(pool.map(send, range(PARALLEL)))

    assert statuses == [200] + [409] * (PARALLEL - 1)
    assert QrLogin.objects.get().state == QrState.SIGNED
    assert LoginAttempt.objects.filter(result=AttemptResult.SUCCESS).count() == 1
    assert (
        LoginAttempt.objects.filter(error_code="challenge_used").count() == PARALLEL - 1
    )


def test_overlapping_polls_open_one_session(
    cabinet: str, visitor: Visitor, phone: Phone
) -> None:
    code = visitor.start("candidate")
    assert phone.scan(code["qr"]).outcome is Outcome.SIGNED
    cookie = f"kabinet_session={visitor.client.cookies['kabinet_session'].value}"
    start = threading.Barrier(PARALLEL)

    def poll(_: int) -> str:
        start.wait()
        status, answer = http(
            "GET",
            f"{cabinet}/api/auth/qr/{code['id']}/status",
            headers={"Cookie": cookie, "Accept": "application/json"},
        )
        if status == 200:
            return str(answer["state"])
        return str(answer["error"]["code"])

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(poll, range(PARALLEL)))

    assert outcomes.count("signed") == 1
    assert set(outcomes) <= {"signed", "rejected", "challenge_foreign_session"}
    assert SessionRecord.objects.count() == 1
    assert QrLogin.objects.get().state == QrState.COMPLETED
