"""Cabinet sessions: their records, their limits, and ending them.

A session opened by a login carries :data:`SESSION_MARKER`; its
:class:`SessionRecord` is found by the SHA-256 of the session key. Sessions
without the marker (staff signed in to the admin with a password) have no
record; they keep their start and last activity in the session itself
(:func:`staff_session_end_reason`) and end on the same timeouts.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from kabinet.accounts.models import Organisation, SessionEndReason, SessionRecord, User
from kabinet.accounts.roles import LoginMethod, Role

logger = logging.getLogger(__name__)

SESSION_MARKER = "kabinet.session"
# A staff session's first and latest seen moments, in seconds since the epoch.
STAFF_SESSION_STARTED = "kabinet.staff.started"
STAFF_SESSION_SEEN = "kabinet.staff.seen"
_REQUEST_ATTRIBUTE = "_kabinet_session_record"

# The last-activity time is written at most this often, so that a busy page
# does not turn every request into a database write.
_LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def session_key_hash(session_key: str) -> str:
    """The SHA-256 (hex) under which a session's record is kept."""
    return hashlib.sha256(session_key.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SessionLimits:
    """How long a cabinet session may last."""

    idle_timeout_seconds: int
    absolute_timeout_seconds: int

    @classmethod
    def from_settings(cls) -> SessionLimits:
        return cls(
            idle_timeout_seconds=settings.KABINET_SESSION_IDLE_TIMEOUT_SECONDS,
            absolute_timeout_seconds=settings.KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS,
        )


def open_session_record(
    session: SessionBase,
    *,
    user: User,
    role: Role,
    method: LoginMethod,
    organisation: Organisation | None,
    certificate_serial: str,
    certificate_not_before: datetime,
    certificate_not_after: datetime,
    ip: str | None,
    user_agent: str,
    at: datetime,
) -> SessionRecord:
    """Mark the (already rotated) session as a cabinet session and record it."""
    session_key = session.session_key
    if session_key is None:
        raise ValueError("the session has no key yet; rotate it before recording")
    session[SESSION_MARKER] = True
    return SessionRecord.objects.create(
        key_hash=session_key_hash(session_key),
        user=user,
        role=role.value,
        method=method.value,
        organisation=organisation,
        certificate_serial=certificate_serial,
        certificate_not_before=certificate_not_before,
        certificate_not_after=certificate_not_after,
        ip=ip,
        user_agent=user_agent[:300],
        created_at=at,
        last_seen_at=at,
    )


def find_session_record(session: SessionBase) -> SessionRecord | None:
    """The record of a cabinet session, with its user, person and organisation."""
    session_key = session.session_key
    if session_key is None or not session.get(SESSION_MARKER):
        return None
    return (
        SessionRecord.objects.select_related("user", "user__person", "organisation")
        .filter(key_hash=session_key_hash(session_key))
        .first()
    )


def end_reason_for(
    record: SessionRecord, *, limits: SessionLimits, at: datetime
) -> SessionEndReason | None:
    """Why the session must end now, or None while it may go on."""
    if record.ended_at is not None:
        return SessionEndReason(record.end_reason or SessionEndReason.ENDED_BY_USER)
    if at - record.last_seen_at >= timedelta(seconds=limits.idle_timeout_seconds):
        return SessionEndReason.IDLE
    if at - record.created_at >= timedelta(seconds=limits.absolute_timeout_seconds):
        return SessionEndReason.ABSOLUTE
    # A session never outlives the certificate that opened it.
    if at >= record.certificate_not_after:
        return SessionEndReason.CERTIFICATE_EXPIRED
    user = record.user
    if not user.is_active:
        return SessionEndReason.BLOCKED
    person = getattr(user, "person", None)
    if person is not None and person.is_blocked:
        return SessionEndReason.BLOCKED
    if record.organisation is not None and record.organisation.is_blocked:
        return SessionEndReason.BLOCKED
    return None


def staff_session_end_reason(
    session: SessionBase, *, limits: SessionLimits, at: datetime
) -> SessionEndReason | None:
    """Why a staff session must end now, or None; notes the activity.

    The session is stamped on the first request the guard sees after the
    password sign-in, and its last activity is written at most once a
    minute, as for cabinet sessions.
    """
    now = int(at.timestamp())
    started = session.get(STAFF_SESSION_STARTED)
    seen = session.get(STAFF_SESSION_SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        session[STAFF_SESSION_STARTED] = session[STAFF_SESSION_SEEN] = now
        return None
    if now - seen >= limits.idle_timeout_seconds:
        return SessionEndReason.IDLE
    if now - started >= limits.absolute_timeout_seconds:
        return SessionEndReason.ABSOLUTE
    if now - seen >= _LAST_SEEN_RESOLUTION.total_seconds():
        session[STAFF_SESSION_SEEN] = now
    return None


def remember_session_record(request: HttpRequest, record: SessionRecord) -> None:
    """Keep the record the guard found for the views of this request."""
    setattr(request, _REQUEST_ATTRIBUTE, record)


def current_session_record(request: HttpRequest) -> SessionRecord | None:
    """The record of the request's cabinet session, or None."""
    cached = getattr(request, _REQUEST_ATTRIBUTE, None)
    if isinstance(cached, SessionRecord):
        return cached
    return find_session_record(request.session)


def touch_session_record(record: SessionRecord, *, at: datetime) -> None:
    """Note activity on the session, at most once a minute."""
    if at - record.last_seen_at < _LAST_SEEN_RESOLUTION:
        return
    SessionRecord.objects.filter(pk=record.pk, ended_at__isnull=True).update(
        last_seen_at=at
    )
    record.last_seen_at = at


def end_session_record(
    session_key: str | None, *, reason: SessionEndReason, at: datetime
) -> None:
    """End the record of the session with this key, if it is still open."""
    if session_key is None:
        return
    ended = SessionRecord.objects.filter(
        key_hash=session_key_hash(session_key), ended_at__isnull=True
    ).update(ended_at=at, end_reason=reason.value)
    if ended:
        logger.info("Session ended: %s", reason.value)


def end_other_sessions(user: User, *, keep_session_key: str, at: datetime) -> int:
    """End every open session of the user except the current one.

    Returns:
        How many sessions were ended.
    """
    ended = (
        SessionRecord.objects.filter(user=user, ended_at__isnull=True)
        .exclude(key_hash=session_key_hash(keep_session_key))
        .update(ended_at=at, end_reason=SessionEndReason.ENDED_BY_USER.value)
    )
    logger.info("User %s ended %d other session(s)", user.pk, ended)
    return ended


def open_sessions(
    user: User, *, limits: SessionLimits, at: datetime
) -> list[SessionRecord]:
    """The user's sessions that are still usable, newest first."""
    records = SessionRecord.objects.filter(
        user=user, ended_at__isnull=True
    ).select_related("organisation", "user", "user__person")
    return [
        record
        for record in records
        if end_reason_for(record, limits=limits, at=at) is None
    ]
