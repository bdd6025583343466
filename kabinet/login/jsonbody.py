"""The JSON bodies the login reads: their size first, then one JSON object.

The page's POSTs and the eGov app's PUT all come through here, so every
endpoint refuses malformed input the same way, with a 4xx code, before
anything is looked up, used up or written.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from kabinet.login.errors import RequestInvalid
from kabinet.pki.errors import InputTooLarge


def declared_length(request: HttpRequest) -> int:
    """The request's Content-Length, 0 when absent.

    Raises:
        RequestInvalid: it is not a non-negative number.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "0")
    except ValueError:
        raise RequestInvalid("Content-Length is not a number") from None
    if length < 0:
        raise RequestInvalid("Content-Length is negative")
    return length


def read_json_object(request: HttpRequest, *, max_bytes: int) -> dict[str, Any]:
    """The body of one of the page's JSON requests.

    Raises:
        InputTooLarge: more than ``max_bytes``, declared or sent (refused
            before the body is read or parsed).
        RequestInvalid: not ``application/json``, or see
            :func:`parse_json_object`.
    """
    declared = declared_length(request)
    if declared > max_bytes:
        raise InputTooLarge(f"request body of {declared} bytes exceeds {max_bytes}")
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise RequestInvalid(f"expected application/json, got {content_type!r}")
    return parse_json_object(request.body, max_bytes=max_bytes)


def parse_json_object(body: bytes, *, max_bytes: int) -> dict[str, Any]:
    """``body`` as a JSON object whose strings are all Unicode text.

    Raises:
        InputTooLarge: more than ``max_bytes``.
        RequestInvalid: not UTF-8 JSON, nested deeper than the parser goes,
            a string with an unpaired surrogate escape, or not an object.
    """
    if len(body) > max_bytes:
        raise InputTooLarge(f"request body of {len(body)} bytes exceeds {max_bytes}")
    try:
        parsed = json.loads(body)
        # RFC 8259 8.2: "\ud800" alone is JSON syntax but no Unicode text.
        # Refused here, it cannot fail later as an encoding error, after a
        # challenge has been used up.
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        # ValueError covers bad syntax and bad UTF-8; RecursionError, arrays
        # or objects nested deeper than the parser's recursion limit.
        raise RequestInvalid("request body is not JSON text") from None
    if not isinstance(parsed, dict):
        raise RequestInvalid("request body is not a JSON object")
    return parsed
