"""The one rule about time in the core: it is an argument, and it is aware."""

from __future__ import annotations

from datetime import UTC, datetime


def require_aware(at: datetime, *, name: str = "at") -> datetime:
    """Return ``at`` in UTC, refusing a naive datetime.

    Raises:
        TypeError: ``at`` is not a datetime.
        ValueError: ``at`` has no time zone.
    """
    if not isinstance(at, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)
