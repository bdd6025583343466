"""Concurrent submissions of one signature: the challenge admits one of them.

The threads use their own database connections, so the test runs with real
transactions (a file database on SQLite, the server on PostgreSQL).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kabinet.accounts.models import Person, SessionRecord
from kabinet.login.models import AttemptResult, LoginAttempt
from tests.web_conftest import Clock, Keys, Web

PARALLEL = 20


@pytest.mark.usefixtures("transactional_db", "pki_settings")
def test_twenty_parallel_submissions_of_one_signature_log_in_once(
    keys: Keys, clock: Clock
) -> None:
    web = Web(keys=keys, clock=clock)
    owner = web.client()
    payload = web.signed_challenge(owner, "gost_individual", "candidate")
    session_cookie = owner.cookies["kabinet_session"].value
    start = threading.Barrier(PARALLEL)

    def submit(_: int) -> tuple[int, str]:
        # The same browser session sending the same signature twenty times.
        client = web.client()
        client.cookies["kabinet_session"] = session_cookie
        try:
            start.wait()
            response = web.submit(client, payload)
            body = response.json()
            return response.status_code, body.get("error", {}).get("code", "")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(submit, range(PARALLEL)))

    assert sorted(outcomes) == [(200, "")] + [(409, "challenge_used")] * (PARALLEL - 1)
    assert Person.objects.count() == 1
    assert SessionRecord.objects.count() == 1
    assert LoginAttempt.objects.filter(result=AttemptResult.SUCCESS).count() == 1
    assert (
        LoginAttempt.objects.filter(error_code="challenge_used").count() == PARALLEL - 1
    )
