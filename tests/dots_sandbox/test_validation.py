"""Validation compiled from the spec: strict JSON, body schemas, path parameters, media types."""

from __future__ import annotations

from typing import Any

import pytest

from dots_sandbox.errors import ApiError
from dots_sandbox.spec import load_spec, operations
from dots_sandbox.validation import compile_rules, location, parse_json

SPEC = load_spec()
RULES = compile_rules(SPEC)
ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def _invalid(call: Any, *args: Any) -> list[tuple[str, str]]:
    with pytest.raises(ApiError) as raised:
        call(*args)
    assert (raised.value.status, raised.value.code) == (400, "invalid-input")
    return list(raised.value.details)


def test_rules_exist_for_every_operation() -> None:
    """Each operation has rules: path parameters and bodies exactly where the spec declares them."""
    assert set(RULES) == {op["operationId"] for _, _, op in operations(SPEC)}
    assert RULES["create_payment_intent"].path_parameters == {}
    assert set(RULES["confirm_payment_intent"].path_parameters) == {"payment_intent_id"}
    assert RULES["retrieve_payment_intent"].body is None
    assert RULES["create_payment_intent"].body_required
    assert RULES["confirm_payment_intent"].media_types == {"application/json"}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"a": 1}', {"a": 1}),
        (b' \t\r\n{"a": [1, 2.5, -0, true, null]} \n', {"a": [1, 2.5, 0, True, None]}),
        (b"1e3", 1000),
        (b"1000.0", 1000),
        (b"-1E+2", -100),
        (b"1" * 4000, int("1" * 4000)),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b'"\\u0000"', "\u0000"),
        ('"\u00e9\U0001f600"'.encode(), "\u00e9\U0001f600"),
    ],
)
def test_parse_json_accepts_json(raw: bytes, value: Any) -> None:
    """Valid UTF-8 JSON parses; integral numbers become ints; escaped pairs combine; NUL is kept."""
    parsed = parse_json(raw)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"NaN", "NaN is not JSON"),
        (b"[-Infinity]", "-Infinity is not JSON"),
        (b"1e400", "out of range"),
        (b"-1e400", "out of range"),
        (b'{"a": 1, "a": 1}', "duplicate key 'a'"),
        (b'{"b": {"a": 1, "a": 2}}', "duplicate key 'a'"),
        (b'"\\ud800"', "unpaired surrogate"),
        (b'["\\ude00\\ud83d"]', "unpaired surrogate"),
        (b'"\xed\xa0\x80"', "not valid UTF-8"),
        (b'"\xc3"', "not valid UTF-8"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
        (b"1" * 5000, "not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        (b"{} {}", "not valid JSON"),
    ],
)
def test_parse_json_refuses_what_cannot_be_stored_faithfully(raw: bytes, reason: str) -> None:
    """Bad syntax, NaN, overflow, duplicate keys, lone surrogates, bad UTF-8, BOM, deep nesting: 400 at body."""
    details = _invalid(parse_json, raw)
    assert [where for where, _ in details] == ["body"]
    assert reason in details[0][1]


def test_check_body_validates_against_the_schema() -> None:
    """A valid body comes back parsed; an invalid one lists every problem by location."""
    rules = RULES["create_payment_intent"]
    assert rules.check_body(b'{"amount": 1, "currency": "usd"}') == {"amount": 1, "currency": "usd"}
    details = _invalid(rules.check_body, b'{"amount": 0, "currency": "usd", "metadata": {"k": 5}, "x": 1}')
    assert sorted(where for where, _ in details) == ["body", "body.amount", "body.metadata.k"]


def test_empty_required_body_is_invalid() -> None:
    """An empty body for an operation that requires one is 400 at `body`."""
    assert _invalid(RULES["confirm_payment_intent"].check_body, b"") == [("body", "A JSON request body is required")]


def test_operations_without_a_body_ignore_it() -> None:
    """For an operation without a request body, whatever was sent is ignored."""
    assert RULES["retrieve_payment_intent"].check_body(b"\xff") is None


@pytest.mark.parametrize("value", [ID, ID.upper(), "3C90c3cc-0D44-4b50-8888-8dd25736052A"])
def test_path_ids_in_either_case_are_valid(value: str) -> None:
    """A hyphenated UUID in any case passes the path parameter's schema."""
    RULES["retrieve_payment_intent"].check_path({"payment_intent_id": value})


@pytest.mark.parametrize(
    "value",
    ["", ID.replace("-", ""), "{" + ID + "}", "urn:uuid:" + ID, ID + "\n", ID[:-1] + "g", ID[:-1] + "\u0660", "\x00"],
)
def test_non_canonical_path_ids_are_invalid(value: str) -> None:
    """No hyphens, braces, urn:uuid:, a trailing newline, non-hex or non-ASCII digits: 400 at path.payment_intent_id."""
    details = _invalid(RULES["confirm_payment_intent"].check_path, {"payment_intent_id": value})
    assert {where for where, _ in details} == {"path.payment_intent_id"}


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        (b"application/json", True),
        (b"APPLICATION/JSON", True),
        (b"application/json; charset=utf-8", True),
        (b"application/json;charset=UTF8", True),
        (b'application/json; charset="utf-8"; foo=bar', True),
        (b" application/json ", True),
        (None, False),
        (b"", False),
        (b"text/json", False),
        (b"application/json-seq", False),
        (b"application/problem+json", False),
        (b"application/json; charset=iso-8859-1", False),
        (b"application/\xffjson", False),
    ],
)
def test_media_types(content_type: bytes | None, accepted: bool) -> None:
    """Only application/json (any case), with no charset or a UTF-8 one, is accepted."""
    assert RULES["create_payment_intent"].accepts_media_type(content_type) is accepted


def test_locations_name_fields_and_items() -> None:
    """Locations read `body`, `body.a.b` and `body.list[0]`."""
    assert location([]) == "body"
    assert location(["metadata", "order_id"]) == "body.metadata.order_id"
    assert location(["payment_method_types", 0]) == "body.payment_method_types[0]"


def test_unsupported_spec_features_fail_at_start_up() -> None:
    """Query parameters or non-JSON bodies, which the sandbox cannot check, are refused when compiling."""
    query = {"paths": {"/x": {"get": {"operationId": "x", "parameters": [{"name": "q", "in": "query"}]}}}}
    with pytest.raises(NotImplementedError, match="query parameters"):
        compile_rules(query)
    form = {"paths": {"/x": {"post": {"operationId": "x", "requestBody": {"content": {"text/plain": {}}}}}}}
    with pytest.raises(NotImplementedError, match="application/json"):
        compile_rules(form)
