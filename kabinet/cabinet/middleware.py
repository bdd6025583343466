"""Site-wide page concerns: the language and the security headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageMiddleware:
    """Russian unless the visitor chose Kazakh or English with the switch.

    The browser's Accept-Language is deliberately not consulted: the bank's
    cabinet opens in Russian, and the choice the visitor makes is kept in the
    language cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class SecurityHeadersMiddleware:
    """A Content-Security-Policy that allows the page's own files and the
    NCALayer WebSocket, and nothing from elsewhere.

    The admin is left to Django's own headers: its pages are not written
    against this policy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            policy = _content_security_policy(settings.KABINET_NCALAYER_URL)
            response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


@lru_cache(maxsize=4)
def _content_security_policy(ncalayer_url: str) -> str:
    """The policy for a given NCALayer URL (the one runtime input it has)."""
    ncalayer = urlsplit(ncalayer_url)
    ncalayer_origin = f"{ncalayer.scheme}://{ncalayer.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {ncalayer_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        ]
    )
