"""The mgovSign protocol's texts and JSON, as the eGov apps read them.

Field names, their case and the fixed values (``Token``, ``XML``) follow
the NIT QR spec (egov-qr.md 2 and 3) to the letter: the spec asks for the
registers to be kept exactly. Nothing here touches the database.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from kabinet.accounts.roles import Role
from kabinet.login.challenge import STATEMENT_PURPOSE
from kabinet.login.roles import RolePolicy
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import SubjectType

# NIT QR spec, QR content: "mobileSign:" followed by the API 1 URL.
QR_PREFIX = "mobileSign:"
# NIT QR spec v5, cross signing: the current same-device links. The eGov
# Business form has a single public source (egov-qr.md 1.2).
EGOV_MOBILE_LINK = "https://m.egov.kz/mobileSign/?link="
EGOV_BUSINESS_LINK = "https://m.egov.kz/businessSign/?link="

AUTH_TYPE_TOKEN = "Token"  # noqa: S105 (the protocol value, not a secret)
SIGN_METHOD_XML = "XML"
PROTOCOL_VERSION = 1
# The one document a login signs; the PUT must bring back exactly this id.
LOGIN_DOCUMENT_ID = 1

LANGUAGES = ("ru", "kk", "en")
_NAME_FIELDS = {"ru": "nameRu", "kk": "nameKz", "en": "nameEn"}
_STATEMENT_FIELDS = ("origin", "role", "nonce", "issued")


class EgovApp(Enum):
    """The two apps that speak the protocol (egov-qr.md 1.3)."""

    MOBILE = "egov_mobile"  # individuals
    BUSINESS = "egov_business"  # legal entities


# ---------------------------------------------------------------------------
# Addresses


def api1_url(public_id: str) -> str:
    """The API 1 address: no query string, ``mgovSign`` in the path."""
    return settings.KABINET_PUBLIC_URL + reverse("qr-api1", args=[public_id])


def api2_url(public_id: str) -> str:
    """The API 2 address; on the same origin as API 1."""
    return settings.KABINET_PUBLIC_URL + reverse("qr-api2", args=[public_id])


def qr_text(public_id: str) -> str:
    """What the QR code holds."""
    return QR_PREFIX + api1_url(public_id)


def app_links(public_id: str) -> dict[str, str]:
    """The links that open each app on the same phone, API 1 URL-encoded
    whole (NIT QR spec, cross signing: encode before putting it in link=)."""
    encoded = quote(api1_url(public_id), safe="")
    return {
        EgovApp.MOBILE.value: EGOV_MOBILE_LINK + encoded,
        EgovApp.BUSINESS.value: EGOV_BUSINESS_LINK + encoded,
    }


def apps_for(policy: RolePolicy) -> tuple[EgovApp, ...]:
    """The apps whose users the role accepts: eGov Mobile signs for a
    person, eGov Business for a legal entity (egov-qr.md 1.3)."""
    kinds = policy.accepted_subject_types
    apps: list[EgovApp] = []
    if SubjectType.INDIVIDUAL in kinds:
        apps.append(EgovApp.MOBILE)
    if kinds & {SubjectType.LEGAL_ENTITY, SubjectType.INFORMATION_SYSTEM}:
        apps.append(EgovApp.BUSINESS)
    return tuple(apps)


def language_of(accept_language: str | None) -> str:
    """ru, kk or en from the app's Accept-Language (NIT QR spec, API 1:
    every call carries one of them); Russian when absent or unknown."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary == "kz":
            primary = "kk"
        if primary in LANGUAGES:
            return primary
    return "ru"


# ---------------------------------------------------------------------------
# Times


def nit_date(moment: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS`` and the offset, in the bank's time zone.

    NIT QR spec, API 1 expiry_date: exactly three fractional digits and an
    explicit offset; the offset is written ``+0500`` as in the spec's
    current example (``2026-08-14T15:52:24.138+0500``).
    """
    local = require_aware(moment).astimezone(_time_zone())
    milliseconds = local.microsecond // 1000
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S")
        + f".{milliseconds:03d}"
        + local.strftime("%z")
    )


def _readable_time(moment: datetime) -> str:
    return require_aware(moment).astimezone(_time_zone()).strftime("%d.%m.%Y %H:%M")


def _time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# ---------------------------------------------------------------------------
# The document


def login_document(statement: bytes) -> str:
    """The ``<login>`` XML the app signs, carrying the challenge's statement.

    The site, role, nonce and time are those of the challenge statement
    (:func:`kabinet.login.challenge.build_statement`), so the challenge row
    says exactly what the signer agreed to; egov-qr.md 5.1 recommends a
    nonce, the time and the service in a ``<login>`` element.
    """
    fields = _statement_fields(statement)
    root = etree.Element("login")
    etree.SubElement(root, "site").text = fields["origin"]
    etree.SubElement(root, "role").text = fields["role"]
    etree.SubElement(root, "nonce").text = fields["nonce"]
    etree.SubElement(root, "time").text = fields["issued"]
    body: str = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>' + body


def _statement_fields(statement: bytes) -> dict[str, str]:
    lines = statement.decode("utf-8").split("\n")
    if lines[0] != STATEMENT_PURPOSE or lines[-1] != "":
        raise ValueError("not a login statement")
    fields: dict[str, str] = {}
    for line in lines[1:-1]:
        name, separator, value = line.partition(": ")
        if not separator:
            raise ValueError("a statement line without a name")
        fields[name] = value
    if tuple(fields) != _STATEMENT_FIELDS:
        raise ValueError(f"statement fields {tuple(fields)} are not the expected ones")
    return fields


# ---------------------------------------------------------------------------
# API 1 and API 2


def api1_answer(
    *, public_id: str, token: str, expires_at: datetime, language: str
) -> dict[str, Any]:
    """API 1: who asks, until when, and where API 2 is (NIT QR spec, API 1)."""
    with translation.override(language):
        description = _("Log in to the personal cabinet at %(site)s") % {
            "site": _site()
        }
    return {
        "description": description,
        "expiry_date": nit_date(expires_at),
        "organisation": {
            "nameRu": settings.KABINET_BANK_NAME_RU,
            "nameKz": settings.KABINET_BANK_NAME_KK,
            "nameEn": settings.KABINET_BANK_NAME_EN,
            "bin": settings.KABINET_BANK_BIN,
        },
        "document": {
            "uri": api2_url(public_id),
            "auth_type": AUTH_TYPE_TOKEN,
            "auth_token": token,
        },
    }


def api2_answer(
    *, document_xml: str, role: Role, issued_at: datetime, language: str
) -> dict[str, Any]:
    """API 2 GET: the one XML document and the rows a person reads before
    signing, so that a code shown on someone else's page is recognisable
    (egov-qr.md 7, QR-login relay)."""
    names = {}
    for code in LANGUAGES:
        with translation.override(code):
            names[_NAME_FIELDS[code]] = _("Log in to the personal cabinet")
    with translation.override(language):
        meta = [
            {"name": _("Site"), "value": _site()},
            {"name": _("Request time"), "value": _readable_time(issued_at)},
            {"name": _("Role"), "value": str(role.label)},
        ]
    document: dict[str, Any] = {"id": LOGIN_DOCUMENT_ID, **names, "meta": meta}
    document["documentXml"] = document_xml
    return {
        "signMethod": SIGN_METHOD_XML,
        "version": PROTOCOL_VERSION,
        "documentsToSign": [document],
    }


def success_answer() -> Mapping[str, str]:
    """API 2 PUT accepted (NIT QR spec v5: ``{"status": "success"}``)."""
    return {"status": "success"}


def _site() -> str:
    return urlsplit(settings.KABINET_PUBLIC_URL).netloc
