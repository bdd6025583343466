"""XML-DSig: real NCA documents, our own, wrapping attacks and every refusal
by code."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from lxml import etree

from kabinet.devtools.testpki import TestPki
from kabinet.pki.asn1 import MAX_SIGNED_DOCUMENT_BYTES
from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import (
    AlgorithmUnsupported,
    ContentMismatch,
    InputMalformed,
    InputTooLarge,
    PkiError,
    SignatureInvalid,
    SignerCertificateMissing,
    SignersMultiple,
)
from kabinet.pki.gost import GostPublicKey
from kabinet.pki.pkcs12 import KeyStore
from kabinet.pki.signature import digest, digest_algorithm_for, sign
from kabinet.pki.xmldsig import (
    C14N,
    C14N_WITH_COMMENTS,
    ENVELOPED_SIGNATURE,
    EXCLUSIVE_C14N,
    GOST2004_SIGNATURE_URI,
    GOST2015_256_SIGNATURE_URI,
    GOST2015_512_DIGEST_URI,
    GOST2015_512_SIGNATURE_URI,
    MAX_ATTRIBUTES_PER_ELEMENT,
    MAX_ELEMENTS,
    MAX_NAMESPACE_DECLARATIONS,
    RSA_SHA256_URI,
    SHA256_URI,
    XmlSignature,
    canonicalize,
    sign_xml,
    verify_xml,
)
from tests.vectors import entry, read

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS}

KALKAN_GOST = "signed/kalkan_xml_gost512_legal_ceo_2025-02.xml"
NCANODE_ONE_SIGNER = "signed/ncanode_xml_one_signer.xml"
NCANODE_DOCS_2018 = "signed/ncanode_docs_xml_rsa_2018.xml"
NCANODE_TWO_SIGNERS = "signed/ncanode_xml_two_signers.xml"
NCANODE_WSSE = "signed/ncanode_soap_wsse_signed.xml"

ISSUED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<login><nonce>c2VjcmV0LW5vbmNl</nonce>"
    b"<timeTicket>2026-03-01T09:30:15Z</timeTicket>"
    b"<service>kabinet.example.kz</service></login>"
)


def _raises(error: type[PkiError], call: Any, *args: Any) -> PkiError:
    with pytest.raises(error) as caught:
        call(*args)
    assert type(caught.value) is error
    assert caught.value.code == error.code
    return caught.value


def _edit(xml: bytes, change: Callable[[Any], None]) -> bytes:
    """Parse, change the tree in place, serialise again."""
    root = etree.fromstring(xml)
    change(root)
    out: bytes = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8"
    )
    return out


def _find(root: Any, path: str) -> Any:
    found = root.find(path, NS)
    assert found is not None, path
    return found


# --- real NCA documents --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "document"),
    [
        (KALKAN_GOST, b"<test><message>QCxn00hfuH9zCv58</message></test>"),
        (NCANODE_ONE_SIGNER, b"<a><b>test</b></a>"),
        (NCANODE_DOCS_2018, b"<root><name>NCANode</name></root>"),
    ],
)
def test_real_nca_xml_verifies(path: str, document: bytes) -> None:
    facts = entry(path)["signatures"][0]

    result = verify_xml(read(path))

    assert isinstance(result, XmlSignature)
    assert result.document == document
    assert result.signer.serial == int(facts["serial_hex"], 16)
    assert result.signature_algorithm == facts["signature_method"]


def test_issued_document_compares_equal_to_the_signed_one() -> None:
    issued = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b"<test><message>QCxn00hfuH9zCv58</message></test>"
    )

    assert canonicalize(issued) == verify_xml(read(KALKAN_GOST)).document


def test_two_real_signatures_are_refused() -> None:
    _raises(SignersMultiple, verify_xml, read(NCANODE_TWO_SIGNERS))


def test_ws_security_reference_to_the_body_is_refused() -> None:
    # The WS-Security signature covers the SOAP Body by Id, not the document.
    error = _raises(ContentMismatch, verify_xml, read(NCANODE_WSSE))
    assert "#id-0ace83d4" in error.message


# --- tampering with real documents ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (NCANODE_ONE_SIGNER, b"<b>test</b>", b"<b>tesT</b>"),
        (KALKAN_GOST, b"QCxn00hfuH9zCv58", b"QCxn00hfuH9zCv59"),
        (NCANODE_ONE_SIGNER, b"<a><b>", b'<a x="1"><b>'),
    ],
)
def test_changed_content_is_a_content_mismatch(
    path: str, old: bytes, new: bytes
) -> None:
    xml = read(path)
    assert xml.count(old) == 1

    _raises(ContentMismatch, verify_xml, xml.replace(old, new))


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (NCANODE_ONE_SIGNER, b"aAeSW+p2", b"aAeSW+p3"),
        (KALKAN_GOST, b"/FAR50IPi3", b"/FAR50IPi4"),
    ],
)
def test_changed_signature_value_is_rejected(path: str, old: bytes, new: bytes) -> None:
    xml = read(path)
    assert xml.count(old) == 1

    _raises(SignatureInvalid, verify_xml, xml.replace(old, new))


def test_changed_digest_value_is_a_content_mismatch() -> None:
    xml = read(NCANODE_ONE_SIGNER)

    tampered = xml.replace(b"9KpJreFMA6K98", b"9KpJreFMA6K99")

    _raises(ContentMismatch, verify_xml, tampered)


def _certificate_with(xml: bytes, change: Callable[[bytes], bytes]) -> bytes:
    def swap(root: Any) -> None:
        element = _find(root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
        der = base64.b64decode("".join(element.text.split()))
        element.text = base64.b64encode(change(der)).decode()

    return _edit(xml, swap)


def _flip_at(der: bytes, needle: bytes, offset: int) -> bytes:
    at = der.index(needle) + offset
    return der[:at] + bytes([der[at] ^ 0x01]) + der[at + 1 :]


def test_changed_rsa_key_in_certificate_is_rejected() -> None:
    xml = read(NCANODE_ONE_SIGNER)
    certificate = verify_xml(xml).signer
    public_key = certificate.public_key
    assert isinstance(public_key, RSAPublicKey)
    modulus = public_key.public_numbers().n.to_bytes(256, "big")

    tampered = _certificate_with(xml, lambda der: _flip_at(der, modulus, 100))

    _raises(SignatureInvalid, verify_xml, tampered)


def test_changed_gost_key_in_certificate_is_malformed() -> None:
    # A changed coordinate leaves the curve: the key itself is refused.
    xml = read(KALKAN_GOST)
    public_key = verify_xml(xml).signer.public_key
    assert isinstance(public_key, GostPublicKey)
    point = public_key.to_kz_bytes()

    tampered = _certificate_with(xml, lambda der: _flip_at(der, point, 7))

    _raises(InputMalformed, verify_xml, tampered)


def test_certificate_of_another_signer_is_rejected() -> None:
    other = Certificate.load(read("certs/test/ncanode_individual_sign_2004_rsa.pem"))

    tampered = _certificate_with(read(NCANODE_ONE_SIGNER), lambda _: other.der)

    _raises(SignatureInvalid, verify_xml, tampered)


# --- signature wrapping ----------------------------------------------------------


def test_second_signature_in_a_wrapper_is_refused() -> None:
    def wrap_copy(root: Any) -> None:
        wrapper = etree.SubElement(root, "wrapper")
        wrapper.append(etree.fromstring(etree.tostring(_find(root, "ds:Signature"))))

    _raises(SignersMultiple, verify_xml, _edit(read(NCANODE_ONE_SIGNER), wrap_copy))


def test_signed_element_moved_into_a_wrapper_is_a_content_mismatch() -> None:
    def move(root: Any) -> None:
        original = _find(root, "b")
        wrapper = etree.Element("wrapper")
        root.insert(1, wrapper)
        wrapper.append(original)
        evil = etree.Element("b")
        evil.text = "evil"
        root.insert(0, evil)

    _raises(ContentMismatch, verify_xml, _edit(read(NCANODE_ONE_SIGNER), move))


def test_reference_to_an_id_inside_a_wrapper_is_refused() -> None:
    def point_at_wrapper(root: Any) -> None:
        wrapper = etree.SubElement(root, "wrapper")
        signed = etree.SubElement(wrapper, "b", Id="signed")
        signed.text = "test"
        _find(root, "b").text = "evil"
        _find(root, "ds:Signature/ds:SignedInfo/ds:Reference").set("URI", "#signed")

    error = _raises(
        ContentMismatch, verify_xml, _edit(read(NCANODE_ONE_SIGNER), point_at_wrapper)
    )
    assert "#signed" in error.message


def test_signed_document_wrapped_in_a_new_root_is_refused() -> None:
    xml = read(NCANODE_ONE_SIGNER)
    body = xml[xml.index(b"<a>") :]

    error = _raises(InputMalformed, verify_xml, b"<evil>" + body + b"</evil>")
    assert "child of the document element" in error.message


def test_signature_nested_below_a_child_is_refused() -> None:
    def push_down(root: Any) -> None:
        _find(root, "b").append(_find(root, "ds:Signature"))

    error = _raises(
        InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), push_down)
    )
    assert "child of the document element" in error.message


def test_signature_as_document_element_is_refused() -> None:
    root = etree.fromstring(read(NCANODE_ONE_SIGNER))
    alone = etree.tostring(_find(root, "ds:Signature"))

    _raises(InputMalformed, verify_xml, alone)


def test_object_inside_signature_is_refused() -> None:
    def add_object(root: Any) -> None:
        etree.SubElement(_find(root, "ds:Signature"), f"{{{DS}}}Object").text = "x"

    _raises(InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), add_object))


# --- parser hardening ------------------------------------------------------------


def _one_signer_body() -> bytes:
    xml = read(NCANODE_ONE_SIGNER)
    return xml[xml.index(b"<a>") :]


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE a [<!ENTITY x "test">]>',
        b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd">',
        b'<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
        b"<!DOCTYPE a>",
    ],
)
def test_doctype_is_refused(prolog: bytes) -> None:
    error = _raises(InputMalformed, verify_xml, prolog + _one_signer_body())
    assert "DOCTYPE" in error.message


def test_external_dtd_on_disk_is_never_read(tmp_path: Any) -> None:
    # Reading this DTD would fail to parse; refusal by name shows it was not.
    dtd = tmp_path / "evil.dtd"
    dtd.write_bytes(b"<!ENTITY broken")
    prolog = f'<!DOCTYPE a SYSTEM "{dtd}">'.encode()

    error = _raises(InputMalformed, verify_xml, prolog + _one_signer_body())
    assert "DOCTYPE" in error.message


@pytest.mark.parametrize(
    "data",
    [
        '<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe9</a>',
        b'<?xml version="1.0" encoding="UTF-7"?><a/>',
        "<a/>".encode("cp500"),
    ],
)
def test_encoding_other_than_utf8_is_refused(data: bytes) -> None:
    error = _raises(InputMalformed, verify_xml, data)
    assert "UTF-8" in error.message


def test_utf8_with_byte_order_mark_is_read() -> None:
    xml = read(NCANODE_ONE_SIGNER)

    assert verify_xml(b"\xef\xbb\xbf" + xml).document == b"<a><b>test</b></a>"


def test_entity_reference_is_refused() -> None:
    body = _one_signer_body().replace(b"<b>test</b>", b"<b>&x;</b>")

    _raises(InputMalformed, verify_xml, b'<!DOCTYPE a [<!ENTITY x "test">]>' + body)


def test_processing_instruction_before_the_document_element_is_refused() -> None:
    data = b"<?xml-stylesheet href='x'?>" + _one_signer_body()

    error = _raises(InputMalformed, verify_xml, data)
    assert "processing instruction" in error.message


def test_comment_is_refused() -> None:
    data = _one_signer_body().replace(b"<b>test</b>", b"<b>test</b><!-- note -->")

    error = _raises(InputMalformed, verify_xml, data)
    assert "comment" in error.message


def test_processing_instruction_inside_the_document_is_refused() -> None:
    data = _one_signer_body().replace(b"<b>test</b>", b"<b>test<?pi x?></b>")

    error = _raises(InputMalformed, verify_xml, data)
    assert "processing instruction" in error.message


def test_oversized_document_is_refused_before_parsing() -> None:
    data = b"<a>" + b" " * MAX_SIGNED_DOCUMENT_BYTES + b"</a>"

    _raises(InputTooLarge, verify_xml, data)


@pytest.mark.parametrize("junk", [b"", b"not xml", b"<a><b></a>", b"\x00\x01"])
def test_junk_is_malformed(junk: bytes) -> None:
    _raises(InputMalformed, verify_xml, junk)


def test_element_with_too_many_attributes_is_refused() -> None:
    attributes = b" ".join(
        b'x%d="1"' % i for i in range(MAX_ATTRIBUTES_PER_ELEMENT + 1)
    )
    body = _one_signer_body().replace(b"<b>", b"<b " + attributes + b">")

    error = _raises(InputMalformed, verify_xml, body)
    assert "attributes" in error.message


def test_document_with_too_many_namespaces_is_refused() -> None:
    declarations = b" ".join(
        b'xmlns:p%d="urn:p%d"' % (i, i) for i in range(MAX_NAMESPACE_DECLARATIONS + 1)
    )
    body = _one_signer_body().replace(b"<b>", b"<b " + declarations + b">")

    error = _raises(InputMalformed, verify_xml, body)
    assert "namespaces" in error.message


def test_document_with_too_many_elements_is_refused() -> None:
    body = _one_signer_body().replace(b"<b>test</b>", b"<b/>" * MAX_ELEMENTS)

    error = _raises(InputMalformed, verify_xml, body)
    assert "elements" in error.message


def test_document_nested_too_deep_is_malformed() -> None:
    _raises(InputMalformed, canonicalize, b"<a>" * 300 + b"</a>" * 300)


def test_document_without_signature_is_malformed() -> None:
    error = _raises(InputMalformed, verify_xml, ISSUED)
    assert "no ds:Signature" in error.message


def test_canonicalize_refuses_a_doctype() -> None:
    _raises(InputMalformed, canonicalize, b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')


@pytest.mark.parametrize("namespace", ["relative", "hww.w3.org/2000/09/xmldsig#"])
def test_relative_namespace_uri_is_malformed(namespace: str) -> None:
    # C14N 1.0 cannot render a relative namespace URI; libxml2's own error
    # must not escape as something other than a PkiError.
    declaration = f' xmlns:x="{namespace}"'.encode()
    signed = read(KALKAN_GOST)
    root_start = signed.index(b"<", signed.index(b"?>"))
    root_name_end = signed.index(b">", root_start)
    tampered = signed[:root_name_end] + declaration + signed[root_name_end:]

    _raises(InputMalformed, verify_xml, tampered)
    _raises(InputMalformed, canonicalize, b"<a" + declaration + b"><b>1</b></a>")


# --- algorithms and structure ---------------------------------------------------


def _set_algorithm(path: str, uri: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        _find(root, path).set("Algorithm", uri)

    return change


SIGNATURE_METHOD = "ds:Signature/ds:SignedInfo/ds:SignatureMethod"
CANONICALIZATION = "ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod"
REFERENCE = "ds:Signature/ds:SignedInfo/ds:Reference"


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        (SIGNATURE_METHOD, GOST2004_SIGNATURE_URI),
        (SIGNATURE_METHOD, "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
        (SIGNATURE_METHOD, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        (CANONICALIZATION, "http://www.w3.org/2006/12/xml-c14n11"),
        (REFERENCE + "/ds:DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1"),
        (REFERENCE + "/ds:DigestMethod", GOST2015_512_DIGEST_URI),
        (
            REFERENCE + "/ds:Transforms/ds:Transform[2]",
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
        ),
        (
            REFERENCE + "/ds:Transforms/ds:Transform[2]",
            "http://www.w3.org/TR/1999/REC-xslt-19991116",
        ),
    ],
)
def test_unsupported_algorithm_is_refused(path: str, uri: str) -> None:
    xml = _edit(read(NCANODE_ONE_SIGNER), _set_algorithm(path, uri))

    _raises(AlgorithmUnsupported, verify_xml, xml)


def test_gost_signature_method_with_sha256_digest_is_refused() -> None:
    xml = _edit(
        read(KALKAN_GOST), _set_algorithm(REFERENCE + "/ds:DigestMethod", SHA256_URI)
    )

    _raises(AlgorithmUnsupported, verify_xml, xml)


def test_reference_without_enveloped_transform_is_malformed() -> None:
    def drop_enveloped(root: Any) -> None:
        transforms = _find(root, REFERENCE + "/ds:Transforms")
        transforms.remove(transforms[0])

    _raises(InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), drop_enveloped))


def test_reference_without_transforms_is_malformed() -> None:
    def drop_transforms(root: Any) -> None:
        reference = _find(root, REFERENCE)
        reference.remove(_find(reference, "ds:Transforms"))

    _raises(
        InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), drop_transforms)
    )


def test_enveloped_transform_twice_is_malformed() -> None:
    xml = _edit(
        read(NCANODE_ONE_SIGNER),
        _set_algorithm(
            REFERENCE + "/ds:Transforms/ds:Transform[2]", ENVELOPED_SIGNATURE
        ),
    )

    _raises(InputMalformed, verify_xml, xml)


def test_reference_without_uri_is_refused() -> None:
    def drop_uri(root: Any) -> None:
        del _find(root, REFERENCE).attrib["URI"]

    _raises(ContentMismatch, verify_xml, _edit(read(NCANODE_ONE_SIGNER), drop_uri))


def test_second_reference_is_malformed() -> None:
    def duplicate(root: Any) -> None:
        reference = _find(root, REFERENCE)
        reference.addnext(etree.fromstring(etree.tostring(reference)))

    error = _raises(
        InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), duplicate)
    )
    assert "2 References" in error.message


def test_missing_key_info_lacks_the_signer_certificate() -> None:
    def drop(root: Any) -> None:
        signature = _find(root, "ds:Signature")
        signature.remove(_find(signature, "ds:KeyInfo"))

    _raises(SignerCertificateMissing, verify_xml, _edit(read(NCANODE_ONE_SIGNER), drop))


def test_key_info_without_certificate_lacks_the_signer_certificate() -> None:
    def drop(root: Any) -> None:
        data = _find(root, "ds:Signature/ds:KeyInfo/ds:X509Data")
        data.remove(_find(data, "ds:X509Certificate"))
        etree.SubElement(data, f"{{{DS}}}X509SubjectName").text = "CN=x"

    _raises(SignerCertificateMissing, verify_xml, _edit(read(NCANODE_ONE_SIGNER), drop))


def test_two_certificates_in_key_info_are_malformed() -> None:
    def duplicate(root: Any) -> None:
        certificate = _find(
            root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
        )
        certificate.addnext(etree.fromstring(etree.tostring(certificate)))

    _raises(InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), duplicate))


def test_signature_value_that_is_not_base64_is_malformed() -> None:
    def spoil(root: Any) -> None:
        _find(root, "ds:Signature/ds:SignatureValue").text = "not*base64"

    _raises(InputMalformed, verify_xml, _edit(read(NCANODE_ONE_SIGNER), spoil))


# --- our own signatures -----------------------------------------------------------


@pytest.fixture(scope="module")
def gost(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("gost_individual")


@pytest.fixture(scope="module")
def rsa(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("rsa_legal_first_head")


@pytest.fixture(scope="module")
def gost256(test_pki: TestPki) -> KeyStore:
    return test_pki.key_store("gost256_individual")


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("gost", GOST2015_512_SIGNATURE_URI),
        ("gost256", GOST2015_256_SIGNATURE_URI),
        ("rsa", RSA_SHA256_URI),
    ],
)
def test_signed_xml_verifies_and_matches_the_issued_document(
    name: str, method: str, request: Any
) -> None:
    store: KeyStore = request.getfixturevalue(name)
    signed = sign_xml(ISSUED, key=store.private_key, certificate=store.certificate)

    result = verify_xml(signed)

    assert result == XmlSignature(
        document=canonicalize(ISSUED),
        signer=store.certificate,
        signature_algorithm=method,
    )
    assert canonicalize(ISSUED) == (
        b"<login><nonce>c2VjcmV0LW5vbmNl</nonce>"
        b"<timeTicket>2026-03-01T09:30:15Z</timeTicket>"
        b"<service>kabinet.example.kz</service></login>"
    )


def test_signed_xml_has_kalkan_shape(gost: KeyStore) -> None:
    signed = sign_xml(ISSUED, key=gost.private_key, certificate=gost.certificate)

    assert signed.startswith(
        b'<?xml version="1.0" encoding="UTF-8" standalone="no"?><login>'
    )
    assert signed.endswith(b"</ds:Signature></login>")
    assert b"&#13;\n" in signed
    root = etree.fromstring(signed)
    signature = root[-1]
    assert signature.tag == f"{{{DS}}}Signature"
    assert signature.prefix == "ds"
    assert _find(root, CANONICALIZATION).get("Algorithm") == C14N
    assert _find(root, SIGNATURE_METHOD).get("Algorithm") == GOST2015_512_SIGNATURE_URI
    assert _find(root, REFERENCE).get("URI") == ""
    assert [
        t.get("Algorithm") for t in root.iterfind(REFERENCE + "//ds:Transform", NS)
    ] == [
        ENVELOPED_SIGNATURE,
        C14N_WITH_COMMENTS,
    ]
    certificate = _find(root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    assert base64.b64decode("".join(certificate.text.split())) == gost.certificate.der
    lines = _find(root, "ds:Signature/ds:SignatureValue").text.split("\r\n")
    assert [len(line.strip()) for line in lines] == [76, 76, 20]


def test_signature_with_standalone_declaration_matches_plain_issued_document(
    rsa: KeyStore,
) -> None:
    issued = b"<login>\n  <nonce>abc</nonce>\n</login>\n"
    signed = sign_xml(issued, key=rsa.private_key, certificate=rsa.certificate)

    assert verify_xml(signed).document == canonicalize(issued)
    assert canonicalize(issued) == b"<login>\n  <nonce>abc</nonce>\n</login>"


def test_namespaced_document_round_trip(gost: KeyStore) -> None:
    issued = (
        b'<l:login xmlns:l="urn:kabinet:login" xmlns="urn:kabinet:default" '
        b'xmlns:unused="urn:unused" b="2" a="1"><nonce l:kind="x">abc</nonce>'
        b"</l:login>"
    )
    signed = sign_xml(issued, key=gost.private_key, certificate=gost.certificate)

    result = verify_xml(signed)

    assert result.document == canonicalize(issued)
    assert result.document.startswith(
        b'<l:login xmlns="urn:kabinet:default" xmlns:l="urn:kabinet:login" '
        b'xmlns:unused="urn:unused" a="1" b="2">'
    )


def test_signature_before_trailing_text_still_covers_it(rsa: KeyStore) -> None:
    signed = sign_xml(
        b"<a><b>x</b>tail</a>", key=rsa.private_key, certificate=rsa.certificate
    )

    def move_before_text(root: Any) -> None:
        signature = _find(root, "ds:Signature")
        b = _find(root, "b")
        b.tail = None
        signature.tail = "tail"
        b.addnext(signature)

    moved = _edit(signed, move_before_text)
    assert b"</b><ds:Signature" in moved

    assert verify_xml(moved).document == b"<a><b>x</b>tail</a>"


def test_signing_a_document_with_a_comment_is_refused(rsa: KeyStore) -> None:
    with pytest.raises(InputMalformed):
        sign_xml(b"<a><!-- c --></a>", key=rsa.private_key, certificate=rsa.certificate)


def test_xml_lang_on_the_document_element_is_refused(rsa: KeyStore) -> None:
    issued = b'<a xml:lang="kk"><b>x</b></a>'
    with pytest.raises(InputMalformed):
        sign_xml(issued, key=rsa.private_key, certificate=rsa.certificate)

    built = _build(rsa, issued)

    error = _raises(InputMalformed, verify_xml, built)
    assert "xml:" in error.message


# --- hand-built variants: each accepted option alone ------------------------------

EXC = EXCLUSIVE_C14N


def _build(
    store: KeyStore,
    document: bytes,
    *,
    canonicalization: str = C14N,
    prefix_list: str | None = None,
    transforms: tuple[str, ...] = (ENVELOPED_SIGNATURE, C14N_WITH_COMMENTS),
) -> bytes:
    """An enveloped signature made step by step, independently of sign_xml."""
    gost_key = digest_algorithm_for(store.private_key) != "2.16.840.1.101.3.4.2.1"
    method, digest_uri = (
        (GOST2015_512_SIGNATURE_URI, GOST2015_512_DIGEST_URI)
        if gost_key
        else (RSA_SHA256_URI, SHA256_URI)
    )
    root = etree.fromstring(document)
    exclusive_reference = transforms[-1].startswith(EXC)
    reference_input = etree.tostring(
        root.getroottree(),
        method="c14n",
        exclusive=exclusive_reference,
        with_comments=False,
    )

    def ds(parent: Any, name: str, **attrib: str) -> Any:
        return etree.SubElement(parent, f"{{{DS}}}{name}", attrib=attrib)

    signature = etree.SubElement(root, f"{{{DS}}}Signature", nsmap={"ds": DS})
    signed_info = ds(signature, "SignedInfo")
    c14n = ds(signed_info, "CanonicalizationMethod", Algorithm=canonicalization)
    if prefix_list is not None:
        etree.SubElement(
            c14n,
            f"{{{EXC}}}InclusiveNamespaces",
            PrefixList=prefix_list,
            nsmap={"ec": EXC},
        )
    ds(signed_info, "SignatureMethod", Algorithm=method)
    reference = ds(signed_info, "Reference", URI="")
    steps = ds(reference, "Transforms")
    for uri in transforms:
        ds(steps, "Transform", Algorithm=uri)
    ds(reference, "DigestMethod", Algorithm=digest_uri)
    algorithm = digest_algorithm_for(store.private_key)
    ds(reference, "DigestValue").text = base64.b64encode(
        digest(algorithm, reference_input)
    ).decode()
    signed_info_c14n = etree.tostring(
        signed_info,
        method="c14n",
        exclusive=canonicalization.startswith(EXC),
        with_comments=False,
        inclusive_ns_prefixes=prefix_list.split() if prefix_list else None,
    )
    value_element = ds(signature, "SignatureValue")
    value_element.text = base64.b64encode(sign(store.private_key, signed_info_c14n)[1])
    certificate = ds(ds(ds(signature, "KeyInfo"), "X509Data"), "X509Certificate")
    certificate.text = base64.b64encode(store.certificate.der).decode()
    out: bytes = etree.tostring(root)
    return out


NAMESPACED = (
    b'<l:login xmlns:l="urn:kabinet:login" xmlns:extra="urn:extra">'
    b"<l:nonce>abc</l:nonce></l:login>"
)


def test_builder_output_verifies(rsa: KeyStore) -> None:
    # The variants below differ from this one in a single option.
    assert verify_xml(_build(rsa, NAMESPACED)).document == canonicalize(NAMESPACED)


@pytest.mark.parametrize(
    "canonicalization",
    [C14N, C14N_WITH_COMMENTS, EXCLUSIVE_C14N, EXCLUSIVE_C14N + "WithComments"],
)
def test_signed_info_canonicalization_options_verify(
    canonicalization: str, gost: KeyStore
) -> None:
    built = _build(gost, NAMESPACED, canonicalization=canonicalization)

    assert verify_xml(built).document == canonicalize(NAMESPACED)


def test_exclusive_canonicalization_with_prefix_list_verifies(rsa: KeyStore) -> None:
    built = _build(rsa, NAMESPACED, canonicalization=EXC, prefix_list="extra l")

    assert verify_xml(built).signer == rsa.certificate


def test_exclusive_canonicalization_with_prefix_list_is_not_inclusive(
    rsa: KeyStore,
) -> None:
    # Signed with "extra" rendered; verifying as if the list were absent must
    # fail, which shows the list is honoured.
    built = _build(rsa, NAMESPACED, canonicalization=EXC, prefix_list="extra")

    def drop_list(root: Any) -> None:
        method = _find(root, CANONICALIZATION)
        method.remove(method[0])

    _raises(SignatureInvalid, verify_xml, _edit(built, drop_list))


def test_rsa_signature_method_with_gost_certificate_is_refused(
    rsa: KeyStore, gost: KeyStore
) -> None:
    # Signed with an RSA key, labelled RSA, but carrying a GOST certificate.
    mixed = KeyStore(
        private_key=rsa.private_key, certificate=gost.certificate, chain=()
    )

    _raises(AlgorithmUnsupported, verify_xml, _build(mixed, NAMESPACED))


def test_default_namespace_in_prefix_list_is_refused(rsa: KeyStore) -> None:
    built = _build(rsa, NAMESPACED, canonicalization=EXC, prefix_list="#default")

    _raises(AlgorithmUnsupported, verify_xml, built)


@pytest.mark.parametrize(
    "transforms",
    [
        (ENVELOPED_SIGNATURE,),
        (ENVELOPED_SIGNATURE, C14N),
        (ENVELOPED_SIGNATURE, EXCLUSIVE_C14N),
    ],
)
def test_reference_transform_options_verify(
    transforms: tuple[str, ...], rsa: KeyStore
) -> None:
    built = _build(rsa, NAMESPACED, transforms=transforms)

    assert verify_xml(built).document == canonicalize(NAMESPACED)


def test_canonicalization_before_enveloped_transform_is_malformed(
    rsa: KeyStore,
) -> None:
    built = _build(rsa, NAMESPACED, transforms=(C14N, ENVELOPED_SIGNATURE))

    _raises(InputMalformed, verify_xml, built)
