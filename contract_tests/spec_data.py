"""What the suite reads from openapi.yaml: the operations, and Hypothesis strategies for their data.

Nothing here restates a schema. Request bodies come from schemathesis' generator for the
operation itself; response bodies from the same generator, aimed at each documented response
schema through a mirror document (one operation per response, whose request body is that
response's schema), so both go through schemathesis' public API and the spec's own components.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, cast

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from dots_spec.document import SPEC_PATH, load_spec
from dots_spec.operations import operations
from dots_spec.refs import resolve

JSON = "application/json"
# openapi.yaml, the Lifecycle paragraph: an intent is unconfirmed while its status is one of these.
UNCONFIRMED_STATUSES = frozenset({"initialized", "created", "requires_payment_method", "requires_confirmation"})
ALREADY_CONFIRMED_CODE = "payment-intent-already-confirmed"
# openapi.yaml, the Later outcomes paragraph: the statuses an intent moves on to without a request.
LATER_STATUSES = {
    "processing": frozenset({"succeeded", "failed"}),
    "requires_action": frozenset({"succeeded", "failed"}),
}
# Dots' documented 404 body is exactly {"error": "PaymentIntent not found"} (openapi.yaml, Errors); the code
# the spec's Error schema lists for it.
NOT_FOUND_MESSAGE = "PaymentIntent not found"
NOT_FOUND_CODE = "not-found"
# openapi.yaml, confirm's Decision (outcome): the fields of an intent that never change once created.
IMMUTABLE_FIELDS = ("amount", "currency", "user_id", "metadata")


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec, as the suite needs it."""

    operation_id: str
    method: str
    path: str
    tag: str
    path_parameters: dict[str, dict[str, Any]]
    """Name → the parameter's schema."""
    request_schema: dict[str, Any] | None
    """The JSON request body's schema (a `$ref` as written in the spec), if the operation has a body."""
    responses: dict[int, dict[str, Any]]
    """Documented status → its JSON schema (every documented answer of this spec has one)."""
    request_example: dict[str, Any] | None
    """The first example of the request body, if any."""
    security_schemes: list[dict[str, Any]]
    """The security schemes the operation requires (its `security`, resolved)."""

    @property
    def label(self) -> str:
        """`METHOD /path`, as schemathesis names the operation."""
        return f"{self.method.upper()} {self.path}"

    def url_path(self, **parameters: str) -> str:
        """The path with its parameters filled in (the caller encodes them)."""
        return self.path.format(**parameters)

    def path_regex(self) -> re.Pattern[str]:
        """Matches a concrete path of this operation, with a group per path parameter."""
        parts = re.split(r"\{(\w+)\}", self.path)
        pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
        return re.compile(pattern + "$")


def schema_name(schema: dict[str, Any]) -> str:
    """The component name a `$ref` schema points at (`#/components/schemas/PaymentIntent` → `PaymentIntent`)."""
    return str(schema["$ref"]).rsplit("/", 1)[-1]


@functools.cache
def spec_operations() -> dict[str, Operation]:
    """Every operation of openapi.yaml, by operationId."""
    spec = load_spec()
    found: dict[str, Operation] = {}
    for path, method, op in operations(spec):
        item = spec["paths"][path]
        parameters = [resolve(p, spec) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
        content = resolve(op["requestBody"], spec)["content"][JSON] if "requestBody" in op else None
        examples = [resolve(example, spec)["value"] for example in (content or {}).get("examples", {}).values()]
        responses = {
            int(status): resolve(response, spec)["content"][JSON]["schema"]
            for status, response in op["responses"].items()
        }
        found[op["operationId"]] = Operation(
            operation_id=op["operationId"],
            method=method,
            path=path,
            tag=op["tags"][0],
            path_parameters={p["name"]: p["schema"] for p in parameters if p["in"] == "path"},
            request_schema=content["schema"] if content else None,
            responses=responses,
            request_example=examples[0] if examples else None,
            security_schemes=[
                spec["components"]["securitySchemes"][name]
                for requirement in op.get("security", spec.get("security", []))
                for name in requirement
            ],
        )
    return found


def load_schema(config: schemathesis.Config | None = None) -> schemathesis.BaseSchema:
    """openapi.yaml loaded by schemathesis (never the server's copy)."""
    return schemathesis.openapi.from_path(SPEC_PATH, config=config or schemathesis.Config())


@functools.cache
def _generation_schema() -> schemathesis.BaseSchema:
    return load_schema()


def request_bodies(operation_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid request bodies of an operation, drawn by schemathesis from its request schema."""
    op = spec_operations()[operation_id]
    api_operation = _generation_schema()[op.path][op.method.upper()]
    cases = api_operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    return cast("st.SearchStrategy[dict[str, Any]]", cases.map(lambda case: case.body))


@functools.cache
def _mirror_schema() -> schemathesis.BaseSchema:
    """A document with one POST per documented response, whose request body is that response's schema."""
    spec = load_spec()
    paths = {
        f"/{op.operation_id}/{status}": {
            "post": {
                "operationId": f"{op.operation_id}_{status}",
                "requestBody": {"required": True, "content": {JSON: {"schema": schema}}},
                "responses": {"200": {"description": "unused"}},
            }
        }
        for op in spec_operations().values()
        for status, schema in op.responses.items()
    }
    mirror = {
        "openapi": spec["openapi"],
        "info": {"title": "response bodies of openapi.yaml", "version": spec["info"]["version"]},
        "paths": paths,
        "components": {"schemas": spec["components"]["schemas"]},
    }
    return schemathesis.openapi.from_dict(mirror, config=schemathesis.Config())


def response_bodies(operation_id: str, status: int) -> st.SearchStrategy[Any]:
    """Bodies the spec allows for `status` of an operation, drawn by schemathesis from that response's schema."""
    api_operation = _mirror_schema()[f"/{operation_id}/{status}"]["POST"]
    cases = api_operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    bodies: st.SearchStrategy[Any] = cases.map(lambda case: case.body)
    return bodies
