"""The sandbox over HTTP (in process): the lifecycle, every documented error, and bad input."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dots_sandbox.request.pipeline import SandboxApp
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import MAX_BODY_BYTES, Settings
from dots_sandbox.store import SQLiteStore
from dots_spec.document import load_spec
from dots_spec.operations import operations
from dots_spec.refs import resolve
from dots_spec.validators import compile_schema, component_validator

if TYPE_CHECKING:
    from tests.conftest import InProcess

SPEC = load_spec()
OPERATIONS = {op["operationId"]: op for _, _, op in operations(SPEC)}
ERROR = component_validator("Error")
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
DECLINE, CHALLENGE, LATER = (f"00000000-0000-4000-8000-00000000000{n}" for n in (2, 3, 4))
UNKNOWN_ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"


@functools.cache
def _response_validator(operation_id: str, status: str) -> jsonschema_rs.Validator:
    response = resolve(OPERATIONS[operation_id]["responses"][status], SPEC)
    return compile_schema(response["content"]["application/json"]["schema"], SPEC)


def documented(response: httpx.Response, operation_id: str, status: int) -> Any:
    """Assert `response` has `status`, that the spec documents it, and that its JSON body has the documented schema."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert str(status) in OPERATIONS[operation_id]["responses"]
    body = response.json()
    errors = [error.message for error in _response_validator(operation_id, str(status)).iter_errors(body)]
    assert errors == []
    if status >= 400:
        assert body["code"]
    return body


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert an error answer outside any operation (unknown route, method) is JSON of the Error schema."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert ERROR.is_valid(body), body
    assert body["code"] == code
    return body


def create(sandbox: InProcess, **body: Any) -> dict[str, Any]:
    """Create an intent (amount 1000 usd unless given) and return the 200 body."""
    result: dict[str, Any] = documented(
        sandbox.create(**{"amount": 1000, "currency": "usd", **body}), "create_payment_intent", 200
    )
    return result


def post_raw(sandbox: InProcess, path: str, content: bytes, content_type: str | None = "application/json") -> Any:
    """POST raw bytes with a given Content-Type (None: no header)."""
    headers = {} if content_type is None else {"content-type": content_type}
    return sandbox.request("POST", path, content=content, headers=headers)


# The lifecycle.


def test_create_answers_initialized_with_client_secret(sandbox: InProcess) -> None:
    """Create answers 200 `initialized`, with client_secret and empty metadata, and no absent field as null."""
    intent = create(sandbox)
    assert intent["status"] == "initialized"
    assert intent["client_secret"].startswith("pi_secret_")
    assert intent["metadata"] == {}
    assert set(intent) == {"id", "amount", "currency", "status", "metadata", "client_secret"}


def test_confirm_succeeds_with_transfer_id(sandbox: InProcess) -> None:
    """Confirm records the payment method and answers `succeeded` with a new transfer_id, no client_secret."""
    intent = create(sandbox)
    confirmed = documented(sandbox.confirm(intent["id"], PM), "confirm_payment_intent", 200)
    assert confirmed["status"] == "succeeded"
    assert confirmed["payment_method_id"] == PM
    assert confirmed["transfer_id"] not in (intent["id"], PM)
    assert "client_secret" not in confirmed
    assert {k: confirmed[k] for k in ("id", "amount", "currency", "metadata")} == {
        k: intent[k] for k in ("id", "amount", "currency", "metadata")
    }


def test_confirm_again_is_409_and_changes_nothing(sandbox: InProcess) -> None:
    """A second confirm answers 409 payment-intent-already-confirmed and leaves the intent as the first left it."""
    intent = create(sandbox)
    first = sandbox.confirm(intent["id"], PM).json()
    again = documented(sandbox.confirm(intent["id"], DECLINE), "confirm_payment_intent", 409)
    assert again == {"error": "PaymentIntent has already been confirmed", "code": "payment-intent-already-confirmed"}
    assert documented(sandbox.retrieve(intent["id"]), "retrieve_payment_intent", 200) == first


def test_retrieve_returns_what_was_stored(sandbox: InProcess) -> None:
    """Retrieve answers the create answer minus client_secret, then the confirm answer after confirm."""
    intent = create(sandbox, metadata={"order_id": "1042"}, user_id=PM)
    retrieved = documented(sandbox.retrieve(intent["id"]), "retrieve_payment_intent", 200)
    assert retrieved == {k: v for k, v in intent.items() if k != "client_secret"}
    confirmed = sandbox.confirm(intent["id"], PM).json()
    assert sandbox.retrieve(intent["id"]).json() == confirmed


@pytest.mark.parametrize(("payment_method_id", "status"), [(DECLINE, "failed"), (CHALLENGE, "requires_action")])
def test_magic_payment_methods_choose_the_outcome(sandbox: InProcess, payment_method_id: str, status: str) -> None:
    """The documented magic payment_method_ids lead to their status (200, no transfer_id), and then 409."""
    intent = create(sandbox)
    confirmed = documented(sandbox.confirm(intent["id"], payment_method_id), "confirm_payment_intent", 200)
    assert confirmed["status"] == status
    assert "transfer_id" not in confirmed
    documented(sandbox.confirm(intent["id"], PM), "confirm_payment_intent", 409)


def test_processing_payment_method_matches_case_insensitively(sandbox: InProcess) -> None:
    """The magic id for `processing` works in upper case, and is recorded as sent."""
    intent = create(sandbox)
    confirmed = documented(sandbox.confirm(intent["id"], LATER.upper()), "confirm_payment_intent", 200)
    assert (confirmed["status"], confirmed["payment_method_id"]) == ("processing", LATER.upper())


def test_upper_case_ids_find_the_intent(sandbox: InProcess) -> None:
    """An intent id in upper case is the same intent, for retrieve and confirm; answers use the canonical id."""
    intent = create(sandbox)
    assert sandbox.retrieve(intent["id"].upper()).json()["id"] == intent["id"]
    assert documented(sandbox.confirm(intent["id"].upper(), PM), "confirm_payment_intent", 200)["id"] == intent["id"]


def test_create_with_confirm_and_payment_method_confirms_at_once(sandbox: InProcess) -> None:
    """`confirm: true` with a payment method answers the confirm outcome, and a later confirm is 409."""
    intent = create(sandbox, confirm=True, payment_method_id=PM)
    assert intent["status"] == "succeeded"
    assert intent["payment_method_id"] == PM
    assert "transfer_id" in intent
    documented(sandbox.confirm(intent["id"], PM), "confirm_payment_intent", 409)
    declined = create(sandbox, confirm=True, payment_method_id=DECLINE)
    assert declined["status"] == "failed"
    assert "transfer_id" not in declined


def test_create_with_confirm_without_payment_method_waits_for_one(sandbox: InProcess) -> None:
    """`confirm: true` without a payment method answers `requires_payment_method`, which confirm then confirms."""
    intent = create(sandbox, confirm=True)
    assert intent["status"] == "requires_payment_method"
    assert documented(sandbox.confirm(intent["id"], PM), "confirm_payment_intent", 200)["status"] == "succeeded"


def test_confirm_replaces_the_payment_method_given_at_create(sandbox: InProcess) -> None:
    """A payment method given at create (without confirm) is shown, and confirm's replaces it."""
    intent = create(sandbox, payment_method_id=DECLINE)
    assert (intent["status"], intent["payment_method_id"]) == ("initialized", DECLINE)
    assert sandbox.confirm(intent["id"], PM).json()["payment_method_id"] == PM


def test_every_request_field_is_stored(sandbox: InProcess) -> None:
    """The whole create request is stored (shown or not), and the confirm request too."""
    example = OPERATIONS["create_payment_intent"]["requestBody"]["content"]["application/json"]["examples"]["full"]
    request = {**example["value"], "description": "Order \u00e9\u4e2d\U0001f600 \u0000 end"}
    intent = documented(sandbox.create(**request), "create_payment_intent", 200)
    assert intent["user_id"] == request["user_id"]
    assert intent["metadata"] == request["metadata"]
    sandbox.confirm(intent["id"], PM)
    stored = sandbox.sandbox.store.get("sandbox-client-id", intent["id"])
    assert stored is not None
    assert stored.create_request == request
    assert stored.confirm_request == {"payment_method_id": PM}


def test_unicode_metadata_round_trips(sandbox: InProcess) -> None:
    """Metadata keys and values with any Unicode (astral, NUL, escaped pairs) come back unchanged."""
    raw = b'{"amount": 5, "currency": "usd", "metadata": {"\\ud83d\\ude00": "\\u0000\xc3\xa9", "k": "\\"\\\\/"}}'
    intent = documented(post_raw(sandbox, "/v2/payment-intents", raw), "create_payment_intent", 200)
    assert intent["metadata"] == {"\U0001f600": "\u0000\u00e9", "k": '"\\/'}
    assert sandbox.retrieve(intent["id"]).json()["metadata"] == intent["metadata"]


def test_integral_numbers_are_integers(sandbox: InProcess) -> None:
    """JSON Schema counts 1e3 and 1000.0 as the integer 1000: accepted, stored and answered as 1000."""
    for literal in (b"1e3", b"1000.0", b"1E+3"):
        body = b'{"amount": ' + literal + b', "currency": "usd"}'
        intent = documented(post_raw(sandbox, "/v2/payment-intents", body), "create_payment_intent", 200)
        assert intent["amount"] == 1000
        assert b'"amount":1000,' in sandbox.retrieve(intent["id"]).content


def test_intents_belong_to_the_client_that_created_them(tmp_path: Path) -> None:
    """Another client sharing the database gets 404 for an intent it did not create."""
    from tests.conftest import InProcess

    db = str(tmp_path / "shared.db")
    owner = InProcess(build_sandbox(Settings(db=db)))
    other = InProcess(build_sandbox(Settings(db=db, client_id="other", api_key="other-key")))
    other._client.auth = httpx.BasicAuth("other", "other-key")
    try:
        intent = create(owner)
        documented(other.retrieve(intent["id"]), "retrieve_payment_intent", 404)
        documented(other.confirm(intent["id"], PM), "confirm_payment_intent", 404)
        assert owner.retrieve(intent["id"]).json()["status"] == "initialized"
    finally:
        owner.close()
        other.close()


# Documented errors.


@pytest.mark.parametrize("operation", ["retrieve", "confirm"])
def test_unknown_intent_is_404_with_dots_message(sandbox: InProcess, operation: str) -> None:
    """Retrieve and confirm of an id nobody created answer Dots' 404 body plus code not-found."""
    response = sandbox.retrieve(UNKNOWN_ID) if operation == "retrieve" else sandbox.confirm(UNKNOWN_ID, PM)
    body = documented(response, f"{operation}_payment_intent", 404)
    assert body == {"error": "PaymentIntent not found", "code": "not-found"}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api",
        "/api/",
        "/v2/payment-intents",
        "/api/v2/payment-intents/",
        "/api/v2/payment-intents//confirm",
        f"/api/v2/payment-intents/{UNKNOWN_ID}/confirm/",
        f"/api/v2/payment-intents/{UNKNOWN_ID}/capture",
        "/api/v1/payment-intents",
        "/api/v2/payment-intents/a/b/c",
    ],
)
def test_unknown_routes_are_404_json(sandbox: InProcess, path: str) -> None:
    """A path the spec does not have answers 404 not-found JSON, for any method."""
    for method in ("GET", "POST", "DELETE"):
        response = sandbox.request(method, "http://sandbox" + path)
        error_of(response, 404, "not-found")


@pytest.mark.parametrize(
    ("path", "method", "allow"),
    [
        ("/v2/payment-intents", "GET", "POST"),
        ("/v2/payment-intents", "PUT", "POST"),
        (f"/v2/payment-intents/{UNKNOWN_ID}", "POST", "GET"),
        (f"/v2/payment-intents/{UNKNOWN_ID}", "DELETE", "GET"),
        (f"/v2/payment-intents/{UNKNOWN_ID}", "HEAD", "GET"),
        (f"/v2/payment-intents/{UNKNOWN_ID}/confirm", "GET", "POST"),
        (f"/v2/payment-intents/{UNKNOWN_ID}/confirm", "PATCH", "POST"),
        (f"/v2/payment-intents/{UNKNOWN_ID}/confirm", "OPTIONS", "POST"),
    ],
)
def test_unsupported_methods_are_405_with_allow(sandbox: InProcess, path: str, method: str, allow: str) -> None:
    """A method the path does not have answers 405 method-not-allowed JSON with the spec's methods in `Allow`."""
    response = sandbox.request(method, path)
    assert response.headers["allow"] == allow
    if method != "HEAD":  # a HEAD answer has no body, by HTTP's rules
        error_of(response, 405, "method-not-allowed")
    else:
        assert response.status_code == 405


@pytest.mark.parametrize("operation", ["create", "retrieve", "confirm"])
def test_missing_credentials_are_401_with_basic_challenge(sandbox: InProcess, operation: str) -> None:
    """Every operation answers 401 unauthorized, with `WWW-Authenticate: Basic realm="dots"`, without credentials."""
    calls = {
        "create": ("POST", "/v2/payment-intents", {"amount": 1, "currency": "usd"}),
        "retrieve": ("GET", f"/v2/payment-intents/{UNKNOWN_ID}", None),
        "confirm": ("POST", f"/v2/payment-intents/{UNKNOWN_ID}/confirm", {"payment_method_id": PM}),
    }
    method, path, body = calls[operation]
    response = sandbox.request(method, path, json=body, auth=None)
    body = documented(response, f"{operation}_payment_intent", 401)
    assert body == {"error": "Invalid credentials", "code": "unauthorized"}
    assert response.headers["www-authenticate"] == 'Basic realm="dots"'


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1hcGkta2V5",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"sandbox-client-id:wrong").decode(),
        "Basic " + base64.b64encode(b"other-client:sandbox-api-key").decode(),
        "Basic " + base64.b64encode(b"sandbox-client-id").decode(),
        "Basic " + base64.b64encode(b"sandbox-client-id:sandbox-api-key ").decode(),
        "Basic " + base64.b64encode("sandbox-client-id:sandbox-api-k\u00e9y".encode()).decode(),
    ],
)
def test_bad_credentials_are_401(sandbox: InProcess, authorization: str) -> None:
    """Wrong scheme, bad base64, wrong password, unknown client, no colon, unicode: all 401 with the challenge."""
    response = sandbox.request(
        "GET", f"/v2/payment-intents/{UNKNOWN_ID}", headers={"authorization": authorization}, auth=None
    )
    documented(response, "retrieve_payment_intent", 401)
    assert response.headers["www-authenticate"] == 'Basic realm="dots"'


def test_two_authorization_headers_are_401(sandbox: InProcess) -> None:
    """A request with two Authorization headers (even both right) is refused, not guessed at."""
    good = "Basic " + base64.b64encode(b"sandbox-client-id:sandbox-api-key").decode()
    response = sandbox.request(
        "GET",
        f"/v2/payment-intents/{UNKNOWN_ID}",
        headers=[("authorization", good), ("authorization", good)],
        auth=None,
    )
    documented(response, "retrieve_payment_intent", 401)


@pytest.mark.parametrize(
    ("path", "content", "content_type"),
    [
        ("/v2/payment-intents", b"{not json", "text/plain"),
        ("/v2/payment-intents", b"x" * (MAX_BODY_BYTES + 1), "application/json"),
        ("/v2/payment-intents/not-a-uuid/confirm", b"{}", "application/json"),
    ],
)
def test_credentials_are_checked_before_the_request(
    sandbox: InProcess, path: str, content: bytes, content_type: str
) -> None:
    """Without credentials, a bad body, content type, size or id still answers 401."""
    response = sandbox.request("POST", path, content=content, headers={"content-type": content_type}, auth=None)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "intent_id",
    [
        "not-a-uuid",
        "3c90c3cc0d444b5088888dd25736052a",
        "{3c90c3cc-0d44-4b50-8888-8dd25736052a}",
        "urn:uuid:3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "3c90c3cc-0d44-4b50-8888-8dd25736052",
        "3c90c3cc-0d44-4b50-8888-8dd25736052aa",
        "3c90c3cc-0d44-4b50-8888-8dd25736052g",
        " 3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "3c90c3cc-0d44-4b50-8888-8dd25736052a\n",
        "3c90c3cc-0d44-4b50-8888-8dd25736052\u00e1",
        "3c90c3cc-0d44-4b50-8888-8dd2573605\u0000a",
        "\U0001f600",
        "1",
        "-1",
        "9" * 400,
    ],
)
def test_malformed_ids_are_400(sandbox: InProcess, intent_id: str) -> None:
    """A payment_intent_id that is not a hyphenated UUID answers 400 invalid-input for retrieve and confirm."""
    quoted = urllib.parse.quote(intent_id, safe="")
    for operation, response in (
        ("retrieve", sandbox.retrieve(quoted)),
        ("confirm", sandbox.confirm(quoted, PM)),
    ):
        body = documented(response, f"{operation}_payment_intent", 400)
        assert body["code"] == "invalid-input"
        assert {detail["location"] for detail in body["details"]} == {"path.payment_intent_id"}


@pytest.mark.parametrize("path", ["/v2/payment-intents", f"/v2/payment-intents/{UNKNOWN_ID}/confirm"])
def test_oversized_body_is_413(sandbox: InProcess, path: str) -> None:
    """A body over 262,144 bytes answers 413 payload-too-large, by Content-Length."""
    operation = "create_payment_intent" if path.endswith("intents") else "confirm_payment_intent"
    body = documented(post_raw(sandbox, path, b" " * (MAX_BODY_BYTES + 1)), operation, 413)
    assert body == {"error": "Request body exceeds 262144 bytes", "code": "payload-too-large"}


def test_streamed_oversized_body_is_413(sandbox: InProcess) -> None:
    """A chunked body without Content-Length is counted as it arrives: over the limit answers 413."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * 65536

    response = sandbox.request(
        "POST", "/v2/payment-intents", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    documented(response, "create_payment_intent", 413)


def test_body_of_exactly_the_limit_is_accepted(sandbox: InProcess) -> None:
    """262,144 bytes is within the limit (JSON padded with whitespace), 262,145 is not."""
    body = b'{"amount": 1, "currency": "usd"}'
    documented(
        post_raw(sandbox, "/v2/payment-intents", body.ljust(MAX_BODY_BYTES)),
        "create_payment_intent",
        200,
    )
    documented(
        post_raw(sandbox, "/v2/payment-intents", body.ljust(MAX_BODY_BYTES + 1)),
        "create_payment_intent",
        413,
    )


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json-patch+json",
        "application/jsonx",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "",
    ],
)
def test_non_json_content_type_is_415(sandbox: InProcess, content_type: str | None) -> None:
    """A body not sent as application/json (or not UTF-8) answers 415 unsupported-media-type."""
    for operation, path in (
        ("create_payment_intent", "/v2/payment-intents"),
        ("confirm_payment_intent", f"/v2/payment-intents/{UNKNOWN_ID}/confirm"),
    ):
        response = post_raw(sandbox, path, b'{"amount": 1, "currency": "usd"}', content_type)
        body = documented(response, operation, 415)
        assert body == {"error": "Content-Type must be application/json", "code": "unsupported-media-type"}


@pytest.mark.parametrize(
    "content_types", [("text/plain", "application/json"), ("application/json", "text/plain"), ("application/json",) * 2]
)
def test_two_content_type_headers_are_415(sandbox: InProcess, content_types: tuple[str, str]) -> None:
    """Two Content-Type headers (whichever comes last, even both JSON) answer 415, never a guess between them."""
    for operation, path in (
        ("create_payment_intent", "/v2/payment-intents"),
        ("confirm_payment_intent", f"/v2/payment-intents/{UNKNOWN_ID}/confirm"),
    ):
        headers = [("content-type", content_type) for content_type in content_types]
        response = sandbox.request("POST", path, content=b'{"amount": 1, "currency": "usd"}', headers=headers)
        documented(response, operation, 415)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", 'application/json;charset="UTF-8"']
)
def test_json_content_type_variants_are_accepted(sandbox: InProcess, content_type: str) -> None:
    """application/json is matched case-insensitively, with or without a UTF-8 charset."""
    response = post_raw(sandbox, "/v2/payment-intents", b'{"amount": 1, "currency": "usd"}', content_type)
    documented(response, "create_payment_intent", 200)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b" ",
        b"{",
        b"{not json}",
        b'{"amount": 1, "currency": "usd",}',
        b"{'amount': 1}",
        b'{"amount": NaN, "currency": "usd"}',
        b'{"amount": Infinity, "currency": "usd"}',
        b'{"amount": -Infinity, "currency": "usd"}',
        b'{"amount": 1e400, "currency": "usd"}',
        b'{"amount": 1, "currency": "usd"} {}',
        b'{"amount": 1, "amount": 2, "currency": "usd"}',
        b'{"amount": 1, "currency": "usd", "description": "\\ud800"}',
        b'{"amount": 1, "currency": "usd", "description": "\\udfff\\ud800"}',
        b'{"amount": 1, "currency": "usd", "metadata": {"\\udc00": "x"}}',
        b'{"amount": 1, "currency": "usd", "description": "\xff"}',
        b'\xef\xbb\xbf{"amount": 1, "currency": "usd"}',
        '{"amount": 1, "currency": "usd"}'.encode("utf-16"),
        b'{"amount": ' + b"1" * 5000 + b', "currency": "usd"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 40_000 + b"1" + b"}" * 40_000,
        b"\x00",
    ],
)
def test_malformed_json_is_400(sandbox: InProcess, content: bytes) -> None:
    """Empty, non-JSON, non-UTF-8, NaN, duplicate keys, lone surrogates, absurd numbers or nesting: 400 at body."""
    body = documented(post_raw(sandbox, "/v2/payment-intents", content), "create_payment_intent", 400)
    assert [detail["location"] for detail in body["details"]] == ["body"]


def _deep_body(operation: str, kind: str, depth: int) -> bytes:
    """A body for `operation`, valid but for one field, nested exactly `depth` levels deep (arrays or objects)."""
    outer = 2 if operation == "create" else 1  # the body's own levels above the nested value
    inner = depth - outer
    nested = b"[" * inner + b"]" * inner if kind == "arrays" else b'{"a":' * inner + b"1" + b"}" * inner
    if operation == "create":
        return b'{"amount": 1, "currency": "usd", "metadata": {"k": ' + nested + b"}}"
    return b'{"payment_method_id": ' + nested + b"}"


DEEP_PATHS = {"create": "/v2/payment-intents", "confirm": f"/v2/payment-intents/{UNKNOWN_ID}/confirm"}


@pytest.mark.parametrize("operation", ["create", "confirm"])
@pytest.mark.parametrize(
    ("kind", "depth"),
    [(kind, depth) for kind in ("arrays", "objects") for depth in (33, 256, 300, 900)]
    + [("arrays", 100_000), ("objects", 40_000)],  # about as deep as fits in 256 KiB
)
def test_deep_nesting_is_400(sandbox: InProcess, operation: str, kind: str, depth: int) -> None:
    """A body nested 33 levels or more (arrays or objects) is 400 at body, saying the cap, never 500."""
    content = _deep_body(operation, kind, depth)
    assert len(content) <= MAX_BODY_BYTES
    body = documented(post_raw(sandbox, DEEP_PATHS[operation], content), f"{operation}_payment_intent", 400)
    assert body["details"] == [{"location": "body", "message": "The body is nested deeper than 32 levels"}]


@pytest.mark.parametrize("kind", ["arrays", "objects"])
@pytest.mark.parametrize("operation", ["create", "confirm"])
def test_nesting_at_the_cap_reaches_the_schema(sandbox: InProcess, operation: str, kind: str) -> None:
    """A body nested exactly 32 levels deep is parsed, and the schema answers 400 at the nested field."""
    content = _deep_body(operation, kind, 32)
    body = documented(post_raw(sandbox, DEEP_PATHS[operation], content), f"{operation}_payment_intent", 400)
    field = "body.metadata.k" if operation == "create" else "body.payment_method_id"
    assert [detail["location"] for detail in body["details"]] == [field]


@pytest.mark.parametrize(
    ("literal", "location"),
    [
        (b"1.0000000000000001", "body.amount"),
        (b"999.99999999999999999", "body.amount"),
        (b"1e-400", "body.amount"),
        (b"1e400", "body"),
        (b"1e999999999", "body"),
        (b"-1e999999999", "body"),
    ],
)
def test_inexact_or_huge_numbers_are_400(sandbox: InProcess, literal: bytes, location: str) -> None:
    """A number a float would round to an integer is no integer (400 at body.amount); beyond float range is 400."""
    content = b'{"amount": ' + literal + b', "currency": "usd"}'
    body = documented(post_raw(sandbox, "/v2/payment-intents", content), "create_payment_intent", 400)
    assert [detail["location"] for detail in body["details"]] == [location]


@pytest.mark.parametrize("content", [b"[]", b'"amount"', b"1", b"null", b"true", b'[{"amount": 1}]'])
def test_non_object_json_is_400(sandbox: InProcess, content: bytes) -> None:
    """JSON that is not an object answers 400 invalid-input at `body`, for create and confirm."""
    for operation, path in (
        ("create_payment_intent", "/v2/payment-intents"),
        ("confirm_payment_intent", f"/v2/payment-intents/{UNKNOWN_ID}/confirm"),
    ):
        body = documented(post_raw(sandbox, path, content), operation, 400)
        assert [detail["location"] for detail in body["details"]] == ["body"]


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"amount": None}, "body"),
        ({"amount": 0}, "body.amount"),
        ({"amount": -1}, "body.amount"),
        ({"amount": 100_000_000}, "body.amount"),
        ({"amount": 10**400}, "body.amount"),
        ({"amount": -(10**400)}, "body.amount"),
        ({"amount": True}, "body.amount"),
        ({"amount": "1000"}, "body.amount"),
        ({"amount": 10.5}, "body.amount"),
        ({"currency": "eur"}, "body.currency"),
        ({"currency": "USD"}, "body.currency"),
        ({"confirm": "true"}, "body.confirm"),
        ({"confirm": 1}, "body.confirm"),
        ({"user_id": "not-a-uuid"}, "body.user_id"),
        ({"customer_id": "{3c90c3cc-0d44-4b50-8888-8dd25736052a}"}, "body.customer_id"),
        ({"payment_method_id": "3c90c3cc0d444b5088888dd25736052a"}, "body.payment_method_id"),
        ({"description": "x" * 1001}, "body.description"),
        ({"payment_method_types": ["card", "card"]}, "body.payment_method_types"),
        ({"payment_method_types": ["bank"]}, "body.payment_method_types[0]"),
        ({"setup_future_usage": "off_session"}, "body.setup_future_usage"),
        ({"metadata": True}, "body.metadata"),
        ({"metadata": {"k": 1}}, "body.metadata.k"),
        ({"metadata": {str(n): "v" for n in range(21)}}, "body.metadata"),
        ({"metadata": {"k" * 41: "v"}}, "body.metadata"),
        ({"transfer_data": {}}, "body.transfer_data"),
        ({"transfer_data": {"destination_user_id": PM, "amount": 1}}, "body.transfer_data"),
        ({"application_fee_amount": -1}, "body.application_fee_amount"),
        ({"application_fee_amount": 10**20}, "body.application_fee_amount"),
        ({"amont": 5}, "body"),
        ({"client_secret": "pi_secret_x"}, "body"),
        ({"id": UNKNOWN_ID}, "body"),
    ],
)
def test_schema_violations_in_create_are_400(sandbox: InProcess, changes: dict[str, Any], location: str) -> None:
    """A create body against the schema (missing, mistyped, out of range, unknown field) answers 400 at its location."""
    request = {key: value for key, value in {"amount": 1000, "currency": "usd", **changes}.items() if value is not None}
    body = documented(sandbox.create(**request), "create_payment_intent", 400)
    assert location in [detail["location"] for detail in body["details"]]
    assert sandbox.sandbox.store.get("sandbox-client-id", UNKNOWN_ID) is None


def test_every_problem_is_listed(sandbox: InProcess) -> None:
    """One 400 lists each problem of the body, and only them."""
    response = sandbox.create(amount=0, currency="eur", colour="red")
    locations = sorted(detail["location"] for detail in response.json()["details"])
    assert locations == ["body", "body.amount", "body.currency"]


@pytest.mark.parametrize(
    "request_body",
    [
        {},
        {"payment_method_id": None},
        {"payment_method_id": "x"},
        {"payment_method_id": 7},
        {"payment_method_id": "3C90C3CC0D444B5088888DD25736052A"},
        {"payment_method_id": "urn:uuid:3c90c3cc-0d44-4b50-8888-8dd25736052a"},
        {"payment_methd_id": PM},
        {"payment_method_id": PM, "amount": 5},
    ],
)
def test_schema_violations_in_confirm_are_400_and_confirm_nothing(
    sandbox: InProcess, request_body: dict[str, Any]
) -> None:
    """A confirm body against the schema (typo, extra field, non-UUID) answers 400 and leaves the intent unconfirmed."""
    intent = create(sandbox)
    response = sandbox.request("POST", f"/v2/payment-intents/{intent['id']}/confirm", json=request_body)
    documented(response, "confirm_payment_intent", 400)
    assert sandbox.retrieve(intent["id"]).json()["status"] == "initialized"


def test_confirm_validates_the_body_before_looking_up_the_intent(sandbox: InProcess) -> None:
    """An invalid body for an unknown intent is 400, not 404."""
    response = sandbox.request("POST", f"/v2/payment-intents/{UNKNOWN_ID}/confirm", json={})
    documented(response, "confirm_payment_intent", 400)


def test_long_messages_are_shortened(sandbox: InProcess) -> None:
    """A detail quoting a 200 KB value is cut short; the answer stays small."""
    response = sandbox.create(amount=1, currency="usd", description="d" * 200_000)
    assert response.status_code == 400
    assert len(response.content) < 2000


def test_retrieve_ignores_a_body(sandbox: InProcess) -> None:
    """A GET with a body (of any type) is answered as the GET alone."""
    intent = create(sandbox)
    response = sandbox.request(
        "GET", f"/v2/payment-intents/{intent['id']}", content=b"\xff garbage", headers={"content-type": "text/plain"}
    )
    documented(response, "retrieve_payment_intent", 200)


def test_an_encoded_slash_stays_in_its_segment(sandbox: InProcess) -> None:
    """`<id>%2Fconfirm` is one segment: the retrieve route (POST 405, GET 400 for the id), and nothing is confirmed."""
    intent = create(sandbox)
    for encoded in ("%2F", "%2f"):
        path = f"/v2/payment-intents/{intent['id']}{encoded}confirm"
        response = sandbox.request("POST", path, json={"payment_method_id": PM})
        error_of(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "GET"
        body = documented(sandbox.request("GET", path), "retrieve_payment_intent", 400)
        assert {detail["location"] for detail in body["details"]} == {"path.payment_intent_id"}
    error_of(sandbox.request("POST", "http://sandbox/api%2Fv2/payment-intents", json={}), 404, "not-found")
    assert sandbox.retrieve(intent["id"]).json()["status"] == "initialized"


def test_other_percent_escapes_are_decoded_per_segment(sandbox: InProcess) -> None:
    """Escapes of ordinary characters still decode: `%2D` for a hyphen in the id or the literal path, `%66` for `f`."""
    intent = create(sandbox)
    escaped_id = intent["id"].replace("-", "%2D", 1).replace("f", "%66")
    documented(sandbox.retrieve(escaped_id), "retrieve_payment_intent", 200)
    confirmed = sandbox.request("POST", f"/v2/payment%2Dintents/{escaped_id}/confirm", json={"payment_method_id": PM})
    assert documented(confirmed, "confirm_payment_intent", 200)["id"] == intent["id"]


def test_query_strings_are_ignored(sandbox: InProcess) -> None:
    """A query string does not change the route or the answer."""
    intent = create(sandbox)
    documented(sandbox.retrieve(intent["id"] + "?expand=all&x=%00"), "retrieve_payment_intent", 200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path_id=st.text(max_size=60),
    content=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)),
    content_type=st.sampled_from(["application/json", "text/plain", "application/json; charset=utf-8"]),
)
def test_arbitrary_input_never_causes_a_500(
    sandbox: InProcess, path_id: str, content: bytes, content_type: str
) -> None:
    """Random ids, bodies and content types answer a documented 4xx (or 200) with an Error body, never a 500."""
    quoted = urllib.parse.quote(path_id, safe="")
    for method, path in (
        ("POST", "/v2/payment-intents"),
        ("GET", f"/v2/payment-intents/{quoted}"),
        ("POST", f"/v2/payment-intents/{quoted}/confirm"),
    ):
        response = sandbox.request(method, path, content=content, headers={"content-type": content_type})
        assert response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/json"
        if response.status_code >= 400:
            assert ERROR.is_valid(response.json())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(["amount", "currency", "confirm", "metadata", "description", "payment_method_id", "x"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children),
            max_leaves=5,
        ),
    )
)
def test_arbitrary_json_never_causes_a_500(sandbox: InProcess, body: dict[str, Any]) -> None:
    """Arbitrary JSON objects (huge ints, NaN, nested junk) answer 200 or 400, never a 500."""
    content = json.dumps(body).encode()  # NaN and Infinity included, as some encoders send them
    response = post_raw(sandbox, "/v2/payment-intents", content)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert sandbox.retrieve(response.json()["id"]).status_code == 200


# Robustness of the app itself.


class _BrokenStore(SQLiteStore):
    def get(self, client_id: str, intent_id: str) -> None:
        raise RuntimeError("disk on fire")


def test_unexpected_errors_are_500_json_and_logged_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    """A bug answers 500 JSON; the log names the route template, never the path id or the Authorization header."""
    from tests.conftest import InProcess

    client = InProcess(build_sandbox(Settings(db=":memory:"), store=_BrokenStore(":memory:")))
    try:
        with caplog.at_level(logging.ERROR, logger="dots_sandbox"):
            response = client.retrieve(UNKNOWN_ID)
    finally:
        client.close()
    error_of(response, 500, "internal-error")
    assert "disk on fire" in caplog.text
    assert "/api/v2/payment-intents/{payment_intent_id}" in caplog.text
    for secret in ("sandbox-api-key", base64.b64encode(b"sandbox-client-id:sandbox-api-key").decode(), UNKNOWN_ID):
        assert secret not in caplog.text


def _run(app: SandboxApp, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Call the ASGI app with `messages` to receive; return what it sent."""
    sent: list[dict[str, Any]] = []
    incoming = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(app(scope, receive, send))
    return sent


def _http_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    auth = b"Basic " + base64.b64encode(b"sandbox-client-id:sandbox-api-key")
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"authorization", auth), *headers],
    }


def test_body_bytes_are_counted_even_when_content_length_lies() -> None:
    """A body longer than its (small) Content-Length claims is still stopped at the limit with 413."""
    sandbox = build_sandbox(Settings(db=":memory:", max_body_bytes=100))
    chunk = {"type": "http.request", "body": b" " * 60, "more_body": True}
    scope = _http_scope("/api/v2/payment-intents", [(b"content-type", b"application/json"), (b"content-length", b"2")])
    sent = _run(sandbox.app, scope, [chunk, chunk, chunk])
    assert sent[0]["status"] == 413
    sandbox.store.close()


async def _never() -> dict[str, Any]:
    """An ASGI receive for a client that never sends the rest of its body."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def _answer_of(sent: list[dict[str, Any]]) -> tuple[int, dict[bytes, bytes], Any]:
    """Status, headers and JSON body of what an app sent."""
    return sent[0]["status"], dict(sent[0]["headers"]), json.loads(sent[1]["body"])


def test_a_body_that_does_not_arrive_in_time_is_400_and_closes_the_connection() -> None:
    """A client sending part of its body and waiting gets 400 after body_timeout_seconds, and Connection: close."""
    sandbox = build_sandbox(Settings(db=":memory:", body_timeout_seconds=0.05))
    scope = _http_scope("/api/v2/payment-intents", [(b"content-type", b"application/json")])
    parts = iter([{"type": "http.request", "body": b"{", "more_body": True}])

    async def receive() -> dict[str, Any]:
        return next(parts, None) or await _never()

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(asyncio.wait_for(sandbox.app(scope, receive, send), 10))  # 10 s: liveness only
    status, headers, body = _answer_of(sent)
    assert (status, headers[b"connection"]) == (400, b"close")
    assert body["details"] == [{"location": "body", "message": "The body did not arrive in full within 0.05 seconds"}]
    sandbox.store.close()


def test_stop_waiting_answers_the_requests_waiting_for_their_body_at_once() -> None:
    """When the server stops, a request waiting for its body is answered 400 at once; whole bodies are still served."""
    sandbox = build_sandbox(Settings(db=":memory:"))  # the default 30 s timeout: only stop_waiting can end the wait
    scope = _http_scope("/api/v2/payment-intents", [(b"content-type", b"application/json")])
    waiting: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []

    async def send_to(sent: list[dict[str, Any]]) -> Any:
        async def send(message: Any) -> None:
            sent.append(dict(message))

        return send

    async def whole() -> dict[str, Any]:
        return {"type": "http.request", "body": b'{"amount": 1, "currency": "usd"}', "more_body": False}

    async def scenario() -> None:
        request = asyncio.create_task(sandbox.app(scope, _never, await send_to(waiting)))
        await asyncio.sleep(0.01)
        assert not request.done()
        sandbox.app.stop_waiting()
        await asyncio.wait_for(request, 10)  # liveness only
        await sandbox.app(scope, whole, await send_to(later))
        await sandbox.app(scope, _never, await send_to(later))

    asyncio.run(scenario())
    status, headers, body = _answer_of(waiting)
    assert (status, headers[b"connection"]) == (400, b"close")
    assert body["details"] == [
        {"location": "body", "message": "The server is stopping; the body did not arrive in full"}
    ]
    assert [_answer_of(later[:2])[0], _answer_of(later[2:])[0]] == [200, 400]
    sandbox.store.close()


def test_a_client_that_disconnects_mid_body_gets_no_answer() -> None:
    """When the client goes away before its body ends, nothing is stored and nothing is sent."""
    sandbox = build_sandbox(Settings(db=":memory:"))
    scope = _http_scope("/api/v2/payment-intents", [(b"content-type", b"application/json")])
    sent = _run(
        sandbox.app, scope, [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    )
    assert sent == []
    sandbox.store.close()


def test_lifespan_starts_and_closes_the_store() -> None:
    """The lifespan protocol completes startup and shutdown, and shutdown closes the store."""
    sandbox = build_sandbox(Settings(db=":memory:"))
    sent = _run(sandbox.app, {"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(Exception, match="closed"):
        sandbox.store.get("sandbox-client-id", UNKNOWN_ID)


def test_websockets_are_refused() -> None:
    """A websocket connection is closed at once."""
    sandbox = build_sandbox(Settings(db=":memory:"))
    sent = _run(sandbox.app, {"type": "websocket", "path": "/api"}, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1008}]
    sandbox.store.close()


def test_a_commit_of_unknown_outcome_is_a_documented_503(postgres_url: str) -> None:
    """PostgreSQL ends the session inside COMMIT: the confirm is a documented 503 saying the intent may have changed."""
    import psycopg

    from tests.conftest import InProcess

    sandbox = InProcess(build_sandbox(Settings(db=postgres_url)))
    try:
        intent = create(sandbox)
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(
                """CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1); RETURN NULL; END $$"""
            )
            connection.execute(
                "CREATE CONSTRAINT TRIGGER die_on_commit AFTER UPDATE ON payment_intents "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die()"
            )
        body = documented(sandbox.confirm(intent["id"], PM), "confirm_payment_intent", 503)
        assert body == {
            "error": "The database became unavailable while committing: the change may or may not have been made; "
            "retrieve the payment intent to see",
            "code": "service-unavailable",
        }
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute("DROP TRIGGER die_on_commit ON payment_intents")
        assert documented(sandbox.retrieve(intent["id"]), "retrieve_payment_intent", 200)["status"] == "initialized"
        assert documented(sandbox.confirm(intent["id"], PM), "confirm_payment_intent", 200)["status"] == "succeeded"
    finally:
        sandbox.close()
