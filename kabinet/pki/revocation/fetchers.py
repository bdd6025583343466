"""The only way the trust engine reaches the network.

Everything that downloads (CRLs, OCSP answers, CA certificates for a trust
set update) takes a Fetcher, so tests substitute a fake and the core never
opens a socket by itself.
"""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.request
from typing import IO, Protocol
from urllib.parse import urlsplit

from kabinet.pki.asn1 import MAX_CRL_BYTES, MAX_OCSP_RESPONSE_BYTES
from kabinet.pki.errors import FetchFailed

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_REDIRECTS = 3
_CHUNK_BYTES = 64 * 1024


class Fetcher(Protocol):
    """Downloads bytes; raises FetchFailed when it cannot."""

    def get(self, url: str) -> bytes: ...

    def post(self, url: str, body: bytes, content_type: str) -> bytes: ...


class _RetryableError(Exception):
    """A failure worth one more attempt (network error, 5xx)."""


class _SchemeCheckingRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect to ftp://; a CRL or OCSP location
    # may only move within http and https.
    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ALLOWED_SCHEMES:
            raise FetchFailed(f"redirect from {req.full_url} to a non-HTTP URL refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class HttpFetcher:
    """Fetcher over urllib: timeout, retry, size limit, http(s) only.

    One retry by default, because NCA's responders fail transiently ("Try
    again" from the resolver, 5xx from the front end); a 4xx answer is
    final. ``timeout_seconds`` bounds each attempt as a whole, not only
    each socket read, so a server that trickles bytes cannot hold a login.
    A non-empty User-Agent is required: pki.gov.kz redirects requests
    without one to a captive portal.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float = 5.0,
        retries: int = 1,
        user_agent: str = "kabinet/0.1",
        max_get_bytes: int = MAX_CRL_BYTES,
        max_post_bytes: int = MAX_OCSP_RESPONSE_BYTES,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be > 0, got {timeout_seconds}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if not user_agent.strip():
            raise ValueError("user_agent must not be empty")
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.user_agent = user_agent
        self.max_get_bytes = max_get_bytes
        self.max_post_bytes = max_post_bytes
        self._opener = urllib.request.build_opener(_SchemeCheckingRedirects())

    def __repr__(self) -> str:
        return (
            f"HttpFetcher(timeout_seconds={self.timeout_seconds}, "
            f"retries={self.retries}, user_agent={self.user_agent!r})"
        )

    def get(self, url: str) -> bytes:
        """The body of a GET of ``url`` (CRLs, CA certificates)."""
        return self._fetch(url, None, None, self.max_get_bytes)

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        """The body of a POST of ``body`` to ``url`` (OCSP, RFC 6960 A.1)."""
        return self._fetch(url, body, content_type, self.max_post_bytes)

    def _fetch(
        self, url: str, body: bytes | None, content_type: str | None, limit: int
    ) -> bytes:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            raise FetchFailed(f"{url!r} is not a URL") from None
        if scheme not in ALLOWED_SCHEMES:
            raise FetchFailed(f"only http and https URLs are fetched, not {url!r}")
        attempts = 1 + self.retries
        for attempt in range(1, attempts + 1):
            try:
                data = self._attempt(url, body, content_type, limit)
            except _RetryableError as exc:
                if attempt == attempts:
                    logger.warning(
                        "fetch of %s failed after %s attempts: %s", url, attempts, exc
                    )
                    raise FetchFailed(f"{url}: {exc}") from None
                logger.info("fetch of %s failed (%s), trying again", url, exc)
                continue
            logger.debug("fetched %s bytes from %s", len(data), url)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, url: str, body: bytes | None, content_type: str | None, limit: int
    ) -> bytes:
        headers = {"User-Agent": self.user_agent}
        if content_type is not None:
            headers["Content-Type"] = content_type
        # The scheme was checked in _fetch (http and https only).
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers=headers, method="GET" if body is None else "POST"
        )
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as response:
                status = response.status
                if status != 200:
                    raise FetchFailed(f"{url} answered HTTP {status}")
                declared = response.headers.get("Content-Length")
                if (
                    declared is not None
                    and declared.isdigit()
                    and int(declared) > limit
                ):
                    raise FetchFailed(f"{url} announced {declared} bytes, over {limit}")
                return _read_limited(response, url, limit, deadline)
        except FetchFailed:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise _RetryableError(f"HTTP {exc.code}") from None
            raise FetchFailed(f"{url} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _RetryableError(str(reason) or type(exc).__name__) from None
        except (http.client.HTTPException, ValueError) as exc:
            # An answer that is not HTTP (a bad status line, broken chunking,
            # too many or too long headers; on plain http anyone on the path
            # can send one) or a URL http.client cannot use: a failed fetch
            # like any other, never an exception the caller does not expect.
            raise _RetryableError(f"{type(exc).__name__}: {exc}"[:200]) from None


def _read_limited(
    response: http.client.HTTPResponse, url: str, limit: int, deadline: float
) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise _RetryableError("timed out while reading the body")
        # read1 returns what has arrived instead of waiting for a full
        # chunk, so the deadline is looked at while a server trickles.
        chunk = response.read1(_CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise FetchFailed(f"{url} sent more than {limit} bytes")
        chunks.append(chunk)
