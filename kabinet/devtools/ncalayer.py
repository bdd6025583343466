"""An NCALayer emulator for development and tests.

It speaks NCALayer's WebSocket protocol (nca-pki.md 3): the greeting
``{"result":{"version":"1.4"}}``, ``--heartbeat--`` echoed,
``kz.gov.pki.knca.basics`` ``sign`` (cms attached or detached, xml; one
document or an array) and the old ``kz.gov.pki.knca.commonUtils`` calls
(getActiveTokens, getKeyInfo, createCAdESFromBase64,
createCMSSignatureFromBase64, signXml, signXmls, changeLocale). It signs
for real, with PKCS#12 keys given at start-up (GOST and RSA, the NCA SDK
test files included), through ``kabinet.pki``.

NCALayer shows a dialog in which the user picks a key file and types its
password. Here the emulator holds opened keys and one of them is
"selected": ``choose(name)`` in Python, or a click on the control page
(``http://127.0.0.1:13580/`` by default) during ``make run``. The selection
stays until changed. ``cancel_next()`` makes the next dialog end as if the
user closed it; ``fail_next(...)`` makes the next request fail. In ask mode
every request waits until someone answers it on the control page. Tests in
another process steer the same switches through the control server's JSON
endpoints (``GET /api/state``, ``GET /api/requests``, ``POST /api/choose``
``{"key"}``, ``/api/cancel-next``, ``/api/fail-next`` ``{"code","message",
"details"}``, ``/api/reset``, ``/api/answer`` ``{"key"}`` or
``{"cancel":true}``, ``/api/clear-requests``).

When the page's filters (``signerParams.extKeyUsageOids`` - every listed
OID must be present -, ``iin``, ``bin``, ``serialNumber``, ``chain``,
``allowedStorages``, validity unless ``allowExpired``) rule the selected
key out, NCALayer would show it disabled and the user could only close the
dialog. The emulator therefore answers as for a cancel
(``{"status":true,"body":{}}`` / ``action.canceled``) and logs a WARNING
with the reason; the request record carries it too. ``KeyFilter.IGNORE``
signs regardless, like a tampered NCALayer would: the server must never
rely on the page's filters.

``signerParams.chain`` absent or null means "production NCA keys only", as
in NCALayer: a page that works with test keys passes ``chain: []``.

What it does not do: timestamps (``tsaProfile``; it works offline),
``format: raw``, ``digested`` data, createCAdESFromBase64Hash, XPath
element signing, hardware tokens (getActiveTokens answers ``[]``), OCSP
checks of the key (``allowRevoked`` has no effect).

Transport: plain ``ws://127.0.0.1:13579`` by default; with ``tls`` it
serves ``wss://``, and the browser must trust that certificate (import it
into the browser's or the system's trust store; real NCALayer installs an
NCA-issued certificate for 127.0.0.1 into NSS for the same reason). It
binds to loopback addresses only.

Command line::

    python -m kabinet.devtools.ncalayer --key FILE:PASSWORD [--key ...]
        [--keys-dir DIR --password PW] [--select NAME] [--port 13579]
        [--control-port 13580] [--tls-cert F --tls-key F] [--ask]
        [--ignore-filters]
"""

from __future__ import annotations

import argparse
import json
import logging
import ssl
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from kabinet.devtools._ncalayer_control import ControlServer
from kabinet.devtools._ncalayer_keys import (
    KeyFile,
    KeyFileError,
    LoadedKey,
    key_files_in,
    load_key,
    load_keys,
    refusal_reason,
)
from kabinet.devtools._ncalayer_protocol import (
    HEARTBEAT,
    Canceled,
    Chosen,
    DialogAnswer,
    DialogRequest,
    Failed,
    Handled,
    Outcome,
    Session,
    handle_message,
)

if TYPE_CHECKING:
    from kabinet.devtools.testpki import TestPki

__all__ = [
    "DEFAULT_CONTROL_PORT",
    "DEFAULT_PORT",
    "KeyFile",
    "KeyFileError",
    "KeyFilter",
    "LoadedKey",
    "NcaLayerEmulator",
    "Outcome",
    "ReceivedRequest",
    "TlsFiles",
    "key_files_from_test_pki",
    "key_files_in",
    "load_key",
    "load_keys",
    "main",
]

logger = logging.getLogger(__name__)

DEFAULT_PORT = 13579
DEFAULT_CONTROL_PORT = 13580
NCALAYER_VERSION = "1.4"
# A page may send sizeable documents; NCALayer has no documented limit.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class KeyFilter(Enum):
    """Whether the page's key filters are honoured, as NCALayer does."""

    HONOUR = "honour"
    IGNORE = "ignore"


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and key (PEM files) to serve wss:// with."""

    certificate: Path
    key: Path


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the emulator received and how it answered."""

    received_at: datetime
    origin: str | None
    module: str | None
    method: str | None
    args: Any
    outcome: Outcome
    key_name: str | None
    reason: str | None
    reply: dict[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "received_at": self.received_at.isoformat(),
            "origin": self.origin,
            "module": self.module,
            "method": self.method,
            "args": self.args,
            "outcome": self.outcome.value,
            "key": self.key_name,
            "reason": self.reason,
            "notes": list(self.notes),
            "reply": self.reply,
        }


@dataclass
class _Pending:
    request: DialogRequest
    done: threading.Event = field(default_factory=threading.Event)
    answer: DialogAnswer | None = None


class NcaLayerEmulator:
    """NCALayer on 127.0.0.1, signing with the keys it was given.

    Use as a context manager or call ``start()`` and ``stop()``; both run
    the servers in background threads.
    """

    def __init__(
        self,
        keys: Iterable[KeyFile | LoadedKey],
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        control_port: int | None = None,
        tls: TlsFiles | None = None,
        key_filter: KeyFilter = KeyFilter.HONOUR,
        ask: bool = False,
        ask_timeout_seconds: float = 300.0,
        version: str = NCALAYER_VERSION,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Open every key (a wrong password raises KeyFileError at once).

        Args:
            keys: key files to open, or keys already opened.
            port: WebSocket port; 0 picks a free one.
            control_port: port of the control page; None serves none,
                0 picks a free one.
            tls: serve wss:// with this certificate.
            key_filter: honour the page's key filters, or ignore them.
            ask: every request waits for an answer on the control page.
            clock: the time used for signingTime and validity filters.

        Raises:
            KeyFileError: a key file cannot be opened.
            ValueError: no keys, duplicate names, or a non-loopback host.
        """
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the emulator listens on loopback only, not {host}")
        self._keys = load_keys(keys)
        self._by_name = {key.name: key for key in self._keys}
        self._host = host
        self._port = port
        self._control_port = control_port
        self._tls = tls
        self._key_filter = key_filter
        self._ask = ask
        self._ask_timeout_seconds = ask_timeout_seconds
        self._version = version
        self._clock = clock or (lambda: datetime.now(UTC))

        self._lock = threading.Lock()
        self._selected = self._keys[0].name
        self._cancel_next = False
        self._fail_next: Failed | None = None
        self._pending: _Pending | None = None
        self._requests: list[ReceivedRequest] = []

        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._control: ControlServer | None = None
        self._url: str | None = None

    # -- lifecycle ------------------------------------------------------

    def start(self) -> str:
        """Start listening; returns the WebSocket URL."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        context = None
        if self._tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self._tls.certificate, self._tls.key)
        self._server = serve(
            self._handle_connection,
            self._host,
            self._port,
            ssl=context,
            max_size=MAX_MESSAGE_BYTES,
            server_header=None,
        )
        port = self._server.socket.getsockname()[1]
        scheme = "wss" if context is not None else "ws"
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._url = f"{scheme}://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ncalayer", daemon=True
        )
        self._thread.start()
        if self._control_port is not None:
            try:
                self._control = ControlServer(self, self._host, self._control_port)
            except OSError:
                self.stop()
                raise
            self._control.start()
        logger.info(
            "NCALayer emulator on %s (control page %s), keys: %s",
            self._url,
            self.control_url,
            ", ".join(self._by_name),
        )
        return self._url

    def stop(self) -> None:
        """Stop the servers; a request waiting in ask mode is cancelled."""
        with self._lock:
            pending = self._pending
        if pending is not None:
            pending.answer = Canceled("the emulator stopped")
            pending.done.set()
        if self._control is not None:
            self._control.stop()
            self._control = None
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._url = None
        logger.info("NCALayer emulator stopped")

    def serve_forever(self) -> None:
        """Start, then block until interrupted (the command line uses it)."""
        self.start()
        try:
            threading.Event().wait()
        finally:
            self.stop()

    def __enter__(self) -> NcaLayerEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The WebSocket URL while the emulator runs."""
        if self._url is None:
            raise RuntimeError("the emulator is not running")
        return self._url

    @property
    def control_url(self) -> str | None:
        """The control page's URL, or None when there is none."""
        if self._control is None:
            return None
        return f"http://127.0.0.1:{self._control.port}"

    # -- steering -------------------------------------------------------

    @property
    def keys(self) -> tuple[LoadedKey, ...]:
        return self._keys

    @property
    def selected(self) -> str:
        """The name of the key the next signature uses."""
        with self._lock:
            return self._selected

    def choose(self, key_name: str) -> None:
        """Select the key that signs from now on (raises KeyError)."""
        if key_name not in self._by_name:
            raise KeyError(key_name)
        with self._lock:
            self._selected = key_name
        logger.info("key %s selected", key_name)

    def cancel_next(self) -> None:
        """The next dialog ends as if the user closed it."""
        with self._lock:
            self._cancel_next = True

    def fail_next(
        self,
        code: str = "INVOCATION_ERROR",
        message: str = "An invoked method threw an exception.",
        details: str = "",
    ) -> None:
        """The next signing request is answered with this error."""
        with self._lock:
            self._fail_next = Failed(code, message, details)

    def reset(self) -> None:
        """Forget cancel_next and fail_next."""
        with self._lock:
            self._cancel_next = False
            self._fail_next = None

    def answer(self, key_name: str | None) -> None:
        """Answer the request waiting in ask mode: a key name, or None to
        cancel.

        Raises:
            RuntimeError: no request is waiting.
            KeyError: no key has that name.
            ValueError: the page's filters rule that key out.
        """
        with self._lock:
            pending = self._pending
        if pending is None:
            raise RuntimeError("no request is waiting for an answer")
        if key_name is None:
            pending.answer = Canceled("cancelled on the control page")
        else:
            key = self._by_name[key_name]
            reason = refusal_reason(
                key, pending.request.requirements, now=self._clock()
            )
            if reason is not None and self._key_filter is KeyFilter.HONOUR:
                raise ValueError(f"key {key_name} is disabled: {reason}")
            pending.answer = Chosen(key)
        pending.done.set()

    @property
    def requests(self) -> tuple[ReceivedRequest, ...]:
        """Every request received so far, oldest first (heartbeats aside)."""
        with self._lock:
            return tuple(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def state(self) -> dict[str, Any]:
        """What the control page shows, as JSON-ready data."""
        with self._lock:
            pending = self._pending
            failure = self._fail_next
            state: dict[str, Any] = {
                "url": self._url,
                "version": self._version,
                "key_filter": self._key_filter.value,
                "ask": self._ask,
                "selected": self._selected,
                "cancel_next": self._cancel_next,
                "fail_next": None
                if failure is None
                else {
                    "code": failure.code,
                    "message": failure.message,
                    "details": failure.details,
                },
                "keys": [key.describe() for key in self._keys],
                "requests": len(self._requests),
            }
        state["pending"] = None
        if pending is not None and not pending.done.is_set():
            now = self._clock()
            state["pending"] = {
                "module": pending.request.module,
                "method": pending.request.method,
                "summary": pending.request.summary,
                "locale": pending.request.locale,
                "keys": {
                    key.name: refusal_reason(key, pending.request.requirements, now=now)
                    for key in self._keys
                },
            }
        return state

    # -- the WebSocket side ---------------------------------------------

    def _handle_connection(self, connection: ServerConnection) -> None:
        origin = (
            connection.request.headers.get("Origin") if connection.request else None
        )
        session = Session()
        logger.debug(
            "connection from %s (origin %s)", connection.remote_address, origin
        )
        try:
            connection.send(_compact({"result": {"version": self._version}}))
            for message in connection:
                if not isinstance(message, str):
                    continue
                if message == HEARTBEAT:
                    connection.send(HEARTBEAT)
                    continue
                handled = handle_message(
                    message, dialog=self._dialog, session=session, now=self._clock
                )
                self._record(origin, handled)
                connection.send(_compact(handled.reply))
        except ConnectionClosed:
            pass

    def _dialog(self, request: DialogRequest) -> DialogAnswer:
        with self._lock:
            if self._fail_next is not None:
                failure, self._fail_next = self._fail_next, None
                return failure
            if self._cancel_next:
                self._cancel_next = False
                return Canceled("cancel_next was set")
            key = self._by_name[self._selected]
        if self._ask:
            return self._wait_for_answer(request)

        reason = refusal_reason(key, request.requirements, now=self._clock())
        if reason is None:
            return Chosen(key)
        if self._key_filter is KeyFilter.IGNORE:
            logger.warning("signing with %s despite the filters: %s", key.name, reason)
            return Chosen(key)
        logger.warning(
            "key %s is not selectable for this request, dialog closed: %s",
            key.name,
            reason,
        )
        return Canceled(f"key {key.name} is not selectable: {reason}")

    def _wait_for_answer(self, request: DialogRequest) -> DialogAnswer:
        pending = _Pending(request)
        with self._lock:
            if self._pending is not None and not self._pending.done.is_set():
                return Canceled("another request is already waiting for an answer")
            self._pending = pending
        logger.info("waiting for an answer on the control page: %s", request.summary)
        answered = pending.done.wait(self._ask_timeout_seconds)
        with self._lock:
            self._pending = None
        if not answered or pending.answer is None:
            return Canceled("nobody answered on the control page in time")
        return pending.answer

    def _record(self, origin: str | None, handled: Handled) -> None:
        record = ReceivedRequest(
            received_at=self._clock(),
            origin=origin,
            module=handled.module,
            method=handled.method,
            args=handled.args,
            outcome=handled.outcome,
            key_name=handled.key_name,
            reason=handled.reason,
            reply=handled.reply,
            notes=handled.notes,
        )
        with self._lock:
            self._requests.append(record)
        logger.info(
            "%s %s -> %s%s",
            handled.module,
            handled.method,
            handled.outcome.value,
            f" with {handled.key_name}" if handled.key_name else "",
        )


def _compact(message: dict[str, Any]) -> str:
    # NCALayer (Java) writes JSON without spaces and with raw UTF-8.
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def key_files_from_test_pki(
    pki: TestPki, names: Sequence[str] | None = None
) -> list[KeyFile]:
    """The generated test PKI's keys (all, or the named ones) as KeyFiles."""
    chosen = names if names is not None else list(pki.keys)
    return [
        KeyFile(
            path=pki.keys[name].p12_path,
            password=pki.keys[name].password,
            name=name,
        )
        for name in chosen
    ]


# -- command line -----------------------------------------------------------


def _parse_key_argument(value: str) -> KeyFile:
    path, separator, password = value.partition(":")
    if not separator or not path:
        raise argparse.ArgumentTypeError("expected FILE:PASSWORD")
    return KeyFile(path=Path(path), password=password)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kabinet.devtools.ncalayer",
        description="An NCALayer emulator that signs with the given PKCS#12 keys.",
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        type=_parse_key_argument,
        metavar="FILE:PASSWORD",
        help="a PKCS#12 file and its password (repeatable)",
    )
    parser.add_argument("--keys-dir", type=Path, help="a folder of .p12 files")
    parser.add_argument("--password", help="the password of the --keys-dir files")
    parser.add_argument("--select", metavar="NAME", help="the key selected first")
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK_HOSTS)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--control-port",
        type=int,
        default=DEFAULT_CONTROL_PORT,
        help="port of the control page (-1: none)",
    )
    parser.add_argument("--tls-cert", type=Path, help="serve wss:// with this PEM")
    parser.add_argument("--tls-key", type=Path, help="the private key of --tls-cert")
    parser.add_argument(
        "--ask",
        action="store_true",
        help="every request waits for an answer on the control page",
    )
    parser.add_argument(
        "--ignore-filters",
        action="store_true",
        help="sign even when the page's key filters rule the key out",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted; 2 on bad usage."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    key_files: list[KeyFile] = list(args.key)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.keys_dir is not None and args.password is None:
        parser.error("--keys-dir needs --password")
    try:
        if args.keys_dir is not None:
            key_files.extend(key_files_in(args.keys_dir, args.password))
        if not key_files:
            parser.error("give at least one --key FILE:PASSWORD or --keys-dir")
        emulator = NcaLayerEmulator(
            key_files,
            host=args.host,
            port=args.port,
            control_port=None if args.control_port < 0 else args.control_port,
            tls=None
            if args.tls_cert is None
            else TlsFiles(certificate=args.tls_cert, key=args.tls_key),
            key_filter=KeyFilter.IGNORE if args.ignore_filters else KeyFilter.HONOUR,
            ask=args.ask,
        )
        if args.select is not None:
            emulator.choose(args.select)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: no key named {exc.args[0]}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    try:
        url = emulator.start()
    except OSError as exc:
        print(f"error: cannot listen: {exc}", file=sys.stderr)
        return 2
    print(f"NCALayer emulator: {url}")
    if emulator.control_url:
        print(f"Control page (the key dialog): {emulator.control_url}/")
    for key in emulator.keys:
        mark = "*" if key.name == emulator.selected else " "
        print(f" {mark} {key.name}: {key.certificate.subject}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
