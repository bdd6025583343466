"""The login's JSON interface: shapes, refusals of bad requests, CSRF."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django import Settings

from kabinet.login.models import Challenge
from tests.web_conftest import Web, error_code

CHALLENGE = "/api/auth/eds/challenge"
LOGIN = "/api/auth/eds/login"
QR_START = "/api/auth/qr/start"


def test_roles_lists_the_four_roles_with_ncalayer_filters(web: Web) -> None:
    response = web.client().get("/api/auth/roles")

    assert response.status_code == 200
    roles = {role["id"]: role for role in response.json()["roles"]}
    assert list(roles) == ["applicant", "participant", "expert", "candidate"]
    assert roles["applicant"]["name"] == "Заявитель"
    assert roles["applicant"]["subject_types"] == ["legal_entity"]
    assert roles["participant"]["subject_types"] == ["individual", "legal_entity"]
    assert roles["candidate"]["subject_types"] == ["individual"]
    signer = {
        key: role["ncalayer"]["args"]["signerParams"] for key, role in roles.items()
    }
    assert signer["candidate"]["extKeyUsageOids"] == ["1.2.398.3.3.4.1.1"]
    assert signer["applicant"]["extKeyUsageOids"] == ["1.2.398.3.3.4.1.2"]
    assert signer["expert"]["extKeyUsageOids"] == ["1.2.398.3.3.4.1.2"]
    assert signer["participant"]["extKeyUsageOids"] == []
    # The test PKI is not the production NCA: NCALayer's chain check is off.
    assert all(params["chain"] == [] for params in signer.values())
    for role in roles.values():
        # Current GOST-2015 certificates carry no clientAuth (nca-pki.md 0.2).
        assert (
            "1.3.6.1.5.5.7.3.2"
            not in role["ncalayer"]["args"]["signerParams"]["extKeyUsageOids"]
        )
        assert role["ncalayer"]["module"] == "kz.gov.pki.knca.basics"
        assert role["ncalayer"]["method"] == "sign"
        assert role["ncalayer"]["args"]["format"] == "cms"
        assert role["ncalayer"]["args"]["signingParams"] == {
            "decode": True,
            "encapsulate": True,
            "digested": False,
        }
    assert response.json()["ncalayer_url"] == "wss://127.0.0.1:13579"


def test_production_trust_lets_ncalayer_check_the_chain(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_TRUST = "production"

    roles = web.client().get("/api/auth/roles").json()["roles"]

    assert all(
        role["ncalayer"]["args"]["signerParams"]["chain"] is None for role in roles
    )


def test_one_employee_role_in_the_policy_narrows_the_ncalayer_filter(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_ROLE_POLICY = {"applicant": {"employee_roles": ["first_head"]}}

    roles = web.client().get("/api/auth/roles").json()["roles"]

    applicant = next(role for role in roles if role["id"] == "applicant")
    assert applicant["employee_roles"] == ["first_head"]
    assert applicant["ncalayer"]["args"]["signerParams"]["extKeyUsageOids"] == [
        "1.2.398.3.3.4.1.2",
        "1.2.398.3.3.4.1.2.1",
    ]


def test_challenge_answer_has_id_data_and_expiry(web: Web) -> None:
    web.clock.moment = web.clock.moment.replace(microsecond=0)

    answer = web.challenge(web.client(), "participant")

    assert set(answer) == {"id", "data", "expires_at", "ncalayer"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", answer["id"])
    expected = web.clock.now().timestamp() + 300
    stored = Challenge.objects.get(pk=answer["id"])
    assert stored.expires_at.timestamp() == expected
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", answer["expires_at"])


def test_unknown_role_is_refused(web: Web) -> None:
    response = web.client().post(
        CHALLENGE, {"role": "admin"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert error_code(response) == "role_unknown"
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"role": "candidate"}', "text/plain"),
    ],
)
def test_malformed_challenge_request_is_refused(
    web: Web, body: str, content_type: str
) -> None:
    response = web.client().post(CHALLENGE, body, content_type=content_type)

    assert response.status_code == 400
    assert error_code(response) == "bad_request"


@pytest.mark.parametrize("path", [CHALLENGE, LOGIN, QR_START])
@pytest.mark.parametrize(
    "body",
    ["[" * 3000, '{"role": "\\ud800", "id": "\\ud800", "signature": "x"}'],
    ids=["nested-past-the-parser", "lone-surrogate"],
)
def test_json_that_is_no_text_is_refused_with_400(
    web: Web, settings: Settings, path: str, body: str
) -> None:
    settings.KABINET_BANK_BIN = "123456789012"

    response = web.client().post(path, body, content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "bad_request"
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"id": "x"},
        {"signature": "x"},
        {"id": 5, "signature": "x"},
        {"id": "x", "signature": ""},
    ],
)
def test_login_request_missing_fields_is_refused(
    web: Web, payload: dict[str, object]
) -> None:
    response = web.client().post(LOGIN, payload, content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_oversized_login_request_is_refused_before_parsing(web: Web) -> None:
    client = web.client()
    issued = web.challenge(client, "candidate")
    payload = {"id": issued["id"], "signature": "A" * (200 * 1024)}

    response = client.post(LOGIN, payload, content_type="application/json")

    assert response.status_code == 413
    assert error_code(response) == "input_too_large"
    # Refused before the challenge was looked at, so it is still usable.
    assert Challenge.objects.get(pk=issued["id"]).used_at is None


def test_wrong_http_method_gets_json_405(web: Web) -> None:
    response = web.client().get(LOGIN)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert error_code(response) == "method_not_allowed"


def test_error_message_follows_the_language(web: Web) -> None:
    client = web.client()
    client.cookies["kabinet_language"] = "kk"

    response = client.post(LOGIN, {}, content_type="application/json")

    assert response.json()["error"]["message"] != _message(web.client(), "en")
    assert response.json()["error"]["message"] != _message(web.client(), "ru")


def _message(client: Client, language: str) -> str:
    client.cookies["kabinet_language"] = language
    message: str = client.post(LOGIN, {}, content_type="application/json").json()[
        "error"
    ]["message"]
    return message


def test_every_error_has_a_localised_message_in_each_language(web: Web) -> None:
    from django.utils import translation

    from kabinet.login.messages import ERROR_MESSAGES, PAGE_MESSAGES

    for code, text in [*ERROR_MESSAGES.items(), *PAGE_MESSAGES.items()]:
        with translation.override("en"):
            english = str(text)
        for language in ("ru", "kk"):
            with translation.override(language):
                assert str(text) != english, (code, language)


def test_json_post_without_csrf_token_is_refused(web: Web) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        CHALLENGE, {"role": "candidate"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert error_code(response) == "csrf_failed"


def test_login_page_sets_the_csrf_cookie_and_json_posts_send_it_back(web: Web) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    cookie = page.cookies["kabinet_csrf"]
    token = re.search(r'data-csrf-token="([^"]+)"', page.content.decode())

    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert token is not None
    response = client.post(
        CHALLENGE,
        {"role": "candidate"},
        content_type="application/json",
        headers={"X-CSRFToken": token.group(1)},
    )
    assert response.status_code == 200


def test_me_without_a_session_is_401(web: Web) -> None:
    response = web.client().get("/api/me")

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_me_describes_the_session(web: Web) -> None:
    client = web.client()
    certificate = web.keys["gost_legal_first_head"].certificate
    web.log_in(client, "gost_legal_first_head", "expert")

    me = client.get("/api/me").json()

    identity = certificate.identity
    assert (
        me["user"]["name"]
        == f"{identity.surname} {identity.first_name} {identity.patronymic}"
    )
    assert me["user"]["iin"] == identity.iin
    assert me["organisation"] == {"bin": identity.bin, "name": identity.organisation}
    assert me["role"] == {
        "id": "expert",
        "name": "Внешний эксперт (финансово-технический консультант)",
    }
    assert me["method"]["id"] == "eds"
    assert me["certificate"]["serial"] == certificate.serial_hex
    assert me["certificate"]["valid_until"] == certificate.not_after.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_logout_ends_the_session(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")

    response = client.post("/api/auth/logout")

    assert response.status_code == 200
    assert response.json() == {"redirect": "/login/"}
    assert client.get("/api/me").status_code == 401
