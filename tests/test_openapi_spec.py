"""The hand-written spec: valid, faithful to Dots, and every example valid against its schema."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from dots_spec.document import load_spec
from dots_spec.operations import operations
from dots_spec.refs import resolve
from dots_spec.validators import compile_schema

SPEC = load_spec()

DOTS_STATUSES = {
    "initialized", "created", "requires_payment_method", "requires_confirmation", "requires_action",
    "processing", "succeeded", "requires_capture", "canceled", "failed",
}  # fmt: skip


def _examples() -> list[tuple[str, dict[str, Any], Any]]:
    """Every (where, schema, example value) pair in request bodies, responses and parameters."""
    found: list[tuple[str, dict[str, Any], Any]] = []

    def media(where: str, content: dict[str, Any]) -> None:
        for media_type in content.values():
            for name, example in media_type.get("examples", {}).items():
                found.append((f"{where} example {name}", media_type["schema"], resolve(example, SPEC)["value"]))

    for path, method, op in operations(SPEC):
        label = f"{method.upper()} {path}"
        if "requestBody" in op:
            media(f"{label} request", resolve(op["requestBody"], SPEC)["content"])
        for status, response in op["responses"].items():
            media(f"{label} {status}", resolve(response, SPEC).get("content", {}))
    for name, param in SPEC["components"]["parameters"].items():
        if "example" in param:
            found.append((f"parameter {name}", param["schema"], param["example"]))
    return found


def test_spec_is_valid_openapi_3_1() -> None:
    """openapi.yaml passes openapi-spec-validator as OpenAPI 3.1."""
    assert SPEC["openapi"] == "3.1.0"
    validate(SPEC)


def test_servers_are_dots_production_and_sandbox() -> None:
    """The servers list Dots' production and sandbox hosts, both under /api."""
    urls = [server["url"] for server in SPEC["servers"]]
    assert urls[:2] == ["https://api.dots.dev/api", "https://pls.senddotssandbox.com/api"]


def test_operations_have_stable_ids_and_v2_paths() -> None:
    """The three operations exist with the operationIds that name the generated functions."""
    ids = {(method, path): op["operationId"] for path, method, op in operations(SPEC)}
    assert ids == {
        ("post", "/v2/payment-intents"): "create_payment_intent",
        ("get", "/v2/payment-intents/{payment_intent_id}"): "retrieve_payment_intent",
        ("post", "/v2/payment-intents/{payment_intent_id}/confirm"): "confirm_payment_intent",
    }


def test_every_operation_requires_basic_auth() -> None:
    """Security is HTTP Basic and declared on each operation (so the client requires auth)."""
    schemes = SPEC["components"]["securitySchemes"]
    for _, _, op in operations(SPEC):
        assert op["security"], op["operationId"]
        for requirement in op["security"]:
            for name in requirement:
                assert schemes[name] == {**schemes[name], "type": "http", "scheme": "basic"}


def test_every_error_status_has_a_json_error_body() -> None:
    """Every non-2xx response is documented with the Error schema, 401 with WWW-Authenticate."""
    for _, _, op in operations(SPEC):
        for status, ref in op["responses"].items():
            response = resolve(ref, SPEC)
            schema = response["content"]["application/json"]["schema"]
            if not status.startswith("2"):
                assert schema == {"$ref": "#/components/schemas/Error"}, (op["operationId"], status)
            if status == "401":
                assert "WWW-Authenticate" in response["headers"]


def test_confirm_documents_already_confirmed_and_not_found() -> None:
    """Confirm answers 409 when already confirmed and 404 for an unknown intent."""
    confirm = SPEC["paths"]["/v2/payment-intents/{payment_intent_id}/confirm"]["post"]
    assert {"200", "400", "401", "404", "409", "413", "415"} <= set(confirm["responses"])


def test_payment_intent_schema_matches_dots() -> None:
    """The payment-intent schema has Dots' fields, required set and all ten statuses."""
    schemas = SPEC["components"]["schemas"]
    intent = schemas["PaymentIntent"]
    assert set(intent["properties"]) == {
        "id", "amount", "currency", "user_id", "status", "transfer_id", "payment_method_id", "metadata",
        "client_secret",
    }  # fmt: skip
    assert intent["required"] == ["id", "amount", "currency"]
    assert set(schemas["PaymentIntentStatus"]["enum"]) == DOTS_STATUSES
    assert schemas["Currency"]["enum"] == ["usd"]
    for field in ("id", "user_id", "transfer_id", "payment_method_id"):
        assert intent["properties"][field]["format"] == "uuid"


def test_links_chain_create_confirm_and_retrieve() -> None:
    """Links lead from create to retrieve and confirm, and from confirm to retrieve."""
    ids = {op["operationId"] for _, _, op in operations(SPEC)}

    def targets(path: str, method: str) -> set[str]:
        links = SPEC["paths"][path][method]["responses"]["200"]["links"]
        for link in links.values():
            assert link["operationId"] in ids
            assert link["parameters"] == {"payment_intent_id": "$response.body#/id"}
        return {link["operationId"] for link in links.values()}

    assert targets("/v2/payment-intents", "post") == {"retrieve_payment_intent", "confirm_payment_intent"}
    assert "retrieve_payment_intent" in targets("/v2/payment-intents/{payment_intent_id}/confirm", "post")


def test_docs_confirm_example_is_included_verbatim() -> None:
    """The confirm response example from the Dots docs page is in the spec."""
    confirm = SPEC["paths"]["/v2/payment-intents/{payment_intent_id}/confirm"]["post"]
    example = confirm["responses"]["200"]["content"]["application/json"]["examples"]["dots_docs"]["value"]
    assert example == {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "amount": 1,
        "currency": "usd",
        "user_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "status": "initialized",
        "transfer_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "payment_method_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "metadata": {},
        "client_secret": "<string>",
    }


@pytest.mark.parametrize(("where", "schema", "value"), _examples(), ids=[e[0] for e in _examples()])
def test_example_validates_against_its_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    """Each example in the spec is valid against the schema it illustrates."""
    errors = [error.message for error in compile_schema(schema, SPEC).iter_errors(value)]
    assert errors == [], where


def test_examples_are_checked_at_all() -> None:
    """The example collector finds examples for every operation (so the test above has teeth)."""
    wheres = " ".join(e[0] for e in _examples())
    for fragment in ("POST /v2/payment-intents request", "confirm 200", "confirm 409", "GET "):
        assert fragment in wheres


def test_schema_validation_rejects_a_bad_example() -> None:
    """The validator used above does reject an invalid payment intent (format and enum)."""
    validator = compile_schema({"$ref": "#/components/schemas/PaymentIntent"}, SPEC)
    assert not validator.is_valid({"id": "not-a-uuid", "amount": 1, "currency": "usd"})
    assert not validator.is_valid({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "amount": 1, "currency": "eur"})
