"""Enveloped XML-DSig (W3C xmldsig-core1) as NCALayer, Kalkan and the eGov
apps make it.

``verify_xml`` answers one question: which certificate signed which
document. It checks the structure and the cryptography only; the chain,
the time and revocation are the verifier's business. ``sign_xml`` makes the
same shape for the test PKI and the emulators, and ``canonicalize`` gives
the form in which the server compares what it issued with what came back.

Only one shape is accepted, the one a login produces (nca-pki.md 4):

- a UTF-8 document without DOCTYPE, entities, processing instructions or
  comments, within the size limit and the shape limits below;
- exactly one ``ds:Signature`` in the whole document, a child of the
  document element;
- one Reference with ``URI=""`` (the whole document) and the transforms
  enveloped-signature, optionally followed by C14N 1.0 or exclusive C14N;
- GOST R 34.10-2015 with the pkigovkz URIs, or RSA-SHA256;
- the signer certificate in ``KeyInfo/X509Data/X509Certificate``.

Against signature wrapping, every check works on the elements located
once, here: the Reference digest is computed over the very document the
located Signature was removed from, and the SignatureValue is checked over
the canonical form of the very SignedInfo whose Reference was read.

Error codes for the shapes refused:

- no Signature, a Signature that is not a child of the document element,
  more or fewer than one Reference, a malformed transform chain, more than
  one X509Certificate: ``InputMalformed``;
- a second Signature anywhere: ``SignersMultiple``;
- a Reference to anything but the whole document (``URI="#id"``, as in
  WS-Security): ``ContentMismatch``, because the signature does not cover
  the document the server compares;
- an unknown or refused algorithm (GOST 34.310-2004, XPath, XSLT, HMAC):
  ``AlgorithmUnsupported``;
- a DOCTYPE, a comment, a processing instruction, another encoding, or
  more elements, attributes or namespace declarations than the limits:
  ``InputMalformed``;
- no certificate: ``SignerCertificateMissing``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from kabinet.pki import oids
from kabinet.pki.asn1 import MAX_SIGNED_DOCUMENT_BYTES
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    ContentMismatch,
    InputMalformed,
    InputTooLarge,
    SignerCertificateMissing,
    SignersMultiple,
)
from kabinet.pki.signature import (
    PrivateKey,
    digest,
    digest_algorithm_for,
    verify_signature,
)
from kabinet.pki.signature import sign as sign_bytes

__all__ = ["XmlSignature", "canonicalize", "sign_xml", "verify_xml"]

logger = logging.getLogger(__name__)

# lxml ships no type information; its elements are handled as ``Any``.
_Element = Any

DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_WITH_COMMENTS = C14N + "#WithComments"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXCLUSIVE_C14N_WITH_COMMENTS = EXCLUSIVE_C14N + "WithComments"
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

_PKIGOVKZ = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"
GOST2015_512_SIGNATURE_URI = _PKIGOVKZ + "gostr34102015-gostr34112015-512"
GOST2015_512_DIGEST_URI = _PKIGOVKZ + "gostr34112015-512"
GOST2015_256_SIGNATURE_URI = _PKIGOVKZ + "gostr34102015-gostr34112015-256"
GOST2015_256_DIGEST_URI = _PKIGOVKZ + "gostr34112015-256"
GOST2004_SIGNATURE_URI = "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"
GOST2004_DIGEST_URI = "http://www.w3.org/2001/04/xmldsig-more#gost34311"
RSA_SHA256_URI = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"

# Limits on the shape of a document, checked after parsing and before any
# canonicalization (see _parse).
MAX_ELEMENTS = 10_000
MAX_ATTRIBUTES_PER_ELEMENT = 64
MAX_NAMESPACE_DECLARATIONS = 32

_DECLARED_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']"
)
_UTF8_BOM = b"\xef\xbb\xbf"
_ACCEPTED_ENCODINGS = (b"utf-8", b"utf8", b"us-ascii", b"ascii")

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>'

# Kalkan wraps base64 at 76 characters with CR LF; lxml writes the CR as
# "&#13;", exactly as Kalkan's output shows it.
_BASE64_LINE = 76
_BASE64_BREAK = "\r\n"


@dataclass(frozen=True)
class XmlSignature:
    """What a valid enveloped XML signature says.

    ``document`` is the signed document with its Signature removed, in
    C14N 1.0 without comments (what ``canonicalize`` returns for the
    document the server issued). ``signature_algorithm`` is the
    SignatureMethod URI.
    """

    document: bytes
    signer: Certificate
    signature_algorithm: str


@dataclass(frozen=True)
class _SignatureMethod:
    """A SignatureMethod URI with the one DigestMethod that goes with it."""

    uri: str
    signature_oid: str
    digest_uri: str
    digest_oid: str


_SIGNATURE_METHODS = {
    method.uri: method
    for method in (
        _SignatureMethod(
            GOST2015_512_SIGNATURE_URI,
            oids.GOST2015_512_SIGNATURE,
            GOST2015_512_DIGEST_URI,
            oids.STREEBOG_512,
        ),
        _SignatureMethod(
            GOST2015_256_SIGNATURE_URI,
            oids.GOST2015_256_SIGNATURE,
            GOST2015_256_DIGEST_URI,
            oids.STREEBOG_256,
        ),
        _SignatureMethod(RSA_SHA256_URI, oids.SHA256_WITH_RSA, SHA256_URI, oids.SHA256),
    )
}
_METHOD_BY_DIGEST_OID = {m.digest_oid: m for m in _SIGNATURE_METHODS.values()}


@dataclass(frozen=True)
class _Canonicalization:
    """A C14N 1.0 or exclusive C14N 1.0 method with its prefix list."""

    exclusive: bool
    inclusive_prefixes: tuple[str, ...] = ()


_C14N_METHODS = {
    C14N: _Canonicalization(exclusive=False),
    C14N_WITH_COMMENTS: _Canonicalization(exclusive=False),
    EXCLUSIVE_C14N: _Canonicalization(exclusive=True),
    EXCLUSIVE_C14N_WITH_COMMENTS: _Canonicalization(exclusive=True),
}
_INCLUSIVE_C14N = _Canonicalization(exclusive=False)


@dataclass(frozen=True)
class _SignedInfo:
    """The SignedInfo element and what it says, read once."""

    element: _Element
    canonicalization: _Canonicalization
    method: _SignatureMethod
    reference_canonicalization: _Canonicalization
    digest_value: bytes


def verify_xml(data: bytes) -> XmlSignature:
    """Verify an enveloped XML signature over the whole document.

    Returns:
        The canonical document without its Signature, and the signer.

    Raises:
        InputTooLarge: ``data`` exceeds ``MAX_SIGNED_DOCUMENT_BYTES``.
        InputMalformed: not well-formed, a DOCTYPE, a processing instruction
            or comment, or a Signature of another shape.
        SignersMultiple: more than one Signature element.
        ContentMismatch: the Reference does not cover the whole document, or
            its digest does not match the document.
        AlgorithmUnsupported: an algorithm outside the supported set.
        SignerCertificateMissing: no X509Certificate in KeyInfo.
        SignatureInvalid: the SignatureValue does not verify.
    """
    root = _parse(data)

    signature = _the_one_signature(root)

    signed_info = _read_signed_info(signature)
    logger.debug("xml signature method %s", signed_info.method.uri)

    # The signer's consent covers the whole document only when the signature
    # sits inside it; a deeper one is a wrapping shape no NCA client makes.
    if signature.getparent() is not root:
        raise InputMalformed(
            "ds:Signature must be a child of the document element (enveloped)"
        )

    certificate = _signer_certificate(signature)
    logger.debug("xml signer certificate: serial %s", certificate.serial_hex)
    signature_value = _signature_value(signature)

    # Canonicalised in place, before the Signature leaves the tree: inclusive
    # C14N of a subset renders the namespaces in scope (C14N 1.0 2.4).
    canonical_signed_info = _canonical_element(
        signed_info.element, signed_info.canonicalization
    )

    _remove_signature(signature)
    document = _canonical_document(root, _INCLUSIVE_C14N)
    reference_input = (
        document
        if signed_info.reference_canonicalization == _INCLUSIVE_C14N
        else _canonical_document(root, signed_info.reference_canonicalization)
    )
    reference_digest = digest(signed_info.method.digest_oid, reference_input)
    if not hmac.compare_digest(reference_digest, signed_info.digest_value):
        raise ContentMismatch(
            "Reference DigestValue does not match the document (xmldsig-core1 3.2.1)"
        )
    logger.debug("xml reference digest matches the document")

    verify_signature(
        public_key=certificate.public_key,
        signature_algorithm=signed_info.method.signature_oid,
        message=canonical_signed_info,
        signature=signature_value,
        digest_algorithm=signed_info.method.digest_oid,
    )
    logger.debug("xml signature verified for serial %s", certificate.serial_hex)

    return XmlSignature(
        document=document,
        signer=certificate,
        signature_algorithm=signed_info.method.uri,
    )


def canonicalize(document: bytes) -> bytes:
    """The C14N 1.0 form (without comments) that ``verify_xml`` returns, for
    a document as the server issued it.

    The XML declaration (with or without ``standalone="no"``) is not part of
    the canonical form, so the issued and the signed document compare equal.

    Raises:
        InputTooLarge, InputMalformed: as for ``verify_xml``.
    """
    return _canonical_document(_parse(document), _INCLUSIVE_C14N)


def sign_xml(document: bytes, *, key: PrivateKey, certificate: Certificate) -> bytes:
    """Sign ``document`` the way Kalkan does.

    An enveloped ``ds:Signature`` is appended as the last child of the
    document element: inclusive C14N for SignedInfo, one Reference
    ``URI=""`` with the enveloped-signature and C14N-with-comments
    transforms, the KZ GOST or RSA-SHA256 URIs, base64 wrapped as Kalkan
    wraps it, and the signer certificate in KeyInfo.

    Returns:
        The signed document, opening with the
        ``<?xml version="1.0" encoding="UTF-8" standalone="no"?>``
        declaration.
    """
    root = _parse(document)
    method = _METHOD_BY_DIGEST_OID.get(digest_algorithm_for(key))
    if method is None:
        raise AlgorithmUnsupported("no XML signature method for this key")

    digest_value = digest(method.digest_oid, _canonical_document(root, _INCLUSIVE_C14N))

    signature = _child(root, "Signature", text="\n", nsmap={"ds": DSIG_NAMESPACE})
    signature.tail = None
    signed_info = _child(signature, "SignedInfo", text="\n")
    _child(signed_info, "CanonicalizationMethod", Algorithm=C14N)
    _child(signed_info, "SignatureMethod", Algorithm=method.uri)
    reference = _child(signed_info, "Reference", text="\n", URI="")
    transforms = _child(reference, "Transforms", text="\n")
    _child(transforms, "Transform", Algorithm=ENVELOPED_SIGNATURE)
    _child(transforms, "Transform", Algorithm=C14N_WITH_COMMENTS)
    _child(reference, "DigestMethod", Algorithm=method.digest_uri)
    _child(reference, "DigestValue", text=_wrapped_base64(digest_value))
    signature_value = _child(signature, "SignatureValue")
    key_info = _child(signature, "KeyInfo", text="\n")
    x509_data = _child(key_info, "X509Data", text="\n")
    _child(x509_data, "X509Certificate", text=_block_base64(certificate.der))
    _refuse_inherited_xml_attributes(signed_info)

    signature_algorithm, value = sign_bytes(
        key, _canonical_element(signed_info, _INCLUSIVE_C14N)
    )
    if signature_algorithm != method.signature_oid:
        raise AlgorithmUnsupported(
            f"key signs with {signature_algorithm}, expected {method.signature_oid}"
        )
    signature_value.text = _block_base64(value)

    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return XML_DECLARATION + body


def _parse(data: bytes) -> _Element:
    """Parse a document with everything that reaches outside it turned off,
    and refuse what would make its canonical form depend on more than its
    elements, attributes and text."""
    if len(data) > MAX_SIGNED_DOCUMENT_BYTES:
        raise InputTooLarge(
            f"XML document of {len(data)} bytes exceeds the limit of "
            f"{MAX_SIGNED_DOCUMENT_BYTES}"
        )
    # Checked on the bytes as well as after parsing, so that libxml2 never
    # reads a DTD at all. The byte check is sound only for an
    # ASCII-compatible encoding; Kalkan and the server both write UTF-8.
    if b"\x00" in data or not data.removeprefix(_UTF8_BOM).lstrip().startswith(b"<"):
        raise InputMalformed("only UTF-8 XML is accepted")
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower() not in _ACCEPTED_ENCODINGS:
        raise InputMalformed(
            f"XML encoding {declared.group(1).decode('ascii')} is refused; "
            "only UTF-8 is accepted"
        )
    if b"<!DOCTYPE" in data:
        raise InputMalformed("XML with a DOCTYPE is refused")
    # collect_ids=False must not be set here: lxml then loads external DTDs.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputMalformed(f"XML is not well-formed: {exc}") from exc
    if root is None:
        raise InputMalformed("XML document is empty")

    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InputMalformed("XML with a DOCTYPE is refused")

    # URI="" drops comments from the signed node-set (xmldsig-core1 4.4.3.3)
    # while Kalkan names a WithComments transform; refusing comments keeps
    # the two readings identical. Processing instructions and entity
    # references have no place in a login document.
    outside = [*root.itersiblings(preceding=True), *root.itersiblings()]
    inside = root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity)
    for node in (*outside, *inside):
        raise InputMalformed(f"XML with {_node_kind(node)} is refused")

    # libxml2's C14N sorts attributes and namespace declarations in time
    # quadratic in their number per element, and revisits every namespace in
    # scope at every element: a 1 MiB document with 50,000 attributes on one
    # element, or 64 namespaces over 250,000 elements, takes seconds. A login
    # document has a few of each.
    elements = 0
    declarations = 0
    for event, element in etree.iterwalk(root, events=("start", "start-ns")):
        if event == "start-ns":
            declarations += 1
            continue
        elements += 1
        if len(element.attrib) > MAX_ATTRIBUTES_PER_ELEMENT:
            raise InputMalformed(
                f"an XML element has {len(element.attrib)} attributes; at most "
                f"{MAX_ATTRIBUTES_PER_ELEMENT} are accepted"
            )
    if elements > MAX_ELEMENTS:
        raise InputMalformed(
            f"XML document has {elements} elements; at most {MAX_ELEMENTS} are accepted"
        )
    if declarations > MAX_NAMESPACE_DECLARATIONS:
        raise InputMalformed(
            f"XML document declares {declarations} namespaces; at most "
            f"{MAX_NAMESPACE_DECLARATIONS} are accepted"
        )
    return root


def _node_kind(node: _Element) -> str:
    if node.tag is etree.Comment:
        return "a comment"
    if node.tag is etree.ProcessingInstruction:
        return "a processing instruction"
    return "an entity reference"


def _the_one_signature(root: _Element) -> _Element:
    """The only ds:Signature element anywhere in the document."""
    signatures = list(root.iter(f"{{{DSIG_NAMESPACE}}}Signature"))
    if not signatures:
        raise InputMalformed("XML document has no ds:Signature")
    if len(signatures) > 1:
        raise SignersMultiple(
            f"XML document has {len(signatures)} ds:Signature elements; exactly "
            "one is accepted"
        )
    return signatures[0]


def _read_signed_info(signature: _Element) -> _SignedInfo:
    """Read SignedInfo: canonicalization, signature method and the one
    whole-document Reference (xmldsig-core1 4.4)."""
    children = _elements(signature)
    names = [_local_name(child) for child in children]
    if names[:2] != ["SignedInfo", "SignatureValue"] or names[2:] not in (
        [],
        ["KeyInfo"],
    ):
        raise InputMalformed(
            "ds:Signature must hold SignedInfo, SignatureValue and KeyInfo, "
            f"found {names}"
        )
    signed_info = children[0]

    parts = _elements(signed_info)
    part_names = [_local_name(part) for part in parts]
    if part_names[:2] != ["CanonicalizationMethod", "SignatureMethod"] or any(
        name != "Reference" for name in part_names[2:]
    ):
        raise InputMalformed(
            "ds:SignedInfo must hold CanonicalizationMethod, SignatureMethod and "
            f"Reference, found {part_names}"
        )
    if len(part_names) != 3:
        raise InputMalformed(
            f"ds:SignedInfo has {len(part_names) - 2} References; exactly one is "
            "accepted"
        )
    c14n_element, method_element, reference = parts

    canonicalization = _read_canonicalization(c14n_element)
    if not canonicalization.exclusive:
        _refuse_inherited_xml_attributes(signed_info)

    method_uri = _algorithm(method_element)
    if method_uri in (GOST2004_SIGNATURE_URI,):
        raise AlgorithmUnsupported(
            "GOST 34.310-2004 signatures are not accepted: their CAs expired "
            "in June 2025"
        )
    method = _SIGNATURE_METHODS.get(method_uri)
    if method is None:
        raise AlgorithmUnsupported(f"signature method {method_uri} is not supported")
    if _elements(method_element):
        raise InputMalformed("ds:SignatureMethod must have no parameters")

    uri = reference.get("URI")
    if uri != "":
        raise ContentMismatch(
            f'Reference URI is {uri!r}; only URI="" (the whole document) is '
            "accepted (xmldsig-core1 4.4.3.3)"
        )
    reference_parts = _elements(reference)
    reference_names = [_local_name(part) for part in reference_parts]
    if reference_names != ["Transforms", "DigestMethod", "DigestValue"]:
        raise InputMalformed(
            "ds:Reference must hold Transforms, DigestMethod and DigestValue, "
            f"found {reference_names}"
        )
    transforms, digest_method, digest_value = reference_parts

    reference_canonicalization = _read_transforms(transforms)

    digest_uri = _algorithm(digest_method)
    if digest_uri != method.digest_uri:
        raise AlgorithmUnsupported(
            f"digest method {digest_uri} does not go with signature method "
            f"{method.uri} (expected {method.digest_uri})"
        )
    if _elements(digest_method):
        raise InputMalformed("ds:DigestMethod must have no parameters")

    return _SignedInfo(
        element=signed_info,
        canonicalization=canonicalization,
        method=method,
        reference_canonicalization=reference_canonicalization,
        digest_value=_base64_value(digest_value, "DigestValue"),
    )


def _read_canonicalization(element: _Element) -> _Canonicalization:
    """CanonicalizationMethod of SignedInfo, or a C14N Transform."""
    uri = _algorithm(element)
    method = _C14N_METHODS.get(uri)
    if method is None:
        raise AlgorithmUnsupported(f"canonicalization {uri} is not supported")
    parameters = _elements(element)
    if not parameters:
        return method
    inclusive = f"{{{EXCLUSIVE_C14N}}}InclusiveNamespaces"
    if not method.exclusive or len(parameters) != 1 or parameters[0].tag != inclusive:
        raise InputMalformed(f"unexpected parameters for canonicalization {uri}")
    prefixes = tuple((parameters[0].get("PrefixList") or "").split())
    # lxml does not render the default namespace for "#default" (exc-c14n
    # 3): refusing it is better than computing a digest nobody else would.
    if "#default" in prefixes:
        raise AlgorithmUnsupported(
            'InclusiveNamespaces PrefixList "#default" is not supported'
        )
    return _Canonicalization(exclusive=True, inclusive_prefixes=prefixes)


def _read_transforms(transforms: _Element) -> _Canonicalization:
    """Enveloped-signature first, then at most one canonicalization
    (nca-pki.md 4); the default canonicalization is C14N 1.0 (xmldsig-core1
    4.4.3.2)."""
    steps = _elements(transforms)
    if any(_local_name(step) != "Transform" for step in steps):
        raise InputMalformed("ds:Transforms may hold only ds:Transform elements")
    uris = [_algorithm(step) for step in steps]
    for uri in uris:
        if uri != ENVELOPED_SIGNATURE and uri not in _C14N_METHODS:
            raise AlgorithmUnsupported(f"transform {uri} is not supported")
    if not uris or uris[0] != ENVELOPED_SIGNATURE or len(uris) > 2:
        raise InputMalformed(
            "transforms must be enveloped-signature, optionally followed by one "
            f"canonicalization; found {uris}"
        )
    if _elements(steps[0]):
        raise InputMalformed("enveloped-signature transform must have no parameters")
    if len(steps) == 1:
        return _INCLUSIVE_C14N
    if uris[1] == ENVELOPED_SIGNATURE:
        raise InputMalformed("enveloped-signature transform given twice")
    return _read_canonicalization(steps[1])


def _signer_certificate(signature: _Element) -> Certificate:
    """The one KeyInfo/X509Data/X509Certificate."""
    key_infos = [c for c in _elements(signature) if _local_name(c) == "KeyInfo"]
    found = [
        certificate
        for key_info in key_infos
        for x509_data in _elements(key_info)
        if _is_dsig(x509_data, "X509Data")
        for certificate in _elements(x509_data)
        if _is_dsig(certificate, "X509Certificate")
    ]
    if not found:
        raise SignerCertificateMissing(
            "no KeyInfo/X509Data/X509Certificate in the signature"
        )
    if len(found) > 1:
        raise InputMalformed(
            f"{len(found)} X509Certificate elements in KeyInfo; exactly one, the "
            "signer's, is accepted"
        )
    return Certificate.load(_base64_value(found[0], "X509Certificate"))


def _signature_value(signature: _Element) -> bytes:
    """The decoded SignatureValue of the located Signature."""
    return _base64_value(_elements(signature)[1], "SignatureValue")


def _remove_signature(signature: _Element) -> None:
    """The enveloped-signature transform (xmldsig-core1 6.6.4): remove the
    Signature element and its descendants, keeping the text that follows
    it (lxml stores that text on the element itself)."""
    parent = signature.getparent()
    tail = signature.tail
    if tail:
        previous = signature.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(signature)


def _canonical_document(root: _Element, method: _Canonicalization) -> bytes:
    """C14N of the whole document, without comments."""
    return _c14n(root.getroottree(), method)


def _canonical_element(element: _Element, method: _Canonicalization) -> bytes:
    """C14N of one element's subtree, in the context of its document."""
    return _c14n(element, method)


def _c14n(node: _Element, method: _Canonicalization) -> bytes:
    try:
        output: bytes = etree.tostring(
            node,
            method="c14n",
            exclusive=method.exclusive,
            with_comments=False,
            inclusive_ns_prefixes=list(method.inclusive_prefixes) or None,
        )
    except etree.C14NError as exc:
        # C14N 1.0 refuses a relative namespace URI (xmlns:x="relative"),
        # which well-formed XML allows; no canonical form, no signature.
        raise InputMalformed(f"XML has no canonical form: {exc}") from None
    return output


def _refuse_inherited_xml_attributes(element: _Element) -> None:
    """Inclusive C14N of a subset copies xml:* attributes of ancestors onto
    its apex (C14N 1.0 2.4); lxml does not, so such documents are refused
    rather than verified against a different form."""
    for ancestor in element.iterancestors():
        for name in ancestor.attrib:
            if name.startswith(f"{{{XML_NAMESPACE}}}"):
                raise InputMalformed(
                    "xml:* attributes on the ancestors of SignedInfo are not supported"
                )


def _elements(parent: _Element) -> list[_Element]:
    """The element children of a signature element, which holds no text of
    its own besides whitespace."""
    if parent.text and parent.text.strip():
        raise InputMalformed(f"unexpected text in ds:{_local_name(parent)}")
    children = list(parent)
    for child in children:
        if child.tail and child.tail.strip():
            raise InputMalformed(f"unexpected text after ds:{_local_name(child)}")
    return children


def _local_name(element: _Element) -> str:
    """The local name of a ds: element; anything else gets a name that no
    check accepts."""
    tag: str = element.tag
    prefix = f"{{{DSIG_NAMESPACE}}}"
    return tag[len(prefix) :] if tag.startswith(prefix) else f"foreign {tag}"


def _is_dsig(element: _Element, name: str) -> bool:
    return bool(element.tag == f"{{{DSIG_NAMESPACE}}}{name}")


def _algorithm(element: _Element) -> str:
    uri = element.get("Algorithm")
    if not uri:
        raise InputMalformed(f"ds:{_local_name(element)} has no Algorithm")
    return str(uri)


def _base64_value(element: _Element, name: str) -> bytes:
    """Base64 text with the line breaks (``&#13;`` included) Kalkan puts in."""
    if len(element):
        raise InputMalformed(f"ds:{name} must hold only base64 text")
    text = "".join((element.text or "").split())
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputMalformed(f"ds:{name} is not base64: {exc}") from exc
    if not value:
        raise InputMalformed(f"ds:{name} is empty")
    return value


def _wrapped_base64(value: bytes) -> str:
    """Base64 broken into Kalkan's 76-character lines."""
    encoded = base64.b64encode(value).decode("ascii")
    lines = [
        encoded[i : i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE)
    ]
    return _BASE64_BREAK.join(lines)


def _block_base64(value: bytes) -> str:
    """Base64 on lines of its own, as Kalkan writes SignatureValue and
    X509Certificate."""
    return "\n" + _wrapped_base64(value) + "\n"


def _child(
    parent: _Element,
    name: str,
    *,
    text: str | None = None,
    nsmap: dict[str, str] | None = None,
    **attributes: str,
) -> _Element:
    """Append a ds: element laid out one per line, as Kalkan does."""
    element = etree.SubElement(
        parent, f"{{{DSIG_NAMESPACE}}}{name}", attrib=attributes, nsmap=nsmap
    )
    element.text = text
    element.tail = "\n"
    return element
