"""The NCALayer emulator's control page: the stand-in for NCALayer's dialog.

A small HTTP server on 127.0.0.1. A developer opens ``/`` and clicks which
loaded key the next signature uses, whether to cancel it, or, in "ask"
mode, answers the request that is waiting, as one would in NCALayer's
window. Browser tests in another process steer the same state through the
JSON endpoints:

- ``GET  /api/state``            keys, the selected key, pending switches,
                                 the request waiting for an answer
- ``GET  /api/requests``         every request received, oldest first
- ``POST /api/choose``           ``{"key": NAME}``
- ``POST /api/cancel-next``      the next dialog is closed by the user
- ``POST /api/fail-next``        ``{"code", "message", "details"}``
- ``POST /api/reset``            clear cancel-next and fail-next
- ``POST /api/answer``           ``{"key": NAME}`` or ``{"cancel": true}``
- ``POST /api/clear-requests``

JSON endpoints answer ``{"error": "..."}`` with 400/404/409 on bad input.
POSTs carrying a foreign ``Origin`` are refused, so a web page cannot steer
the emulator behind the developer's back.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from kabinet.devtools.ncalayer import NcaLayerEmulator

logger = logging.getLogger(__name__)

MAX_CONTROL_BODY_BYTES = 64 * 1024


class ControlError(Exception):
    """A control command that cannot be carried out; status says why."""

    def __init__(self, message: str, status: HTTPStatus) -> None:
        super().__init__(message)
        self.status = status


class ControlServer:
    """The control page of one emulator, served from a background thread."""

    def __init__(self, emulator: NcaLayerEmulator, host: str, port: int) -> None:
        handler: type[_Handler] = type("Handler", (_Handler,), {"emulator": emulator})
        self._server = ThreadingHTTPServer((host, port), handler)
        bound = self.port
        handler.allowed_origins = (
            f"http://127.0.0.1:{bound}",
            f"http://localhost:{bound}",
        )
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="ncalayer-control",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    emulator: NcaLayerEmulator
    allowed_origins: tuple[str, ...] = ()
    server_version = "ncalayer-emulator-control"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("control %s", format % args)

    # -- GET ------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path == "/":
            self._send_html(_render_page(self.emulator))
        elif self.path == "/api/state":
            self._send_json(HTTPStatus.OK, self.emulator.state())
        elif self.path == "/api/requests":
            self._send_json(
                HTTPStatus.OK,
                [request.to_json() for request in self.emulator.requests],
            )
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    # -- POST -----------------------------------------------------------

    def do_POST(self) -> None:
        if not self._origin_allowed():
            self._send_json(HTTPStatus.FORBIDDEN, {"error": "foreign origin"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_CONTROL_BODY_BYTES:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"})
            return
        raw = self.rfile.read(length) if length else b""

        is_api = self.path.startswith("/api/")
        command = self.path.removeprefix("/api") if is_api else self.path
        try:
            body = _parse_json(raw) if is_api else _parse_form(raw)
            self._run(command, body)
        except ControlError as exc:
            if is_api:
                self._send_json(exc.status, {"error": str(exc)})
            else:
                self._send_html(_render_page(self.emulator, error=str(exc)), exc.status)
            return
        if is_api:
            self._send_json(HTTPStatus.OK, self.emulator.state())
        else:
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _run(self, command: str, body: dict[str, Any]) -> None:
        try:
            self._dispatch(command, body)
        except KeyError as exc:
            raise ControlError(
                f"no key named {exc.args[0]}", HTTPStatus.NOT_FOUND
            ) from exc
        except (ValueError, RuntimeError) as exc:
            raise ControlError(str(exc), HTTPStatus.CONFLICT) from exc

    def _dispatch(self, command: str, body: dict[str, Any]) -> None:
        emulator = self.emulator
        if command == "/choose":
            emulator.choose(_key_name(body))
        elif command == "/cancel-next":
            emulator.cancel_next()
        elif command == "/fail-next":
            code = body.get("code") or "INVOCATION_ERROR"
            message = body.get("message") or "An invoked method threw an exception."
            details = body.get("details") or ""
            if not all(isinstance(v, str) for v in (code, message, details)):
                raise ControlError(
                    "code, message, details are strings", HTTPStatus.BAD_REQUEST
                )
            emulator.fail_next(code, message, details)
        elif command == "/reset":
            emulator.reset()
        elif command == "/answer":
            if body.get("cancel") in (True, "1", "true"):
                emulator.answer(None)
            else:
                emulator.answer(_key_name(body))
        elif command == "/clear-requests":
            emulator.clear_requests()
        else:
            raise ControlError(f"unknown command {command}", HTTPStatus.NOT_FOUND)

    def _origin_allowed(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None:
            return True
        return origin in self.allowed_origins

    # -- responses ------------------------------------------------------

    def _send_json(self, status: int, payload: object) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _send_html(self, page: str, status: int = HTTPStatus.OK) -> None:
        data = page.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


def _parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError("the body is not JSON", HTTPStatus.BAD_REQUEST) from exc
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object", HTTPStatus.BAD_REQUEST)
    return body


def _parse_form(raw: bytes) -> dict[str, Any]:
    fields = parse_qs(raw.decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items()}


def _key_name(body: dict[str, Any]) -> str:
    name = body.get("key")
    if not isinstance(name, str) or not name:
        raise ControlError('give the key name as "key"', HTTPStatus.BAD_REQUEST)
    return name


# -- the page ---------------------------------------------------------------

_STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5em;max-width:80em;color:#222}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top}
td.muted{font-size:80%;max-width:18em}
.nowrap{white-space:nowrap}
tr.selected{background:#eef6ff}
.pending{border:2px solid #c60;padding:1em;margin:1em 0;background:#fff6ec}
.error{color:#a00;font-weight:bold}
.muted{color:#777;font-size:90%}
button{font:inherit;padding:.2em .8em}
"""

# Reload when the state changes (a request starts or stops waiting, a key is
# chosen elsewhere), so the page acts like a dialog popping up.
_SCRIPT = """
let seen = null;
async function poll() {
  try {
    const r = await fetch('/api/state', {cache: 'no-store'});
    const s = JSON.stringify(await r.json());
    if (seen !== null && s !== seen) location.reload();
    seen = s;
  } catch (e) {}
  setTimeout(poll, 1500);
}
poll();
"""


def _render_page(emulator: NcaLayerEmulator, *, error: str | None = None) -> str:
    state = emulator.state()
    e = html.escape
    parts = [
        "<!doctype html><html lang='ru'><head><meta charset='utf-8'>",
        "<title>NCALayer emulator</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>NCALayer emulator</h1>",
        f"<p class='muted'>WebSocket: {e(str(state['url']))} &middot; "
        f"NCALayer version {e(str(state['version']))} &middot; "
        f"key filters: {e(str(state['key_filter']))}</p>",
    ]
    if error:
        parts.append(f"<p class='error'>{e(error)}</p>")

    pending = state["pending"]
    if pending:
        parts.append("<div class='pending'><h2>A page asks for a signature</h2>")
        parts.append(
            f"<p>{e(pending['module'])} &middot; {e(pending['method'])} &middot; "
            f"{e(pending['summary'])} &middot; locale {e(pending['locale'])}</p>"
        )
        parts.append("<form method='post' action='/answer'>")
        for name, reason in pending["keys"].items():
            disabled = " disabled" if reason and state["key_filter"] == "honour" else ""
            note = f" <span class='muted'>({e(reason)})</span>" if reason else ""
            parts.append(
                f"<p><button name='key' value='{e(name)}'{disabled}>"
                f"Sign with {e(name)}</button>{note}</p>"
            )
        parts.append("<p><button name='cancel' value='1'>Cancel</button></p></form>")
        parts.append("</div>")

    parts.append("<h2>Next signature</h2>")
    if state["cancel_next"]:
        parts.append("<p>The next dialog will be <b>cancelled</b>.</p>")
    if state["fail_next"]:
        failure = state["fail_next"]
        parts.append(
            f"<p>The next request will <b>fail</b> with {e(failure['code'])}: "
            f"{e(failure['message'])}</p>"
        )
    if state["ask"]:
        parts.append("<p>Ask mode: each request waits for an answer here.</p>")
    if not state["ask"]:
        parts.append(f"<p>Signs with <b>{e(state['selected'])}</b>.</p>")
    parts.append(
        "<p><form method='post' action='/cancel-next' style='display:inline'>"
        "<button>Cancel the next signature</button></form> "
        "<form method='post' action='/reset' style='display:inline'>"
        "<button>Reset</button></form></p>"
    )

    parts.append("<h2>Keys</h2><table><tr><th></th><th>Name</th><th>Holder</th>")
    parts.append("<th>IIN / BIN</th><th>Algorithm</th><th>Valid</th><th>EKU</th></tr>")
    for key in state["keys"]:
        selected = key["name"] == state["selected"]
        row_class = " class='selected'" if selected else ""
        button = (
            "<b>selected</b>"
            if selected
            else "<form method='post' action='/choose'>"
            f"<button name='key' value='{e(key['name'])}'>Use</button></form>"
        )
        holder = ", ".join(
            value for value in (key["common_name"], key["organisation"]) if value
        )
        parts.append(
            f"<tr{row_class}><td>{button}</td><td>{e(key['name'])}</td>"
            f"<td title='{e(key['subject'])}'>{e(holder)}</td>"
            f"<td>{e(key['iin'] or '')}<br>{e(key['bin'] or '')}</td>"
            f"<td>{e(key['algorithm'])}</td>"
            f"<td class='nowrap'>{e(key['not_before'][:10])}<br>"
            f"{e(key['not_after'][:10])}</td>"
            f"<td class='muted'>{e(', '.join(key['extended_key_usage']))}</td></tr>"
        )
    parts.append("</table>")

    parts.append("<h2>Requests received</h2><table>")
    parts.append("<tr><th>Time</th><th>Call</th><th>Outcome</th><th>Key</th></tr>")
    for request in reversed(emulator.requests[-30:]):
        parts.append(
            f"<tr><td>{e(request.received_at.strftime('%H:%M:%S'))}</td>"
            f"<td>{e(str(request.module))} {e(str(request.method))}</td>"
            f"<td>{e(request.outcome.value)} "
            f"<span class='muted'>{e(request.reason or '')}</span></td>"
            f"<td>{e(request.key_name or '')}</td></tr>"
        )
    parts.append("</table>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "".join(parts)
