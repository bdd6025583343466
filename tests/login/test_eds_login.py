"""The ЭЦП login end to end through the JSON interface, against the test PKI."""

from __future__ import annotations

import base64

import pytest
from pytest_django import Settings

from kabinet.accounts.models import Membership, Organisation, Person, SessionRecord
from kabinet.accounts.registry import block_organisation, block_person
from kabinet.login.challenge import SESSION_BINDING_KEY
from kabinet.login.models import AttemptResult, Challenge, LoginAttempt
from tests.web_conftest import FITTING_KEYS, Web, error_code, statement

ROLE_KEY_PAIRS = [(role, key) for role, names in FITTING_KEYS.items() for key in names]


@pytest.mark.parametrize(("role", "key"), ROLE_KEY_PAIRS)
def test_fitting_key_logs_in_for_each_role(web: Web, role: str, key: str) -> None:
    client = web.client()
    identity = web.keys[key].certificate.identity

    response = web.log_in(client, key, role)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["redirect"] == "/"
    assert answer["role"]["id"] == role
    assert answer["method"]["id"] == "eds"
    assert answer["user"]["iin"] == identity.iin
    if identity.bin is None:
        assert answer["organisation"] is None
    else:
        assert answer["organisation"]["bin"] == identity.bin
    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["user"]["iin"] == identity.iin
    assert me.json()["role"]["id"] == role


def test_first_login_creates_person_organisation_and_membership(web: Web) -> None:
    identity = web.keys["gost_legal_signer"].certificate.identity

    response = web.log_in(web.client(), "gost_legal_signer", "applicant")

    assert response.status_code == 200
    person = Person.objects.get(iin=identity.iin)
    assert person.surname == identity.surname
    assert person.first_name == identity.first_name
    assert person.patronymic == identity.patronymic
    assert person.email == identity.email
    organisation = Organisation.objects.get(bin=identity.bin)
    assert organisation.name == identity.organisation
    membership = Membership.objects.get(person=person, organisation=organisation)
    assert membership.employee_roles == ["signer"]


def test_later_login_updates_names(web: Web) -> None:
    identity = web.keys["gost_individual"].certificate.identity
    assert web.log_in(web.client(), "gost_individual", "candidate").status_code == 200
    Person.objects.filter(iin=identity.iin).update(surname="OLD", first_name="OLD")

    response = web.log_in(web.client(), "gost_individual", "candidate")

    assert response.status_code == 200
    person = Person.objects.get(iin=identity.iin)
    assert (person.surname, person.first_name) == (
        identity.surname,
        identity.first_name,
    )
    assert Person.objects.filter(iin=identity.iin).count() == 1


def test_challenge_is_256_random_bits_bound_to_role_and_origin(
    web: Web, settings: Settings
) -> None:
    client = web.client()

    first = web.challenge(client, "expert")
    second = web.challenge(client, "expert")

    lines = statement(first).decode("utf-8").splitlines()
    assert lines[0] == "kabinet login"
    assert lines[1] == f"origin: {settings.KABINET_PUBLIC_URL}"
    assert lines[2] == "role: expert"
    nonce = lines[3].removeprefix("nonce: ")
    assert len(base64.urlsafe_b64decode(nonce + "=")) == 32
    assert lines[4].startswith("issued: ")
    assert statement(first) != statement(second)
    assert first["id"] != second["id"]
    stored = Challenge.objects.get(pk=first["id"])
    assert stored.role == "expert"
    assert (stored.expires_at - stored.issued_at).total_seconds() == 300
    # The session is bound by a hash of its own secret, not by its key.
    session_key = client.session.session_key
    assert session_key is not None
    assert session_key not in stored.binding_hash


def test_replayed_challenge_is_refused(web: Web) -> None:
    client = web.client()
    payload = web.signed_challenge(client, "gost_individual", "candidate")
    assert web.submit(client, payload).status_code == 200

    replay = web.submit(client, payload)

    assert replay.status_code == 409
    assert error_code(replay) == "challenge_used"


def test_failed_attempt_uses_the_challenge_up(web: Web) -> None:
    client = web.client()
    issued = web.challenge(client, "candidate")
    wrong = {"id": issued["id"], "signature": web.sign("gost_individual", b"other")}
    assert error_code(web.submit(client, wrong)) == "content_mismatch"

    right = {
        "id": issued["id"],
        "signature": web.sign("gost_individual", statement(issued)),
    }
    response = web.submit(client, right)

    assert response.status_code == 409
    assert error_code(response) == "challenge_used"


def test_expired_challenge_is_refused(web: Web) -> None:
    client = web.client()
    payload = web.signed_challenge(client, "gost_individual", "candidate")
    web.clock.advance(300)

    response = web.submit(client, payload)

    assert response.status_code == 410
    assert error_code(response) == "challenge_expired"


def test_challenge_just_inside_its_lifetime_is_accepted(web: Web) -> None:
    client = web.client()
    payload = web.signed_challenge(client, "gost_individual", "candidate")
    web.clock.advance(299)

    assert web.submit(client, payload).status_code == 200


def test_challenge_from_another_session_is_refused(web: Web) -> None:
    owner = web.client()
    payload = web.signed_challenge(owner, "gost_individual", "candidate")
    stranger = web.client()
    web.challenge(stranger, "candidate")  # a session with its own secret

    response = web.submit(stranger, payload)

    assert response.status_code == 403
    assert error_code(response) == "challenge_foreign_session"
    assert "_auth_user_id" not in stranger.session


def test_challenge_submitted_by_a_fresh_session_is_refused(web: Web) -> None:
    payload = web.signed_challenge(web.client(), "gost_individual", "candidate")

    response = web.submit(web.client(), payload)

    assert response.status_code == 403
    assert error_code(response) == "challenge_foreign_session"


def test_unknown_challenge_is_refused(web: Web) -> None:
    client = web.client()
    issued = web.challenge(client, "candidate")
    signature = web.sign("gost_individual", statement(issued))

    response = web.submit(client, {"id": "A" * 22, "signature": signature})

    assert response.status_code == 404
    assert error_code(response) == "challenge_not_found"


@pytest.mark.parametrize(
    "alter",
    [
        lambda data: data.replace(b"role: candidate", b"role: applicant"),
        lambda data: data.replace(b"origin: ", b"origin: https://evil.example"),
        lambda data: data + b"\n",
        lambda data: data.rstrip(b"\n"),
        lambda data: data[:-10] + b"AAAAAAAAA\n",
    ],
    ids=["role", "origin", "extra-newline", "no-final-newline", "nonce"],
)
def test_altered_challenge_content_is_refused(web: Web, alter: object) -> None:
    client = web.client()
    issued = web.challenge(client, "candidate")
    altered = alter(statement(issued))  # type: ignore[operator]
    payload = {"id": issued["id"], "signature": web.sign("gost_individual", altered)}

    response = web.submit(client, payload)

    assert response.status_code == 403
    assert error_code(response) == "content_mismatch"
    assert client.get("/api/me").status_code == 401


def test_signature_for_another_challenge_is_refused(web: Web) -> None:
    client = web.client()
    first = web.challenge(client, "candidate")
    second = web.challenge(client, "candidate")
    payload = {
        "id": second["id"],
        "signature": web.sign("gost_individual", statement(first)),
    }

    response = web.submit(client, payload)

    assert error_code(response) == "content_mismatch"


@pytest.mark.parametrize(
    ("role", "key"),
    [
        ("candidate", "gost_legal_first_head"),
        ("applicant", "gost_individual"),
        ("expert", "rsa_individual_auth"),
        ("participant", "gost_information_system"),
        ("applicant", "gost_information_system"),
    ],
)
def test_key_of_the_wrong_type_for_the_role_is_refused(
    web: Web, role: str, key: str
) -> None:
    client = web.client()

    response = web.log_in(client, key, role)

    assert response.status_code == 403
    assert error_code(response) == "role_not_allowed"
    assert client.get("/api/me").status_code == 401
    assert not Person.objects.exists()
    assert not Organisation.objects.exists()


def test_employee_role_outside_the_policy_is_refused(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_ROLE_POLICY = {"applicant": {"employee_roles": ["first_head"]}}

    refused = web.log_in(web.client(), "gost_legal_employee", "applicant")
    admitted = web.log_in(web.client(), "gost_legal_first_head", "applicant")

    assert refused.status_code == 403
    assert error_code(refused) == "employee_role_not_allowed"
    assert admitted.status_code == 200


def test_information_system_logs_in_when_the_policy_lets_it(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_ROLE_POLICY = {
        "participant": {"subject_types": ["legal_entity", "information_system"]}
    }
    identity = web.keys["gost_information_system"].certificate.identity

    response = web.log_in(web.client(), "gost_information_system", "participant")

    assert response.status_code == 200, response.content
    assert response.json()["user"]["iin"] is None
    assert response.json()["organisation"]["bin"] == identity.bin
    organisation = Organisation.objects.get(bin=identity.bin)
    assert organisation.system_user is not None
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("role", "key"),
    [
        ("candidate", "gost_individual_revoked"),
        ("applicant", "gost_legal_first_head_revoked"),
    ],
)
def test_revoked_key_is_refused(web: Web, role: str, key: str) -> None:
    client = web.client()

    response = web.log_in(client, key, role)

    assert response.status_code == 403
    assert error_code(response) == "certificate_revoked"
    assert client.get("/api/me").status_code == 401


def test_revoked_key_is_refused_by_ocsp(
    web: Web, settings: Settings, ocsp_responder: str
) -> None:
    settings.KABINET_REVOCATION = "ocsp"
    settings.KABINET_CRL_DIR = None
    settings.KABINET_OCSP_URL = ocsp_responder

    refused = web.log_in(web.client(), "gost_individual_revoked", "candidate")
    admitted = web.log_in(web.client(), "gost_individual", "candidate")

    assert error_code(refused) == "certificate_revoked"
    assert admitted.status_code == 200, admitted.content


def test_forged_key_is_refused(web: Web) -> None:
    client = web.client()

    response = web.log_in(client, "forged_individual", "candidate")

    assert response.status_code == 403
    assert error_code(response) == "untrusted_issuer"
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("gost_individual_expired", "certificate_expired"),
        ("gost_individual_not_yet_valid", "certificate_not_yet_valid"),
    ],
)
def test_key_outside_its_validity_is_refused(web: Web, key: str, code: str) -> None:
    response = web.log_in(web.client(), key, "candidate")

    assert response.status_code == 403
    assert error_code(response) == code


def test_garbage_signature_is_refused(web: Web) -> None:
    client = web.client()
    issued = web.challenge(client, "candidate")

    response = web.submit(client, {"id": issued["id"], "signature": "not a signature"})

    assert response.status_code == 400
    assert error_code(response) == "malformed_input"


def test_blocked_person_cannot_log_in(web: Web) -> None:
    assert web.log_in(web.client(), "gost_individual", "candidate").status_code == 200
    identity = web.keys["gost_individual"].certificate.identity
    person = Person.objects.get(iin=identity.iin)
    block_person(person, reason="test", at=web.clock.now())
    Person.objects.filter(pk=person.pk).update(surname="AS STAFF LEFT IT")
    client = web.client()

    response = web.log_in(client, "gost_individual", "candidate")

    assert response.status_code == 403
    assert error_code(response) == "account_blocked"
    assert client.get("/api/me").status_code == 401
    assert Person.objects.get(pk=person.pk).surname == "AS STAFF LEFT IT"


def test_blocked_organisation_cannot_log_in(web: Web) -> None:
    assert (
        web.log_in(web.client(), "gost_legal_first_head", "applicant").status_code
        == 200
    )
    identity = web.keys["gost_legal_signer"].certificate.identity
    organisation = Organisation.objects.get(bin=identity.bin)
    block_organisation(organisation, reason="test", at=web.clock.now())
    client = web.client()

    response = web.log_in(client, "gost_legal_signer", "applicant")

    assert response.status_code == 403
    assert error_code(response) == "organisation_blocked"
    assert client.get("/api/me").status_code == 401
    assert not Person.objects.filter(iin=identity.iin).exists()


def test_blocked_organisation_does_not_stop_its_employee_as_an_individual(
    web: Web,
) -> None:
    assert (
        web.log_in(web.client(), "gost_legal_first_head", "applicant").status_code
        == 200
    )
    organisation = Organisation.objects.get()
    block_organisation(organisation, reason="test", at=web.clock.now())

    response = web.log_in(web.client(), "gost_individual", "candidate")

    assert response.status_code == 200


def test_session_key_is_rotated_at_login(web: Web) -> None:
    client = web.client()
    payload = web.signed_challenge(client, "gost_individual", "candidate")
    before = client.cookies["kabinet_session"].value

    assert web.submit(client, payload).status_code == 200

    after = client.cookies["kabinet_session"].value
    assert after != before
    assert SessionRecord.objects.filter(ended_at__isnull=True).count() == 1


def test_audit_log_records_good_and_bad_attempts(web: Web) -> None:
    web.log_in(web.client(ip="10.0.0.1"), "gost_individual", "candidate")
    web.log_in(web.client(ip="10.0.0.2"), "gost_individual_revoked", "candidate")
    web.log_in(web.client(ip="10.0.0.3"), "forged_individual", "candidate")

    good = LoginAttempt.objects.get(ip="10.0.0.1")
    revoked = LoginAttempt.objects.get(ip="10.0.0.2")
    forged = LoginAttempt.objects.get(ip="10.0.0.3")
    good_certificate = web.keys["gost_individual"].certificate
    assert good.result == AttemptResult.SUCCESS
    assert good.error_code == ""
    assert good.method == "eds"
    assert good.role == "candidate"
    assert good.iin == good_certificate.identity.iin
    assert good.certificate_serial == good_certificate.serial_hex
    assert good.certificate_verified is True
    assert good.user_agent == "pytest-browser/1.0"
    assert good.created_at == web.clock.now()
    assert revoked.result == AttemptResult.FAILURE
    assert revoked.error_code == "certificate_revoked"
    assert revoked.iin == web.keys["gost_individual_revoked"].certificate.identity.iin
    assert revoked.certificate_verified is False
    assert forged.error_code == "untrusted_issuer"
    assert forged.certificate_verified is False


def test_audit_log_records_legal_entity_bin(web: Web) -> None:
    web.log_in(web.client(), "gost_legal_first_head", "candidate")

    attempt = LoginAttempt.objects.get()
    identity = web.keys["gost_legal_first_head"].certificate.identity
    assert attempt.error_code == "role_not_allowed"
    assert (attempt.iin, attempt.bin) == (identity.iin, identity.bin)
    assert attempt.certificate_verified is True


def test_attempts_per_ip_are_rate_limited(web: Web, settings: Settings) -> None:
    settings.KABINET_RATE_LIMIT_IP_ATTEMPTS = 3
    client = web.client(ip="192.0.2.7")
    for _ in range(3):
        web.submit(client, {"id": "missing", "signature": "x"})

    response = web.log_in(client, "gost_individual", "candidate")
    other_ip = web.log_in(web.client(ip="192.0.2.8"), "gost_individual", "candidate")

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert other_ip.status_code == 200


def test_addresses_of_one_ipv6_network_share_one_attempt_limit(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_RATE_LIMIT_IP_ATTEMPTS = 2
    for host in (1, 2):
        web.submit(
            web.client(ip=f"2001:db8:5:6::{host}"), {"id": "x", "signature": "x"}
        )

    response = web.log_in(
        web.client(ip="2001:db8:5:6::3"), "gost_individual", "candidate"
    )
    next_network = web.log_in(
        web.client(ip="2001:db8:5:7::1"), "gost_individual", "candidate"
    )

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert next_network.status_code == 200
    assert LoginAttempt.objects.filter(ip="2001:db8:5:6::3").exists()


def test_addresses_of_one_ipv6_network_share_one_challenge_limit(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_RATE_LIMIT_IP_CHALLENGES = 2
    for host in (1, 2):
        web.challenge(web.client(ip=f"2001:db8:5:6::{host}"), "candidate")

    response = web.client(ip="2001:db8:5:6::3").post(
        "/api/auth/eds/challenge",
        {"role": "candidate"},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"


def test_clients_of_unknown_address_share_one_attempt_limit(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_RATE_LIMIT_IP_ATTEMPTS = 2
    for number in range(2):
        web.submit(web.client(ip=f"unknown-{number}"), {"id": "x", "signature": "x"})

    response = web.log_in(web.client(ip="unknown-2"), "gost_individual", "candidate")
    known = web.log_in(web.client(ip="192.0.2.8"), "gost_individual", "candidate")

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert known.status_code == 200


def test_clients_of_unknown_address_share_one_challenge_limit(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_RATE_LIMIT_IP_CHALLENGES = 2
    for number in range(2):
        web.challenge(web.client(ip=f"unknown-{number}"), "candidate")

    response = web.client(ip="unknown-2").post(
        "/api/auth/eds/challenge",
        {"role": "candidate"},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"


def test_rate_limit_window_passes(web: Web, settings: Settings) -> None:
    settings.KABINET_RATE_LIMIT_IP_ATTEMPTS = 1
    client = web.client()
    web.submit(client, {"id": "missing", "signature": "x"})
    web.clock.advance(settings.KABINET_RATE_LIMIT_WINDOW_SECONDS + 1)

    assert web.log_in(client, "gost_individual", "candidate").status_code == 200


def test_challenges_per_ip_are_rate_limited(web: Web, settings: Settings) -> None:
    settings.KABINET_RATE_LIMIT_IP_CHALLENGES = 2
    client = web.client()
    web.challenge(client, "candidate")
    web.challenge(client, "candidate")

    response = client.post(
        "/api/auth/eds/challenge",
        {"role": "candidate"},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"


def test_attempts_per_iin_are_rate_limited(web: Web, settings: Settings) -> None:
    settings.KABINET_RATE_LIMIT_IIN_ATTEMPTS = 2
    for number in range(2):
        web.log_in(
            web.client(ip=f"198.51.100.{number}"), "gost_individual", "candidate"
        )

    response = web.log_in(web.client(ip="198.51.100.9"), "gost_individual", "candidate")
    other_person = web.log_in(
        web.client(ip="198.51.100.10"), "gost256_individual", "candidate"
    )

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert other_person.status_code == 200


def test_forged_certificates_do_not_count_against_the_real_iin(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_RATE_LIMIT_IIN_ATTEMPTS = 2
    for number in range(3):
        web.log_in(
            web.client(ip=f"203.0.113.{number}"), "forged_individual", "candidate"
        )

    # forged_individual carries gost_individual's IIN.
    response = web.log_in(web.client(), "gost_individual", "candidate")

    assert response.status_code == 200


def test_replayed_signatures_over_other_content_do_not_count_against_the_iin(
    web: Web, settings: Settings
) -> None:
    settings.KABINET_RATE_LIMIT_IIN_ATTEMPTS = 2
    # A counterparty holds a document the person signed for them.
    document = web.sign("gost_individual", b"contract 17, signed by the holder\n")
    for number in range(3):
        client = web.client(ip=f"203.0.113.{number}")
        issued = web.challenge(client, "candidate")
        replayed = web.submit(client, {"id": issued["id"], "signature": document})
        assert error_code(replayed) == "content_mismatch"

    response = web.log_in(web.client(), "gost_individual", "candidate")

    assert response.status_code == 200
    refused = LoginAttempt.objects.filter(error_code="content_mismatch")
    assert refused.count() == 3
    assert not refused.filter(certificate_verified=True).exists()
    identity = web.keys["gost_individual"].certificate.identity
    assert set(refused.values_list("iin", flat=True)) == {identity.iin}


def test_pre_login_session_and_its_challenges_are_gone_after_login(web: Web) -> None:
    client = web.client()
    for_the_old_key = web.signed_challenge(client, "gost_individual", "candidate")
    for_the_new_key = web.signed_challenge(client, "gost_individual", "candidate")
    before = client.cookies["kabinet_session"].value

    assert web.log_in(client, "gost_individual", "candidate").status_code == 200

    fixed = web.client()
    fixed.cookies["kabinet_session"] = before
    assert fixed.get("/api/me").status_code == 401
    assert error_code(web.submit(fixed, for_the_old_key)) == "challenge_foreign_session"
    assert SESSION_BINDING_KEY not in client.session
    replayed = web.submit(client, for_the_new_key)
    assert error_code(replayed) == "challenge_foreign_session"
    assert client.get("/api/me").json()["role"]["id"] == "candidate"


def test_session_cookie_kept_after_logout_opens_nothing(web: Web) -> None:
    client = web.client()
    web.log_in(client, "gost_individual", "candidate")
    kept = client.cookies["kabinet_session"].value

    assert client.post("/api/auth/logout").status_code == 200

    replay = web.client()
    replay.cookies["kabinet_session"] = kept
    assert replay.get("/api/me").status_code == 401
    assert replay.get("/")["Location"] == "/login/"
