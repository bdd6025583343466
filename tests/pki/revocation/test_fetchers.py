"""HttpFetcher against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kabinet.pki.errors import FetchFailed
from kabinet.pki.revocation.fetchers import HttpFetcher

Reply = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    method: str
    path: str
    user_agent: str | None
    content_type: str | None
    body: bytes


@dataclass
class Server:
    """Answers each request with the next scripted reply (the last repeats)."""

    url: str
    replies: list[Callable[[BaseHTTPRequestHandler], None]] = field(
        default_factory=list
    )
    seen: list[Seen] = field(default_factory=list)

    def script(self, *replies: Reply) -> None:
        self.replies[:] = replies


def reply(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Reply:
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return send


def stall(seconds: float) -> Reply:
    def send(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        reply(200, b"late")(handler)

    return send


def trickle(chunks: int, pause: float) -> Reply:
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        for _ in range(chunks):
            handler.wfile.write(b"x" * 10)
            handler.wfile.flush()
            time.sleep(pause)

    return send


@pytest.fixture()
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.seen.append(
                Seen(
                    method=self.command,
                    path=self.path,
                    user_agent=self.headers.get("User-Agent"),
                    content_type=self.headers.get("Content-Type"),
                    body=self.rfile.read(length),
                )
            )
            index = min(len(state.seen), len(state.replies)) - 1
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                state.replies[index](self)

        do_GET = _handle  # noqa: N815
        do_POST = _handle  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_get_returns_the_body_and_sends_a_user_agent(server: Server) -> None:
    server.script(reply(200, b"crl bytes"))

    body = HttpFetcher(user_agent="kabinet-test/1").get(f"{server.url}/nca.crl")

    assert body == b"crl bytes"
    assert server.seen[0].method == "GET"
    assert server.seen[0].path == "/nca.crl"
    assert server.seen[0].user_agent == "kabinet-test/1"


def test_post_sends_the_body_with_its_content_type(server: Server) -> None:
    server.script(reply(200, b"answer"))

    body = HttpFetcher().post(
        f"{server.url}/ocsp/", b"request", "application/ocsp-request"
    )

    assert body == b"answer"
    assert server.seen[0].method == "POST"
    assert server.seen[0].body == b"request"
    assert server.seen[0].content_type == "application/ocsp-request"
    assert server.seen[0].user_agent


def test_server_error_is_retried_once(server: Server) -> None:
    server.script(reply(503, b"busy"), reply(200, b"second time"))

    body = HttpFetcher(retries=1).get(f"{server.url}/x")

    assert body == b"second time"
    assert len(server.seen) == 2


def test_server_error_twice_fails(server: Server) -> None:
    server.script(reply(502))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(retries=1).get(f"{server.url}/x")

    assert caught.value.code == "fetch_failed"
    assert len(server.seen) == 2


def test_without_retries_one_server_error_fails(server: Server) -> None:
    server.script(reply(500), reply(200, b"never asked"))

    with pytest.raises(FetchFailed):
        HttpFetcher(retries=0).get(f"{server.url}/x")

    assert len(server.seen) == 1


def test_client_error_is_not_retried(server: Server) -> None:
    server.script(reply(404), reply(200, b"never asked"))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(retries=1).get(f"{server.url}/missing.crl")

    assert "404" in caught.value.message
    assert len(server.seen) == 1


def test_success_status_other_than_200_is_refused(server: Server) -> None:
    server.script(reply(204))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher().get(f"{server.url}/x")

    assert "204" in caught.value.message


def test_slow_server_times_out_and_is_retried(server: Server) -> None:
    server.script(stall(1.0), reply(200, b"quick"))

    body = HttpFetcher(timeout_seconds=0.3, retries=1).get(f"{server.url}/x")

    assert body == b"quick"
    assert len(server.seen) == 2


def test_slow_server_without_retries_fails(server: Server) -> None:
    server.script(stall(1.0))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(timeout_seconds=0.3, retries=0).get(f"{server.url}/x")

    assert caught.value.code == "fetch_failed"


def test_trickling_body_hits_the_overall_deadline(server: Server) -> None:
    # Each read returns within the socket timeout; the attempt as a whole
    # does not.
    server.script(trickle(chunks=30, pause=0.05))

    with pytest.raises(FetchFailed):
        HttpFetcher(timeout_seconds=0.4, retries=0).get(f"{server.url}/x")


def test_announced_oversized_body_is_refused(server: Server) -> None:
    server.script(reply(200, b"x" * 2000))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(max_get_bytes=1000).get(f"{server.url}/big.crl")

    assert "1000" in caught.value.message
    assert len(server.seen) == 1


def test_unannounced_oversized_body_is_refused(server: Server) -> None:
    server.script(trickle(chunks=20, pause=0))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(max_get_bytes=100).get(f"{server.url}/big.crl")

    assert "more than 100" in caught.value.message


def test_post_answers_have_their_own_limit(server: Server) -> None:
    server.script(reply(200, b"x" * 2000))

    with pytest.raises(FetchFailed):
        HttpFetcher(max_post_bytes=1000).post(f"{server.url}/ocsp", b"q", "a/b")


def test_redirect_within_http_is_followed(server: Server) -> None:
    server.script(reply(302, headers={"Location": "/moved.crl"}), reply(200, b"moved"))

    assert HttpFetcher().get(f"{server.url}/old.crl") == b"moved"
    assert [s.path for s in server.seen] == ["/old.crl", "/moved.crl"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x.crl"])
def test_redirect_out_of_http_is_refused(server: Server, target: str) -> None:
    server.script(reply(302, headers={"Location": target}))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher().get(f"{server.url}/x")

    assert caught.value.code == "fetch_failed"
    assert len(server.seen) == 1


def raw(response: bytes) -> Reply:
    """Answer with bytes that are not (quite) HTTP."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(response)
        handler.wfile.flush()
        handler.close_connection = True

    return send


@pytest.mark.parametrize(
    "response",
    [
        b"HTTX/1.1 200 OK\r\n\r\nbody",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbody",
        b"HTTP/1.1 200 OK\r\n" + b"X-Filler: a\r\n" * 200 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
    ids=["bad status line", "bad chunking", "too many headers", "header too long"],
)
def test_answer_that_is_not_http_fails_after_the_retry(
    server: Server, response: bytes
) -> None:
    server.script(raw(response))

    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(retries=1).post(f"{server.url}/ocsp", b"q", "x/y")

    assert type(caught.value) is FetchFailed
    assert caught.value.code == "fetch_failed"
    assert len(server.seen) == 2


@pytest.mark.parametrize(
    "url", ["http://[::1/x.crl", "http://127.0.0.1:port/x.crl", "http://"]
)
def test_url_that_does_not_parse_is_refused(url: str) -> None:
    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(retries=0).get(url)

    assert type(caught.value) is FetchFailed
    assert caught.value.code == "fetch_failed"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x.crl", "ldap://127.0.0.1/cn=x", "x"]
)
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(FetchFailed) as caught:
        HttpFetcher().get(url)

    assert caught.value.code == "fetch_failed"


def test_unreachable_host_fails_after_the_retry() -> None:
    # Port 9 (discard) is closed on the test machine: connection refused.
    with pytest.raises(FetchFailed) as caught:
        HttpFetcher(timeout_seconds=1, retries=1).get("http://127.0.0.1:9/x")

    assert caught.value.code == "fetch_failed"


@pytest.mark.parametrize(
    "options",
    [{"user_agent": ""}, {"user_agent": "  "}, {"timeout_seconds": 0}, {"retries": -1}],
)
def test_bad_settings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        HttpFetcher(**options)
