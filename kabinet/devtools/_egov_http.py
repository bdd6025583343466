"""The eGov app emulator's HTTP calls: urllib, no proxy, no redirects.

Every call is recorded as an Exchange so that tests and the printout can
show exactly what went over the wire.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import IO
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# An API 1 or API 2 answer is a small JSON document; a login XML is under a
# kilobyte. Refuse to read more than this from the server.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class ResponseTooLarge(Exception):
    """Raised when a server answer exceeds MAX_RESPONSE_BYTES."""


@dataclass(frozen=True)
class Exchange:
    """One HTTP request the app made and the answer it got."""

    method: str
    url: str
    request_headers: Mapping[str, str] = field(repr=False)
    request_body: bytes | None = field(repr=False)
    status: int
    response_headers: Mapping[str, str] = field(repr=False)
    response_body: bytes = field(repr=False)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # The app talks only to the URLs the QR and API 1 named; a redirect is
    # reported as the answer it is.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None = None,
    timeout_seconds: float,
) -> Exchange:
    """Make one request; any HTTP status comes back as an Exchange.

    Raises:
        OSError: the server cannot be reached (URLError is an OSError).
        ResponseTooLarge: the answer is larger than MAX_RESPONSE_BYTES.
    """
    request = urllib.request.Request(url, data=body, method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    # Only the origin is logged: the path carries the one-time id.
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    logger.debug("%s %s", method, origin)
    try:
        response = _OPENER.open(request, timeout=timeout_seconds)
    except urllib.error.HTTPError as error:
        status = error.code
        response_headers = _headers(error.headers)
        payload = _read_limited(error.fp) if error.fp is not None else b""
    else:
        with response:
            status = response.status
            response_headers = _headers(response.headers)
            payload = _read_limited(response)
    logger.debug("%s %s -> %s", method, origin, status)
    return Exchange(
        method=method,
        url=url,
        request_headers=dict(headers),
        request_body=body,
        status=status,
        response_headers=response_headers,
        response_body=payload,
    )


def _read_limited(stream: IO[bytes]) -> bytes:
    payload = stream.read(MAX_RESPONSE_BYTES + 1)
    if len(payload) > MAX_RESPONSE_BYTES:
        raise ResponseTooLarge(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")
    return payload


def _headers(message: Message | None) -> dict[str, str]:
    if message is None:
        return {}
    return {name: value for name, value in message.items()}
