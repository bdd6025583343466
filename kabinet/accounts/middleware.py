"""The session guard: every request of a signed-in session checks its limits.

A cabinet session (opened by a certificate login) is checked against its
record; a staff session (a password sign-in to the admin) has no record and
keeps its own two times in the session, against the same timeouts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from kabinet.accounts import clock
from kabinet.accounts.sessions import (
    SESSION_MARKER,
    SessionLimits,
    end_reason_for,
    end_session_record,
    find_session_record,
    remember_session_record,
    staff_session_end_reason,
    touch_session_record,
)

logger = logging.getLogger(__name__)


class SessionGuardMiddleware:
    """Logs a cabinet session out when it ended elsewhere, idled or aged out,
    outlived its certificate, or its person or organisation was blocked.

    Runs after AuthenticationMiddleware. One query per request of a signed-in
    user: the record with its user, person and organisation. Staff sessions
    end on the same idle and absolute timeouts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.session.get(SESSION_MARKER):
            self._guard(request)
        elif request.user.is_authenticated:
            self._guard_staff_session(request)
        return self.get_response(request)

    def _guard_staff_session(self, request: HttpRequest) -> None:
        reason = staff_session_end_reason(
            request.session, limits=SessionLimits.from_settings(), at=clock.now()
        )
        if reason is not None:
            logger.info("Staff session ended: %s", reason.value)
            logout(request)

    def _guard(self, request: HttpRequest) -> None:
        at = clock.now()
        record = find_session_record(request.session)
        if record is None:
            logger.info("Session without a record logged out")
            logout(request)
            return

        reason = end_reason_for(record, limits=SessionLimits.from_settings(), at=at)
        if reason is not None:
            end_session_record(request.session.session_key, reason=reason, at=at)
            logout(request)
            return

        touch_session_record(record, at=at)
        remember_session_record(request, record)
