"""RevocationChecker: policies, sources, caching, with fake fetchers."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp as x509_ocsp

from kabinet.pki import signature
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    CertificateRevoked,
    FetchFailed,
    InputMalformed,
    RevocationUnknown,
)
from kabinet.pki.revocation import crl as crl_module
from kabinet.pki.revocation.checker import RevocationChecker, RevocationSettings
from kabinet.pki.revocation.policy import RevocationPolicy
from tests import vectors
from tests.pki.revocation._material import (
    CRL_URL,
    DAY,
    DELTA_URL,
    NOW,
    OCSP_URL,
    QUIET_NAME_WARNINGS,
    Issued,
    make_ca,
    make_crl,
    make_leaf,
    make_ocsp_response,
    ocsp_failure,
)

pytestmark = QUIET_NAME_WARNINGS

Answer = bytes | Callable[[bytes], bytes]


class FakeFetcher:
    """Answers by URL; a missing URL fails like an unreachable host."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.answers: dict[str, Answer] = dict(answers or {})
        self.calls: list[tuple[str, str]] = []

    def get(self, url: str) -> bytes:
        self.calls.append(("GET", url))
        return self._answer(url, b"")

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        assert content_type == "application/ocsp-request"
        self.calls.append(("POST", url))
        return self._answer(url, body)

    def _answer(self, url: str, body: bytes) -> bytes:
        answer = self.answers.get(url)
        if answer is None:
            raise FetchFailed(f"{url}: connection refused")
        return answer(body) if callable(answer) else answer

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)


def nonce_of(request: bytes) -> bytes:
    parsed = x509_ocsp.load_der_ocsp_request(request)
    return parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce


def responder(ca: Issued, leaf: Issued, **options: object) -> Callable[[bytes], bytes]:
    """An OCSP responder run by the CA itself, echoing each nonce."""

    def answer(request: bytes) -> bytes:
        return make_ocsp_response(
            leaf,
            ca,
            responder=ca,
            nonce=nonce_of(request),
            **options,  # type: ignore[arg-type]
        )

    return answer


def hierarchy(**leaf_options: object) -> tuple[Issued, Issued]:
    root = make_ca("ROOT", key_label="root")
    ca = make_ca("CA", key_label="ca", issuer=root)
    return ca, make_leaf("LEAF", issuer=ca, **leaf_options)  # type: ignore[arg-type]


def checker(fetcher: FakeFetcher, **settings: object) -> RevocationChecker:
    return RevocationChecker(RevocationSettings(**settings), fetcher=fetcher)


# ---------------------------------------------------------------- policy


def test_off_policy_warns_and_asks_nobody(caplog: pytest.LogCaptureFixture) -> None:
    fetcher = FakeFetcher()
    ca, leaf = hierarchy()

    with caplog.at_level(logging.WARNING, logger="kabinet.pki.revocation.checker"):
        off = checker(fetcher, policy=RevocationPolicy.OFF)

    assert any("OFF" in r.getMessage() for r in caplog.records)
    assert off.check(leaf.certificate, ca.certificate, at=NOW) == "off"
    assert fetcher.calls == []


def test_certificate_and_issuer_must_belong_together() -> None:
    _, leaf = hierarchy()
    other = make_ca("OTHER", key_label="lookalike")

    with pytest.raises(RevocationUnknown) as caught:
        checker(FakeFetcher()).check(leaf.certificate, other.certificate, at=NOW)

    assert caught.value.code == "revocation_unknown"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("good_cache_seconds", -1),
        ("clock_skew_seconds", -5),
        ("crl_refresh_seconds", "3600"),
        ("ocsp_url", "ldap://ocsp"),
        ("policy", "ocsp"),
        ("network_budget_seconds", 0),
    ],
)
def test_bad_setting_is_named(setting: str, value: object) -> None:
    with pytest.raises(ValueError, match=setting):
        RevocationSettings(**{setting: value})  # type: ignore[arg-type]


def test_missing_mirror_folder_is_named_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="crl_dir"):
        checker(FakeFetcher(), crl_dir=tmp_path / "absent")


# ------------------------------------------------------------------ OCSP


def test_good_ocsp_answer_is_used_then_cached() -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher({OCSP_URL: responder(ca, leaf)})
    revocation = checker(fetcher, policy=RevocationPolicy.OCSP, good_cache_seconds=300)

    assert revocation.check(leaf.certificate, ca.certificate, at=NOW) == "ocsp"
    assert revocation.check(leaf.certificate, ca.certificate, at=NOW) == "cache"
    later = NOW + timedelta(seconds=301)
    fetcher.answers[OCSP_URL] = responder(ca, leaf, this_update=later)
    assert revocation.check(leaf.certificate, ca.certificate, at=later) == "ocsp"
    assert fetcher.count("POST") == 2


def test_zero_cache_time_asks_every_time() -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher({OCSP_URL: responder(ca, leaf)})
    revocation = checker(fetcher, policy=RevocationPolicy.OCSP, good_cache_seconds=0)

    revocation.check(leaf.certificate, ca.certificate, at=NOW)
    revocation.check(leaf.certificate, ca.certificate, at=NOW)

    assert fetcher.count("POST") == 2


def test_revoked_ocsp_answer_is_never_cached() -> None:
    ca, leaf = hierarchy()
    revoked = responder(
        ca,
        leaf,
        status="revoked",
        revoked_at=NOW - DAY,
        reason=x509.ReasonFlags.key_compromise,
    )
    fetcher = FakeFetcher({OCSP_URL: revoked})
    revocation = checker(fetcher, policy=RevocationPolicy.OCSP_THEN_CRL)

    for _ in range(2):
        with pytest.raises(CertificateRevoked) as caught:
            revocation.check(leaf.certificate, ca.certificate, at=NOW)
        assert caught.value.code == "certificate_revoked"

    assert fetcher.count("POST") == 2
    assert fetcher.count("GET") == 0


def test_unknown_answer_is_not_remembered() -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher()
    revocation = checker(fetcher, policy=RevocationPolicy.OCSP)

    with pytest.raises(RevocationUnknown) as caught:
        revocation.check(leaf.certificate, ca.certificate, at=NOW)
    assert caught.value.code == "revocation_unknown"

    fetcher.answers[OCSP_URL] = responder(ca, leaf)
    assert revocation.check(leaf.certificate, ca.certificate, at=NOW) == "ocsp"


def test_configured_responder_replaces_the_certificate_one() -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher({"http://127.0.0.1:9/other": responder(ca, leaf)})
    revocation = checker(
        fetcher, policy=RevocationPolicy.OCSP, ocsp_url="http://127.0.0.1:9/other"
    )

    assert revocation.check(leaf.certificate, ca.certificate, at=NOW) == "ocsp"
    assert fetcher.calls == [("POST", "http://127.0.0.1:9/other")]


def test_certificate_without_a_responder_is_unknown_under_ocsp_only() -> None:
    ca, leaf = hierarchy(ocsp_url=None)

    with pytest.raises(RevocationUnknown) as caught:
        checker(FakeFetcher(), policy=RevocationPolicy.OCSP).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert "no OCSP responder" in caught.value.message


@pytest.mark.parametrize(
    ("failure", "ocsp_requests"),
    [
        (None, 1),
        (ocsp_failure(x509_ocsp.OCSPResponseStatus.UNAUTHORIZED), 1),
        (b"<html>captive portal</html>", 1),
        # Busy is asked once more before the CRL.
        (ocsp_failure(x509_ocsp.OCSPResponseStatus.TRY_LATER), 2),
        (ocsp_failure(x509_ocsp.OCSPResponseStatus.INTERNAL_ERROR), 2),
    ],
)
def test_ocsp_failure_falls_back_to_the_crl(
    failure: bytes | None, ocsp_requests: int
) -> None:
    ca, leaf = hierarchy()
    answers: dict[str, Answer] = {CRL_URL: make_crl(ca)}
    if failure is not None:
        answers[OCSP_URL] = failure
    fetcher = FakeFetcher(answers)

    source = checker(fetcher).check(leaf.certificate, ca.certificate, at=NOW)

    assert source == "crl"
    assert fetcher.calls == [("POST", OCSP_URL)] * ocsp_requests + [("GET", CRL_URL)]


def test_busy_ocsp_responder_is_asked_again_with_a_new_nonce() -> None:
    ca, leaf = hierarchy()
    good = responder(ca, leaf)
    nonces: list[bytes] = []

    def busy_then_good(request: bytes) -> bytes:
        nonces.append(nonce_of(request))
        if len(nonces) == 1:
            return ocsp_failure(x509_ocsp.OCSPResponseStatus.TRY_LATER)
        return good(request)

    fetcher = FakeFetcher({OCSP_URL: busy_then_good})

    source = checker(fetcher, policy=RevocationPolicy.OCSP).check(
        leaf.certificate, ca.certificate, at=NOW
    )

    assert source == "ocsp"
    assert fetcher.count("POST") == 2
    assert nonces[0] != nonces[1]


def test_ocsp_unknown_status_falls_back_to_the_crl_that_lists_it() -> None:
    ca, leaf = hierarchy()
    revoked = ((leaf.certificate.serial, NOW - DAY, x509.ReasonFlags.superseded),)
    fetcher = FakeFetcher(
        {
            OCSP_URL: responder(ca, leaf, status="unknown"),
            CRL_URL: make_crl(ca, revoked=revoked),
        }
    )

    with pytest.raises(CertificateRevoked) as caught:
        checker(fetcher).check(leaf.certificate, ca.certificate, at=NOW)

    assert "superseded" in caught.value.message


def test_both_sources_failing_is_unknown_and_names_both() -> None:
    ca, leaf = hierarchy()

    with pytest.raises(RevocationUnknown) as caught:
        checker(FakeFetcher()).check(leaf.certificate, ca.certificate, at=NOW)

    assert "OCSP:" in caught.value.message
    assert "CRL:" in caught.value.message


class SlowNetwork(FakeFetcher):
    """Every request takes ``seconds`` on a monotonic clock it keeps."""

    def __init__(self, seconds: float, answers: dict[str, Answer] | None = None):
        super().__init__(answers)
        self.now = 0.0
        self.seconds = seconds

    def clock(self) -> float:
        return self.now

    def _answer(self, url: str, body: bytes) -> bytes:
        self.now += self.seconds
        return super()._answer(url, body)


def budgeted(network: SlowNetwork, **settings: object) -> RevocationChecker:
    return RevocationChecker(
        RevocationSettings(**settings),  # type: ignore[arg-type]
        fetcher=network,
        monotonic=network.clock,
    )


def test_crl_is_not_asked_once_ocsp_spent_the_network_budget() -> None:
    ca, leaf = hierarchy()
    network = SlowNetwork(seconds=11.0)

    with pytest.raises(RevocationUnknown) as caught:
        budgeted(network, network_budget_seconds=10.0).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert network.calls == [("POST", OCSP_URL)]
    assert caught.value.code == "revocation_unknown"


def test_crl_is_asked_while_the_network_budget_lasts() -> None:
    ca, leaf = hierarchy()
    network = SlowNetwork(seconds=4.0)

    with pytest.raises(RevocationUnknown):
        budgeted(network, network_budget_seconds=10.0).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert network.calls == [("POST", OCSP_URL), ("GET", CRL_URL)]


def test_ocsp_is_not_asked_with_no_budget_left() -> None:
    ca, leaf = hierarchy()
    network = SlowNetwork(seconds=0.0, answers={OCSP_URL: responder(ca, leaf)})
    times = iter([0.0, 100.0])
    late = RevocationChecker(
        RevocationSettings(policy=RevocationPolicy.OCSP, network_budget_seconds=5.0),
        fetcher=network,
        monotonic=lambda: next(times),
    )

    with pytest.raises(RevocationUnknown) as caught:
        late.check(leaf.certificate, ca.certificate, at=NOW)

    assert network.calls == []
    assert "budget" in caught.value.message


# ------------------------------------------------------------------- CRL


def test_crl_listing_the_certificate_revokes_it() -> None:
    ca, leaf = hierarchy()
    revoked_at = (NOW - 2 * DAY).replace(microsecond=0)
    crl = make_crl(
        ca,
        revoked=(
            (leaf.certificate.serial, revoked_at, x509.ReasonFlags.key_compromise),
        ),
    )
    fetcher = FakeFetcher({CRL_URL: crl})

    with pytest.raises(CertificateRevoked) as caught:
        checker(fetcher, policy=RevocationPolicy.CRL).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert caught.value.code == "certificate_revoked"
    assert caught.value.revoked_at == revoked_at
    assert fetcher.count("POST") == 0


def test_crl_is_downloaded_once_and_refreshed_after_its_period() -> None:
    ca, leaf = hierarchy()
    second = make_leaf("SECOND", issuer=ca, key_label="second")
    fetcher = FakeFetcher({CRL_URL: make_crl(ca)})
    revocation = checker(
        fetcher,
        policy=RevocationPolicy.CRL,
        crl_refresh_seconds=3600,
        good_cache_seconds=0,
    )

    revocation.check(leaf.certificate, ca.certificate, at=NOW)
    revocation.check(second.certificate, ca.certificate, at=NOW + timedelta(minutes=30))
    assert fetcher.count("GET") == 1

    revocation.check(leaf.certificate, ca.certificate, at=NOW + timedelta(minutes=61))
    assert fetcher.count("GET") == 2


def test_unchanged_crl_is_not_verified_again_on_refresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher({CRL_URL: make_crl(ca)})
    verified = []
    real = signature.verify_signature

    def counting(**kwargs: object) -> None:
        verified.append(1)
        real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(crl_module, "verify_signature", counting)
    revocation = checker(
        fetcher,
        policy=RevocationPolicy.CRL,
        crl_refresh_seconds=60,
        good_cache_seconds=0,
    )

    revocation.check(leaf.certificate, ca.certificate, at=NOW)
    revocation.check(leaf.certificate, ca.certificate, at=NOW + timedelta(minutes=2))
    fetcher.answers[CRL_URL] = make_crl(ca, number=2)
    revocation.check(leaf.certificate, ca.certificate, at=NOW + timedelta(minutes=4))

    assert fetcher.count("GET") == 3
    assert len(verified) == 2


def test_failed_refresh_keeps_a_crl_that_is_still_current() -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher({CRL_URL: make_crl(ca, next_update=NOW + 7 * DAY)})
    revocation = checker(
        fetcher,
        policy=RevocationPolicy.CRL,
        crl_refresh_seconds=60,
        good_cache_seconds=0,
    )
    revocation.check(leaf.certificate, ca.certificate, at=NOW)
    del fetcher.answers[CRL_URL]

    assert revocation.check(leaf.certificate, ca.certificate, at=NOW + DAY) == "crl"


def test_stale_crl_is_replaced_or_refused() -> None:
    ca, leaf = hierarchy()
    fetcher = FakeFetcher({CRL_URL: make_crl(ca, next_update=NOW + DAY)})
    revocation = checker(
        fetcher,
        policy=RevocationPolicy.CRL,
        crl_refresh_seconds=10**6,
        good_cache_seconds=0,
    )
    revocation.check(leaf.certificate, ca.certificate, at=NOW)
    later = NOW + 2 * DAY

    with pytest.raises(RevocationUnknown):
        revocation.check(leaf.certificate, ca.certificate, at=later)

    fetcher.answers[CRL_URL] = make_crl(
        ca, this_update=later - DAY, next_update=later + DAY
    )
    assert revocation.check(leaf.certificate, ca.certificate, at=later) == "crl"


def test_forged_crl_from_the_network_is_refused() -> None:
    ca, leaf = hierarchy()
    impostor = make_ca("CA", key_label="lookalike")
    fetcher = FakeFetcher({CRL_URL: make_crl(ca, signing_key=impostor.key)})

    with pytest.raises(RevocationUnknown) as caught:
        checker(fetcher, policy=RevocationPolicy.CRL).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert caught.value.code == "revocation_unknown"


def test_delta_crl_named_by_the_certificate_is_required() -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    fetcher = FakeFetcher({CRL_URL: make_crl(ca, number=10)})

    with pytest.raises(RevocationUnknown) as caught:
        checker(fetcher, policy=RevocationPolicy.CRL).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert "delta" in caught.value.message


def test_delta_crl_revokes_and_lifts_holds() -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    held = make_leaf("HELD", issuer=ca, key_label="second", delta_url=DELTA_URL)
    base = make_crl(
        ca,
        number=10,
        revoked=(
            (held.certificate.serial, NOW - 5 * DAY, x509.ReasonFlags.certificate_hold),
        ),
    )
    delta = make_crl(
        ca,
        number=3,
        base_number=10,
        this_update=NOW - DAY / 2,
        revoked=(
            (held.certificate.serial, NOW - DAY, x509.ReasonFlags.remove_from_crl),
            (leaf.certificate.serial, NOW - DAY, x509.ReasonFlags.key_compromise),
        ),
    )
    fetcher = FakeFetcher({CRL_URL: base, DELTA_URL: delta})
    revocation = checker(fetcher, policy=RevocationPolicy.CRL)

    assert revocation.check(held.certificate, ca.certificate, at=NOW) == "crl"
    with pytest.raises(CertificateRevoked) as caught:
        revocation.check(leaf.certificate, ca.certificate, at=NOW)
    assert "key_compromise" in caught.value.message


def test_delta_for_a_newer_base_is_refused() -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    fetcher = FakeFetcher(
        {
            CRL_URL: make_crl(ca, number=10),
            DELTA_URL: make_crl(
                ca, number=4, base_number=11, this_update=NOW - DAY / 2
            ),
        }
    )

    with pytest.raises(RevocationUnknown) as caught:
        checker(fetcher, policy=RevocationPolicy.CRL).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert ">= 11" in caught.value.message


# ---------------------------------------------- explicit and offline CRLs


def test_added_crl_is_used_without_the_network() -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    fetcher = FakeFetcher()
    revocation = checker(fetcher, policy=RevocationPolicy.CRL)
    revoked = ((leaf.certificate.serial, NOW - DAY, None),)

    revocation.add_crl(make_crl(ca, revoked=revoked), issuer=ca.certificate, at=NOW)

    with pytest.raises(CertificateRevoked):
        revocation.check(leaf.certificate, ca.certificate, at=NOW)
    assert fetcher.calls == []


def test_added_crl_that_does_not_verify_changes_nothing() -> None:
    ca, leaf = hierarchy()
    impostor = make_ca("CA", key_label="lookalike")
    fetcher = FakeFetcher({CRL_URL: make_crl(ca)})
    revocation = checker(fetcher, policy=RevocationPolicy.CRL)
    forged = make_crl(ca, signing_key=impostor.key, number=99)

    with pytest.raises(RevocationUnknown):
        revocation.add_crl(forged, issuer=ca.certificate, at=NOW)
    with pytest.raises(InputMalformed):
        revocation.add_crl(b"not a CRL", issuer=ca.certificate, at=NOW)

    assert revocation.check(leaf.certificate, ca.certificate, at=NOW) == "crl"
    assert fetcher.count("GET") == 1


def test_added_pem_crl_is_accepted() -> None:
    ca, leaf = hierarchy()
    der = make_crl(ca, revoked=((leaf.certificate.serial, NOW - DAY, None),))
    pem = x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)
    revocation = checker(FakeFetcher(), policy=RevocationPolicy.CRL)

    revocation.add_crl(pem, issuer=ca.certificate, at=NOW)

    with pytest.raises(CertificateRevoked):
        revocation.check(leaf.certificate, ca.certificate, at=NOW)


def test_mirror_folder_is_matched_by_issuer_and_signature(tmp_path: Path) -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    other = make_ca("OTHER", key_label="second")
    impostor = make_ca("CA", key_label="lookalike")
    (tmp_path / "a_forged.crl").write_bytes(
        make_crl(ca, signing_key=impostor.key, number=50)
    )
    (tmp_path / "b_other.crl").write_bytes(make_crl(other))
    (tmp_path / "c_real.der").write_bytes(
        make_crl(ca, number=7, revoked=((leaf.certificate.serial, NOW - DAY, None),))
    )
    (tmp_path / "d_junk.crl").write_bytes(b"junk")
    (tmp_path / "notes.txt").write_text("ignored")
    fetcher = FakeFetcher()

    with pytest.raises(CertificateRevoked):
        checker(fetcher, policy=RevocationPolicy.CRL, crl_dir=tmp_path).check(
            leaf.certificate, ca.certificate, at=NOW
        )
    assert fetcher.calls == []


def test_mirror_folder_without_a_crl_of_the_issuer_is_unknown(tmp_path: Path) -> None:
    ca, leaf = hierarchy()
    other = make_ca("OTHER", key_label="second")
    (tmp_path / "other.crl").write_bytes(make_crl(other))
    fetcher = FakeFetcher({CRL_URL: make_crl(ca)})

    with pytest.raises(RevocationUnknown) as caught:
        checker(fetcher, policy=RevocationPolicy.CRL, crl_dir=tmp_path).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert caught.value.code == "revocation_unknown"
    assert fetcher.calls == []


def test_mirror_folder_picks_up_a_replaced_file(tmp_path: Path) -> None:
    ca, leaf = hierarchy()
    path = tmp_path / "ca.crl"
    path.write_bytes(make_crl(ca, number=1))
    revocation = checker(
        FakeFetcher(),
        policy=RevocationPolicy.CRL,
        crl_dir=tmp_path,
        crl_refresh_seconds=60,
        good_cache_seconds=0,
    )
    assert revocation.check(leaf.certificate, ca.certificate, at=NOW) == "crl"

    path.write_bytes(
        make_crl(ca, number=2, revoked=((leaf.certificate.serial, NOW, None),))
    )

    with pytest.raises(CertificateRevoked):
        revocation.check(
            leaf.certificate, ca.certificate, at=NOW + timedelta(minutes=2)
        )


def _base_and_stale_delta(ca: Issued, leaf: Issued) -> tuple[bytes, bytes]:
    """A current complete CRL, and a delta that lists ``leaf`` as revoked
    but whose nextUpdate passed a day ago (a mirror no longer refreshed)."""
    base = make_crl(
        ca, number=10, this_update=NOW - 30 * DAY, next_update=NOW + 150 * DAY
    )
    delta = make_crl(
        ca,
        number=4,
        base_number=10,
        this_update=NOW - 3 * DAY,
        next_update=NOW - DAY,
        revoked=((leaf.certificate.serial, NOW - 2 * DAY, None),),
    )
    return base, delta


def test_mirror_with_a_stale_delta_is_unknown_not_the_base_alone(
    tmp_path: Path,
) -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    base, delta = _base_and_stale_delta(ca, leaf)
    (tmp_path / "ca.crl").write_bytes(base)
    (tmp_path / "ca_d.crl").write_bytes(delta)

    with pytest.raises(RevocationUnknown) as caught:
        checker(FakeFetcher(), policy=RevocationPolicy.CRL, crl_dir=tmp_path).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert type(caught.value) is RevocationUnknown
    assert "delta" in caught.value.message


def test_mirror_with_a_delta_for_a_newer_base_is_unknown(tmp_path: Path) -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    (tmp_path / "ca.crl").write_bytes(make_crl(ca, number=10, this_update=NOW - DAY))
    (tmp_path / "ca_d.crl").write_bytes(
        make_crl(
            ca,
            number=5,
            base_number=11,
            this_update=NOW - DAY / 2,
            revoked=((leaf.certificate.serial, NOW - DAY, None),),
        )
    )

    with pytest.raises(RevocationUnknown) as caught:
        checker(FakeFetcher(), policy=RevocationPolicy.CRL, crl_dir=tmp_path).check(
            leaf.certificate, ca.certificate, at=NOW
        )

    assert "delta" in caught.value.message


def test_added_delta_gone_stale_is_unknown_not_the_base_alone() -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    base, delta = _base_and_stale_delta(ca, leaf)
    revocation = checker(
        FakeFetcher(), policy=RevocationPolicy.CRL, good_cache_seconds=0
    )
    added_at = NOW - 2 * DAY
    revocation.add_crl(base, issuer=ca.certificate, at=added_at)
    revocation.add_crl(delta, issuer=ca.certificate, at=added_at)
    with pytest.raises(CertificateRevoked):
        revocation.check(leaf.certificate, ca.certificate, at=added_at)

    with pytest.raises(RevocationUnknown) as caught:
        revocation.check(leaf.certificate, ca.certificate, at=NOW)

    assert "delta" in caught.value.message


def test_mirror_with_only_complete_crls_is_used_as_it_is(tmp_path: Path) -> None:
    ca, leaf = hierarchy(delta_url=DELTA_URL)
    (tmp_path / "ca.crl").write_bytes(make_crl(ca, number=10))

    assert (
        checker(FakeFetcher(), policy=RevocationPolicy.CRL, crl_dir=tmp_path).check(
            leaf.certificate, ca.certificate, at=NOW
        )
        == "crl"
    )


# ------------------------------------------------------ real NCA material


def real_mirror(tmp_path: Path, *paths: str) -> Path:
    for path in paths:
        shutil.copy(vectors.VECTORS_DIR / path, tmp_path / Path(path).name)
    return tmp_path


def nca_test_ca() -> Certificate:
    return Certificate.load(vectors.read("ca/test/nca_gost2022_test.pem"))


CRL_2026 = "crl/test/nca_gost2022_test_2026-08-11.crl"


def at_2026() -> datetime:
    return vectors.at(vectors.entry(CRL_2026)["validate_at"])


def test_real_revoked_sdk2026_certificate_is_revoked_by_the_mirrored_crl(
    tmp_path: Path,
) -> None:
    entry = vectors.entry("certs/from-p12/sdk2026_legal_head_revoked.pem")
    certificate = Certificate.load(vectors.read(entry["path"]))
    revocation = checker(
        FakeFetcher(),
        policy=RevocationPolicy.CRL,
        crl_dir=real_mirror(tmp_path, CRL_2026),
    )

    with pytest.raises(CertificateRevoked) as caught:
        revocation.check(certificate, nca_test_ca(), at=at_2026())

    assert caught.value.revoked_at == vectors.at(entry["revoked_since"])


def test_real_valid_sdk2026_certificate_passes_the_mirrored_crl(tmp_path: Path) -> None:
    certificate = Certificate.load(
        vectors.read("certs/from-p12/sdk2026_individual_valid.pem")
    )
    revocation = checker(
        FakeFetcher(),
        policy=RevocationPolicy.CRL,
        crl_dir=real_mirror(tmp_path, CRL_2026),
    )

    assert revocation.check(certificate, nca_test_ca(), at=at_2026()) == "crl"


def test_real_crl_with_its_delta_is_used_when_added(tmp_path: Path) -> None:
    base = "crl/test/nca_gost2022_test_2023-11-17.crl"
    delta = "crl/test/nca_gost2022_test_delta_2023-11-17.crl"
    entry = vectors.entry("certs/from-p12/kalkan_individual_revoked_gost512.pem")
    at = vectors.at(vectors.entry(base)["validate_at"])
    revocation = checker(FakeFetcher(), policy=RevocationPolicy.CRL)
    revocation.add_crl(vectors.read(base), issuer=nca_test_ca(), at=at)
    revocation.add_crl(vectors.read(delta), issuer=nca_test_ca(), at=at)

    with pytest.raises(CertificateRevoked):
        revocation.check(
            Certificate.load(vectors.read(entry["path"])), nca_test_ca(), at=at
        )


def test_real_crl_past_its_next_update_is_unknown(tmp_path: Path) -> None:
    certificate = Certificate.load(
        vectors.read("certs/from-p12/sdk2026_individual_valid.pem")
    )
    revocation = checker(
        FakeFetcher(),
        policy=RevocationPolicy.CRL,
        crl_dir=real_mirror(tmp_path, CRL_2026),
    )

    with pytest.raises(RevocationUnknown):
        revocation.check(
            certificate, nca_test_ca(), at=vectors.at("2027-02-08T00:00:00Z")
        )
