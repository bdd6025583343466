"""What the login records about the client: its address and browser."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_MAX_USER_AGENT = 300
# An IPv6 subscriber is routinely given a whole /64 or more (RFC 6177), so
# the addresses of one /64 are one client to the rate limits.
IPV6_CLIENT_PREFIX = 64
# What the rate limits count for a client whose address is unknown.
UNKNOWN_NETWORK = "unknown"


@dataclass(frozen=True)
class RequestMeta:
    """The client's IP address (None when unknown) and User-Agent."""

    ip: str | None
    user_agent: str

    @property
    def network(self) -> str:
        """What the per-address rate limits count (:func:`client_network`)."""
        return client_network(self.ip)

    @classmethod
    def from_request(cls, request: HttpRequest) -> RequestMeta:
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        return cls(ip=client_ip(request), user_agent=str(user_agent)[:_MAX_USER_AGENT])


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as
    ``KABINET_PROXY_COUNT`` reverse proxies wrote it."""
    proxies: int = settings.KABINET_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR")
    if proxies:
        forwarded = [
            part.strip()
            for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if part.strip()
        ]
        # Each trusted proxy appends the address it saw, so the client is
        # the entry written by the outermost one; entries further left are
        # whatever the client chose to send.
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    address = _valid_ip(candidate)
    if address is None:
        logger.warning(
            "Client address unknown (KABINET_PROXY_COUNT=%s); the rate limits "
            "count it with every other unknown address",
            proxies,
        )
    return address


def _valid_ip(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value
    # Some proxies write the client's port as well: 203.0.113.9:51234 or
    # [2001:db8::1]:51234. A bare IPv6 address has more than one colon.
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_network(ip: str | None) -> str:
    """The client as the per-address rate limits count it: an IPv4 address
    itself, an IPv6 address its /64 network, one shared value when unknown.

    Counting IPv6 addresses one by one would give every subscriber 2**64
    fresh allowances.
    """
    if ip is None:
        return UNKNOWN_NETWORK
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return str(address)
