"""Rate limits per IP address and per IIN, counted in the database.

The counts come from rows every worker writes anyway (challenges issued, the
audit log), so all workers see the same numbers without a shared cache. Two
attempts racing at the limit may both pass; a limit is a brake, not a
guarantee, and the challenge's single use is what stops replays.

"Per IP" counts by :func:`kabinet.login.client.client_network`: an IPv6
client's whole /64 is one address here, and clients whose address is
unknown (no usable REMOTE_ADDR, or a forwarded entry that is no address)
share one count, so an unreadable address never means no limit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings

from kabinet.login.client import client_network
from kabinet.login.errors import RateLimited
from kabinet.login.models import Challenge, LoginAttempt, StaffSignInFailure

logger = logging.getLogger(__name__)


def _window_start(at: datetime) -> datetime:
    return at - timedelta(seconds=settings.KABINET_RATE_LIMIT_WINDOW_SECONDS)


def require_ip_challenges_under_limit(ip: str | None, *, at: datetime) -> None:
    """Refuse a new challenge to an address that asked for too many.

    Raises:
        RateLimited: KABINET_RATE_LIMIT_IP_CHALLENGES reached in the window.
    """
    limit: int = settings.KABINET_RATE_LIMIT_IP_CHALLENGES
    issued = Challenge.objects.filter(
        client_network=client_network(ip), issued_at__gt=_window_start(at)
    ).count()
    if issued >= limit:
        raise RateLimited(
            f"{issued} challenges issued to {ip} in the window (limit {limit})"
        )


def require_ip_under_limit(ip: str | None, *, at: datetime) -> None:
    """Refuse an attempt from an address that made too many.

    Raises:
        RateLimited: KABINET_RATE_LIMIT_IP_ATTEMPTS reached in the window.
    """
    limit: int = settings.KABINET_RATE_LIMIT_IP_ATTEMPTS
    attempts = LoginAttempt.objects.filter(
        network=client_network(ip), created_at__gt=_window_start(at)
    ).count()
    if attempts >= limit:
        raise RateLimited(
            f"{attempts} attempts from {ip} in the window (limit {limit})"
        )


def require_iin_under_limit(iin: str | None, *, bin_: str | None, at: datetime) -> None:
    """Refuse an attempt for an IIN that made too many with a verified
    certificate; for an information system, which has no IIN, its BIN counts.

    Only verified attempts count (a trusted chain and a signature over the
    attempt's own challenge), so nobody can lock a person out by sending
    forged certificates that carry the person's IIN, or by replaying
    documents the person once signed.

    Raises:
        RateLimited: KABINET_RATE_LIMIT_IIN_ATTEMPTS reached in the window.
    """
    limit: int = settings.KABINET_RATE_LIMIT_IIN_ATTEMPTS
    recent = LoginAttempt.objects.filter(
        certificate_verified=True, created_at__gt=_window_start(at)
    )
    if iin:
        attempts = recent.filter(iin=iin).count()
    elif bin_:
        attempts = recent.filter(iin="", bin=bin_).count()
    else:
        return
    if attempts >= limit:
        raise RateLimited(
            f"{attempts} attempts for one subject in the window (limit {limit})"
        )


def require_staff_sign_in_under_limit(
    username: str, *, network: str, at: datetime
) -> None:
    """Refuse a staff password sign-in for a user name, or from an address,
    with too many recent failures.

    A user name that is being guessed stays locked while the guessing goes
    on; staff reach the admin from the bank's own network, where that is
    the lesser harm.

    Raises:
        RateLimited: KABINET_RATE_LIMIT_STAFF_FAILURES reached in the window
            for the user name (any letter case) or for the address.
    """
    limit: int = settings.KABINET_RATE_LIMIT_STAFF_FAILURES
    recent = StaffSignInFailure.objects.filter(created_at__gt=_window_start(at))
    by_name = recent.filter(username__iexact=username).count()
    by_address = recent.filter(network=network).count()
    if by_name >= limit or by_address >= limit:
        raise RateLimited(
            f"{by_name} failed staff sign-ins for the user name, {by_address} from "
            f"the address, in the window (limit {limit})"
        )
