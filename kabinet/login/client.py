"""What the login records about the client: its address and browser."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_MAX_USER_AGENT = 300


@dataclass(frozen=True)
class RequestMeta:
    """The client's IP address (None when unknown) and User-Agent."""

    ip: str | None
    user_agent: str

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
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
