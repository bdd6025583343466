"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kabinet.devtools.testpki import TestPki, generate


@pytest.fixture(scope="session")
def pki_now() -> datetime:
    """The moment the generated test PKI is built around."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory, pki_now: datetime) -> TestPki:
    """A freshly generated NCA-like PKI, shared by the session."""
    target: Path = tmp_path_factory.mktemp("test-pki")
    return generate(target, now=pki_now)


@pytest.fixture()
def ocsp_responder(test_pki: TestPki, pki_now: datetime) -> Iterator[str]:
    """A running OCSP responder for the test PKI; yields its URL.

    Its answers are dated ``pki_now``, the moment tests check "as of", so a
    long session never sees answers from its own future.
    """
    from kabinet.devtools.ocsp_responder import running_responder

    with running_responder(test_pki, clock=lambda: pki_now) as url:
        yield url
