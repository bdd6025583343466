"""Staff sign-in to the admin: a password, so a brake on guessing it.

Certificate logins never call Django's ``authenticate``; only the admin's
password form does. :class:`ThrottledModelBackend`, the one entry of
``AUTHENTICATION_BACKENDS``, stops a sign-in before the password is checked
when its user name or address has too many recent failures;
:func:`record_failure` writes every failure Django reports
(``user_login_failed``), the stopped ones included.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kabinet.accounts import clock
from kabinet.accounts.models import User
from kabinet.login.client import RequestMeta
from kabinet.login.errors import RateLimited
from kabinet.login.models import StaffSignInFailure
from kabinet.login.ratelimit import require_staff_sign_in_under_limit

logger = logging.getLogger(__name__)

_MAX_USERNAME = 150


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, with a brake on guessing staff passwords."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is not None and username is not None:
            self._require_under_limit(request, username)
        return super().authenticate(
            request, username=username, password=password, **kwargs
        )

    def _require_under_limit(self, request: HttpRequest, username: str) -> None:
        meta = RequestMeta.from_request(request)
        try:
            require_staff_sign_in_under_limit(
                username[:_MAX_USERNAME], network=meta.network, at=clock.now()
            )
        except RateLimited as error:
            logger.warning(
                "Staff sign-in stopped before the password check: ip=%s (%s)",
                meta.ip,
                error.message,
            )
            # Django's authenticate() then gives up and reports the failure.
            raise PermissionDenied from None


def record_failure(
    sender: object,
    *,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Write a failed sign-in Django reported (its password is not passed)."""
    if request is None:
        return
    meta = RequestMeta.from_request(request)
    username = str(credentials.get("username", ""))[:_MAX_USERNAME]
    StaffSignInFailure.objects.create(
        created_at=clock.now(),
        username=username,
        ip=meta.ip,
        network=meta.network,
        user_agent=meta.user_agent,
    )
    logger.warning("Staff sign-in failed: user name %r, ip=%s", username, meta.ip)
