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
