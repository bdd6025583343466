"""The one place the web layer reads the clock.

Views, the login and the session guard ask :func:`now` and pass the answer
on as an argument, so a test moves time for all of them by replacing this one
function.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
