"""The spec-change gate (`make check-breaking`): a catalogue of edits to openapi.yaml and their verdicts."""

from __future__ import annotations

import copy
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, PaymentIntent, PaymentIntentStatus

from dots_sandbox.spec import SPEC_PATH, load_spec
from tools import breaking
from tools.breaking import Severity

B, P, N = Severity.BREAKING, Severity.POSSIBLY_BREAKING, Severity.NON_BREAKING
ROOT = Path(__file__).resolve().parent.parent.parent

Spec = dict[str, Any]
Edit = Callable[[Spec], None]
Where = tuple[str, ...]

SCHEMAS: Where = ("components", "schemas")
INTENT: Where = (*SCHEMAS, "PaymentIntent")
INTENT_PROPS: Where = (*INTENT, "properties")
CREATE_REQ: Where = (*SCHEMAS, "CreatePaymentIntentRequest")
CREATE_PROPS: Where = (*CREATE_REQ, "properties")
CONFIRM_REQ: Where = (*SCHEMAS, "ConfirmPaymentIntentRequest")
STATUS: Where = (*SCHEMAS, "PaymentIntentStatus")
CREATE_PATH, ONE_PATH = "/v2/payment-intents", "/v2/payment-intents/{payment_intent_id}"
CONFIRM_PATH = f"{ONE_PATH}/confirm"
CREATE: Where = ("paths", CREATE_PATH, "post")
RETRIEVE: Where = ("paths", ONE_PATH, "get")
CONFIRM: Where = ("paths", CONFIRM_PATH, "post")


def _node(spec: Spec, where: Where) -> Any:
    node: Any = spec
    for key in where:
        node = node[key]
    return node


def put(where: Where, value: Any) -> Edit:
    """Set the value at `where` (creating the last key)."""
    return lambda spec: _node(spec, where[:-1]).__setitem__(where[-1], copy.deepcopy(value))


def drop(where: Where) -> Edit:
    """Delete the key at `where`."""
    return lambda spec: _node(spec, where[:-1]).pop(where[-1])


def append(where: Where, value: Any) -> Edit:
    """Append to the list at `where`."""
    return lambda spec: _node(spec, where).append(copy.deepcopy(value))


def discard(where: Where, value: Any) -> Edit:
    """Remove a value from the list at `where`."""
    return lambda spec: _node(spec, where).remove(value)


def rename_key(where: Where, old: str, new: str) -> Edit:
    """Rename a key of the mapping at `where`, keeping its position."""

    def edit(spec: Spec) -> None:
        mapping = _node(spec, where)
        items = [(new if k == old else k, v) for k, v in mapping.items()]
        mapping.clear()
        mapping.update(items)

    return edit


def _move_transfer_data_to_component(spec: Spec) -> None:
    _node(spec, SCHEMAS)["TransferData"] = _node(spec, CREATE_PROPS)["transfer_data"]
    _node(spec, CREATE_PROPS)["transfer_data"] = {"$ref": "#/components/schemas/TransferData"}


def _inline_confirm_request(spec: Spec) -> None:
    schema = _node(spec, SCHEMAS).pop("ConfirmPaymentIntentRequest")
    _node(spec, (*CONFIRM, "requestBody", "content", "application/json"))["schema"] = schema


ERROR_RESPONSE = {
    "description": "Too many requests.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
API_KEY_SCHEME = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}


@dataclass(frozen=True)
class Case:
    """A named pair: `before` and `after` are each the real spec with their own edits (none: the spec as is)."""

    name: str
    after: tuple[Edit, ...]
    expected: frozenset[tuple[str, Severity]]
    exit_code: int
    before: tuple[Edit, ...] = ()


def case(
    name: str, after: list[Edit], expected: dict[str, Severity], exit_code: int, before: list[Edit] | None = None
) -> Case:
    return Case(name, tuple(after), frozenset(expected.items()), exit_code, tuple(before or ()))


CATALOGUE = [
    # documentation
    case("description_only", [put((*INTENT_PROPS, "amount", "description"), "Cents.")], {"docs-changed": N}, 0),
    case("info_description", [put(("info", "description"), "Shorter.")], {"docs-changed": N}, 0),
    case("servers_changed", [drop(("servers",))], {"servers-changed": N}, 0),
    case("deprecate_operation", [put((*RETRIEVE, "deprecated"), True)], {"operation-deprecated": N}, 0),
    # operations
    case("remove_operation", [drop(RETRIEVE)], {"operation-removed": B}, 1),
    case(
        "add_operation",
        [
            put(
                ("paths", f"{ONE_PATH}/cancel"),
                {"post": {"operationId": "cancel", "responses": {"204": {"description": "Done."}}}},
            )
        ],
        {"operation-added": N},
        0,
    ),
    case("rename_operation_id", [put((*CONFIRM, "operationId"), "confirm")], {"operation-id-changed": P}, 0),
    case(
        "rename_path_parameter",
        [
            rename_key(("paths",), ONE_PATH, "/v2/payment-intents/{id}"),
            rename_key(("paths",), CONFIRM_PATH, "/v2/payment-intents/{id}/confirm"),
            put(("components", "parameters", "PaymentIntentId", "name"), "id"),
        ],
        {"path-parameter-renamed": P},
        0,
    ),
    # response fields
    case(
        "remove_optional_response_field", [drop((*INTENT_PROPS, "client_secret"))], {"response-property-removed": B}, 1
    ),
    case(
        "remove_required_response_field",
        [drop((*INTENT_PROPS, "amount")), discard((*INTENT, "required"), "amount")],
        {"response-property-removed": B},
        1,
    ),
    case(
        "response_field_no_longer_required",
        [discard((*INTENT, "required"), "id")],
        {"response-property-became-optional": B},
        1,
    ),
    case(
        "response_field_now_required",
        [append((*INTENT, "required"), "status")],
        {"response-property-became-required": N},
        0,
    ),
    case(
        "add_response_field",
        [put((*INTENT_PROPS, "created_at"), {"type": "string", "format": "date-time"})],
        {"response-property-added": N},
        0,
    ),
    # response enums, types, formats, ranges
    case("add_response_enum_value", [append((*STATUS, "enum"), "refunded")], {"response-enum-value-added": B}, 1),
    case(
        "remove_response_enum_value",
        [discard((*STATUS, "enum"), "requires_capture")],
        {"response-enum-value-removed": P},
        0,
    ),
    case(
        "add_enum_value_used_in_request_and_response",
        [append((*SCHEMAS, "Currency", "enum"), "eur")],
        {"request-enum-value-added": N, "response-enum-value-added": B},
        1,
    ),
    case("change_response_type", [put((*INTENT_PROPS, "amount", "type"), "string")], {"response-type-changed": B}, 1),
    case(
        "widen_response_type_to_nullable",
        [put((*INTENT_PROPS, "amount", "type"), ["integer", "null"])],
        {"response-type-widened": B},
        1,
    ),
    case(
        "narrow_response_type",
        [],
        {"response-type-narrowed": N},
        0,
        before=[put((*INTENT_PROPS, "amount", "type"), "number")],
    ),
    case("remove_response_format", [drop((*INTENT_PROPS, "transfer_id", "format"))], {"response-format-removed": B}, 1),
    case(
        "widen_response_range",
        [],
        {"response-range-widened": P},
        0,
        before=[put((*INTENT_PROPS, "amount", "maximum"), 99999999)],
    ),
    # request fields
    case(
        "add_required_request_field",
        [
            put((*CONFIRM_REQ, "properties", "return_url"), {"type": "string"}),
            append((*CONFIRM_REQ, "required"), "return_url"),
        ],
        {"request-property-added-required": B},
        1,
    ),
    case(
        "add_optional_request_field",
        [put((*CONFIRM_REQ, "properties", "return_url"), {"type": "string"})],
        {"request-property-added": N},
        0,
    ),
    case(
        "request_field_now_required",
        [append((*CREATE_REQ, "required"), "confirm")],
        {"request-property-became-required": B},
        1,
    ),
    case(
        "remove_request_field_from_closed_object",
        [drop((*CREATE_PROPS, "description"))],
        {"request-property-removed": B},
        1,
    ),
    case(
        "remove_request_field_from_open_object",
        [drop((*CREATE_REQ, "additionalProperties")), drop((*CREATE_PROPS, "description"))],
        {"request-property-removed": P},
        0,
        before=[drop((*CREATE_REQ, "additionalProperties"))],
    ),
    case(
        "close_request_object",
        [],
        {"request-additional-properties-closed": B},
        1,
        before=[drop((*CONFIRM_REQ, "additionalProperties"))],
    ),
    case(
        "open_request_object",
        [drop((*CONFIRM_REQ, "additionalProperties"))],
        {"request-additional-properties-opened": N},
        0,
    ),
    case(
        "make_request_body_optional",
        [put((*CREATE, "requestBody", "required"), False)],
        {"request-body-became-optional": N},
        0,
    ),
    case(
        "change_request_default", [put((*CREATE_PROPS, "confirm", "default"), True)], {"request-default-changed": P}, 0
    ),
    # request parameters
    case(
        "add_required_query_parameter",
        [
            put(
                (*CONFIRM, "parameters"),
                [{"name": "expand", "in": "query", "required": True, "schema": {"type": "string"}}],
            )
        ],
        {"request-parameter-added-required": B},
        1,
    ),
    case(
        "add_optional_query_parameter",
        [put((*CONFIRM, "parameters"), [{"name": "expand", "in": "query", "schema": {"type": "string"}}])],
        {"request-parameter-added": N},
        0,
    ),
    # request types, formats, ranges, sizes, patterns, enums
    case("change_request_type", [put((*CREATE_PROPS, "confirm", "type"), "string")], {"request-type-narrowed": B}, 1),
    case(
        "narrow_request_type_from_nullable",
        [],
        {"request-type-narrowed": B},
        1,
        before=[put((*CREATE_PROPS, "confirm", "type"), ["boolean", "null"])],
    ),
    case(
        "widen_request_type",
        [put((*CREATE_PROPS, "amount", "type"), "number")],
        {"request-type-widened": N, "request-range-widened": N},  # 0.5 is now in range too
        0,
    ),
    case(
        "add_request_format",
        [put((*CREATE_PROPS, "description", "format"), "email")],
        {"request-format-narrowed": B},
        1,
    ),
    case(
        "remove_request_format",
        [drop((*CONFIRM_REQ, "properties", "payment_method_id", "format"))],
        {"request-format-removed": N},
        0,
    ),
    case(
        "raise_request_minimum",
        [put((*CREATE_PROPS, "amount", "exclusiveMinimum"), 50)],
        {"request-range-narrowed": B},
        1,
    ),
    case(
        "lower_request_maximum",
        [put((*CREATE_PROPS, "application_fee_amount", "maximum"), 1000)],
        {"request-range-narrowed": B},
        1,
    ),
    case(
        "same_integer_range_spelt_differently",
        [drop((*CREATE_PROPS, "amount", "exclusiveMinimum")), put((*CREATE_PROPS, "amount", "minimum"), 1)],
        {},
        0,
    ),
    case(
        "narrow_request_max_length",
        [put((*CREATE_PROPS, "description", "maxLength"), 100)],
        {"request-size-narrowed": B},
        1,
    ),
    case(
        "add_request_min_length", [put((*CREATE_PROPS, "description", "minLength"), 1)], {"request-size-narrowed": B}, 1
    ),
    case(
        "narrow_request_max_items",
        [],
        {"request-size-narrowed": B},
        1,
        before=[put((*CREATE_PROPS, "payment_method_types", "maxItems"), 5)],
    ),
    case(
        "narrow_request_max_properties",
        [put((*SCHEMAS, "Metadata", "maxProperties"), 5)],
        {"request-size-narrowed": B},
        1,
    ),
    case(
        "add_request_pattern",
        [put((*CREATE_PROPS, "description", "pattern"), "^[ -~]*$")],
        {"request-pattern-narrowed": B},
        1,
    ),
    case(
        "change_request_pattern",
        [put(("components", "parameters", "PaymentIntentId", "schema", "pattern"), "^[0-9a-f-]{36}$")],
        {"request-pattern-changed": P},
        0,
    ),
    case(
        "narrow_request_enum",
        [put((*CREATE_PROPS, "setup_future_usage", "enum"), ["off_session"])],
        {"request-enum-value-removed": B, "request-enum-value-added": N},
        1,
    ),
    case(
        "add_unrecognised_keyword",
        [put((*CREATE_PROPS, "description", "contentMediaType"), "text/plain")],
        {"unrecognised-change": P},
        0,
    ),
    # status codes
    case(
        "replace_success_status",
        [rename_key((*CREATE, "responses"), "200", "201")],
        {"response-status-removed": B, "response-status-added": P},
        1,
    ),
    case("remove_error_status", [drop((*CONFIRM, "responses", "404"))], {"response-status-removed": P}, 0),
    case("add_error_status", [put((*CONFIRM, "responses", "429"), ERROR_RESPONSE)], {"response-status-added": N}, 0),
    # security
    case(
        "change_security_scheme",
        [put(("components", "securitySchemes", "basicAuth", "scheme"), "bearer")],
        {"security-tightened": B},
        1,
    ),
    case(
        "add_security_alternative",
        [
            put(("components", "securitySchemes", "apiKey"), API_KEY_SCHEME),
            append((*CONFIRM, "security"), {"apiKey": []}),
        ],
        {"security-relaxed": N},
        0,
    ),
    case("remove_security", [put((*CONFIRM, "security"), [])], {"security-relaxed": N}, 0),
    case("require_security", [], {"security-tightened": B}, 1, before=[put((*RETRIEVE, "security"), [])]),
    # moving schemas between inline and components
    case("move_inline_schema_to_component", [_move_transfer_data_to_component], {"component-schema-added": N}, 0),
    case("inline_component_schema", [_inline_confirm_request], {"component-schema-removed": P}, 0),
    case("change_schema_title", [put((*INTENT, "title"), "payment intent object")], {"title-changed": P}, 0),
]


def _spec(edits: tuple[Edit, ...] | list[Edit]) -> Spec:
    """A deep copy of the real spec (never the cached object) with `edits` applied."""
    spec = copy.deepcopy(load_spec())
    for edit in edits:
        edit(spec)
    return spec


def _pair(item: Case) -> tuple[Spec, Spec]:
    return _spec(item.before), _spec(item.after)


@pytest.mark.parametrize("item", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    before, after = _pair(item)
    changes = breaking.compare(before, after)
    assert {(c.rule, c.severity) for c in changes} == item.expected
    assert breaking.verdict(changes, "1.0.0", "1.0.0").exit_code == item.exit_code


def test_catalogue_is_large_and_uniquely_named() -> None:
    """The catalogue holds at least 15 pairs with distinct names, breaking and not."""
    names = [c.name for c in CATALOGUE]
    assert len(names) >= 15
    assert len(set(names)) == len(names)
    assert {c.exit_code for c in CATALOGUE} == {0, 1}


def test_unchanged_spec_has_no_changes() -> None:
    """A spec compared with a copy of itself passes with no changes."""
    changes = breaking.compare(load_spec(), _spec([]))
    assert changes == []
    assert breaking.verdict(changes, "1.0.0", "1.0.0") == breaking.Verdict(
        0, "PASS: no changes (info.version 1.0.0 -> 1.0.0)"
    )


def test_cached_spec_is_never_mutated() -> None:
    """Building the catalogue leaves load_spec()'s cached object equal to the file."""
    for item in CATALOGUE:
        _pair(item)
    assert load_spec() == yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_change_points_at_component_and_operations() -> None:
    """A shared schema change names its JSON pointer once and every operation + field it reaches."""
    changes = breaking.compare(load_spec(), _spec([append((*STATUS, "enum"), "refunded")]))
    (finding,) = breaking.findings(changes)
    assert finding.pointer == "#/components/schemas/PaymentIntentStatus/enum"
    assert finding.wheres == (
        f"GET {ONE_PATH} response 200 body.status",
        f"POST {CREATE_PATH} response 200 body.status",
        f"POST {CONFIRM_PATH} response 200 body.status",
    )


def test_removed_node_points_into_base() -> None:
    """A removal is located in the base spec and flagged as such."""
    (change,) = breaking.compare(load_spec(), _spec([drop(RETRIEVE)]))
    assert change.in_base
    assert change.pointer == "#/paths/~1v2~1payment-intents~1{payment_intent_id}/get"
    assert change.where == f"GET {ONE_PATH}"


def test_inline_field_pointer_follows_refs() -> None:
    """A request field change is located inside the component its $ref names, with a body.field label."""
    (change,) = breaking.compare(load_spec(), _spec([put((*CREATE_PROPS, "description", "maxLength"), 10)]))
    assert change.pointer == "#/components/schemas/CreatePaymentIntentRequest/properties/description/maxLength"
    assert change.where == f"POST {CREATE_PATH} request body.description"
    assert change.message == "maxLength 1000 -> 10: some values clients send are now rejected"


def _doc(schema: dict[str, Any], *, request: bool) -> Spec:
    """A one-operation document carrying `schema` as the request or the 200 response body."""
    body = {"content": {"application/json": {"schema": schema}}}
    operation: dict[str, Any] = {"responses": {"200": {"description": "ok", **({} if request else body)}}}
    if request:
        operation["requestBody"] = {"required": True, **body}
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1.0.0"}, "paths": {"/t": {"post": operation}}}


def test_openapi_30_bounds_and_nullable_are_understood() -> None:
    """3.0's boolean exclusiveMinimum and nullable compare like their 3.1 spellings."""
    old = {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True}
    new = {"type": ["integer", "null"], "minimum": 1}
    assert breaking.compare(_doc(old, request=True), _doc(new, request=True)) == []
    rules = {
        c.rule for c in breaking.compare(_doc(old, request=True), _doc({"type": "integer", "minimum": 1}, request=True))
    }
    assert rules == {"request-type-narrowed"}


def test_recursive_schemas_terminate() -> None:
    """A self-referencing component is compared once per pair, not forever."""
    node = {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}
    old = {**_doc({"$ref": "#/components/schemas/Node"}, request=False), "components": {"schemas": {"Node": node}}}
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Node"]["properties"]["name"] = {"type": "string"}
    changes = breaking.compare(old, new)
    assert [(c.rule, c.where) for c in changes] == [("response-property-added", "POST /t response 200 body.name")]


def test_empty_documents_compare_without_error() -> None:
    """Everything removed is breaking; everything added from nothing is not."""
    empty = {"openapi": "3.1.0", "info": {"title": "t", "version": "1.0.0"}, "paths": {}}
    assert breaking.verdict(breaking.compare(load_spec(), empty), "1.0.0", "1.0.0").exit_code == 1
    assert {c.severity for c in breaking.compare(empty, load_spec())} == {N}


def test_non_local_ref_is_reported_not_followed() -> None:
    """A $ref outside the document stops the comparison with a message (exit 2 from main)."""
    external = _doc({"$ref": "other.yaml#/Thing"}, request=True)
    with pytest.raises(ValueError, match="only local"):
        breaking.compare(external, external)


def test_changelog_has_an_entry_for_the_spec_version() -> None:
    """CHANGELOG.md has a section for openapi.yaml's info.version (workflow step: changelog entry)."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{load_spec()['info']['version']}] - " in changelog


def test_client_package_version_matches_the_spec_version() -> None:
    """codegen/config.yaml pins dots-client's version to info.version (workflow step: version bump)."""
    config = yaml.safe_load((ROOT / "codegen" / "config.yaml").read_text(encoding="utf-8"))
    assert str(config["package_version_override"]) == load_spec()["info"]["version"]


# ---- what the generated client does (the facts some rules rest on) ----------------------------------------------

INTENT_JSON = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}


def test_generated_client_raises_on_unknown_enum_value() -> None:
    """PaymentIntentStatus is a StrEnum: PaymentIntent.from_dict raises ValueError on an unknown status."""
    assert issubclass(PaymentIntentStatus, str)
    with pytest.raises(ValueError, match="'refunded' is not a valid PaymentIntentStatus"):
        PaymentIntent.from_dict({**INTENT_JSON, "status": "refunded"})


def test_generated_operation_propagates_unknown_enum_value() -> None:
    """confirm_payment_intent.sync lets that ValueError escape: the caller gets no result at all."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={**INTENT_JSON, "status": "refunded"}))
    client = AuthenticatedClient.basic_auth("https://dots.test/api", "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
    with pytest.raises(ValueError, match="refunded"):
        confirm_payment_intent.sync(uuid.uuid4(), client=client, body=body)
    kind = {(c.rule, c.severity) for c in breaking.compare(load_spec(), _spec([append((*STATUS, "enum"), "refunded")]))}
    assert kind == {("response-enum-value-added", B)}


def test_generated_client_requires_required_response_fields() -> None:
    """from_dict raises KeyError without a required field (so dropping required-ness is breaking)."""
    with pytest.raises(KeyError, match="id"):
        PaymentIntent.from_dict({k: v for k, v in INTENT_JSON.items() if k != "id"})


def test_generated_client_keeps_unknown_response_fields() -> None:
    """An undeclared response field lands in additional_properties (so adding one is non-breaking)."""
    intent = PaymentIntent.from_dict({**INTENT_JSON, "created_at": "2026-01-01T00:00:00Z"})
    assert intent.additional_properties == {"created_at": "2026-01-01T00:00:00Z"}


def test_generated_client_returns_none_on_undocumented_status() -> None:
    """An undocumented status parses to None (so a new error status changes nothing a caller handles)."""
    transport = httpx.MockTransport(lambda _: httpx.Response(429, json={"error": "slow down"}))
    client = AuthenticatedClient.basic_auth("https://dots.test/api", "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
    assert confirm_payment_intent.sync(uuid.uuid4(), client=client, body=body) is None


# ---- verdict and the major-version escape hatch -----------------------------------------------------------------


def _enum_added() -> list[breaking.Change]:
    return breaking.compare(load_spec(), _spec([append((*STATUS, "enum"), "refunded")]))


def test_major_bump_lets_breaking_changes_pass() -> None:
    """Raising info.version's major part turns a breaking change into a pass, and says so."""
    result = breaking.verdict(_enum_added(), "1.0.0", "2.0.0")
    assert result.exit_code == 0
    assert result.line.startswith("PASS: 1 breaking")
    assert "major bump" in result.line


@pytest.mark.parametrize(
    ("old", "new"), [("1.0.0", "1.0.0"), ("1.0.0", "1.1.0"), ("1.0.0", "1.0.1"), ("2.0.0", "1.9.0")]
)
def test_breaking_change_fails_without_major_bump(old: str, new: str) -> None:
    """Minor, patch, no bump or a lowered major all fail on a breaking change."""
    result = breaking.verdict(_enum_added(), old, new)
    assert result.exit_code == 1
    assert result.line.startswith("FAIL: 1 breaking, 0 possibly breaking, 0 non-breaking")


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0.0", 1), ("2.3.4-rc.1", 2), ("v3.0", 3), ("10", 10), ("1.0.0+build", 1), ("", None), ("next", None)],
)
def test_major_part_is_parsed(version: str, expected: int | None) -> None:
    """major() reads MAJOR from semver-like strings and gives None for anything else."""
    assert breaking.major(version) == expected


def test_unparsable_version_never_excuses_breaking() -> None:
    """A version with no numeric major part cannot raise it."""
    assert breaking.verdict(_enum_added(), "1.0.0", "two").exit_code == 1


def test_major_bump_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI exits 0 on a breaking change when the new file's major version is higher."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    spec = _spec([append((*STATUS, "enum"), "refunded"), put(("info", "version"), "2.0.0")])
    new.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    assert breaking.main(["--base-file", str(old), "--spec", str(new)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "PASS: 1 breaking, 0 possibly breaking, 0 non-breaking; the breaking changes come with a major bump "
        f"(info.version {load_spec()['info']['version']} -> 2.0.0)"
    )


# ---- output ----------------------------------------------------------------------------------------------------


def test_output_groups_by_class_and_ends_with_verdict() -> None:
    """The report lists breaking, then possibly breaking, then non-breaking, and ends with one verdict line."""
    edits = [
        append((*SCHEMAS, "Currency", "enum"), "eur"),
        drop((*CONFIRM, "responses", "404")),
        put((*INTENT_PROPS, "amount", "description"), "Cents."),
    ]
    report, code = breaking.render(breaking.compare(load_spec(), _spec(edits)), "1.0.0", "1.0.0", "title")
    lines = report.splitlines()
    assert code == 1
    assert lines[0] == "title"
    headings = [line for line in lines if line and not line.startswith(" ")][1:-2]
    assert headings == ["BREAKING (1)", "POSSIBLY BREAKING (1)", "NON-BREAKING (2)"]
    assert "  [response-enum-value-added] #/components/schemas/Currency/enum" in lines
    removed = f"#/paths/{CONFIRM_PATH.replace('/', '~1')}/post/responses/404"
    assert f"  [response-status-removed] {removed} (in BASE)" in lines
    assert f"      at POST {CREATE_PATH} request body.currency" in lines
    assert lines[-2] == (
        "These changes call for a major bump of info.version: 1.0.0 at BASE -> at least 2.0.0"
        " (the working tree has 1.0.0)."
    )
    assert lines[-1] == (
        "FAIL: 1 breaking, 1 possibly breaking, 2 non-breaking; info.version 1.0.0 -> 1.0.0: "
        "undo the breaking changes or raise the major version"
    )
    assert all(len(line) <= 140 for line in lines[:-1])


@pytest.mark.parametrize(
    ("edits", "bump"),
    [
        ([put((*INTENT_PROPS, "amount", "description"), "Cents.")], "patch"),
        ([put((*INTENT_PROPS, "created_at"), {"type": "string"})], "minor"),
        ([drop(RETRIEVE)], "major"),
        ([], "none"),
    ],
)
def test_suggested_bump_follows_the_worst_change(edits: list[Edit], bump: str) -> None:
    """Docs-only changes call for a patch, additive ones a minor, breaking ones a major bump."""
    assert breaking.suggested_bump(breaking.compare(load_spec(), _spec(edits))) == bump


# ---- git BASE plumbing -----------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the real openapi.yaml."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "--quiet")
    (root / "openapi.yaml").write_text(SPEC_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    _git(root, "add", "openapi.yaml")
    _git(root, "commit", "--quiet", "-m", "spec 1.0.0")
    return root


def _write(path: Path, edits: list[Edit]) -> None:
    path.write_text(yaml.safe_dump(_spec(edits), sort_keys=False), encoding="utf-8")


def test_base_ref_reads_the_committed_spec(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--base HEAD compares the working tree's edit with `git show HEAD:openapi.yaml`."""
    spec = repo / "openapi.yaml"
    _write(spec, [drop(RETRIEVE)])
    assert breaking.main(["--base", "HEAD", "--spec", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "against HEAD:openapi.yaml" in out.splitlines()[0]
    assert "[operation-removed]" in out


def test_default_base_is_head_without_origin_main(repo: Path) -> None:
    """Without origin/main the default BASE is HEAD, so uncommitted edits are what is checked."""
    assert breaking.default_base(repo) == "HEAD"


def test_default_base_prefers_origin_main(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With origin/main present it is the default, so committed branch changes are checked too."""
    first = _git(repo, "rev-parse", "HEAD")
    _git(repo, "update-ref", "refs/remotes/origin/main", first)
    spec = repo / "openapi.yaml"
    _write(spec, [append((*STATUS, "enum"), "refunded")])
    _git(repo, "commit", "--quiet", "-am", "add refunded")
    assert breaking.default_base(repo) == "origin/main"
    assert breaking.main(["--spec", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "against origin/main:openapi.yaml" in out
    assert "[response-enum-value-added]" in out


def test_spec_in_a_subdirectory_is_read_at_its_own_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The ref is read relative to the spec's directory, not the repository root."""
    sub = repo / "api"
    sub.mkdir()
    _git(repo, "mv", "openapi.yaml", "api/openapi.yaml")
    _git(repo, "commit", "--quiet", "-m", "move")
    assert breaking.main(["--base", "HEAD", "--spec", str(sub / "openapi.yaml")]) == 0
    version = load_spec()["info"]["version"]
    assert capsys.readouterr().out.splitlines()[-1] == f"PASS: no changes (info.version {version} -> {version})"


def test_unknown_ref_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A ref git cannot resolve stops the gate with status 2 and says which."""
    assert breaking.main(["--base", "no-such-ref", "--spec", str(repo / "openapi.yaml")]) == 2
    assert "cannot read openapi.yaml at 'no-such-ref'" in capsys.readouterr().err


def test_spec_missing_at_base_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A base commit without the spec is an error, not an empty comparison."""
    (repo / "README").write_text("x\n", encoding="utf-8")
    _git(repo, "add", "README")
    _git(repo, "commit", "--quiet", "-m", "readme")
    _git(repo, "checkout", "--quiet", "--orphan", "empty")
    _git(repo, "rm", "--quiet", "--cached", "openapi.yaml")
    _git(repo, "commit", "--quiet", "-m", "no spec")
    assert breaking.main(["--base", "HEAD", "--spec", str(repo / "openapi.yaml")]) == 2
    assert "cannot read openapi.yaml at 'HEAD'" in capsys.readouterr().err


def test_cli_runs_as_module(repo: Path) -> None:
    """`python -m tools.breaking` (what `make check-breaking` runs) prints the report and exits 1 on breaking."""
    spec = repo / "openapi.yaml"
    _write(spec, [put((*CREATE_PROPS, "description", "maxLength"), 100)])
    result = subprocess.run(
        [sys.executable, "-m", "tools.breaking", "--base", "HEAD", "--spec", str(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "[request-size-narrowed]" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("FAIL: 1 breaking")
    assert "\x1b[" not in result.stdout  # plain text: no colour codes in CI logs


def test_makefile_documents_check_breaking() -> None:
    """`make help` lists check-breaking, and the target passes BASE through."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "check-breaking: setup ## " in makefile
    assert "-m tools.breaking $(if $(BASE),--base '$(BASE)')" in makefile
