"""An OCSP responder (RFC 6960) for the test PKI, with its CRLs and CA
certificates, over HTTP.

It answers like NCA's responder (nca-pki.md 2.6): a BasicOCSPResponse
signed by the issuing CA's delegated "OCSP RESPONDER" certificate, which
is included, ResponderID by name, the request's CertID and nonce echoed.
Status comes from the revocation records the test PKI was generated with:
"good", "revoked" with time and reason, "unknown" for serials the CA never
issued. A request about a CA it does not serve gets "unauthorized", a
request it cannot parse "malformedRequest" (RFC 6960 2.3).

HTTP routes, relative to the server root:

    POST /ocsp/                   application/ocsp-request (RFC 6960 A.1.1)
    GET  /ocsp/<base64 request>   URL-encoded base64 of the DER request
    GET  /crl/<file>.crl          the files of ``pki.crl_dir``
    GET  /cert/<file>.cer         the files of ``pki.cert_dir``

Which URL to use: the certificates name ``pki.base_url`` (default
``http://127.0.0.1:8780``). :func:`serve` listens on that host and port by
default, so the AIA and CDP URLs in certificates work as they are (``make
run``). :func:`running_responder` listens on a free port by default, so
tests running side by side never collide; it yields the OCSP URL to pass as
``RevocationSettings.ocsp_url`` (the CRLs are then read from
``pki.crl_dir``, or from the yielded URL with ``ocsp/`` replaced by
``crl/<file>``). ``port=None`` makes it listen on the base URL's port.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from asn1crypto import core, ocsp, x509

from kabinet.devtools import _x509_build as build
from kabinet.devtools.testpki import Authority, TestPki, load
from kabinet.pki import oids
from kabinet.pki._time import require_aware
from kabinet.pki.certificate import Certificate
from kabinet.pki.signature import PrivateKey

logger = logging.getLogger(__name__)

REQUEST_CONTENT_TYPE: Final = "application/ocsp-request"
RESPONSE_CONTENT_TYPE: Final = "application/ocsp-response"
# Far above any real request (one CertID and a nonce take about 120 bytes);
# larger bodies are refused before they are read.
MAX_REQUEST_BYTES: Final = 16 * 1024
# How long an answer may be relied on (nextUpdate - thisUpdate).
RESPONSE_VALIDITY: Final = timedelta(hours=1)

# RFC 8954 2.1: a nonce has 1 to 32 octets; other lengths are malformed.
_NONCE_MIN_BYTES: Final = 1
_NONCE_MAX_BYTES: Final = 32
_OCTET_STRING_TAG: Final = 0x04
_POLL_INTERVAL_SECONDS: Final = 0.05
_FILE_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

Clock = Callable[[], datetime]


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class _MalformedRequestError(Exception):
    """An OCSP request that RFC 6960 2.3 calls malformedRequest."""


class _UnauthorizedRequestError(Exception):
    """An OCSP request about certificates this responder does not serve."""


@dataclass(frozen=True)
class _Signer:
    """One issuing CA with its delegated responder key."""

    authority: Authority
    certificate: Certificate
    key: PrivateKey = field(repr=False)

    def serves(self, cert_id: ocsp.CertId) -> bool:
        """Whether ``cert_id`` names this CA (RFC 6960 4.1.1)."""
        hashes = build.cert_id_hashes(
            algorithm=cert_id["hash_algorithm"]["algorithm"].native,
            issuer_name_der=self.authority.intermediate.subject_der,
            issuer_spki_der=self.authority.intermediate.spki_der,
        )
        if hashes is None:
            return False
        name_hash, key_hash = hashes
        return (
            bytes(cert_id["issuer_name_hash"].native) == name_hash
            and bytes(cert_id["issuer_key_hash"].native) == key_hash
        )


class OcspResponder:
    """Answers DER OCSP requests about the test PKI's issuing CAs."""

    def __init__(
        self,
        pki: TestPki,
        *,
        clock: Clock | None = None,
        validity: timedelta = RESPONSE_VALIDITY,
    ) -> None:
        self._clock = clock or _wall_clock
        self._validity = validity
        signers = []
        for name, authority in pki.authorities.items():
            store = pki.ocsp_signer(name)
            signers.append(_Signer(authority, store.certificate, store.private_key))
        self._signers = tuple(signers)

    def respond(self, request_der: bytes) -> bytes:
        """The DER OCSPResponse to one DER OCSPRequest; never raises for
        bad input, which is answered with an error status instead."""
        try:
            return self._respond(request_der)
        except _MalformedRequestError as exc:
            logger.info("OCSP request refused as malformed: %s", exc)
            return build.ocsp_error_response("malformed_request")
        except _UnauthorizedRequestError as exc:
            logger.info("OCSP request refused as unauthorized: %s", exc)
            return build.ocsp_error_response("unauthorized")
        except Exception:
            logger.exception("OCSP responder failed on a request")
            return build.ocsp_error_response("internal_error")

    def _respond(self, request_der: bytes) -> bytes:
        if len(request_der) > MAX_REQUEST_BYTES:
            raise _MalformedRequestError(
                f"request of {len(request_der)} bytes is too large"
            )
        cert_ids, nonce_extension = _parse_request(request_der)

        signer = self._signer_for(cert_ids)

        now = require_aware(self._clock(), name="clock()").replace(microsecond=0)
        responses = [
            self._single_response(cert_id, signer, now) for cert_id in cert_ids
        ]
        response_data: dict[str, Any] = {
            "responder_id": ocsp.ResponderId(
                name="by_name", value=x509.Name.load(signer.certificate.subject_der)
            ),
            "produced_at": now,
            "responses": responses,
        }
        if nonce_extension is not None:
            # RFC 6960 4.4.1: the nonce comes back exactly as it was sent.
            response_data["response_extensions"] = ocsp.ResponseDataExtensions.load(
                build.raw_extensions([nonce_extension])
            )
        logger.debug(
            "OCSP answer by %s for serials %s",
            signer.authority.name,
            ", ".join(format(c["serial_number"].native, "x") for c in cert_ids),
        )
        return build.build_ocsp_response(
            ocsp.ResponseData(response_data),
            signing_key=signer.key,
            certificates=[signer.certificate.der],
        )

    def _signer_for(self, cert_ids: Sequence[ocsp.CertId]) -> _Signer:
        """The one CA all requested certificates belong to (a delegated
        responder speaks for its own CA only, RFC 6960 4.2.2.2)."""
        chosen: _Signer | None = None
        for cert_id in cert_ids:
            signer = next((s for s in self._signers if s.serves(cert_id)), None)
            if signer is None:
                raise _UnauthorizedRequestError(
                    f"no CA here matches the CertID of serial "
                    f"{cert_id['serial_number'].native:x}"
                )
            if chosen is not None and signer is not chosen:
                raise _UnauthorizedRequestError("request mixes certificates of two CAs")
            chosen = signer
        if chosen is None:
            raise _MalformedRequestError("request lists no certificate")
        return chosen

    def _single_response(
        self, cert_id: ocsp.CertId, signer: _Signer, now: datetime
    ) -> dict[str, Any]:
        serial: int = cert_id["serial_number"].native
        revocation = signer.authority.revocation_for(serial)
        status: ocsp.CertStatus
        if serial not in signer.authority.issued_serials:
            status = ocsp.CertStatus(name="unknown", value=ocsp.StatusUnknown())
        elif revocation is not None and revocation.revoked_at <= now:
            revoked: dict[str, Any] = {"revocation_time": revocation.revoked_at}
            if revocation.reason is not None:
                revoked["revocation_reason"] = revocation.reason
            status = ocsp.CertStatus(name="revoked", value=revoked)
        else:
            status = ocsp.CertStatus(name="good", value=ocsp.StatusGood())
        return {
            # The CertID goes back as it came, hash algorithm included.
            "cert_id": ocsp.CertId.load(cert_id.dump()),
            "cert_status": status,
            "this_update": now,
            "next_update": now + self._validity,
        }


def _parse_request(der: bytes) -> tuple[list[ocsp.CertId], build.Extension | None]:
    """The CertIDs and the nonce extension of a DER OCSPRequest.

    Raises:
        _MalformedRequestError: not an OCSPRequest, version other than v1, an
            unknown critical extension, or a nonce outside RFC 8954 2.1.
    """
    # asn1crypto raises several exception types on broken DER; any of
    # them means the same thing here.
    try:
        request = ocsp.OCSPRequest.load(der, strict=True)
        tbs = request["tbs_request"]
        version = tbs["version"].native
        cert_ids = []
        for item in tbs["request_list"]:
            cert_id = item["req_cert"]
            cert_id.native  # noqa: B018 - forces the lazy parse
            _require_no_critical(item["single_request_extensions"])
            cert_ids.append(cert_id)
        extensions = [
            build.Extension(
                e["extn_id"].dotted,
                bool(e["critical"].native),
                e["extn_value"].contents,
            )
            for e in tbs["request_extensions"] or []
        ]
    except _MalformedRequestError:
        raise
    except Exception as exc:
        raise _MalformedRequestError(f"not a DER OCSPRequest: {exc}") from None
    if version != "v1":
        raise _MalformedRequestError(f"request version {version!r}, expected v1")

    nonce_extension = None
    for extension in extensions:
        if extension.oid == oids.OCSP_NONCE:
            nonce_extension = extension
        elif extension.critical:
            raise _MalformedRequestError(f"unknown critical extension {extension.oid}")
    if nonce_extension is not None:
        nonce = _nonce_value(nonce_extension.value)
        if not _NONCE_MIN_BYTES <= len(nonce) <= _NONCE_MAX_BYTES:
            raise _MalformedRequestError(f"nonce of {len(nonce)} octets (RFC 8954 2.1)")
    return cert_ids, nonce_extension


def _require_no_critical(extensions: Any) -> None:
    for extension in extensions or []:
        if extension["critical"].native:
            oid = extension["extn_id"].dotted
            raise _MalformedRequestError(f"unknown critical request extension {oid}")


def _nonce_value(extn_value: bytes) -> bytes:
    """The nonce inside extnValue: an OCTET STRING (RFC 8954 2.1), or the
    raw bytes as some older clients send them."""
    if len(extn_value) >= 2 and extn_value[0] == _OCTET_STRING_TAG:
        try:
            inner = core.OctetString.load(extn_value, strict=True)
            value: bytes = inner.native
            return value
        except ValueError:
            pass
    return extn_value


# --- HTTP ----------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], pki: TestPki, responder: OcspResponder
    ) -> None:
        super().__init__(address, _Handler)
        self.pki = pki
        self.responder = responder


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "kabinet-test-ocsp/1"

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if not _is_ocsp_path(path):
            self._send(HTTPStatus.NOT_FOUND, b"", "text/plain")
            return
        media_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        length_header = self.headers.get("Content-Length", "")
        if media_type.lower() != REQUEST_CONTENT_TYPE or not length_header.isdigit():
            self._close_after_reply()
            self._send_ocsp(build.ocsp_error_response("malformed_request"))
            return
        length = int(length_header)
        if length > MAX_REQUEST_BYTES:
            # Refused before reading it.
            self._close_after_reply()
            self._send_ocsp(build.ocsp_error_response("malformed_request"))
            return
        body = self.rfile.read(length)
        self._send_ocsp(self.server.responder.respond(body))

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if _is_ocsp_path(path):
            self._send_ocsp(self.server.responder.respond(_decode_get(path)))
            return
        pki = self.server.pki
        for prefix, folder, content_type in (
            ("/crl/", pki.crl_dir, "application/pkix-crl"),
            ("/cert/", pki.cert_dir, "application/pkix-cert"),
        ):
            if path.startswith(prefix):
                self._send_file(folder, unquote(path[len(prefix) :]), content_type)
                return
        self._send(HTTPStatus.NOT_FOUND, b"", "text/plain")

    def _send_file(self, folder: Path, name: str, content_type: str) -> None:
        # Only plain file names of that folder: no "..", no sub-folders.
        path = folder / name
        if not _FILE_NAME.fullmatch(name) or not path.is_file():
            self._send(HTTPStatus.NOT_FOUND, b"", "text/plain")
            return
        self._send(HTTPStatus.OK, path.read_bytes(), content_type)

    def _send_ocsp(self, body: bytes) -> None:
        self._send(HTTPStatus.OK, body, RESPONSE_CONTENT_TYPE)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _close_after_reply(self) -> None:
        # The body was not read; the connection cannot carry another request.
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def _is_ocsp_path(path: str) -> bool:
    return path == "/ocsp" or path.startswith("/ocsp/")


def _decode_get(path: str) -> bytes:
    """The DER request of a GET (RFC 6960 A.1): URL-encoded base64 after
    the responder path. Undecodable text yields bytes that do not parse,
    which the responder answers as malformed."""
    encoded = unquote(path[len("/ocsp/") :] if path.startswith("/ocsp/") else "")
    compact = "".join(encoded.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.urlsafe_b64decode(compact)
    except (binascii.Error, ValueError):
        return b""


def _start(
    pki: TestPki, host: str, port: int, clock: Clock | None
) -> tuple[_Server, str]:
    server = _Server((host, port), pki, OcspResponder(pki, clock=clock))
    bound_port = server.server_address[1]
    shown_host = f"[{host}]" if ":" in host else host
    return server, f"http://{shown_host}:{bound_port}"


def _base_address(pki: TestPki) -> tuple[str, int]:
    parts = urlsplit(pki.base_url)
    default_port = 443 if parts.scheme == "https" else 80
    return parts.hostname or "127.0.0.1", parts.port or default_port


@contextmanager
def running_responder(
    pki: TestPki,
    *,
    host: str = "127.0.0.1",
    port: int | None = 0,
    clock: Clock | None = None,
) -> Iterator[str]:
    """Run the responder in a background thread; yield its OCSP URL.

    Args:
        port: 0 for a free port (the default: tests never collide), None
            for the port of ``pki.base_url`` so that certificate URLs work.
        clock: where thisUpdate and producedAt come from; tests that check
            answers "as of" a fixed moment pass ``lambda: that_moment``.
    """
    if port is None:
        port = _base_address(pki)[1]
    server, base = _start(pki, host, port, clock)
    # A short poll interval makes leaving the context (shutdown) quick.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_INTERVAL_SECONDS},
        name="ocsp-responder",
        daemon=True,
    )
    thread.start()
    logger.info("OCSP responder for %s listening on %s", pki.root, base)
    try:
        yield f"{base}/ocsp/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        logger.info("OCSP responder on %s stopped", base)


def serve(
    pki: TestPki,
    host: str | None = None,
    port: int | None = None,
    *,
    clock: Clock | None = None,
) -> None:
    """Serve OCSP, CRLs and CA certificates until interrupted.

    Host and port default to those of ``pki.base_url``, where the
    certificates' AIA and CDP URLs point.
    """
    default_host, default_port = _base_address(pki)
    server, base = _start(
        pki,
        default_host if host is None else host,
        default_port if port is None else port,
        clock,
    )
    logger.info("OCSP responder for %s serving on %s", pki.root, base)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kabinet.devtools.ocsp_responder DIR [--host H] [--port P]``."""
    parser = argparse.ArgumentParser(
        prog="python -m kabinet.devtools.ocsp_responder",
        description="Serve OCSP, CRLs and CA certificates of a generated test PKI.",
    )
    parser.add_argument("target", type=Path, help="folder of the test PKI")
    parser.add_argument("--host", help="address to listen on (from the base URL)")
    parser.add_argument(
        "--port", type=int, help="port to listen on (from the base URL)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve(load(args.target), args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
