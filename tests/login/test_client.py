"""The client address the audit log and the rate limits use."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from pytest_django import Settings

from kabinet.login.client import RequestMeta, client_ip, client_network


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),
        (1, "not-an-address", None),
        (1, "203.0.113.9:51234", "203.0.113.9"),
        (1, "[2001:db8::9]:51234", "2001:db8::9"),
        (1, "2001:db8::9", "2001:db8::9"),
    ],
)
def test_forwarded_address_is_trusted_only_as_far_as_the_proxies_go(
    settings: Settings, proxies: int, forwarded: str, expected: str | None
) -> None:
    settings.KABINET_PROXY_COUNT = proxies
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert client_ip(request) == expected


def test_user_agent_is_cut_to_its_column(settings: Settings) -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * 1000)

    assert len(RequestMeta.from_request(request).user_agent) == 300


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        (None, "unknown"),
    ],
)
def test_rate_limits_count_an_ipv6_client_by_its_64_network(
    ip: str | None, expected: str
) -> None:
    assert client_network(ip) == expected
