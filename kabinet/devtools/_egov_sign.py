"""What the eGov app does to each document of API 2 before the PUT.

NIT QR spec, API 2 PUT: the JSON from API 2 comes back unchanged except
that each signature replaces ``documentXml`` (XML) or ``document.file.data``
(CMS_WITH_DATA, CMS_SIGN_ONLY, SIGN_BYTES_ARRAY). The app adds an NCA
timestamp to CMS signatures; the emulator works offline and adds none.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Collection
from datetime import datetime
from enum import Enum
from typing import Any

from lxml import etree

from kabinet.pki.cms import sign_cms
from kabinet.pki.pkcs12 import KeyStore
from kabinet.pki.signature import sign as sign_bytes
from kabinet.pki.xmldsig import sign_xml

SIGN_METHODS = ("XML", "CMS_WITH_DATA", "CMS_SIGN_ONLY", "SIGN_BYTES_ARRAY")
MIX_SIGN = "MIX_SIGN"
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


class Tamper(Enum):
    """Ways to misbehave, for testing what the server refuses."""

    DOCUMENT = "document"  # change the document before signing it
    SIGNATURE = "signature"  # corrupt the signature after signing
    UNSIGNED = "unsigned"  # send the documents back unsigned
    DOCUMENT_ID = "id"  # change each document's id
    TOKEN = "token"  # send a wrong Bearer token to API 2


class DocumentInvalid(Exception):
    """Raised when an API 2 document does not follow the spec."""


def document_method(document: dict[str, Any], sign_method: str) -> str:
    """The sign method of one document (per document only in MIX_SIGN)."""
    method = document.get("signMethod") if sign_method == MIX_SIGN else sign_method
    if method not in SIGN_METHODS:
        raise DocumentInvalid(f"document {document.get('id')}: signMethod {method!r}")
    return str(method)


def check_document(document: object, sign_method: str) -> None:
    """The fields the app needs to show and sign a document are there.

    Raises:
        DocumentInvalid: a field is missing or has the wrong type.
    """
    if not isinstance(document, dict):
        raise DocumentInvalid("each of documentsToSign must be an object")
    if not isinstance(document.get("id"), int) or isinstance(document.get("id"), bool):
        raise DocumentInvalid("documentsToSign[].id must be an integer")
    method = document_method(document, sign_method)
    meta = document.get("meta", [])
    if not isinstance(meta, list) or not all(
        isinstance(row, dict)
        and isinstance(row.get("name"), str)
        and isinstance(row.get("value"), str)
        for row in meta
    ):
        raise DocumentInvalid("meta must be an array of {name, value} strings")
    if method == "XML":
        if not isinstance(document.get("documentXml"), str):
            raise DocumentInvalid(f"document {document['id']}: documentXml missing")
        return
    data = _file(document).get("data")
    if not isinstance(data, str):
        raise DocumentInvalid(f"document {document['id']}: document.file.data missing")
    if method != "SIGN_BYTES_ARRAY":
        _b64decode(data, document["id"])


def sign_documents(
    payload: dict[str, Any],
    *,
    key: KeyStore,
    signing_time: datetime,
    tamper: Collection[Tamper] = (),
) -> dict[str, Any]:
    """The API 2 JSON with each document's data replaced by its signature."""
    signed = copy.deepcopy(payload)
    sign_method = str(signed["signMethod"])
    for document in signed["documentsToSign"]:
        method = document_method(document, sign_method)
        if Tamper.DOCUMENT_ID in tamper:
            document["id"] = document["id"] + 1000
        if Tamper.UNSIGNED in tamper:
            continue
        if method == "XML":
            document["documentXml"] = _sign_xml_document(
                document["documentXml"], key=key, tamper=tamper
            )
        else:
            file = _file(document)
            file["data"] = _sign_file_data(
                file["data"],
                method,
                document["id"],
                key=key,
                signing_time=signing_time,
                tamper=tamper,
            )
    return signed


def sign_eds_login(api2_url: str, *, key: KeyStore, time_stamp: str) -> str:
    """The XML the app signs in auth_type Eds before calling API 2 (NIT QR
    spec, API 1 auth_type): the API 2 URL and the current time."""
    login = etree.Element("login")
    etree.SubElement(login, "url").text = api2_url
    etree.SubElement(login, "timeStamp").text = time_stamp
    document = etree.tostring(login, xml_declaration=True, encoding="UTF-8")
    signed: bytes = sign_xml(document, key=key.private_key, certificate=key.certificate)
    return signed.decode("utf-8")


def _sign_xml_document(text: str, *, key: KeyStore, tamper: Collection[Tamper]) -> str:
    document = text.encode("utf-8")
    if Tamper.DOCUMENT in tamper:
        document = _changed_xml(document)
    signed: bytes = sign_xml(document, key=key.private_key, certificate=key.certificate)
    if Tamper.SIGNATURE in tamper:
        signed = _corrupted_xml_signature(signed)
    return signed.decode("utf-8")


def _sign_file_data(
    data: str,
    method: str,
    document_id: object,
    *,
    key: KeyStore,
    signing_time: datetime,
    tamper: Collection[Tamper],
) -> str:
    if method == "SIGN_BYTES_ARRAY":
        # Which bytes are signed is not stated by NIT; like NCANode's
        # emulation, the UTF-8 of the data string is signed, and the result
        # is a JSON string with the raw signature and the certificate.
        content = data.encode("utf-8")
        if Tamper.DOCUMENT in tamper:
            content += b" (changed)"
        _algorithm, signature = sign_bytes(key.private_key, content)
        if Tamper.SIGNATURE in tamper:
            signature = _flip_last_byte(signature)
        return json.dumps(
            {
                "signature": base64.b64encode(signature).decode("ascii"),
                "certificate": base64.b64encode(key.certificate.der).decode("ascii"),
            }
        )

    content = _b64decode(data, document_id)
    if Tamper.DOCUMENT in tamper:
        content += b" (changed)"
    der: bytes = sign_cms(
        content,
        key=key.private_key,
        certificate=key.certificate,
        signing_time=signing_time,
        attached=method == "CMS_WITH_DATA",
    )
    if Tamper.SIGNATURE in tamper:
        # With no unsigned attributes the SignerInfo's signature value is
        # the last field of the structure (RFC 5652 5.3).
        der = _flip_last_byte(der)
    return base64.b64encode(der).decode("ascii")


def _changed_xml(document: bytes) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentInvalid(f"documentXml is not XML: {exc}") from exc
    etree.SubElement(root, "changedByEmulator").text = "1"
    changed: bytes = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8"
    )
    return changed


def _corrupted_xml_signature(signed: bytes) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(signed, parser)
    value = root.find(f".//{{{XMLDSIG_NS}}}SignatureValue")
    if value is None or not value.text:
        raise DocumentInvalid("the signed XML has no SignatureValue to corrupt")
    raw = base64.b64decode("".join(value.text.split()))
    value.text = base64.b64encode(_flip_last_byte(raw)).decode("ascii")
    corrupted: bytes = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8"
    )
    return corrupted


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def _file(document: dict[str, Any]) -> dict[str, Any]:
    inner = document.get("document")
    file = inner.get("file") if isinstance(inner, dict) else None
    if not isinstance(file, dict):
        raise DocumentInvalid(f"document {document.get('id')}: document.file missing")
    return file


def _b64decode(data: str, document_id: object) -> bytes:
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DocumentInvalid(
            f"document {document_id}: document.file.data is not base64"
        ) from exc
