"""Validation compiled from the spec: strict JSON, body schemas, path parameters, media types."""

from __future__ import annotations

import decimal
import json
from typing import Any

import pytest

from dots_sandbox.errors import ApiError
from dots_sandbox.request.validation import MAX_DEPTH, compile_rules, location, parse_json
from dots_spec.document import load_spec
from dots_spec.operations import operations

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
        (b"[" * 50_000 + b"]" * 50_000, "nested deeper than 32 levels"),
        (b"{} {}", "not valid JSON"),
    ],
)
def test_parse_json_refuses_what_cannot_be_stored_faithfully(raw: bytes, reason: str) -> None:
    """Bad syntax, NaN, overflow, duplicate keys, lone surrogates, bad UTF-8, BOM, deep nesting: 400 at body."""
    details = _invalid(parse_json, raw)
    assert [where for where, _ in details] == ["body"]
    assert reason in details[0][1]


def _nested(depth: int, kind: str) -> bytes:
    """A document nested exactly `depth` levels deep: arrays, or objects with one key."""
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("kind", ["arrays", "objects"])
def test_nesting_up_to_the_cap_parses(kind: str) -> None:
    """A document nested MAX_DEPTH (32) levels deep parses; brackets inside strings do not count."""
    assert MAX_DEPTH == 32
    parse_json(_nested(MAX_DEPTH, kind))
    assert parse_json(b'["' + b"[{" * 5000 + rb'\\", "\"[["]') == ["[{" * 5000 + "\\", '"[[']


@pytest.mark.parametrize("kind", ["arrays", "objects"])
@pytest.mark.parametrize("depth", [33, 256, 300, 900, 40_000])
def test_nesting_deeper_than_the_cap_is_400(kind: str, depth: int) -> None:
    """Arrays or objects nested 33 levels or more are 400 at body, saying the cap, before anything else sees them."""
    assert _invalid(parse_json, _nested(depth, kind)) == [("body", "The body is nested deeper than 32 levels")]


def test_a_validator_failure_is_400_not_an_exception() -> None:
    """When jsonschema-rs cannot validate a document (300 levels deep: ValueError), the answer is 400 at body."""
    for operation, document in (
        (
            "create_payment_intent",
            {"amount": 1, "currency": "usd", "metadata": {"k": json.loads("[" * 300 + "]" * 300)}},
        ),
        ("confirm_payment_intent", {"payment_method_id": json.loads('{"a":' * 300 + "1" + "}" * 300)}),
    ):
        details = _invalid(RULES[operation].check_document, document)
        assert [where for where, _ in details] == ["body"]
        assert details[0][1].startswith("The body cannot be validated:")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b"1e3", 1000),
        (b"1000.0", 1000),
        (b"1.00000000000000000000", 1),
        (b"0e999999999", 0),
        (b"-0.0", 0),
        (b"1.0000000000000001", decimal.Decimal("1.0000000000000001")),
        (b"1e-999999999", decimal.Decimal("1e-999999999")),
        (b"2.5", decimal.Decimal("2.5")),
    ],
)
def test_numbers_are_read_exactly(raw: bytes, value: Any) -> None:
    """A number with a fraction or exponent is an int only if exactly integral; otherwise its exact Decimal."""
    parsed = parse_json(raw)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize("raw", [b"1e400", b"-1e400", b"1.7976931348623159e308", b"1e999999999", b"-1e999999999"])
def test_numbers_beyond_float_range_are_400_without_building_them(raw: bytes) -> None:
    """Numbers beyond float range, however large their exponent, are 400 at body (and are never expanded)."""
    details = _invalid(parse_json, raw)
    assert [where for where, _ in details] == ["body"]
    assert "out of range" in details[0][1]


def test_a_non_integer_close_to_an_integer_is_not_an_integer() -> None:
    """`1.0000000000000001` (1.0 as a float) is not an integer: 400 at body.amount; `1e3` is the integer 1000."""
    rules = RULES["create_payment_intent"]
    details = _invalid(rules.check_body, b'{"amount": 1.0000000000000001, "currency": "usd"}')
    assert details == [("body.amount", '1.0000000000000001 is not of type "integer"')]
    assert [where for where, _ in _invalid(rules.check_body, b'{"amount": 1e-400, "currency": "usd"}')] == [
        "body.amount"
    ]
    assert rules.check_body(b'{"amount": 1e3, "currency": "usd"}') == {"amount": 1000, "currency": "usd"}


def test_valid_non_integers_are_stored_as_floats() -> None:
    """Where a schema allows a non-integer, it is checked exactly and comes back as a float (JSON-encodable)."""
    spec = {
        "paths": {
            "/x": {
                "post": {
                    "operationId": "x",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}}
                    },
                }
            }
        }
    }
    rules = compile_rules(spec)["x"]
    document = rules.check_body(b'{"a": [2.5, {"b": 1e-3}], "c": 1.0, "d": "s"}')
    assert document == {"a": [2.5, {"b": 0.001}], "c": 1, "d": "s"}
    assert [type(document["a"][0]), type(document["a"][1]["b"]), type(document["c"])] == [float, float, int]
    plain = {"a": [1], "b": "s"}
    assert rules.check_document(plain) is plain


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


def test_keywords_beside_a_schema_ref_are_enforced_with_it() -> None:
    """`{$ref: Cents, maximum: 1000}` refuses what either forbids: above the sibling's bound, below the target's."""
    spec = {
        "openapi": "3.1.0",
        "paths": {
            "/x": {
                "post": {
                    "operationId": "x",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"amount": {"$ref": "#/components/schemas/Cents", "maximum": 1000}},
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"Cents": {"type": "integer", "minimum": 1, "maximum": 100000}}},
    }
    rules = compile_rules(spec)["x"]
    assert rules.check_body(b'{"amount": 1000}') == {"amount": 1000}
    assert [where for where, _ in _invalid(rules.check_body, b'{"amount": 5000}')] == ["body.amount"]
    assert [where for where, _ in _invalid(rules.check_body, b'{"amount": 0}')] == ["body.amount"]
