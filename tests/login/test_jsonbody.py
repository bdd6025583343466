"""The JSON bodies the login reads, refused before anything else happens."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from kabinet.login.errors import RequestInvalid
from kabinet.login.jsonbody import declared_length, parse_json_object
from kabinet.pki.errors import InputTooLarge


@pytest.mark.parametrize("value", ["-1", "ten", "1e3"])
def test_content_length_that_is_not_a_size_is_refused(value: str) -> None:
    request = RequestFactory().post("/", b"{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = value

    with pytest.raises(RequestInvalid) as raised:
        declared_length(request)
    assert raised.value.code == "bad_request"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 3000,
        b'{"a": ' * 3000,
        b'{"a": "\\ud800"}',
        b'{"\\udc00": 1}',
        b'{"a": ["x", "\\udfff"]}',
        b"\xff",
        b"[]",
    ],
    ids=[
        "nested-arrays",
        "nested-objects",
        "lone-high-surrogate",
        "lone-low-surrogate-key",
        "surrogate-in-array",
        "not-utf8",
        "not-an-object",
    ],
)
def test_body_that_is_no_json_object_of_text_is_refused(body: bytes) -> None:
    with pytest.raises(RequestInvalid) as raised:
        parse_json_object(body, max_bytes=64 * 1024)
    assert raised.value.code == "bad_request"


def test_surrogate_pair_is_text_and_is_read() -> None:
    parsed = parse_json_object(b'{"a": "\\ud83d\\ude00"}', max_bytes=64)

    assert parsed == {"a": "\N{GRINNING FACE}"}


def test_body_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge) as raised:
        parse_json_object(b"[" * 65, max_bytes=64)
    assert raised.value.code == "input_too_large"
