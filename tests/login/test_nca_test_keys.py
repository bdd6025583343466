"""The real NCA SDK test keys (2026-2027) log in when the trust is NCA's
"test" set, installed from the pinned CA certificates.

NCA publishes the revocations of these keys only through its online OCSP
responder, which the offline suite cannot reach, so revocation is off here;
revocation itself is exercised with the generated test PKI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings

from kabinet.pki.cms import sign_cms, to_pem
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.trust import install_trust_set
from tests import vectors
from tests.web_conftest import Clock, Web, statement

if not (vectors.VECTORS_DIR / "MANIFEST.json").is_file():
    pytest.skip("the NCA test vectors are not available", allow_module_level=True)

TEST_SET = (
    "ca/test/root_test_gost_2022.pem",
    "ca/test/nca_gost2022_test.pem",
    "ca/test/root_rsa_test_2020.pem",
    "ca/test/nca_rsa_test_2023.pem",
)
KEYS = "keys/test-2026-2027/"


@pytest.fixture(scope="module")
def nca_trust_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("trust-home")
    install_trust_set("test", [vectors.read(path) for path in TEST_SET], home)
    return home


@pytest.fixture()
def nca_web(web: Web, settings: Settings, nca_trust_home: Path) -> Web:
    settings.KABINET_TRUST = "test"
    settings.KABINET_TRUST_HOME = nca_trust_home
    settings.KABINET_REVOCATION = "off"
    settings.KABINET_CRL_DIR = None
    return web


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("sdk2026_individual_valid", "candidate"),
        ("sdk2026_legal_head_valid", "applicant"),
        ("sdk2026_legal_employee_valid", "expert"),
        ("sdk2026_legal_employee_signright_valid", "participant"),
    ],
)
def test_nca_sdk_test_key_logs_in(
    nca_web: Web, clock: Clock, key: str, role: str
) -> None:
    entry = vectors.entry(f"{KEYS}{key}.p12")
    store = load_pkcs12(vectors.read(entry["path"]), entry["password"])
    clock.moment = vectors.at(entry["validate_at"])
    client = nca_web.client()
    issued = nca_web.challenge(client, role)
    signature = to_pem(
        sign_cms(
            statement(issued),
            key=store.private_key,
            certificate=store.certificate,
            signing_time=clock.now(),
        )
    )

    response = nca_web.submit(client, {"id": issued["id"], "signature": signature})

    assert response.status_code == 200, response.content
    assert response.json()["user"]["iin"] == entry["subject"]["IIN"]
