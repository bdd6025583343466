"""Template context every page gets: the bank's name and the languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language


def site(request: HttpRequest) -> dict[str, Any]:
    language = get_language() or settings.LANGUAGE_CODE
    bank_names = {
        "ru": settings.KABINET_BANK_NAME_RU,
        "kk": settings.KABINET_BANK_NAME_KK,
        "en": settings.KABINET_BANK_NAME_EN,
    }
    return {
        "bank_name": bank_names.get(language, settings.KABINET_BANK_NAME_RU),
        "site_languages": settings.LANGUAGES,
        "site_language": language,
    }
