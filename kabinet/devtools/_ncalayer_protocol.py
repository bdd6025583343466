"""NCALayer's JSON messages: one request in, one reply out.

Two families are spoken (nca-pki.md 3.2 and 3.3):

- ``kz.gov.pki.knca.basics`` with named ``args``; replies
  ``{"status":true,"body":{"result":...}}``, ``{"status":true,"body":{}}``
  when the user closed the dialog, ``{"status":false,"code","message",
  "details"}`` on an error;
- the old ``kz.gov.pki.knca.commonUtils`` with positional ``args``; replies
  ``{"code":"200","responseObject":...}``, ``{"code":"500","message":
  "action.canceled"}`` on cancel and ``{"code":"500","message":...}`` on an
  error (a ``uuid`` in the request is echoed back).

Any other module, including the legacy applet NCA switched off in 2024 (the
default when ``module`` is absent), gets ``MODULE_NOT_FOUND``. Nothing here
touches the network; the key dialog is a callable handed in.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from kabinet.devtools._ncalayer_keys import (
    KeyRequirements,
    LoadedKey,
    requirements_from_basics,
    requirements_from_key_type,
)
from kabinet.pki.cms import sign_cms, to_pem
from kabinet.pki.errors import PkiError
from kabinet.pki.xmldsig import sign_xml

logger = logging.getLogger(__name__)

BASICS = "kz.gov.pki.knca.basics"
COMMON_UTILS = "kz.gov.pki.knca.commonUtils"
HEARTBEAT = "--heartbeat--"
MODULE_NOT_FOUND: dict[str, Any] = {"success": False, "errorCode": "MODULE_NOT_FOUND"}
CANCELED_MESSAGE = "action.canceled"

# What the Java side says for an exception thrown inside a method; the
# specific text goes to "details" (nca-pki.md 3.2).
INVOCATION_MESSAGE = "An invoked method threw an exception."


class Outcome(Enum):
    """How the emulator answered one request."""

    SIGNED = "signed"
    CANCELED = "canceled"
    FAILED = "failed"
    ANSWERED = "answered"
    REFUSED = "refused"
    UNKNOWN_MODULE = "unknown_module"


@dataclass(frozen=True)
class DialogRequest:
    """What the key dialog is asked: which keys qualify, and for what."""

    module: str
    method: str
    requirements: KeyRequirements
    summary: str
    locale: str


@dataclass(frozen=True)
class Chosen:
    """The user picked this key and typed its password."""

    key: LoadedKey


@dataclass(frozen=True)
class Canceled:
    """The user closed the dialog (or could pick no usable key)."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """NCALayer reported an error (used to rehearse error handling)."""

    code: str
    message: str
    details: str = ""


DialogAnswer = Chosen | Canceled | Failed
Dialog = Callable[[DialogRequest], DialogAnswer]


@dataclass
class Session:
    """Per-connection state: the locale set by the page."""

    locale: str = "kk"


@dataclass(frozen=True)
class Handled:
    """One request and the reply sent for it."""

    module: str | None
    method: str | None
    args: Any
    reply: dict[str, Any]
    outcome: Outcome
    key_name: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = field(default=())


class _BadRequestError(Exception):
    """A parameter the emulator cannot act on; becomes an error reply."""


def handle_message(
    text: str, *, dialog: Dialog, session: Session, now: Callable[[], datetime]
) -> Handled:
    """Answer one JSON request as NCALayer would."""
    try:
        request = json.loads(text)
    except ValueError:
        return Handled(
            None,
            None,
            None,
            _basics_error("GENERAL_ERROR", "The request is not JSON.", ""),
            Outcome.REFUSED,
            reason="not JSON",
        )
    if not isinstance(request, dict):
        return Handled(
            None,
            None,
            request,
            _basics_error("GENERAL_ERROR", "The request is not a JSON object.", ""),
            Outcome.REFUSED,
            reason="not a JSON object",
        )

    module = request.get("module")
    method = request.get("method")
    args = request.get("args")
    try:
        if module == BASICS and isinstance(method, str):
            return _handle_basics(method, args, dialog=dialog, session=session, now=now)
        if module == COMMON_UTILS and isinstance(method, str):
            handled = _handle_common_utils(
                method, args, dialog=dialog, session=session, now=now
            )
            if "uuid" in request:
                handled.reply["uuid"] = request["uuid"]
            return handled
    except Exception as exc:
        # A fault inside the emulator is answered as NCALayer answers a Java
        # exception, rather than by dropping the connection, which a page
        # would read as "NCALayer is not running".
        logger.exception("%s %s failed inside the emulator", module, method)
        details = f"{type(exc).__name__}: {exc}"
        reply = (
            {"code": "500", "message": details}
            if module == COMMON_UTILS
            else _basics_error("GENERAL_ERROR", INVOCATION_MESSAGE, details)
        )
        return Handled(module, method, args, reply, Outcome.FAILED, reason=details)
    return Handled(
        module if isinstance(module, str) else None,
        method if isinstance(method, str) else None,
        args,
        dict(MODULE_NOT_FOUND),
        Outcome.UNKNOWN_MODULE,
        reason=f"no module {module!r}",
    )


# -- kz.gov.pki.knca.basics -------------------------------------------------


def _handle_basics(
    method: str,
    args: Any,
    *,
    dialog: Dialog,
    session: Session,
    now: Callable[[], datetime],
) -> Handled:
    def refused(code: str, details: str) -> Handled:
        return Handled(
            BASICS,
            method,
            args,
            _basics_error(code, INVOCATION_MESSAGE, details),
            Outcome.REFUSED,
            reason=details,
        )

    if method != "sign":
        return refused("GENERAL_ERROR", f"method {method} is not available")
    if not isinstance(args, dict):
        return refused("INVALID_SIGNING_PARAMS", "args must be an object")

    try:
        plan = _basics_plan(args)
        requirements = requirements_from_basics(args)
    except (_BadRequestError, ValueError, PkiError) as exc:
        return refused("INVALID_SIGNING_PARAMS", str(exc))

    locale = args.get("locale")
    if isinstance(locale, str) and locale:
        session.locale = locale
    answer = dialog(
        DialogRequest(BASICS, method, requirements, plan.summary, session.locale)
    )
    if isinstance(answer, Canceled):
        return Handled(
            BASICS,
            method,
            args,
            {"status": True, "body": {}},
            Outcome.CANCELED,
            reason=answer.reason,
        )
    if isinstance(answer, Failed):
        return Handled(
            BASICS,
            method,
            args,
            _basics_error(answer.code, answer.message, answer.details),
            Outcome.FAILED,
            reason=answer.message,
        )

    try:
        result = plan.sign(answer.key, now())
    except PkiError as exc:
        return Handled(
            BASICS,
            method,
            args,
            _basics_error("SIGNING_FAILURE", INVOCATION_MESSAGE, exc.message),
            Outcome.FAILED,
            key_name=answer.key.name,
            reason=exc.message,
        )
    return Handled(
        BASICS,
        method,
        args,
        {"status": True, "body": {"result": result}},
        Outcome.SIGNED,
        key_name=answer.key.name,
        notes=plan.notes,
    )


@dataclass(frozen=True)
class _BasicsPlan:
    format: str
    documents: tuple[bytes, ...]
    many: bool
    attached: bool
    summary: str
    notes: tuple[str, ...]

    def sign(self, key: LoadedKey, signing_time: datetime) -> str | list[str]:
        store = key.store
        if self.format == "xml":
            # basics answers xml with an array even for one document
            # (nca-pki.md 3.2).
            return [
                sign_xml(
                    document, key=store.private_key, certificate=store.certificate
                ).decode("utf-8")
                for document in self.documents
            ]
        signatures = [
            to_pem(
                sign_cms(
                    document,
                    key=store.private_key,
                    certificate=store.certificate,
                    signing_time=signing_time,
                    attached=self.attached,
                )
            )
            for document in self.documents
        ]
        return signatures if self.many else signatures[0]


def _basics_plan(args: Mapping[str, Any]) -> _BasicsPlan:
    output_format = args.get("format")
    if output_format not in ("cms", "xml"):
        raise _BadRequestError(
            f"format {output_format!r} is not supported by the emulator "
            "(it signs cms and xml)"
        )

    data = args.get("data")
    many = isinstance(data, list)
    items: Sequence[object] = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, str) for item in items):
        raise _BadRequestError("data must be a string or a non-empty array of strings")

    signing_params = args.get("signingParams") or {}
    if not isinstance(signing_params, dict):
        raise _BadRequestError("signingParams must be an object")
    decode = _flag(signing_params, "decode", default=False)
    attached = _flag(signing_params, "encapsulate", default=True)
    if _flag(signing_params, "digested", default=False):
        raise _BadRequestError("digested data is not supported by the emulator")

    notes: list[str] = []
    if signing_params.get("tsaProfile") is not None:
        # The emulator works offline, so it cannot reach tsp.pki.gov.kz.
        notes.append("tsaProfile ignored: the emulator adds no timestamp")

    documents = tuple(_document_bytes(str(item), decode=decode) for item in items)
    kind = "attached" if attached else "detached"
    summary = (
        f"{output_format}, {len(documents)} document(s)"
        if output_format == "xml"
        else f"cms ({kind}), {len(documents)} document(s)"
    )
    return _BasicsPlan(
        format=output_format,
        documents=documents,
        many=many,
        attached=attached,
        summary=summary,
        notes=tuple(notes),
    )


def _basics_error(code: str, message: str, details: str) -> dict[str, Any]:
    return {"status": False, "code": code, "message": message, "details": details}


# -- kz.gov.pki.knca.commonUtils --------------------------------------------


def _handle_common_utils(
    method: str,
    args: Any,
    *,
    dialog: Dialog,
    session: Session,
    now: Callable[[], datetime],
) -> Handled:
    def error(message: str, outcome: Outcome = Outcome.REFUSED) -> Handled:
        return Handled(
            COMMON_UTILS,
            method,
            args,
            {"code": "500", "message": message},
            outcome,
            reason=message,
        )

    positional: list[Any] = args if isinstance(args, list) else []

    if method == "getActiveTokens":
        # No hardware token (Kaztoken, ID card, ...) is ever plugged in.
        return Handled(
            COMMON_UTILS,
            method,
            args,
            {"code": "200", "responseObject": []},
            Outcome.ANSWERED,
        )
    if method == "changeLocale":
        if not positional or not isinstance(positional[0], str):
            return error("changeLocale expects [locale]")
        session.locale = positional[0]
        return Handled(COMMON_UTILS, method, args, {"code": "200"}, Outcome.ANSWERED)

    try:
        operation = _common_utils_operation(method, positional)
    except _BadRequestError as exc:
        return error(str(exc))

    storage = positional[0] if positional else None
    key_type = positional[1] if len(positional) > 1 else None
    requirements = requirements_from_key_type(storage, key_type)
    answer = dialog(
        DialogRequest(
            COMMON_UTILS, method, requirements, operation.summary, session.locale
        )
    )
    if isinstance(answer, Canceled):
        return Handled(
            COMMON_UTILS,
            method,
            args,
            {"code": "500", "message": CANCELED_MESSAGE},
            Outcome.CANCELED,
            reason=answer.reason,
        )
    if isinstance(answer, Failed):
        return error(answer.message, Outcome.FAILED)

    try:
        response_object = operation.run(answer.key, now())
    except PkiError as exc:
        return Handled(
            COMMON_UTILS,
            method,
            args,
            {"code": "500", "message": exc.message},
            Outcome.FAILED,
            key_name=answer.key.name,
            reason=exc.message,
        )
    outcome = Outcome.ANSWERED if method == "getKeyInfo" else Outcome.SIGNED
    return Handled(
        COMMON_UTILS,
        method,
        args,
        {"code": "200", "responseObject": response_object},
        outcome,
        key_name=answer.key.name,
        notes=operation.notes,
    )


@dataclass(frozen=True)
class _Operation:
    summary: str
    run: Callable[[LoadedKey, datetime], Any]
    notes: tuple[str, ...] = ()


def _common_utils_operation(method: str, args: list[Any]) -> _Operation:
    if method == "getKeyInfo":
        _require_args(method, args, 1, "[storage]")
        return _Operation("getKeyInfo", lambda key, _now: key_info(key))

    if method in ("createCAdESFromBase64", "createCMSSignatureFromBase64"):
        _require_args(method, args, 4, "[storage, keyType, base64Data, attach]")
        if not isinstance(args[2], str) or not isinstance(args[3], bool):
            raise _BadRequestError(f"{method} expects base64 data and a boolean attach")
        content = _document_bytes(args[2], decode=True)
        attached: bool = args[3]
        notes = (
            ("the emulator adds no timestamp",)
            if method == "createCMSSignatureFromBase64"
            else ()
        )

        def cades(key: LoadedKey, signing_time: datetime) -> str:
            der = sign_cms(
                content,
                key=key.store.private_key,
                certificate=key.store.certificate,
                signing_time=signing_time,
                attached=attached,
            )
            # commonUtils returns bare base64, not PEM (nca-pki.md 5).
            return base64.b64encode(der).decode("ascii")

        kind = "attached" if attached else "detached"
        return _Operation(f"cms ({kind}), 1 document", cades, notes)

    if method in ("signXml", "signXmls"):
        _require_args(method, args, 3, "[storage, keyType, xml, tbsXPath, parentXPath]")
        xpaths = [x for x in args[3:5] if x not in (None, "")]
        if xpaths:
            raise _BadRequestError(
                "signing an element by XPath is not supported by the emulator"
            )
        if method == "signXml":
            if not isinstance(args[2], str):
                raise _BadRequestError("signXml expects the XML as a string")
            documents = [args[2].encode("utf-8")]
        else:
            if not isinstance(args[2], list) or not all(
                isinstance(x, str) for x in args[2]
            ):
                raise _BadRequestError("signXmls expects an array of XML strings")
            documents = [x.encode("utf-8") for x in args[2]]

        def xml(key: LoadedKey, _now: datetime) -> str | list[str]:
            signed = [
                sign_xml(
                    document,
                    key=key.store.private_key,
                    certificate=key.store.certificate,
                ).decode("utf-8")
                for document in documents
            ]
            return signed[0] if method == "signXml" else signed

        return _Operation(f"xml, {len(documents)} document(s)", xml)

    if method == "createCAdESFromBase64Hash":
        raise _BadRequestError(
            "createCAdESFromBase64Hash (a CMS over a given hash) is not "
            "supported by the emulator"
        )
    raise _BadRequestError(f"method {method} is not available")


def key_info(key: LoadedKey) -> dict[str, str]:
    """commonUtils getKeyInfo's object (field names as in nca-pki.md 3.3).

    Dates are epoch milliseconds as strings, as in NCA's 2018 source.
    """
    certificate = key.certificate
    issuer_cn = _common_name(certificate.issuer)
    key_id = (certificate.subject_key_id or b"").hex()
    return {
        "alias": key_id or key.name,
        "keyId": key_id,
        "algorithm": certificate.algorithm,
        "subjectCn": certificate.identity.common_name or "",
        "subjectDn": certificate.subject,
        "issuerCn": issuer_cn,
        "issuerDn": certificate.issuer,
        "serialNumber": certificate.serial_hex,
        "certNotAfter": str(int(certificate.not_after.timestamp() * 1000)),
        "certNotBefore": str(int(certificate.not_before.timestamp() * 1000)),
        "authorityKeyIdentifier": (certificate.authority_key_id or b"").hex(),
        "pem": certificate.to_pem(),
    }


def _common_name(rfc4514: str) -> str:
    for part in rfc4514.split(","):
        name, _, value = part.partition("=")
        if name.strip().upper() == "CN":
            return value.strip()
    return ""


def _require_args(method: str, args: list[Any], count: int, shape: str) -> None:
    if len(args) < count:
        raise _BadRequestError(f"{method} expects {shape}")


# -- shared -----------------------------------------------------------------


def _flag(params: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = params.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _BadRequestError(f"signingParams.{name} must be true or false")
    return value


def _document_bytes(text: str, *, decode: bool) -> bytes:
    if not decode:
        return text.encode("utf-8")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _BadRequestError(
            "data is not valid base64 (signingParams.decode)"
        ) from exc
