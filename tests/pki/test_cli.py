"""``kabinet pki``: inspect, verify and trust, through main() and once
through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kabinet.devtools.testpki import TestPki
from kabinet.pki import cms
from kabinet.pki.certificate import Certificate
from kabinet.pki.cli import main
from kabinet.pki.errors import FetchFailed
from kabinet.pki.trust import TRUST_SETS
from tests.vectors import VECTORS_DIR

CHALLENGE = b"kabinet-cli-challenge-0c41"

CERTIFICATE_FIELDS = {
    "subject",
    "iin",
    "bin",
    "common_name",
    "surname",
    "first_name",
    "patronymic",
    "organisation",
    "email",
    "country",
    "subject_type",
    "employee_roles",
    "serial",
    "issuer",
    "not_before",
    "not_after",
    "algorithm",
    "sha256",
}
DETAIL_FIELDS = CERTIFICATE_FIELDS | {
    "key_usage",
    "extended_key_usage",
    "key_storages",
    "ocsp_urls",
    "crl_urls",
    "delta_crl_urls",
    "is_ca",
}
CONTENT_FIELDS = {"text", "base64", "length", "sha256"}
VERIFY_FIELDS = {
    "valid",
    "error",
    "signer",
    "signing_time",
    "content",
    "revocation",
    "chain",
}

LEGAL_HEAD = VECTORS_DIR / "certs/from-p12/sdk2026_legal_head_valid.pem"
LEGAL_HEAD_P12 = VECTORS_DIR / "keys/test-2026-2027/sdk2026_legal_head_valid.p12"
RSA_CMS = VECTORS_DIR / "signed/ncanode_cms_one_signer_rsa_attached.p7s"
GOST_XML = VECTORS_DIR / "signed/kalkan_xml_gost512_legal_ceo_2025-02.xml"


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, Any]:
    status, out, _ = _run(capsys, *argv, "--json")
    return status, json.loads(out)


def _signed_file(pki: TestPki, name: str, at: datetime, target: Path) -> Path:
    store = pki.key_store(name)
    signed = cms.sign_cms(
        CHALLENGE, key=store.private_key, certificate=store.certificate, signing_time=at
    )
    target.write_text(cms.to_pem(signed), encoding="ascii")
    return target


def _verify_args(pki: TestPki, at: datetime) -> list[str]:
    return [
        "--trust",
        str(pki.trust_dir),
        "--revocation",
        "crl",
        "--crl-dir",
        str(pki.crl_dir),
        "--at",
        at.isoformat(),
    ]


# --- inspect ----------------------------------------------------------------------


def test_inspect_certificate_prints_the_identity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = _run(capsys, "inspect", LEGAL_HEAD)

    assert status == 0
    assert "IIN:" in out and "123456789011" in out
    assert "BIN:" in out and "123456789021" in out
    assert "first_head" in out
    assert "emailProtection (1.3.6.1.5.5.7.3.4)" in out
    assert "PKCS#12 file" in out


def test_inspect_certificate_json_has_the_documented_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report = _run_json(capsys, "inspect", LEGAL_HEAD)

    assert status == 0
    assert set(report) == {"kind", "certificate"}
    assert report["kind"] == "certificate"
    certificate = report["certificate"]
    assert set(certificate) == DETAIL_FIELDS
    assert certificate["iin"] == "123456789011"
    assert certificate["bin"] == "123456789021"
    assert certificate["subject_type"] == "legal_entity"
    assert certificate["employee_roles"] == ["first_head"]
    assert certificate["not_after"].endswith("Z")
    assert certificate["sha256"] == Certificate.load(LEGAL_HEAD.read_bytes()).sha256
    assert "digital_signature" in certificate["key_usage"]
    assert certificate["is_ca"] is False


def test_inspect_recognises_a_der_certificate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    der = tmp_path / "head.cer"
    der.write_bytes(Certificate.load(LEGAL_HEAD.read_bytes()).der)

    status, report = _run_json(capsys, "inspect", der)

    assert status == 0
    assert report["kind"] == "certificate"


def test_inspect_refuses_pkcs12_without_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _run(capsys, "inspect", LEGAL_HEAD_P12)

    assert status == 2
    assert out == ""
    assert "--password" in err


def test_inspect_opens_pkcs12_with_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report = _run_json(
        capsys, "inspect", LEGAL_HEAD_P12, "--password", "Qwerty12"
    )

    assert status == 0
    assert report["kind"] == "pkcs12"
    assert (
        report["certificate"]["serial"]
        == Certificate.load(LEGAL_HEAD.read_bytes()).serial_hex
    )
    assert report["chain"] == []


def test_inspect_reports_wrong_pkcs12_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report = _run_json(capsys, "inspect", LEGAL_HEAD_P12, "--password", "nope")

    assert status == 1
    assert report["kind"] == "pkcs12"
    assert report["error"]["code"] == "pkcs12_password_wrong"


def test_inspect_describes_a_cms_and_its_content(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report = _run_json(capsys, "inspect", RSA_CMS)

    assert status == 0
    assert report["kind"] == "cms"
    assert set(report["content"]) == CONTENT_FIELDS
    assert report["content"]["text"] == "test123"
    assert report["signing_time"] == "2022-09-28T14:40:30Z"
    assert report["attached"] is True
    assert report["certificate"]["iin"] == "123456789011"


def test_inspect_describes_a_signed_xml(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "inspect", GOST_XML)

    assert status == 0
    assert out.startswith("Signed XML; the signer")
    assert "QCxn00hfuH9zCv58" in out


def test_inspect_refuses_garbage_as_malformed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01 not a certificate")

    status, report = _run_json(capsys, "inspect", garbage)

    assert status == 2
    assert report["error"]["code"] == "malformed_input"


def test_inspect_refuses_an_oversized_file_unread(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    large = tmp_path / "large.p7s"
    large.write_bytes(b"\x30" * (1024 * 1024 + 1))

    status, out, err = _run(capsys, "inspect", large)

    assert status == 2
    assert out == ""
    assert "input_too_large" in err


def test_missing_file_is_bad_usage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = _run(capsys, "inspect", tmp_path / "absent.pem")

    assert status == 2
    assert "cannot read" in err


# --- verify -----------------------------------------------------------------------


def test_verify_accepts_a_good_signature_with_the_documented_json(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    tmp_path: Path,
) -> None:
    signed = _signed_file(
        test_pki, "gost_legal_first_head", pki_now, tmp_path / "s.p7s"
    )

    status, report = _run_json(
        capsys, "verify", signed, *_verify_args(test_pki, pki_now)
    )

    assert status == 0
    assert set(report) == VERIFY_FIELDS
    assert report["valid"] is True
    assert report["error"] is None
    assert set(report["signer"]) == CERTIFICATE_FIELDS
    assert report["signer"]["subject_type"] == "legal_entity"
    assert report["signer"]["employee_roles"] == ["first_head"]
    assert report["content"]["text"] == CHALLENGE.decode()
    assert report["revocation"] == "crl"
    assert report["signing_time"] == pki_now.isoformat().replace("+00:00", "Z")
    certificate = test_pki.keys["gost_legal_first_head"].certificate
    assert report["chain"][0] == certificate.subject
    assert len(report["chain"]) == 3


def test_verify_prints_a_readable_verdict(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    tmp_path: Path,
) -> None:
    signed = _signed_file(test_pki, "gost_individual", pki_now, tmp_path / "s.p7s")

    status, out, _ = _run(capsys, "verify", signed, *_verify_args(test_pki, pki_now))

    assert status == 0
    assert out.startswith("Signature: valid")
    assert "IIN:" in out
    assert CHALLENGE.decode() in out


def test_verify_refuses_a_revoked_signer_with_exit_1(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    tmp_path: Path,
) -> None:
    signed = _signed_file(
        test_pki, "gost_individual_revoked", pki_now, tmp_path / "r.p7s"
    )

    status, report = _run_json(
        capsys, "verify", signed, *_verify_args(test_pki, pki_now)
    )

    assert status == 1
    assert report["valid"] is False
    assert report["error"]["code"] == "certificate_revoked"
    assert report["signer"] is None and report["content"] is None
    assert report["chain"] == []


def test_verify_text_names_the_error_code(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    tmp_path: Path,
) -> None:
    signed = _signed_file(test_pki, "forged_individual", pki_now, tmp_path / "f.p7s")

    status, out, _ = _run(capsys, "verify", signed, *_verify_args(test_pki, pki_now))

    assert status == 1
    assert "Signature: NOT valid" in out
    assert "untrusted_issuer" in out


def test_verify_checks_a_detached_signature_with_its_content(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    tmp_path: Path,
) -> None:
    store = test_pki.key_store("gost_individual")
    signed = tmp_path / "d.p7s"
    signed.write_bytes(
        cms.sign_cms(
            CHALLENGE,
            key=store.private_key,
            certificate=store.certificate,
            signing_time=pki_now,
            attached=False,
        )
    )
    content = tmp_path / "content.txt"
    content.write_bytes(CHALLENGE)

    status, report = _run_json(
        capsys, "verify", signed, "--content", content, *_verify_args(test_pki, pki_now)
    )

    assert status == 0
    assert report["content"]["text"] == CHALLENGE.decode()


def test_verify_asks_the_ocsp_responder_given(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    ocsp_responder: str,
    tmp_path: Path,
) -> None:
    signed = _signed_file(test_pki, "rsa_individual_auth", pki_now, tmp_path / "o.p7s")

    status, report = _run_json(
        capsys,
        "verify",
        signed,
        "--trust",
        test_pki.trust_dir,
        "--revocation",
        "ocsp",
        "--ocsp-url",
        ocsp_responder,
        "--at",
        pki_now.isoformat(),
    )

    assert status == 0
    assert report["revocation"] == "ocsp"


def test_verify_uses_crl_files_given_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    crls = VECTORS_DIR / "crl/test"

    status, report = _run_json(
        capsys,
        "verify",
        GOST_XML,
        "--trust",
        VECTORS_DIR / "ca/test",
        "--revocation",
        "crl",
        "--crl",
        crls / "nca_gost2022_test_2025-04-29.crl",
        "--crl",
        crls / "nca_gost2022_test_delta_2025-04-29.crl",
        "--at",
        "2025-04-29T23:41:24Z",
    )

    assert status == 0, report
    assert report["revocation"] == "crl"
    assert report["signer"]["serial"] == "10f5125fb9e52f84c42cbad8e451c68f10a5e869"
    assert "QCxn00hfuH9zCv58" in report["content"]["text"]


def test_verify_refuses_a_crl_of_a_foreign_ca(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _run(
        capsys,
        "verify",
        GOST_XML,
        "--trust",
        VECTORS_DIR / "ca/prod",
        "--crl",
        VECTORS_DIR / "crl/test/nca_gost2022_test_2025-04-29.crl",
        "--at",
        "2025-04-29T23:41:24Z",
    )

    assert status == 2
    assert "not issued by a CA of the trust set" in err


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--ocsp-url", "ftp://127.0.0.1/ocsp", "--ocsp-url"),
        ("--crl-dir", "absent-folder", "--crl-dir"),
    ],
)
def test_verify_reports_a_bad_revocation_option_as_usage(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    tmp_path: Path,
    option: str,
    value: str,
    named: str,
) -> None:
    if option == "--crl-dir":
        value = str(tmp_path / value)

    status, out, err = _run(
        capsys,
        "verify",
        RSA_CMS,
        "--trust",
        test_pki.trust_dir,
        option,
        value,
        "--at",
        "2026-05-18T12:00:00Z",
    )

    assert status == 2
    assert out == ""
    assert named in err
    assert "Traceback" not in err


def test_verify_refuses_time_without_zone(
    capsys: pytest.CaptureFixture[str], test_pki: TestPki, tmp_path: Path
) -> None:
    status, out, err = _run(
        capsys,
        "verify",
        RSA_CMS,
        "--trust",
        test_pki.trust_dir,
        "--at",
        "2026-05-18T12:00:00",
    )

    assert status == 2
    assert out == ""
    assert "time zone" in err


def test_verify_explains_how_to_install_a_missing_trust_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = _run(
        capsys, "verify", RSA_CMS, "--trust", "test", "--trust-home", tmp_path / "home"
    )

    assert status == 2
    assert out == ""
    assert "kabinet pki trust update test" in err
    assert "kabinet pki trust import test DIR" in err


def test_trust_home_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KABINET_TRUST_HOME", str(tmp_path / "from-env"))

    status, _, err = _run(capsys, "verify", RSA_CMS, "--trust", "production")

    assert status == 2
    assert str(tmp_path / "from-env" / "production") in err


def test_verify_reports_malformed_input_with_exit_2(
    capsys: pytest.CaptureFixture[str], test_pki: TestPki, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.p7s"
    junk.write_bytes(b"MIIjunk")

    status, report = _run_json(capsys, "verify", junk, "--trust", test_pki.trust_dir)

    assert status == 2
    assert report["valid"] is False
    assert report["error"]["code"] == "malformed_input"


def test_verify_refuses_content_option_for_xml(
    capsys: pytest.CaptureFixture[str], test_pki: TestPki
) -> None:
    status, _, err = _run(
        capsys, "verify", GOST_XML, "--content", GOST_XML, "--trust", test_pki.trust_dir
    )

    assert status == 2
    assert "--content" in err


# --- trust ------------------------------------------------------------------------


def test_trust_import_installs_the_pinned_production_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = tmp_path / "home"

    status, out, _ = _run(
        capsys,
        "trust",
        "import",
        "production",
        VECTORS_DIR / "ca/prod",
        "--trust-home",
        home,
    )

    assert status == 0
    written = sorted(p.name for p in (home / "production").glob("*.pem"))
    assert written == sorted(f"{pin.name}.pem" for pin in TRUST_SETS["production"])
    assert f"{len(written)} certificate(s) written" in out
    for name in written:
        assert str(home / "production" / name) in out


def test_trust_import_of_unpinned_certificates_fails_with_the_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = tmp_path / "home"

    # ca/test also holds the 2018-2020 test CAs, which the test set does not pin.
    status, out, _ = _run(
        capsys, "trust", "import", "test", VECTORS_DIR / "ca/test", "--trust-home", home
    )

    assert status == 1
    assert "trust_pin_mismatch" in out
    assert not (home / "test").exists()


class _VectorServer:
    """Answers the pinned URLs with the CA certificates of the vectors."""

    def __init__(self) -> None:
        by_sha256 = {
            Certificate.load(p.read_bytes()).sha256: Certificate.load(
                p.read_bytes()
            ).der
            for p in (VECTORS_DIR / "ca").rglob("*.pem")
        }
        self.answers = {
            url: by_sha256[pin.sha256]
            for pins in TRUST_SETS.values()
            for pin in pins
            for url in pin.urls
            if pin.sha256 in by_sha256
        }

    def get(self, url: str) -> bytes:
        if url not in self.answers:
            raise FetchFailed(f"no answer for {url}")
        return self.answers[url]

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        raise FetchFailed(f"no POST {url}")


def test_trust_update_downloads_and_installs_the_pinned_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kabinet.pki.cli.HttpFetcher", lambda **_: _VectorServer())
    home = tmp_path / "home"

    status, out, _ = _run(capsys, "trust", "update", "test", "--trust-home", home)

    assert status == 0, out
    assert len(list((home / "test").glob("*.pem"))) == len(TRUST_SETS["test"])


def test_installed_trust_set_is_used_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kabinet.pki.cli.HttpFetcher", lambda **_: _VectorServer())
    home = tmp_path / "home"
    assert _run(capsys, "trust", "update", "test", "--trust-home", home)[0] == 0

    status, report = _run_json(
        capsys,
        "verify",
        GOST_XML,
        "--trust",
        "test",
        "--trust-home",
        home,
        "--revocation",
        "off",
        "--at",
        "2025-04-29T23:41:24Z",
    )

    assert status == 0, report
    assert report["revocation"] == "off"


def test_trust_update_without_network_fails_with_the_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class _Unreachable(_VectorServer):
        def get(self, url: str) -> bytes:
            raise FetchFailed(f"unreachable {url}")

    monkeypatch.setattr("kabinet.pki.cli.HttpFetcher", lambda **_: _Unreachable())

    status, out, _ = _run(
        capsys, "trust", "update", "production", "--trust-home", tmp_path
    )

    assert status == 1
    assert "fetch_failed" in out


# --- the command line as such -----------------------------------------------------


def test_verbose_prints_the_verification_log_on_stderr(
    capsys: pytest.CaptureFixture[str],
    test_pki: TestPki,
    pki_now: datetime,
    tmp_path: Path,
) -> None:
    signed = _signed_file(test_pki, "gost_individual", pki_now, tmp_path / "v.p7s")

    status, _, err = _run(
        capsys, "-v", "verify", signed, *_verify_args(test_pki, pki_now)
    )

    assert status == 0
    assert "INFO kabinet.pki.verifier: CMS verification started" in err
    assert "DEBUG kabinet.pki.verifier: Verification step passed: revocation" in err
    assert CHALLENGE.decode() not in err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "--help")

    assert status == 0
    assert "inspect" in out and "verify" in out and "trust" in out


def test_unknown_command_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "sign", "x")

    assert status == 2
    assert "invalid choice" in err


def test_console_script_runs_the_pki_command_line() -> None:
    script = Path(sys.executable).parent / "kabinet"

    completed = subprocess.run(
        [str(script), "pki", "inspect", str(LEGAL_HEAD), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["certificate"]["bin"] == "123456789021"
