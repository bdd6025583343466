"""Our API 1 / API 2 answers against the protocol reference, field by field.

Everything compared against is read from ../shared/reference/egov-qr.md
(``KABINET_REFERENCE`` overrides the location): the JSON examples of
sections 2 and 3, the date pattern of the API 1 table, the status codes
and bodies named in section 4, and the QR and link forms of section 1. A
change of the reference shows up here, not in a constant copied into the
test.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.utils import translation
from lxml import etree

from kabinet.devtools.egov_app import Outcome, Tamper
from kabinet.login.qr.messages import message_for
from tests.login.qr.conftest import AppCalls, Phone, Visitor, signed_payload
from tests.web_conftest import Keys

REFERENCE = Path(
    os.environ.get(
        "KABINET_REFERENCE",
        Path(__file__).resolve().parents[4] / "shared" / "reference" / "egov-qr.md",
    )
)


@cache
def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def section(number: int) -> str:
    """The text of "## <number>. ..." up to the next section."""
    text = reference()
    start = re.search(rf"^## {number}\. .*$", text, re.M)
    assert start is not None, f"section {number} not found in {REFERENCE}"
    end = re.search(r"^## ", text[start.end() :], re.M)
    return text[start.end() : start.end() + end.start() if end else len(text)]


def json_examples(number: int) -> list[Any]:
    blocks = re.findall(r"```json\n(.*?)\n```", section(number), re.S)
    assert blocks, f"section {number} has no JSON example"
    return [json.loads(block) for block in blocks]


def shape(value: Any) -> Any:
    """Key names (with their case) and value types, recursively."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def java_date_pattern(pattern: str) -> re.Pattern[str]:
    """A regular expression for a SimpleDateFormat pattern such as
    ``yyyy-MM-dd'T'HH:mm:ss.SSSz`` (z: an ISO 8601 or RFC 822 offset)."""
    tokens = {
        "yyyy": r"\d{4}",
        "MM": r"\d{2}",
        "dd": r"\d{2}",
        "HH": r"\d{2}",
        "mm": r"\d{2}",
        "ss": r"\d{2}",
        "SSS": r"\d{3}",
        "z": r"(?:Z|[+-]\d{2}:?\d{2})",
    }
    parts = re.findall(r"yyyy|MM|dd|HH|mm|ss|SSS|z|'[^']*'|.", pattern)
    regex = ""
    for part in parts:
        if part in tokens:
            regex += tokens[part]
        elif part.startswith("'"):
            regex += re.escape(part.strip("'"))
        else:
            regex += re.escape(part)
    return re.compile(regex)


def reference_date_pattern() -> re.Pattern[str]:
    row = re.search(r"\| `expiry_date` \| string \|[^`]*`([^`]+)`", section(2))
    assert row is not None, "the API 1 table names no expiry_date pattern"
    return java_date_pattern(row.group(1))


def reference_status(phrase: str) -> int:
    match = re.search(re.escape(phrase) + r" HTTP \*\*(\d{3})\*\*", section(4))
    assert match is not None, f"section 4 does not say {phrase!r}"
    return int(match.group(1))


def localized(code: str, lang: str) -> str:
    with translation.override(lang):
        return message_for(code)


@pytest.fixture()
def code(visitor: Visitor) -> dict[str, Any]:
    return visitor.start("candidate")


@pytest.fixture()
def api1(code: dict[str, Any], app_calls: AppCalls) -> dict[str, Any]:
    response = app_calls.api1(code["qr"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    answer: dict[str, Any] = response.json()
    return answer


# ---------------------------------------------------------------------------
# Section 1: the QR text and the links


def test_qr_text_is_the_reference_prefix_and_the_api1_url(
    code: dict[str, Any], api1: dict[str, Any]
) -> None:
    form = re.search(r"QR text = `([^`]+)` \+ API №1 URL", section(1))
    assert form is not None
    prefix = form.group(1)

    assert code["qr"].startswith(prefix)
    api1_url = code["qr"][len(prefix) :]
    parts = urlsplit(api1_url)
    assert "mgovSign" in parts.path
    assert parts.query == "" and parts.fragment == ""
    id_segment = parts.path.split("/")[-2]
    assert id_segment == code["id"]
    assert len(id_segment) * 6 >= 256  # base64url: 6 bits per character
    # API 2 sits on the origin of the QR's URL.
    api2 = urlsplit(api1["document"]["uri"])
    assert (api2.scheme, api2.netloc) == (parts.scheme, parts.netloc)


def test_links_are_the_current_reference_forms(code: dict[str, Any]) -> None:
    row = re.search(r"^\| current \| `([^`]+)` \| `([^`]+)`", section(1), re.M)
    assert row is not None, "section 1 has no current link row"
    mobile, business = row.group(1), row.group(2)
    api1_url = code["qr"].removeprefix("mobileSign:")

    assert code["links"] == {
        "egov_mobile": mobile.replace("{API1}", quote(api1_url, safe="")),
        "egov_business": business.replace("{API1}", quote(api1_url, safe="")),
    }


# ---------------------------------------------------------------------------
# Section 2: API 1


def test_api1_has_the_reference_fields_with_their_case_and_types(
    api1: dict[str, Any],
) -> None:
    (example,) = json_examples(2)

    assert shape(api1) == shape(example)


def test_api1_fixed_values_are_the_reference_ones(api1: dict[str, Any]) -> None:
    (example,) = json_examples(2)

    assert api1["document"]["auth_type"] == example["document"]["auth_type"]
    assert api1["document"]["auth_token"]
    assert re.fullmatch(r"\d{12}", api1["organisation"]["bin"])
    assert re.fullmatch(r"\d{12}", example["organisation"]["bin"])


def test_expiry_date_has_the_reference_date_format(
    code: dict[str, Any], api1: dict[str, Any]
) -> None:
    pattern = reference_date_pattern()
    (example,) = json_examples(2)
    assert pattern.fullmatch(example["expiry_date"])

    assert pattern.fullmatch(api1["expiry_date"])
    expiry = datetime.fromisoformat(api1["expiry_date"])
    assert expiry.utcoffset() is not None
    assert expiry == datetime.fromisoformat(code["expires_at"].replace("Z", "+00:00"))


# ---------------------------------------------------------------------------
# Section 3: API 2 GET


def test_api2_has_the_reference_fields_with_their_case_and_types(
    api1: dict[str, Any], app_calls: AppCalls
) -> None:
    (example,) = json_examples(3)
    document = api1["document"]

    response = app_calls.api2(document["uri"], token=document["auth_token"])

    assert response.status_code == 200
    answer = response.json()
    assert shape(answer) == shape(example)
    assert answer["signMethod"] == example["signMethod"]
    assert answer["version"] == example["version"]
    assert [d["id"] for d in answer["documentsToSign"]] == [
        d["id"] for d in example["documentsToSign"]
    ]


def test_api2_document_is_a_login_xml_like_the_reference(
    api1: dict[str, Any], app_calls: AppCalls
) -> None:
    (example,) = json_examples(3)
    expected_xml = example["documentsToSign"][0]["documentXml"]
    declaration = expected_xml[: expected_xml.index("?>") + 2]
    document = api1["document"]

    answer = app_calls.api2(document["uri"], token=document["auth_token"]).json()

    xml = answer["documentsToSign"][0]["documentXml"]
    assert xml.startswith(declaration)
    ours = etree.fromstring(xml.encode("utf-8"))
    theirs = etree.fromstring(expected_xml.encode("utf-8"))
    assert ours.tag == theirs.tag
    assert ours.find("nonce") is not None and theirs.find("nonce") is not None
    assert len(ours.findtext("nonce") or "") >= 43  # 256 bits in base64url


def test_api2_names_every_language_and_shows_meta_in_the_app_language(
    api1: dict[str, Any], app_calls: AppCalls
) -> None:
    (example,) = json_examples(3)
    reference_labels = [row["name"] for row in example["documentsToSign"][0]["meta"]]
    document = api1["document"]

    shown = {}
    for lang in ("ru", "kk", "en"):
        response = app_calls.api2(
            document["uri"], token=document["auth_token"], lang=lang
        )
        assert response.status_code == 200
        shown[lang] = response.json()["documentsToSign"][0]

    names = {(d["nameRu"], d["nameKz"], d["nameEn"]) for d in shown.values()}
    assert len(names) == 1  # every name is there whatever the app's language
    (name_set,) = names
    assert len(set(name_set)) == 3
    labels = {lang: [row["name"] for row in d["meta"]] for lang, d in shown.items()}
    # The reference's own login example labels its rows in Russian.
    assert set(reference_labels) <= set(labels["ru"])
    assert len({tuple(rows) for rows in labels.values()}) == 3
    assert all(len(rows) == 3 for rows in labels.values())


# ---------------------------------------------------------------------------
# Section 4: API 2 PUT


def test_accepted_put_has_the_reference_status_and_body(
    visitor: Visitor, phone: Phone
) -> None:
    body = re.search(r'`(\{"status": ?"success"\})`', section(4))
    assert body is not None
    code = visitor.start("candidate")

    result = phone.scan(code["qr"])

    assert result.outcome is Outcome.SIGNED
    (put,) = [item for item in result.exchanges if item.method == "PUT"]
    assert put.status == reference_status("Success:")
    assert json.loads(put.response_body) == json.loads(body.group(1))


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_refused_signature_has_the_reference_status_and_message_body(
    visitor: Visitor, phone: Phone, lang: str
) -> None:
    form = re.search(r"the body must be\s+`(\{[^`]+\})`", section(4))
    assert form is not None
    code = visitor.start("candidate")

    result = phone.scan(code["qr"], tamper=(Tamper.SIGNATURE,), lang=lang)

    (put,) = [item for item in result.exchanges if item.method == "PUT"]
    assert put.status == reference_status("signature failed validation:")
    answer = json.loads(put.response_body)
    assert shape(answer) == shape(json.loads(form.group(1)))
    assert answer["message"] == localized("signature_invalid", lang)


def test_bearer_refusals_have_the_reference_statuses(
    api1: dict[str, Any], app_calls: AppCalls, keys: Keys
) -> None:
    statuses = re.search(r"(\d{3})/(\d{3}) for a missing/wrong Bearer", section(4))
    assert statuses is not None
    missing, wrong = int(statuses.group(1)), int(statuses.group(2))
    document = api1["document"]
    payload = app_calls.api2(document["uri"], token=document["auth_token"]).json()
    signed = signed_payload(payload, keys)

    without = app_calls.put(document["uri"], signed, token=None)
    other = app_calls.put(document["uri"], signed, token="not-the-token")

    assert (without.status_code, other.status_code) == (missing, wrong)
    assert set(without.json()) == set(other.json()) == {"message"}
