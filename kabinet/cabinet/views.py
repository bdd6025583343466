"""The cabinet's pages: who is signed in, the role's sections, the sessions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kabinet.accounts import clock
from kabinet.accounts.sessions import (
    SessionLimits,
    current_session_record,
    end_other_sessions,
    open_sessions,
    session_key_hash,
)
from kabinet.accounts.summary import SessionSummary
from kabinet.cabinet.sections import SECTIONS

LOGIN_URL = "/login/"


@never_cache
def main_page(request: HttpRequest) -> HttpResponseBase:
    """Who is logged in, how, with which certificate; the role's sections."""
    record = current_session_record(request)
    if record is None or not request.user.is_authenticated:
        return redirect(LOGIN_URL)
    summary = SessionSummary.of(record)
    return render(
        request,
        "cabinet/main.html",
        {"summary": summary, "sections": SECTIONS[summary.role]},
    )


@never_cache
def sessions_page(request: HttpRequest) -> HttpResponseBase:
    """The user's open sessions, this one marked."""
    record = current_session_record(request)
    if record is None or not request.user.is_authenticated:
        return redirect(LOGIN_URL)
    sessions = open_sessions(
        record.user, limits=SessionLimits.from_settings(), at=clock.now()
    )
    return render(
        request,
        "cabinet/sessions.html",
        {
            "sessions": sessions,
            "current_hash": record.key_hash,
            "others": sum(1 for item in sessions if item.key_hash != record.key_hash),
        },
    )


@require_POST
def end_other_sessions_view(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    """End every session of the user but this one."""
    record = current_session_record(request)
    session_key = request.session.session_key
    if (
        record is None
        or session_key is None
        or record.key_hash != session_key_hash(session_key)
    ):
        return redirect(LOGIN_URL)
    count = end_other_sessions(
        record.user, keep_session_key=session_key, at=clock.now()
    )
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d other session ended.",
                "%(count)d other sessions ended.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("There were no other sessions."))
    return redirect("sessions")
