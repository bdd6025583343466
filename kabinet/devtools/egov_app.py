"""An eGov Mobile / eGov Business emulator for development and tests.

Given the text of a QR code (``mobileSign:<API 1 URL>``) or a same-device
link (``https://m.egov.kz/mobileSign/?link=...``,
``https://m.egov.kz/businessSign/?link=...`` and the old
``mgovsign.page.link`` / ``egovbusiness.page.link`` forms), it makes the
three calls the app makes (egov-qr.md), in order and with the app's headers:

1. ``GET`` API 1 (``Accept-Language`` on every call);
2. ``GET`` API 2 with ``Authorization: Bearer <auth_token>`` when
   ``auth_type`` is ``Token``, plain for ``None``, or ``POST {"xml": ...}``
   with a signed ``<login><url/><timeStamp/></login>`` for ``Eds``;
3. ``PUT`` API 2 with the same JSON, each ``documentXml`` (XML) or
   ``document.file.data`` (CMS_WITH_DATA attached, CMS_SIGN_ONLY detached,
   SIGN_BYTES_ARRAY, and each kind inside MIX_SIGN) replaced by its
   signature, ``Content-Type: application/json`` and the Bearer header in
   Token mode.

It signs for real with a PKCS#12 key (GOST or RSA, the NCA test files
included). CMS signatures carry no NCA timestamp: the emulator works
offline. It prints what the app shows: the description, the organisation
and its BIN, the QR's expiry, each document's name and meta rows, and the
server's answer.

Declining ("Отказать") is not described by NIT. By default the emulator
then PUTs the unsigned API 2 JSON with ``"status": "CANCELED"`` added, as
one integration reports the app does; ``Decline.SILENT`` makes no call at
all, as an app that simply closes would. A server must handle both.

It talks only to the origin of the QR's URL (an API 2 elsewhere is a
protocol error), through no proxy and follows no redirect. Plain http is
accepted for development; the real app requires https.

Command line::

    python -m kabinet.devtools.egov_app QR_TEXT --p12 FILE --password PW
        [--app mobile|business] [--lang ru|kk|en] [--decline [canceled|silent]]
        [--tamper document|signature|unsigned|id|token] [--timeout S]

Exit status: 0 when the PUT is answered 200 (or a decline was delivered),
1 when the server refuses or breaks the protocol, 2 on bad usage (bad QR
text, unreadable key, wrong password).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from kabinet.devtools._egov_http import Exchange, ResponseTooLarge, call
from kabinet.devtools._egov_sign import (
    MIX_SIGN,
    SIGN_METHODS,
    DocumentInvalid,
    Tamper,
    check_document,
    document_method,
    sign_documents,
    sign_eds_login,
)
from kabinet.pki.errors import Pkcs12PasswordWrong, PkiError
from kabinet.pki.pkcs12 import KeyStore, load_pkcs12

__all__ = [
    "App",
    "AppResult",
    "Decline",
    "Exchange",
    "Outcome",
    "ShownDocument",
    "Tamper",
    "UsageError",
    "main",
    "parse_entry",
    "run_app",
]

logger = logging.getLogger(__name__)

QR_PREFIX = "mobileSign:"
MAX_KEY_FILE_BYTES = 256 * 1024
AUTH_TYPES = ("Token", "None", "Eds")
LANGUAGES = ("ru", "kk", "en")
# NIT QR spec, API 1: expiry_date is yyyy-MM-dd'T'HH:mm:ss.SSSz.
NIT_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:?\d\d)")


class UsageError(Exception):
    """Raised for input the emulator cannot act on (exit status 2)."""


class App(Enum):
    """Which app is played; the protocol is the same (egov-qr.md 1.3)."""

    MOBILE = "mobile"
    BUSINESS = "business"


class Decline(Enum):
    """What pressing "Отказать" sends (undocumented by NIT, egov-qr.md 4)."""

    CANCELED = "canceled"  # PUT the unsigned JSON with "status": "CANCELED"
    SILENT = "silent"  # no call at all


class Outcome(Enum):
    """How a run ended."""

    SIGNED = "signed"  # PUT answered 200
    DECLINED = "declined"
    REFUSED = "refused"  # the server answered a call with another status
    PROTOCOL_ERROR = "protocol_error"  # an answer the app cannot use


# The app does not publish its User-Agent; these name the emulator and the
# package of the app it plays.
USER_AGENTS = {
    App.MOBILE: "kabinet-egov-emulator/1 (eGov Mobile; kz.mobile.mgov)",
    App.BUSINESS: "kabinet-egov-emulator/1 (eGov Business; kz.mobile.mgov.business)",
}

_NAME_FIELDS = {"ru": "nameRu", "kk": "nameKz", "en": "nameEn"}

_LABELS = {
    "ru": {
        "organisation": "Организация",
        "bin": "БИН",
        "expiry": "Срок действия QR-кода",
        "documents": "Документы на подпись",
        "success": "Подписание выполнено успешно",
        "declined": "Подписание отклонено",
        "error": "Ошибка",
    },
    "kk": {
        "organisation": "Ұйым",
        "bin": "БСН",
        "expiry": "QR-кодтың жарамдылық мерзімі",
        "documents": "Қол қойылатын құжаттар",
        "success": "Қол қою сәтті орындалды",
        "declined": "Қол қоюдан бас тартылды",
        "error": "Қате",
    },
    "en": {
        "organisation": "Organisation",
        "bin": "BIN",
        "expiry": "QR code valid until",
        "documents": "Documents to sign",
        "success": "Signed successfully",
        "declined": "Signing declined",
        "error": "Error",
    },
}


@dataclass(frozen=True)
class ShownDocument:
    """A document as the app lists it."""

    id: int
    name: str
    sign_method: str
    meta: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AppResult:
    """What happened during one run, call by call."""

    outcome: Outcome
    app: App
    lang: str
    api1_url: str
    api2_url: str | None = None
    description: str | None = None
    organisation_name: str | None = None
    organisation_bin: str | None = None
    expiry_date: str | None = None
    auth_type: str | None = None
    sign_method: str | None = None
    documents: tuple[ShownDocument, ...] = ()
    status: int | None = None
    message: str | None = None
    back_url: str | None = None
    exchanges: tuple[Exchange, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 for a signature accepted or a decline delivered, 1 otherwise."""
        if self.outcome is Outcome.SIGNED:
            return 0
        if self.outcome is Outcome.DECLINED and (
            self.status is None or 200 <= self.status < 300
        ):
            return 0
        return 1


def parse_entry(text: str) -> tuple[str, App | None]:
    """The API 1 URL in a QR text or a deep link, and the app a link opens.

    Raises:
        UsageError: neither a ``mobileSign:`` QR text nor a known link.
    """
    text = text.strip()
    if text.startswith(QR_PREFIX):
        url = text[len(QR_PREFIX) :]
        _require_http_url(url)
        return url, None

    parts = urlsplit(text)
    host = parts.hostname or ""
    path = parts.path.rstrip("/")
    if parts.scheme != "https":
        raise UsageError(
            "expected the QR text (mobileSign:<URL>) or an eGov app link, "
            f"got {text[:80]!r}"
        )
    if host == "m.egov.kz" and path == "/mobileSign":
        app = App.MOBILE
    elif host == "m.egov.kz" and path == "/businessSign":
        app = App.BUSINESS
    elif host == "mgovsign.page.link":
        app = App.MOBILE
    elif host == "egovbusiness.page.link":
        app = App.BUSINESS
    else:
        raise UsageError(f"{host}{parts.path} is not an eGov app link")
    links = parse_qs(parts.query).get("link")
    if not links:
        raise UsageError("the link has no link= parameter")
    url = links[0]
    _require_http_url(url)
    # NIT QR spec, cross signing: "mgovSign" in the link is mandatory.
    if "mgovSign" not in url:
        raise UsageError(f"the API 1 URL in the link lacks mgovSign: {url}")
    return url, app


def run_app(
    qr_or_link: str,
    *,
    key_store: KeyStore | None = None,
    p12: Path | None = None,
    password: str | None = None,
    app: App | str | None = None,
    lang: str = "ru",
    decline: Decline | bool = False,
    tamper: Collection[Tamper] = (),
    timeout_seconds: float = 15.0,
    clock: Callable[[], datetime] | None = None,
    out: TextIO | None = None,
) -> AppResult:
    """Scan the QR (or open the link), sign, and send it back, as the app.

    Args:
        qr_or_link: the QR text or a deep link.
        key_store: the key to sign with; or ``p12`` and ``password``.
        app: "mobile" or "business"; a deep link decides when omitted.
        lang: ru, kk or en, sent as Accept-Language on every call.
        decline: press "Отказать" instead of signing (True means
            ``Decline.CANCELED``).
        tamper: misbehaviours, to test what the server refuses.
        out: where to print what the app shows (nothing when None).

    Raises:
        UsageError: bad QR text or link, bad option, or no usable key.
    """
    api1_url, link_app = parse_entry(qr_or_link)
    chosen_app = _resolve_app(app, link_app)
    if lang not in LANGUAGES:
        raise UsageError(f"lang must be one of {', '.join(LANGUAGES)}")
    decline_mode: Decline | None
    if isinstance(decline, Decline):
        decline_mode = decline
    else:
        decline_mode = Decline.CANCELED if decline else None
    tamper = frozenset(tamper)
    store = _key_store(key_store, p12, password, required=decline_mode is None)
    now = clock or (lambda: datetime.now(UTC))
    flow = _Flow(
        app=chosen_app,
        lang=lang,
        api1_url=api1_url,
        timeout_seconds=timeout_seconds,
        out=out,
    )
    result = flow.run(store=store, decline=decline_mode, tamper=tamper, now=now)
    logger.info(
        "eGov app run on %s ended %s (HTTP %s)",
        _origin(api1_url),
        result.outcome.value,
        result.status,
    )
    return result


class _Stop(Exception):
    def __init__(self, outcome: Outcome, message: str, status: int | None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.status = status


class _Flow:
    """One run of the app: three calls, filling an AppResult as it goes."""

    def __init__(
        self,
        *,
        app: App,
        lang: str,
        api1_url: str,
        timeout_seconds: float,
        out: TextIO | None,
    ) -> None:
        self.app = app
        self.lang = lang
        self.api1_url = api1_url
        self.timeout_seconds = timeout_seconds
        self.out = out
        self.labels = _LABELS[lang]
        self.shown: dict[str, Any] = {}
        self.exchanges: list[Exchange] = []
        self.notes: list[str] = []

    def run(
        self,
        *,
        store: KeyStore | None,
        decline: Decline | None,
        tamper: frozenset[Tamper],
        now: Callable[[], datetime],
    ) -> AppResult:
        try:
            return self._run(store=store, decline=decline, tamper=tamper, now=now)
        except _Stop as stop:
            self._print(f"{self.labels['error']}: {stop.message}")
            return self._result(stop.outcome, status=stop.status, message=stop.message)

    def _run(
        self,
        *,
        store: KeyStore | None,
        decline: Decline | None,
        tamper: frozenset[Tamper],
        now: Callable[[], datetime],
    ) -> AppResult:
        self._print(f"{USER_AGENTS[self.app]}, {self.lang}")

        # API 1: who asks, until when, where API 2 is (NIT QR spec, API 1).
        api1 = self._json_call("GET", self.api1_url, self._headers(), "API 1")
        document_info = _require_object(api1, "document")
        organisation = _require_object(api1, "organisation")
        api2_url = _require_string(document_info, "uri", "document.uri")
        auth_type = _require_string(document_info, "auth_type", "document.auth_type")
        if auth_type not in AUTH_TYPES:
            raise _Stop(
                Outcome.PROTOCOL_ERROR,
                f"document.auth_type {auth_type!r} is not Token, None or Eds",
                None,
            )
        token = document_info.get("auth_token")
        if auth_type == "Token" and not (isinstance(token, str) and token):
            raise _Stop(Outcome.PROTOCOL_ERROR, "Token mode without auth_token", None)
        self.shown.update(
            api2_url=api2_url,
            auth_type=auth_type,
            description=_require_string(api1, "description", "description"),
            expiry_date=_require_string(api1, "expiry_date", "expiry_date"),
            organisation_name=self._localized(organisation, "organisation"),
            organisation_bin=_require_string(organisation, "bin", "organisation.bin"),
        )
        self._check_expiry(self.shown["expiry_date"], now())
        self._print(self.shown["description"])
        self._print(
            f"{self.labels['organisation']}: {self.shown['organisation_name']} "
            f"({self.labels['bin']} {self.shown['organisation_bin']})"
        )
        self._print(f"{self.labels['expiry']}: {self.shown['expiry_date']}")
        if not _same_origin(self.api1_url, api2_url):
            raise _Stop(
                Outcome.PROTOCOL_ERROR,
                f"API 2 ({_origin(api2_url)}) is not on the origin of the QR's URL",
                None,
            )

        # API 2: what to sign.
        headers = self._headers()
        if auth_type == "Token":
            bearer = "wrong-" + str(token) if Tamper.TOKEN in tamper else str(token)
            headers["Authorization"] = f"Bearer {bearer}"
        if auth_type == "Eds":
            if store is None:
                raise _Stop(Outcome.DECLINED, "Eds mode needs a key to go on", None)
            login_xml = sign_eds_login(api2_url, key=store, time_stamp=_nit_time(now()))
            body = json.dumps({"xml": login_xml}, ensure_ascii=False).encode("utf-8")
            payload = self._json_call(
                "POST", api2_url, headers | _JSON_BODY, "API 2", body=body
            )
        else:
            payload = self._json_call("GET", api2_url, headers, "API 2")
        self._check_documents(payload)

        if decline is not None:
            return self._decline(decline, api2_url, headers, payload)
        assert store is not None  # run_app requires a key unless declining

        # The PUT: the same JSON, data replaced by signatures (API 2 PUT).
        try:
            signed = sign_documents(
                payload, key=store, signing_time=now(), tamper=tamper
            )
        except (PkiError, DocumentInvalid) as exc:
            raise _Stop(Outcome.PROTOCOL_ERROR, f"cannot sign: {exc}", None) from exc
        if any(
            document_method(d, payload["signMethod"]).startswith("CMS")
            for d in payload["documentsToSign"]
        ):
            self.notes.append("no NCA timestamp in the CMS: the emulator is offline")
        body = json.dumps(signed, ensure_ascii=False).encode("utf-8")
        exchange = self._call("PUT", api2_url, headers | _JSON_BODY, "API 2", body=body)
        answer = _json_or_none(exchange.response_body)
        message = _server_message(answer, exchange.response_body)
        back_url = answer.get("backUrl") if isinstance(answer, dict) else None
        if exchange.status != 200:
            raise _Stop(
                Outcome.REFUSED, f"HTTP {exchange.status}: {message}", exchange.status
            )
        if not (isinstance(answer, dict) and answer.get("status") == "success"):
            self.notes.append(
                'the answer to the PUT is not {"status": "success"} (NIT QR spec v5)'
            )
        self._print(f"{self.labels['success']} ({message})")
        if isinstance(back_url, str):
            self._print(f"backUrl: {back_url}")
        return self._result(
            Outcome.SIGNED,
            status=exchange.status,
            message=message,
            back_url=back_url if isinstance(back_url, str) else None,
        )

    def _decline(
        self,
        decline: Decline,
        api2_url: str,
        headers: dict[str, str],
        payload: dict[str, Any],
    ) -> AppResult:
        if decline is Decline.SILENT:
            self._print(self.labels["declined"])
            return self._result(Outcome.DECLINED)
        canceled = dict(payload)
        canceled["status"] = "CANCELED"
        body = json.dumps(canceled, ensure_ascii=False).encode("utf-8")
        exchange = self._call("PUT", api2_url, headers | _JSON_BODY, "API 2", body=body)
        message = _server_message(
            _json_or_none(exchange.response_body), exchange.response_body
        )
        self._print(f"{self.labels['declined']} (HTTP {exchange.status}: {message})")
        return self._result(Outcome.DECLINED, status=exchange.status, message=message)

    # -- checks ----------------------------------------------------------

    def _check_documents(self, payload: dict[str, Any]) -> None:
        sign_method = payload.get("signMethod")
        if sign_method not in (*SIGN_METHODS, MIX_SIGN):
            raise _Stop(
                Outcome.PROTOCOL_ERROR, f"signMethod {sign_method!r} is unknown", None
            )
        documents = payload.get("documentsToSign")
        if not isinstance(documents, list) or not documents:
            raise _Stop(
                Outcome.PROTOCOL_ERROR,
                "documentsToSign must be a non-empty array",
                None,
            )
        if "version" in payload and payload["version"] != 1:
            self.notes.append(f"version is {payload['version']!r}; NIT says 1")
        try:
            for document in documents:
                check_document(document, str(sign_method))
        except DocumentInvalid as exc:
            raise _Stop(Outcome.PROTOCOL_ERROR, str(exc), None) from exc

        self.shown["sign_method"] = sign_method
        shown: list[ShownDocument] = []
        self._print(f"{self.labels['documents']} ({sign_method}):")
        for number, document in enumerate(documents, start=1):
            name = self._localized(document, f"document {document['id']}")
            meta = tuple(
                (row["name"], row["value"]) for row in document.get("meta", [])
            )
            method = document_method(document, str(sign_method))
            shown.append(ShownDocument(document["id"], name, method, meta))
            self._print(f"  {number}. {name}")
            for label, value in meta:
                self._print(f"     {label}: {value}")
        self.shown["documents"] = tuple(shown)

    def _check_expiry(self, expiry_date: str, now: datetime) -> None:
        if not NIT_DATE.fullmatch(expiry_date):
            self.notes.append(
                f"expiry_date {expiry_date!r} is not yyyy-MM-dd'T'HH:mm:ss.SSS"
                " with an offset (NIT QR spec, API 1)"
            )
        try:
            expiry = datetime.fromisoformat(expiry_date)
        except ValueError as exc:
            raise _Stop(
                Outcome.PROTOCOL_ERROR,
                f"expiry_date {expiry_date!r} is not a date",
                None,
            ) from exc
        if expiry.tzinfo is None:
            raise _Stop(
                Outcome.PROTOCOL_ERROR,
                f"expiry_date {expiry_date!r} has no offset",
                None,
            )
        if expiry < now:
            # Whether the app stops here is not documented; the emulator
            # goes on so that the server's own expiry check is exercised.
            self.notes.append(f"the QR expired at {expiry_date}")

    def _localized(self, holder: dict[str, Any], what: str) -> str:
        field_name = _NAME_FIELDS[self.lang]
        value = holder.get(field_name)
        if isinstance(value, str) and value:
            return value
        fallback = holder.get("nameRu")
        if isinstance(fallback, str) and fallback:
            self.notes.append(f"{what} has no {field_name}; showing nameRu")
            return fallback
        raise _Stop(Outcome.PROTOCOL_ERROR, f"{what} has no {field_name}", None)

    # -- HTTP ------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        # Since iOS 2.4.1 / Android 1.6.77 every call carries Accept-Language
        # (NIT QR spec, API 1).
        return {
            "Accept-Language": self.lang,
            "Accept": "application/json",
            "User-Agent": USER_AGENTS[self.app],
        }

    def _call(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        what: str,
        *,
        body: bytes | None = None,
    ) -> Exchange:
        # Messages name the API, not its URL: the URL carries the one-time
        # id, which is a bearer secret (egov-qr.md 7).
        try:
            exchange = call(
                method,
                url,
                headers=headers,
                body=body,
                timeout_seconds=self.timeout_seconds,
            )
        except ResponseTooLarge as exc:
            raise _Stop(
                Outcome.PROTOCOL_ERROR, f"{what} {method}: {exc}", None
            ) from exc
        except OSError as exc:
            raise _Stop(
                Outcome.PROTOCOL_ERROR, f"{what} {method}: cannot connect ({exc})", None
            ) from exc
        self.exchanges.append(exchange)
        return exchange

    def _json_call(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        what: str,
        *,
        body: bytes | None = None,
    ) -> dict[str, Any]:
        exchange = self._call(method, url, headers, what, body=body)
        answer = _json_or_none(exchange.response_body)
        if exchange.status != 200:
            message = _server_message(answer, exchange.response_body)
            raise _Stop(
                Outcome.REFUSED,
                f"{what} {method}: HTTP {exchange.status}: {message}",
                exchange.status,
            )
        if not isinstance(answer, dict):
            raise _Stop(
                Outcome.PROTOCOL_ERROR,
                f"{what} {method}: the answer is not a JSON object",
                200,
            )
        return answer

    # -- output ----------------------------------------------------------

    def _print(self, line: str) -> None:
        if self.out is not None:
            print(line, file=self.out)

    def _result(
        self,
        outcome: Outcome,
        *,
        status: int | None = None,
        message: str | None = None,
        back_url: str | None = None,
    ) -> AppResult:
        for note in self.notes:
            self._print(f"note: {note}")
        return AppResult(
            outcome=outcome,
            app=self.app,
            lang=self.lang,
            api1_url=self.api1_url,
            api2_url=self.shown.get("api2_url"),
            description=self.shown.get("description"),
            organisation_name=self.shown.get("organisation_name"),
            organisation_bin=self.shown.get("organisation_bin"),
            expiry_date=self.shown.get("expiry_date"),
            auth_type=self.shown.get("auth_type"),
            sign_method=self.shown.get("sign_method"),
            documents=self.shown.get("documents", ()),
            status=status,
            message=message,
            back_url=back_url,
            exchanges=tuple(self.exchanges),
            notes=tuple(self.notes),
        )


_JSON_BODY = {"Content-Type": "application/json"}


def _resolve_app(app: App | str | None, link_app: App | None) -> App:
    if app is None:
        return link_app or App.MOBILE
    try:
        chosen = app if isinstance(app, App) else App(app)
    except ValueError as exc:
        raise UsageError(f"app must be mobile or business, not {app!r}") from exc
    if link_app is not None and chosen is not link_app:
        raise UsageError(f"this link opens eGov {link_app.value}, not {chosen.value}")
    return chosen


def _key_store(
    key_store: KeyStore | None,
    p12: Path | None,
    password: str | None,
    *,
    required: bool,
) -> KeyStore | None:
    if key_store is not None:
        return key_store
    if p12 is None:
        if required:
            raise UsageError("a key is needed to sign: give a PKCS#12 file")
        return None
    if password is None:
        raise UsageError("give the PKCS#12 password")
    path = Path(p12)
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise UsageError(f"{path} is too large for a PKCS#12 file")
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return load_pkcs12(data, password)
    except Pkcs12PasswordWrong as exc:
        raise UsageError(f"wrong password for {path}") from exc
    except PkiError as exc:
        raise UsageError(f"cannot open {path}: {exc.message}") from exc


def _require_http_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the API 1 address is not an http(s) URL: {url[:80]!r}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _require_object(holder: dict[str, Any], name: str) -> dict[str, Any]:
    value = holder.get(name)
    if not isinstance(value, dict):
        raise _Stop(Outcome.PROTOCOL_ERROR, f"API 1 has no {name} object", None)
    return value


def _require_string(holder: dict[str, Any], name: str, path: str) -> str:
    value = holder.get(name)
    if not isinstance(value, str) or not value:
        raise _Stop(Outcome.PROTOCOL_ERROR, f"API 1 has no {path}", None)
    return value


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _server_message(answer: Any, body: bytes) -> str:
    # NIT QR spec, errors: {"message": "..."} in the Accept-Language
    # language; success: {"status": "success"}.
    if isinstance(answer, dict):
        for name in ("message", "status"):
            if isinstance(answer.get(name), str):
                return str(answer[name])
    text = body.decode("utf-8", "replace").strip()
    return text[:200] if text else "(empty answer)"


def _nit_time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- command line -----------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kabinet.devtools.egov_app",
        description="Plays eGov Mobile / eGov Business: scans a QR, signs, sends.",
    )
    parser.add_argument("qr", metavar="QR_TEXT", help="mobileSign:<URL> or a link")
    parser.add_argument(
        "--p12", "--key", dest="p12", type=Path, help="the PKCS#12 file to sign with"
    )
    parser.add_argument("--password", help="its password")
    parser.add_argument("--app", choices=[a.value for a in App])
    parser.add_argument("--lang", choices=LANGUAGES, default="ru")
    parser.add_argument(
        "--decline",
        nargs="?",
        const=Decline.CANCELED.value,
        choices=[d.value for d in Decline],
        help="press Отказать: PUT status CANCELED (default) or send nothing",
    )
    parser.add_argument(
        "--tamper",
        action="append",
        default=[],
        choices=[t.value for t in Tamper],
        help="misbehave on purpose (repeatable)",
    )
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per call")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app once; the exit status says how it went."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        result = run_app(
            args.qr,
            p12=args.p12,
            password=args.password,
            app=args.app,
            lang=args.lang,
            decline=Decline(args.decline) if args.decline else False,
            tamper=[Tamper(value) for value in args.tamper],
            timeout_seconds=args.timeout,
            out=sys.stdout,
        )
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
