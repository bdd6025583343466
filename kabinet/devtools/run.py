"""``make run``: the cabinet on http://127.0.0.1:8000 with everything it needs,
on this machine, offline.

What it prepares, all under ``./var`` (git-ignored):

- ``var/dev-pki``: the generated test PKI (:mod:`kabinet.devtools.testpki`),
  generated once and reused while it stays valid;
- ``var/trust/test``: NCA's own test trust set, installed through the pins
  of :mod:`kabinet.pki.trust` from ``../shared/vectors/nca/ca/test`` when
  that folder exists beside the checkout;
- ``var/dev-trust``: the folder the server trusts (``KABINET_TRUST``): the
  generated PKI's CAs and, when installed, NCA's test CAs;
- ``var/dev-crl``: the offline CRL mirror (``KABINET_CRL_DIR``): the
  generated PKI's full and delta CRLs and NCA's test CRL, because
  test.pki.gov.kz cannot be reached offline;
- ``var/kabinet.sqlite3`` (migrated on every start) and ``var/dev-secret-key``.

Then it runs, in this process, the test PKI's OCSP responder with its CRL
and CA certificate downloads on http://127.0.0.1:8780 (where the generated
certificates' AIA and CDP point) and the NCALayer emulator on
ws://127.0.0.1:13579 with its control page, the stand-in for NCALayer's key
dialog, on http://127.0.0.1:13580. Both hold every demo key: the generated
ones and the NCA SDK 2026 test keys from ``../shared/vectors/nca/keys``.
Django's development server runs as a child process in the foreground, with
code reloading; Ctrl-C (or SIGTERM) stops everything.

Command line::

    python -m kabinet.devtools.run [--var DIR] [--nca-vectors DIR]
        [--no-nca-keys] [--ask] [--noreload]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Final
from urllib.parse import urlsplit

from kabinet.devtools import testpki
from kabinet.devtools.ncalayer import KeyFile, NcaLayerEmulator
from kabinet.devtools.ocsp_responder import running_responder
from kabinet.pki.certificate import Certificate, Identity
from kabinet.pki.errors import PkiError
from kabinet.pki.pkcs12 import load_pkcs12
from kabinet.pki.revocation.crl import CrlIndex, read_issuer
from kabinet.pki.trust import TRUST_SETS, import_trust_set, read_certificate_folder

logger = logging.getLogger(__name__)

HOST: Final = "127.0.0.1"
SERVER_PORT: Final = 8000
PUBLIC_URL: Final = f"http://{HOST}:{SERVER_PORT}"
NCALAYER_PORT: Final = 13579
NCALAYER_CONTROL_PORT: Final = 13580
NCALAYER_URL: Final = f"ws://{HOST}:{NCALAYER_PORT}"

# The NCA material beside the checkout (../shared/vectors/nca): the SDK 2.0
# test keys valid until May 2027, the CAs that issued them and the CRL of
# "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022" fresh until 2027-02-07.
NCA_TRUST_SET: Final = "test"
NCA_KEYS_FOLDER: Final = "keys/test-2026-2027"
NCA_CA_FOLDER: Final = "ca/test"
NCA_CRL_FILE: Final = "crl/test/nca_gost2022_test_2026-08-11.crl"
NCA_KEY_PASSWORD: Final = "Qwerty12"  # the published SDK test password

# The key the emulator signs with until someone picks another: it fits the
# applicant, the project participant and the expert.
FIRST_SELECTED_KEY: Final = "gost_legal_first_head"
# The key the eGov app emulator example uses: an individual (candidate).
QR_EXAMPLE_KEY: Final = "gost_individual"
# The QR login is off without the bank's BIN (the eGov app shows it); in
# development, unless KABINET_BANK_BIN is given, a placeholder that no
# organisation has.
DEVELOPMENT_BANK_BIN: Final = "000000000000"

_READY_TIMEOUT_SECONDS: Final = 60.0
_STOP_SIGNALS: Final = (
    (signal.SIGINT, 3.0),
    (signal.SIGTERM, 10.0),
    (signal.SIGKILL, 10.0),
)


class StartError(Exception):
    """Raised when the environment cannot be prepared; the message says why."""


# --- Paths ------------------------------------------------------------------


def checkout_root() -> Path:
    """The folder holding pyproject.toml: the checkout this module runs from."""
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").is_file():
        return here
    return Path.cwd()


def default_nca_vectors() -> Path:
    """``../shared/vectors/nca`` beside the checkout."""
    return checkout_root().parent / "shared" / "vectors" / "nca"


@dataclass(frozen=True)
class Layout:
    """Where everything lives under the var folder."""

    var: Path

    @property
    def pki(self) -> Path:
        return self.var / "dev-pki"

    @property
    def trust_home(self) -> Path:
        return self.var / "trust"

    @property
    def trust_dir(self) -> Path:
        return self.var / "dev-trust"

    @property
    def crl_dir(self) -> Path:
        return self.var / "dev-crl"

    @property
    def database(self) -> Path:
        return self.var / "kabinet.sqlite3"

    @property
    def secret_key_file(self) -> Path:
        # The same file kabinet.settings falls back to in development.
        return self.var / "dev-secret-key"


# --- Preparing var/ -----------------------------------------------------------


def secret_key(layout: Layout) -> str:
    """The development secret key of this var folder, created on first use."""
    path = layout.secret_key_file
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def install_nca_test_trust(vectors: Path, layout: Layout) -> Path:
    """Install NCA's test trust set into ``var/trust/test``.

    The vectors' CA folder also holds expired and GOST 34.310-2004 CAs that
    the set leaves out, and an import refuses any certificate it does not
    pin; so the pinned ones are picked first, into a staging folder.

    Raises:
        StartError: the folder is missing or lacks a pinned certificate.
    """
    source = vectors / NCA_CA_FOLDER
    if not source.is_dir():
        raise StartError(f"{source} is missing: cannot trust NCA's test keys")
    pins = {pin.sha256 for pin in TRUST_SETS[NCA_TRUST_SET]}
    pinned = [c for c in read_certificate_folder(source) if c.sha256 in pins]
    layout.var.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".nca-test-ca-", dir=layout.var) as tmp:
        staging = Path(tmp)
        for number, certificate in enumerate(pinned):
            (staging / f"{number:02d}.pem").write_text(
                certificate.to_pem(), encoding="ascii"
            )
        try:
            import_trust_set(NCA_TRUST_SET, staging, layout.trust_home)
        except PkiError as exc:
            raise StartError(
                f"NCA test CAs in {source} do not form the pinned "
                f"{NCA_TRUST_SET!r} trust set: {exc.message}"
            ) from exc
    return layout.trust_home / NCA_TRUST_SET


def _refill(folder: Path, files: Sequence[tuple[str, Path]]) -> None:
    """Make ``folder`` hold exactly ``files`` (target name, source path)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    for name, source in files:
        shutil.copyfile(source, folder / name)


def build_trust_dir(layout: Layout, pki: testpki.TestPki, nca: Path | None) -> None:
    """``var/dev-trust``: the generated PKI's CAs and NCA's test CAs."""
    files = [(f"testpki-{p.name}", p) for p in sorted(pki.trust_dir.glob("*.pem"))]
    if nca is not None:
        files += [(f"nca-test-{p.name}", p) for p in sorted(nca.glob("*.pem"))]
    _refill(layout.trust_dir, files)


def build_crl_dir(layout: Layout, pki: testpki.TestPki, nca_crl: Path | None) -> None:
    """``var/dev-crl``: the generated CRLs and NCA's test CRL."""
    files = [(f"testpki-{p.name}", p) for p in sorted(pki.crl_dir.glob("*.crl"))]
    if nca_crl is not None:
        files.append((f"nca-test-{nca_crl.name}", nca_crl))
    _refill(layout.crl_dir, files)


# --- The demo keys --------------------------------------------------------------


@dataclass(frozen=True)
class DemoKey:
    """A key the emulator holds, as the banner describes it."""

    name: str
    path: Path
    password: str = field(repr=False)
    certificate: Certificate
    status: str
    source: str

    def key_file(self) -> KeyFile:
        return KeyFile(path=self.path, password=self.password, name=self.name)


def generated_keys(pki: testpki.TestPki) -> list[DemoKey]:
    return [
        DemoKey(
            name=key.name,
            path=key.p12_path,
            password=key.password,
            certificate=key.certificate,
            status=key.status,
            source="generated",
        )
        for key in pki.keys.values()
    ]


def nca_keys(vectors: Path, *, now: datetime) -> list[DemoKey]:
    """The NCA SDK test keys, with their status as NCA's CRL gives it."""
    folder = vectors / NCA_KEYS_FOLDER
    issuers = {
        c.subject_der: c for c in read_certificate_folder(vectors / NCA_CA_FOLDER)
    }
    revoked = _nca_test_crl(vectors, issuers, now=now)
    keys = []
    for path in sorted(folder.glob("*.p12")):
        certificate = load_pkcs12(path.read_bytes(), NCA_KEY_PASSWORD).certificate
        if certificate.not_after < now:
            status = "expired"
        elif certificate.not_before > now:
            status = "not_yet_valid"
        elif revoked is None:
            status = "unknown"
        elif certificate.serial in revoked:
            status = "revoked"
        else:
            status = "good"
        keys.append(
            DemoKey(
                name=path.stem,
                path=path,
                password=NCA_KEY_PASSWORD,
                certificate=certificate,
                status=status,
                source="nca",
            )
        )
    return keys


def _nca_test_crl(
    vectors: Path, issuers: dict[bytes, Certificate], *, now: datetime
) -> CrlIndex | None:
    """NCA's test CRL, checked as the server checks it; None when unusable."""
    path = vectors / NCA_CRL_FILE
    if not path.is_file():
        logger.warning("%s is missing: NCA test keys will be refused", path)
        return None
    der = path.read_bytes()
    issuer = issuers.get(read_issuer(der))
    if issuer is None:
        logger.warning("no CA in %s issued %s", vectors / NCA_CA_FOLDER, path)
        return None
    try:
        return CrlIndex.build(der, issuer=issuer, at=now)
    except PkiError as exc:
        logger.warning(
            "NCA test CRL %s is not usable now (%s): NCA test keys will be "
            "refused unless test.pki.gov.kz answers",
            path,
            exc.message,
        )
        return None


def fitting_roles(identity: Identity) -> list[str]:
    """The roles whose policy (KABINET_ROLE_POLICY) accepts this identity."""
    # Imported here: the login app needs Django set up, which happens only
    # once the settings' folders exist.
    from kabinet.login.errors import LoginRefused
    from kabinet.login.roles import (
        require_identity_complete,
        require_role_fits,
        role_policies,
    )

    fits = []
    for role, policy in role_policies().items():
        try:
            require_identity_complete(identity)
            require_role_fits(identity, policy=policy)
        except LoginRefused:
            continue
        fits.append(role.value)
    return fits


# --- Ports and the server -------------------------------------------------------


def require_ports_free(ports: Sequence[int]) -> None:
    """Raises StartError naming the first port something already listens on."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise StartError(
                    f"port {HOST}:{port} is in use; is another `make run` "
                    "still running?"
                ) from None


def server_environment(layout: Layout) -> dict[str, str]:
    """The KABINET_* settings of the development server."""
    return {
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "KABINET_DEBUG": "1",
        "KABINET_VAR_DIR": str(layout.var),
        "KABINET_SECRET_KEY": secret_key(layout),
        "KABINET_PUBLIC_URL": PUBLIC_URL,
        "KABINET_DATABASE_URL": f"sqlite:///{layout.database}",
        "KABINET_TRUST": str(layout.trust_dir),
        "KABINET_TRUST_HOME": str(layout.trust_home),
        "KABINET_REVOCATION": "ocsp-then-crl",
        "KABINET_CRL_DIR": str(layout.crl_dir),
        "KABINET_NCALAYER_URL": NCALAYER_URL,
        "KABINET_COOKIE_SECURE": "0",
        "KABINET_SERVE_STATIC": "1",
        "KABINET_BANK_BIN": os.environ.get("KABINET_BANK_BIN") or DEVELOPMENT_BANK_BIN,
    }


def wait_until_serving(server: subprocess.Popen[bytes], url: str) -> None:
    """Return once ``url`` answers; raises StartError if the server exits."""
    deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StartError(f"the server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise StartError(f"the server did not answer {url} in time")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Interrupt the server's process group, then insist.

    SIGINT comes first, as from a terminal's Ctrl-C; a shell that started
    ``make run`` in the background made its children ignore SIGINT, so
    SIGTERM follows when that does nothing.
    """
    for signal_number, wait_seconds in _STOP_SIGNALS:
        if server.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal_number)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(wait_seconds)


def _interrupt(signal_number: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- The banner -----------------------------------------------------------------


def _shown(path: Path) -> str:
    """A path relative to the working folder when it lies inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _holder(identity: Identity) -> str:
    parts = [identity.common_name or "?"]
    if identity.iin:
        parts.append(f"IIN {identity.iin}")
    if identity.organisation or identity.bin:
        parts.append(f"{identity.organisation or '?'} BIN {identity.bin or '?'}")
    roles = sorted(role.value for role in identity.employee_roles)
    if roles:
        parts.append("/".join(roles))
    return ", ".join(parts)


_EXPECTED: Final = {
    "good": "logs in",
    "revoked": "refused: revoked",
    "expired": "NCALayer will not offer it: expired",
    "not_yet_valid": "NCALayer will not offer it: not yet valid",
    "untrusted": "refused: unknown CA (look-alike)",
    "unknown": "refused: revocation unknown (CRL out of date)",
}


def banner(
    *,
    layout: Layout,
    keys: Sequence[DemoKey],
    emulator: NcaLayerEmulator,
    ocsp_url: str,
    nca_note: str,
    role_names: dict[str, str],
) -> str:
    python = _shown(Path(sys.executable))
    lines = [
        "",
        "=" * 78,
        f"  Personal cabinet (development): {PUBLIC_URL}/",
        "=" * 78,
        f"  Login page         {PUBLIC_URL}/login/",
        f"  NCALayer emulator  {emulator.url}",
        f"  Its key dialog     {emulator.control_url}/   <- pick the key NCALayer "
        "signs with",
        f"                     (now: {emulator.selected})",
        f"  OCSP responder     {ocsp_url}  (CRLs and CA certificates beside it)",
        f"  Data               {_shown(layout.var)}/  (SQLite "
        f"{_shown(layout.database)}, trust {_shown(layout.trust_dir)}, "
        f"CRLs {_shown(layout.crl_dir)})",
        f"  NCA test keys      {nca_note}",
        "",
        "  Roles: "
        + "; ".join(f"{role} = {name}" for role, name in role_names.items()),
        "",
        "  Demo keys (name, algorithm, holder; roles it fits; what happens):",
    ]
    for key in keys:
        certificate = key.certificate
        fits = fitting_roles(certificate.identity)
        outcome = _EXPECTED.get(key.status, key.status)
        if not fits:
            outcome = "refused for every role: no role accepts this subject"
        holder = _holder(certificate.identity)
        lines += [
            f"  * {key.name}  [{certificate.algorithm}] {holder}",
            f"      roles: {', '.join(fits) or 'none'}; {outcome}",
            f"      {_shown(key.path)}  password {key.password}",
        ]
    example = next((k for k in keys if k.name == QR_EXAMPLE_KEY), keys[0])
    lines += [
        "",
        "  ЭЦП login: choose a role, press “Выбрать сертификат ЭЦП”; the emulator",
        f"  signs with the key selected on {emulator.control_url}/ (choose one",
        "  that fits the role), then press “Отправить”.",
        "",
        "  QR login: choose a role, then “QR-код”. The code's text is the",
        "  data-qr attribute of the image; in the browser's console:",
        "    document.getElementById('qr-image').dataset.qr",
        "  Play the eGov app with it and a key file that fits the role:",
        f"    {python} -m kabinet.devtools.egov_app \\",
        f"        'mobileSign:{PUBLIC_URL}/egov/qr/<id>/mgovSign' \\",
        f"        --p12 {_shown(example.path)} --password {example.password}",
        "  (add --app business for a legal entity's key); the page then opens",
        "  the cabinet by itself.",
        "",
        "  Ctrl-C stops the server, the emulator and the responder.",
        "=" * 78,
        "",
    ]
    return "\n".join(lines)


# --- Running ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kabinet.devtools.run",
        description=(
            "Start the cabinet on http://127.0.0.1:8000 with the test PKI, its "
            "OCSP responder and the NCALayer emulator."
        ),
    )
    parser.add_argument(
        "--var", type=Path, default=Path("var"), help="working folder (./var)"
    )
    parser.add_argument(
        "--nca-vectors",
        type=Path,
        default=default_nca_vectors(),
        help="NCA test material (../shared/vectors/nca beside the checkout)",
    )
    parser.add_argument(
        "--no-nca-keys",
        action="store_true",
        help="leave NCA's test keys and CAs out even when they are there",
    )
    parser.add_argument(
        "--ask",
        action="store_true",
        help="every signature waits for a key chosen on the emulator's page",
    )
    parser.add_argument(
        "--noreload", action="store_true", help="no code reloading in the server"
    )
    return parser


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP stop everything, even when the process was
    started with SIGINT ignored."""
    previous = {
        number: signal.signal(number, _interrupt)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per loaded key would bury the banner.
    logging.getLogger("kabinet.devtools._ncalayer_keys").setLevel(logging.WARNING)
    layout = Layout(args.var.resolve())
    try:
        with _signals_interrupt():
            return _run(args, layout)
    except StartError as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 0


def _run(args: argparse.Namespace, layout: Layout) -> int:
    require_ports_free(
        (SERVER_PORT, NCALAYER_PORT, NCALAYER_CONTROL_PORT, _responder_port())
    )
    now = datetime.now(UTC)
    layout.var.mkdir(parents=True, exist_ok=True)
    pki = testpki.ensure(layout.pki, now=now)

    vectors: Path = args.nca_vectors.resolve()
    use_nca = not args.no_nca_keys and (vectors / NCA_KEYS_FOLDER).is_dir()
    nca_trust = install_nca_test_trust(vectors, layout) if use_nca else None
    nca_crl = vectors / NCA_CRL_FILE if use_nca else None
    build_trust_dir(layout, pki, nca_trust)
    build_crl_dir(layout, pki, nca_crl if nca_crl and nca_crl.is_file() else None)
    keys = generated_keys(pki) + (nca_keys(vectors, now=now) if use_nca else [])
    if use_nca:
        nca_note = f"loaded from {_shown(vectors / NCA_KEYS_FOLDER)}"
    elif args.no_nca_keys:
        nca_note = "left out (--no-nca-keys)"
    else:
        nca_note = f"not found ({_shown(vectors / NCA_KEYS_FOLDER)} is missing)"

    environment = server_environment(layout)
    os.environ.update(environment)
    # Django reads the KABINET_* variables once, when it is set up: only now
    # that they are in the environment (and their folders exist).
    import django
    from django.core.management import call_command
    from django.utils import translation

    django.setup()
    call_command("migrate", interactive=False, verbosity=1)
    from kabinet.accounts.roles import Role

    with translation.override("ru"):
        role_names = {role.value: str(role.label) for role in Role}

    with contextlib.ExitStack() as stack:
        ocsp_url = stack.enter_context(running_responder(pki, port=None))
        emulator = NcaLayerEmulator(
            [key.key_file() for key in keys],
            host=HOST,
            port=NCALAYER_PORT,
            control_port=NCALAYER_CONTROL_PORT,
            ask=args.ask,
        )
        emulator.choose(FIRST_SELECTED_KEY)
        stack.enter_context(emulator)

        command = [
            sys.executable,
            "-m",
            "kabinet",
            "runserver",
            f"{HOST}:{SERVER_PORT}",
        ]
        if args.noreload:
            command.append("--noreload")
        # A group of its own: the autoreloader's child must stop with it.
        server = subprocess.Popen(command, env=os.environ.copy(), process_group=0)
        stack.callback(stop_server, server)
        wait_until_serving(server, f"{PUBLIC_URL}/login/")
        print(
            banner(
                layout=layout,
                keys=keys,
                emulator=emulator,
                ocsp_url=ocsp_url,
                nca_note=nca_note,
                role_names=role_names,
            ),
            flush=True,
        )
        return server.wait()


def _responder_port() -> int:
    """The port of the generated certificates' OCSP, CRL and CA URLs."""
    port = urlsplit(testpki.DEFAULT_BASE_URL).port
    assert port is not None
    return port


if __name__ == "__main__":
    sys.exit(main())
