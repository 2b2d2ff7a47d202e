"""The catalogue of the spec-change gate: named edits to openapi.yaml and their verdicts, and the helpers the
gate's tests share. Test-only: the test_<module>.py files import it.

Each pair is filed under the gate module whose rule decides it (`CATALOGUE["schemas.bounds"]` holds the
cases `tools/breaking/schemas/bounds.py` classifies), and each module's test file runs its own cases.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dots_spec.document import SPEC_PATH, load_spec
from tools.breaking.compare import compare
from tools.breaking.model import Severity
from tools.breaking.verdict import verdict

B, P, N = Severity.BREAKING, Severity.POSSIBLY_BREAKING, Severity.NON_BREAKING
ROOT = Path(__file__).resolve().parents[3]

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
HOOK: Where = ("webhooks", "payment_intent.updated", "post")
EVENT: Where = (*SCHEMAS, "PaymentIntentUpdatedEvent")
CENTS = {"type": "integer", "exclusiveMinimum": 0, "maximum": 99999999}


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


def _webhook_header(index: int, key: str, value: Any) -> Edit:
    """Set `key` of the webhook's `index`th header parameter (0 svix-id, 1 svix-timestamp, 2 svix-signature)."""
    return lambda spec: _node(spec, (*HOOK, "parameters"))[index].__setitem__(key, copy.deepcopy(value))


def _drop_webhook_header(index: int) -> Edit:
    return lambda spec: _node(spec, (*HOOK, "parameters")).pop(index)


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


CATALOGUE: dict[str, list[Case]] = {
    "compare": [
        case("info_description", [put(("info", "description"), "Shorter.")], {"docs-changed": N}, 0),
        case("servers_changed", [drop(("servers",))], {"servers-changed": N}, 0),
    ],
    "paths": [
        case("deprecate_operation", [put((*RETRIEVE, "deprecated"), True)], {"operation-deprecated": N}, 0),
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
    ],
    "parameters": [
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
    ],
    "bodies": [
        case(
            "make_request_body_optional",
            [put((*CREATE, "requestBody", "required"), False)],
            {"request-body-became-optional": N},
            0,
        ),
    ],
    "responses": [
        case(
            "replace_success_status",
            [rename_key((*CREATE, "responses"), "200", "201")],
            {"response-status-removed": B, "response-status-added": P},
            1,
        ),
        case("remove_error_status", [drop((*CONFIRM, "responses", "404"))], {"response-status-removed": P}, 0),
        case(
            "add_error_status", [put((*CONFIRM, "responses", "429"), ERROR_RESPONSE)], {"response-status-added": N}, 0
        ),
    ],
    "security": [
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
    ],
    "webhooks": [
        case("remove_webhook", [drop(("webhooks", "payment_intent.updated"))], {"webhook-removed": B}, 1),
        case(
            "add_webhook",
            [put(("webhooks", "transfer.updated"), {"post": {"responses": {"2XX": {"description": "Received."}}}})],
            {"webhook-added": N},
            0,
        ),
        case("stop_sending_signature", [_drop_webhook_header(2)], {"webhook-parameter-removed": B}, 1),
        case(
            "signature_may_be_missing",
            [_webhook_header(2, "required", False)],
            {"webhook-parameter-became-optional": B},
            1,
        ),
        case(
            "send_another_header",
            [append((*HOOK, "parameters"), {"name": "webhook-id", "in": "header", "schema": {"type": "string"}})],
            {"webhook-parameter-added": N},
            0,
        ),
        case(
            "timestamp_pattern_changed",
            [_webhook_header(1, "schema", {"type": "string", "pattern": "^[0-9]{10}$"})],
            {"response-pattern-changed": P},
            0,
        ),
        case(
            "payload_may_be_missing",
            [put((*HOOK, "requestBody", "required"), False)],
            {"webhook-payload-became-optional": B},
            1,
        ),
        case(
            "payload_gains_a_field",
            [put((*EVENT, "properties", "status"), {"type": "string"})],
            {"response-property-added": N},
            0,
        ),
        case(
            "payload_loses_its_pointer",
            [drop((*EVENT, "properties", "payment_intent_id")), put((*EVENT, "required"), ["event"])],
            {"response-property-removed": B},
            1,
        ),
        case(
            "payload_event_value_added",
            [append((*EVENT, "properties", "event", "enum"), "payment_intent.created")],
            {"response-enum-value-added": B},
            1,
        ),
        case(
            "accept_only_200",
            [rename_key((*HOOK, "responses"), "2XX", "200")],
            {"webhook-answer-removed": B, "webhook-answer-added": N},
            1,
        ),
        case(
            "accept_3xx_too",
            [put((*HOOK, "responses", "3XX"), {"description": "Moved."})],
            {"webhook-answer-added": N},
            0,
        ),
        case(
            "rename_webhook_operation_id",
            [put((*HOOK, "operationId"), "updated")],
            {"webhook-operation-id-changed": N},
            0,
        ),
    ],
    "components": [
        case("move_inline_schema_to_component", [_move_transfer_data_to_component], {"component-schema-added": N}, 0),
        case("inline_component_schema", [_inline_confirm_request], {"component-schema-removed": P}, 0),
    ],
    "schemas": [
        case(
            "add_unrecognised_keyword",
            [put((*CREATE_PROPS, "description", "maxGraphemes"), 10)],
            {"unrecognised-change": P},
            0,
        ),
    ],
    "schemas.composition": [
        case(
            "narrow_request_amount_by_wrapping_its_ref_in_allof",
            [
                put((*SCHEMAS, "Cents"), CENTS),
                put((*CREATE_PROPS, "amount"), {"allOf": [{"$ref": "#/components/schemas/Cents"}], "maximum": 5000}),
            ],
            {"request-range-narrowed": B},
            1,
            before=[
                put((*SCHEMAS, "Cents"), CENTS),
                put((*CREATE_PROPS, "amount"), {"$ref": "#/components/schemas/Cents"}),
            ],
        ),
        case(
            "narrow_request_amount_with_a_ref_sibling",
            [
                put((*SCHEMAS, "Cents"), CENTS),
                put((*CREATE_PROPS, "amount"), {"$ref": "#/components/schemas/Cents", "maximum": 5000}),
            ],
            {"request-range-narrowed": B},
            1,
            before=[
                put((*SCHEMAS, "Cents"), CENTS),
                put((*CREATE_PROPS, "amount"), {"$ref": "#/components/schemas/Cents"}),
            ],
        ),
        case(
            "widen_a_response_type_behind_an_unchanged_composition_ref",
            [
                put((*SCHEMAS, "Fee"), {"type": "number"}),
                put((*INTENT_PROPS, "fee"), {"anyOf": [{"$ref": "#/components/schemas/Fee"}, {"type": "string"}]}),
            ],
            {"response-type-changed": B},
            1,
            before=[
                put((*SCHEMAS, "Fee"), {"type": "integer"}),
                put((*INTENT_PROPS, "fee"), {"anyOf": [{"$ref": "#/components/schemas/Fee"}, {"type": "string"}]}),
            ],
        ),
        case(
            "remove_a_request_one_of_member",
            [put((*CREATE_PROPS, "description"), {"oneOf": [{"type": "string"}]})],
            {"request-one-of-removed": B},
            1,
            before=[put((*CREATE_PROPS, "description"), {"oneOf": [{"type": "string"}, {"type": "integer"}]})],
        ),
    ],
    "schemas.merge": [
        case(
            "point_amount_at_a_narrower_component_with_a_wider_sibling",
            [
                put((*SCHEMAS, "Cents"), {**CENTS, "maximum": 100000}),
                put(
                    (*CREATE_PROPS, "amount"),
                    {
                        "$ref": "#/components/schemas/Cents",
                        "maximum": 99999999,
                        "description": "Amount in cents (1 to 99,999,999).",
                    },
                ),
            ],
            {"request-range-narrowed": B, "component-schema-added": N},
            1,
        ),
    ],
    "schemas.metadata": [
        case("description_only", [put((*INTENT_PROPS, "amount", "description"), "Cents.")], {"docs-changed": N}, 0),
        case(
            "change_request_default",
            [put((*CREATE_PROPS, "confirm", "default"), True)],
            {"request-default-changed": P},
            0,
        ),
        case("change_schema_title", [put((*INTENT, "title"), "payment intent object")], {"title-changed": P}, 0),
    ],
    "schemas.json_types": [
        case(
            "change_response_type", [put((*INTENT_PROPS, "amount", "type"), "string")], {"response-type-changed": B}, 1
        ),
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
        case(
            "change_request_type", [put((*CREATE_PROPS, "confirm", "type"), "string")], {"request-type-narrowed": B}, 1
        ),
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
    ],
    "schemas.formats": [
        case(
            "remove_response_format",
            [drop((*INTENT_PROPS, "transfer_id", "format"))],
            {"response-format-removed": B},
            1,
        ),
        case(
            "add_request_format",
            [put((*CREATE_PROPS, "description", "format"), "email")],
            {"request-format-added": B},
            1,
        ),
        case(
            "remove_request_format",
            [drop((*CONFIRM_REQ, "properties", "payment_method_id", "format"))],
            {"request-format-removed": N},
            0,
        ),
    ],
    "schemas.enums": [
        case("add_response_enum_value", [append((*STATUS, "enum"), "refunded")], {"response-enum-value-added": B}, 1),
        case(
            "remove_response_enum_value",
            [discard((*STATUS, "enum"), "requires_capture")],
            {"response-enum-value-removed": B},
            1,
        ),
        case(
            "add_enum_value_used_in_request_and_response",
            [append((*SCHEMAS, "Currency", "enum"), "eur")],
            {"request-enum-value-added": N, "response-enum-value-added": B},
            1,
        ),
        case(
            "narrow_request_enum",
            [put((*CREATE_PROPS, "setup_future_usage", "enum"), ["off_session"])],
            {"request-enum-value-removed": B, "request-enum-value-added": N},
            1,
        ),
    ],
    "schemas.bounds": [
        case(
            "widen_response_range",
            [],
            {"response-range-widened": B},
            1,
            before=[put((*INTENT_PROPS, "amount", "maximum"), 99999999)],
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
            "add_request_min_length",
            [put((*CREATE_PROPS, "description", "minLength"), 1)],
            {"request-size-narrowed": B},
            1,
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
    ],
    "schemas.patterns": [
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
    ],
    "schemas.objects": [
        case(
            "remove_optional_response_field",
            [drop((*INTENT_PROPS, "client_secret"))],
            {"response-property-removed": B},
            1,
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
    ],
}


def edited_spec(edits: tuple[Edit, ...] | list[Edit]) -> Spec:
    """A deep copy of the real spec (never the cached object) with `edits` applied."""
    edited = copy.deepcopy(load_spec())
    for edit in edits:
        edit(edited)
    return edited


def pair(item: Case) -> tuple[Spec, Spec]:
    """The case's (before, after) documents."""
    return edited_spec(item.before), edited_spec(item.after)


def assert_verdict(item: Case) -> None:
    """The case yields exactly its expected (rule, class) set, and its exit status at an unchanged version."""
    before, after = pair(item)
    changes = compare(before, after)
    assert {(c.rule, c.severity) for c in changes} == item.expected
    assert verdict(changes, "1.0.0", "1.0.0").exit_code == item.exit_code


def ids(cases: list[Case]) -> list[str]:
    """Test ids: the case names."""
    return [c.name for c in cases]


def doc(schema: dict[str, Any], *, request: bool) -> Spec:
    """A one-operation document carrying `schema` as the request or the 200 response body."""
    body = {"content": {"application/json": {"schema": schema}}}
    operation: dict[str, Any] = {"responses": {"200": {"description": "ok", **({} if request else body)}}}
    if request:
        operation["requestBody"] = {"required": True, **body}
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1.0.0"}, "paths": {"/t": {"post": operation}}}


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a throwaway identity; its stdout, stripped."""
    command = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(root: Path) -> Path:
    """A git repository at `root` whose first commit holds the real openapi.yaml."""
    root.mkdir()
    git(root, "init", "--quiet")
    (root / "openapi.yaml").write_text(SPEC_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    git(root, "add", "openapi.yaml")
    git(root, "commit", "--quiet", "-m", "spec 1.0.0")
    return root


def write_spec(path: Path, edits: list[Edit]) -> None:
    """Write the real spec with `edits` applied to `path`."""
    path.write_text(yaml.safe_dump(edited_spec(edits), sort_keys=False), encoding="utf-8")


@dataclass(frozen=True)
class RulePair:
    """A small before/after pair written for one rule: two whole documents and the (rule, class) set they give."""

    name: str
    before: Spec
    after: Spec
    expected: frozenset[tuple[str, Severity]]


def rule_pair(name: str, before: Spec, after: Spec, expected: dict[str, Severity]) -> RulePair:
    """A RulePair from a plain dict of the expected rule -> class."""
    return RulePair(name, before, after, frozenset(expected.items()))


def bodies(old: Any, new: Any, *, request: bool) -> tuple[Spec, Spec]:
    """Two one-operation documents whose request (or 200 response) body schemas are `old` and `new`."""
    return doc(old, request=request), doc(new, request=request)


def behind_ref(schema: dict[str, Any], old: dict[str, Any], new: dict[str, Any], *, request: bool) -> tuple[Spec, Spec]:
    """Two one-operation documents with the same body `schema`, whose `#/components/schemas/Ref` is `old`, then
    `new`: a change behind an unchanged `$ref`."""
    before, after = doc(schema, request=request), doc(schema, request=request)
    before["components"], after["components"] = {"schemas": {"Ref": old}}, {"schemas": {"Ref": new}}
    return before, after


def with_response(response: dict[str, Any], *, components: dict[str, Any] | None = None) -> Spec:
    """A one-operation document whose 200 response is `response` (and with these `components`)."""
    operation = {"responses": {"200": {"description": "ok", **response}}}
    document: Spec = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {"/t": {"get": operation}},
    }
    if components:
        document["components"] = components
    return document


def with_parameter(parameter: dict[str, Any]) -> Spec:
    """A one-operation document whose operation takes `parameter`."""
    document = with_response({})
    document["paths"]["/t"]["get"]["parameters"] = [parameter]
    return document


def secured(scheme: dict[str, Any], name: str = "auth") -> Spec:
    """A one-operation document whose operation requires the security scheme `name`, defined as `scheme`."""
    document = with_response({}, components={"securitySchemes": {name: scheme}})
    document["paths"]["/t"]["get"]["security"] = [{name: []}]
    return document


def assert_rule_pair(item: RulePair) -> None:
    """The pair yields exactly its expected (rule, class) set."""
    assert {(c.rule, c.severity) for c in compare(item.before, item.after)} == item.expected


STRING, INTEGER = {"type": "string"}, {"type": "integer"}
REF = {"$ref": "#/components/schemas/Ref"}  # the component `behind_ref` defines
HEADER = {"schema": {"type": "integer"}}
OAUTH_FLOW: dict[str, Any] = {"tokenUrl": "https://t.example/token", "scopes": {"read": "Read"}}
OAUTH: dict[str, Any] = {
    "type": "oauth2",
    "flows": {"clientCredentials": OAUTH_FLOW},
}
# Small pairs, one per rule, filed (like CATALOGUE) under the gate module that decides them.
RULE_PAIRS: dict[str, list[RulePair]] = {
    "schemas.composition": [
        rule_pair(
            "request_one_of_member_removed",
            *bodies({"oneOf": [STRING, INTEGER]}, {"oneOf": [STRING]}, request=True),
            {"request-one-of-removed": B},
        ),
        rule_pair(
            "request_any_of_member_added",
            *bodies({"anyOf": [STRING]}, {"anyOf": [STRING, INTEGER]}, request=True),
            {"request-any-of-added": N},
        ),
        rule_pair(
            "response_one_of_member_added",
            *bodies({"oneOf": [STRING]}, {"oneOf": [STRING, INTEGER]}, request=False),
            {"response-one-of-added": B},
        ),
        rule_pair(
            "response_any_of_member_removed",
            *bodies({"anyOf": [STRING, INTEGER]}, {"anyOf": [STRING]}, request=False),
            {"response-any-of-removed": N},
        ),
        rule_pair(
            "response_body_made_nullable_with_one_of",
            *bodies(STRING, {"oneOf": [{"type": "null"}, STRING]}, request=False),
            {"response-one-of-added": B},
        ),
    ],
    "schemas.merge": [
        rule_pair(
            "request_all_of_member_adds_a_required_field",
            *bodies(
                {"allOf": [{"type": "object"}]},
                {"allOf": [{"type": "object"}, {"required": ["id"], "properties": {"id": STRING}}]},
                request=True,
            ),
            {"request-property-added-required": B},
        ),
        rule_pair(
            "request_field_narrowed_by_wrapping_it_in_all_of",
            *bodies(
                {"type": "integer", "maximum": 100},
                {"allOf": [{"type": "integer", "maximum": 100}], "maximum": 10},
                request=True,
            ),
            {"request-range-narrowed": B},
        ),
        rule_pair(
            "request_all_of_restated_without_change",
            *bodies(
                {"type": "integer", "minimum": 1, "maximum": 10},
                {"allOf": [{"type": "integer", "minimum": 1}, {"maximum": 10}]},
                request=True,
            ),
            {},
        ),
    ],
    "schemas.applicators": [
        rule_pair(
            "request_contains_narrowed_behind_an_unchanged_ref",
            *behind_ref({"type": "array", "contains": REF}, STRING, {**STRING, "maxLength": 5}, request=True),
            {"request-size-narrowed": B},
        ),
        rule_pair(
            "request_not_widened_behind_an_unchanged_ref",
            *behind_ref({**STRING, "not": REF}, {**STRING, "maxLength": 3}, {**STRING, "maxLength": 30}, request=True),
            {"response-size-widened": B},
        ),
        rule_pair(
            "request_contains_added",
            *bodies({"type": "array"}, {"type": "array", "contains": INTEGER}, request=True),
            {"request-contains-added": B},
        ),
        rule_pair(
            "response_contains_removed",
            *bodies({"type": "array", "contains": INTEGER}, {"type": "array"}, request=False),
            {"response-contains-removed": B},
        ),
        rule_pair(
            "response_contains_added",
            *bodies({"type": "array"}, {"type": "array", "contains": INTEGER}, request=False),
            {"response-contains-added": N},
        ),
        rule_pair(
            "request_not_added",
            *bodies(STRING, {**STRING, "not": {"const": "x"}}, request=True),
            {"request-not-added": B},
        ),
        rule_pair(
            "request_not_narrowed_widens",
            *bodies({"not": {"type": "string"}}, {"not": {"type": "string", "maxLength": 3}}, request=True),
            {"response-size-narrowed": N},
        ),
        rule_pair(
            "request_if_added",
            *bodies(
                {"type": "object"},
                {"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}},
                request=True,
            ),
            {"request-if-added": B, "request-then-added": B},
        ),
        rule_pair(
            "request_if_changed_behind_an_unchanged_ref",
            *behind_ref(
                {"if": REF, "then": {"required": ["b"]}}, {"required": ["a"]}, {"required": ["c"]}, request=True
            ),
            {"request-if-changed": P},
        ),
        rule_pair(
            "response_if_changed",
            *bodies({"if": {"required": ["a"]}}, {"if": {"required": ["b"]}}, request=False),
            {"response-if-changed": P},
        ),
        rule_pair(
            "request_unevaluated_properties_closed",
            *bodies({"type": "object"}, {"type": "object", "unevaluatedProperties": False}, request=True),
            {"request-unevaluated-properties-added": B},
        ),
        rule_pair(
            "request_pattern_property_added",
            *bodies({"type": "object"}, {"type": "object", "patternProperties": {"^x-": STRING}}, request=True),
            {"request-pattern-property-added": B},
        ),
        rule_pair(
            "response_pattern_property_removed",
            *bodies({"type": "object", "patternProperties": {"^x-": STRING}}, {"type": "object"}, request=False),
            {"response-pattern-property-removed": B},
        ),
        rule_pair(
            "request_dependent_schema_added",
            *bodies(
                {"type": "object"}, {"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}}, request=True
            ),
            {"request-dependent-schema-added": B},
        ),
        rule_pair(
            "request_dependent_required_grown",
            *bodies({"dependentRequired": {"a": ["b"]}}, {"dependentRequired": {"a": ["b", "c"]}}, request=True),
            {"request-dependent-required-added": B},
        ),
        rule_pair(
            "response_dependent_required_shrunk",
            *bodies({"dependentRequired": {"a": ["b", "c"]}}, {"dependentRequired": {"a": ["b"]}}, request=False),
            {"response-dependent-required-removed": B},
        ),
        rule_pair(
            "request_dependent_required_swapped",
            *bodies({"dependentRequired": {"a": ["b"]}}, {"dependentRequired": {"a": ["c"]}}, request=True),
            {"request-dependent-required-changed": B},
        ),
        rule_pair(
            "response_content_media_type_changed",
            *bodies(
                {**STRING, "contentMediaType": "application/json"},
                {**STRING, "contentMediaType": "text/plain"},
                request=False,
            ),
            {"response-content-media-type-changed": B},
        ),
        rule_pair(
            "request_content_schema_added",
            *bodies(STRING, {**STRING, "contentSchema": INTEGER}, request=True),
            {"request-content-schema-added": B},
        ),
    ],
    "schemas.arrays": [
        rule_pair(
            "request_prefix_item_narrows_a_position",
            *bodies(
                {"type": "array", "items": STRING},
                {"type": "array", "items": STRING, "prefixItems": [INTEGER]},
                request=True,
            ),
            {"request-type-narrowed": B},
        ),
        rule_pair(
            "request_prefix_item_restating_items",
            *bodies(
                {"type": "array", "items": STRING},
                {"type": "array", "items": STRING, "prefixItems": [STRING]},
                request=True,
            ),
            {},
        ),
    ],
    "schemas.formats": [
        rule_pair(
            "request_format_widened",
            *bodies({**INTEGER, "format": "int32"}, {**INTEGER, "format": "int64"}, request=True),
            {"request-format-widened": N},
        ),
        rule_pair(
            "response_format_widened",
            *bodies({**INTEGER, "format": "int32"}, {**INTEGER, "format": "int64"}, request=False),
            {"response-format-changed": B},
        ),
        rule_pair(
            "response_format_narrowed",
            *bodies({**INTEGER, "format": "int64"}, {**INTEGER, "format": "int32"}, request=False),
            {"response-format-narrowed": N},
        ),
        rule_pair(
            "response_format_replaced",
            *bodies({**STRING, "format": "hostname"}, {**STRING, "format": "uuid"}, request=False),
            {"response-format-changed": B},
        ),
        rule_pair(
            "response_format_removed",
            *bodies({**STRING, "format": "hostname"}, STRING, request=False),
            {"response-format-removed": B},
        ),
    ],
    "schemas.patterns": [
        rule_pair(
            "request_empty_pattern_made_real",
            *bodies({**STRING, "pattern": ""}, {**STRING, "pattern": "^\\w+$"}, request=True),
            {"request-pattern-narrowed": B},
        ),
        rule_pair(
            "response_pattern_made_match_all",
            *bodies({**STRING, "pattern": "^\\w+$"}, {**STRING, "pattern": ".*"}, request=False),
            {"response-pattern-widened": B},
        ),
        rule_pair("match_all_pattern_dropped", *bodies({**STRING, "pattern": ".*"}, STRING, request=True), {}),
    ],
    "schemas.bounds": [
        rule_pair(
            "response_multiple_of_swapped",
            *bodies({**INTEGER, "multipleOf": 2}, {**INTEGER, "multipleOf": 3}, request=False),
            {"response-multiple-of-changed": B},
        ),
        rule_pair(
            "response_exclusive_maximum_raised",
            *bodies(
                {"type": "number", "exclusiveMaximum": 10}, {"type": "number", "exclusiveMaximum": 20}, request=False
            ),
            {"response-range-widened": B},
        ),
    ],
    "schemas.objects": [
        rule_pair(
            "request_additional_properties_narrowed_behind_an_unchanged_ref",
            *behind_ref(
                {"type": "object", "additionalProperties": REF},
                {**STRING, "maxLength": 100},
                {**STRING, "maxLength": 10},
                request=True,
            ),
            {"request-size-narrowed": B},
        ),
        rule_pair(
            "read_only_field_made_required_in_a_request",
            *bodies(
                {"type": "object", "properties": {"id": {**STRING, "readOnly": True}}},
                {"type": "object", "required": ["id"], "properties": {"id": {**STRING, "readOnly": True}}},
                request=True,
            ),
            {},
        ),
        rule_pair(
            "write_only_field_removed_from_a_response",
            *bodies(
                {"type": "object", "properties": {"secret": {**STRING, "writeOnly": True}}},
                {"type": "object"},
                request=False,
            ),
            {},
        ),
        rule_pair(
            "response_field_became_write_only",
            *bodies(
                {"type": "object", "properties": {"secret": STRING}},
                {"type": "object", "properties": {"secret": {**STRING, "writeOnly": True}}},
                request=False,
            ),
            {"response-property-became-write-only": B},
        ),
        rule_pair(
            "request_field_became_read_only",
            *bodies(
                {"type": "object", "properties": {"id": STRING}},
                {"type": "object", "properties": {"id": {**STRING, "readOnly": True}}},
                request=True,
            ),
            {"request-property-became-read-only": P},
        ),
    ],
    "schemas": [
        rule_pair(
            "request_schema_dropped",
            *bodies({"type": "object", "properties": {"a": STRING}}, {}, request=True),
            {"request-schema-unconstrained": N},
        ),
    ],
    "parameters": [
        rule_pair(
            "request_parameter_serialised_as_json_narrowed",
            with_parameter({"in": "query", "name": "f", "content": {"application/json": {"schema": STRING}}}),
            with_parameter(
                {"in": "query", "name": "f", "content": {"application/json": {"schema": {**STRING, "maxLength": 3}}}}
            ),
            {"request-size-narrowed": B},
        ),
    ],
    "responses": [
        rule_pair(
            "required_response_header_became_optional",
            with_response({"headers": {"X-Rate": {**HEADER, "required": True}}}),
            with_response({"headers": {"X-Rate": HEADER}}),
            {"response-header-became-optional": B},
        ),
        rule_pair(
            "required_response_header_removed",
            with_response({"headers": {"X-Rate": {**HEADER, "required": True}}}),
            with_response({}),
            {"response-required-header-removed": B},
        ),
        rule_pair(
            "optional_response_header_removed",
            with_response({"headers": {"X-Rate": HEADER}}),
            with_response({}),
            {"response-optional-header-removed": P},
        ),
    ],
    "bodies": [
        rule_pair(
            "success_answer_moved_off_json",
            with_response({"content": {"application/json": {"schema": STRING}, "text/plain": {"schema": STRING}}}),
            with_response({"content": {"text/plain": {"schema": STRING}}}),
            {"response-media-type-removed": B},
        ),
        rule_pair(
            "media_type_written_in_another_case_is_the_same_one",
            with_response({"content": {"application/json": {"schema": {**STRING, "maxLength": 5}}}}),
            with_response({"content": {"Application/JSON": {"schema": {**STRING, "maxLength": 9}}}}),
            {"response-size-widened": B},
        ),
    ],
    "components": [
        rule_pair(
            "oauth_flow_removed",
            secured(
                {
                    **OAUTH,
                    "flows": {
                        **OAUTH["flows"],
                        "authorizationCode": {**OAUTH_FLOW, "authorizationUrl": "https://t.example/a"},
                    },
                }
            ),
            secured(OAUTH),
            {"security-scheme-flow-removed": B},
        ),
        rule_pair(
            "oauth_flow_added",
            secured(OAUTH),
            secured(
                {
                    **OAUTH,
                    "flows": {
                        **OAUTH["flows"],
                        "authorizationCode": {**OAUTH_FLOW, "authorizationUrl": "https://t.example/a"},
                    },
                }
            ),
            {"security-scheme-flows-changed": N},
        ),
    ],
    "security": [
        rule_pair(
            "scheme_renamed_with_the_same_definition",
            secured({"type": "http", "scheme": "basic"}),
            secured({"type": "http", "scheme": "basic"}, name="basicAuth"),
            {"security-relaxed": N},
        ),
        rule_pair(
            "oauth_scheme_renamed_may_be_another_authorization_server",
            secured(OAUTH),
            secured(OAUTH, name="other"),
            {"security-tightened": B},
        ),
        rule_pair(
            "scheme_description_changed",
            secured({"type": "http", "scheme": "basic"}),
            secured({"type": "http", "scheme": "basic", "description": "Basic."}),
            {"docs-changed": N},
        ),
        rule_pair(
            "scheme_replaced",
            secured({"type": "http", "scheme": "basic"}),
            secured({"type": "http", "scheme": "bearer"}),
            {"security-tightened": B},
        ),
        rule_pair(
            "scheme_header_name_case_changed",
            secured({"type": "apiKey", "in": "header", "name": "X-Key"}),
            secured({"type": "apiKey", "in": "header", "name": "x-key"}),
            {},
        ),
        rule_pair(
            "oauth_scope_description_changed",
            secured(OAUTH),
            secured(
                {
                    **OAUTH,
                    "flows": {"clientCredentials": {**OAUTH_FLOW, "scopes": {"read": "Read things"}}},
                }
            ),
            {"security-scheme-flows-changed": N},
        ),
    ],
}


def rule_ids(pairs: list[RulePair]) -> list[str]:
    """Test ids: the pair names."""
    return [p.name for p in pairs]
