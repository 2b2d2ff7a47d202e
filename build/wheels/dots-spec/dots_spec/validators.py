"""JSON Schema validators compiled from the spec's schemas (the only place they are compiled).

The sandbox validates requests with them and the tests validate examples and responses with them, so
no schema is ever written twice.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from dots_spec.document import load_spec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def compile_schema(schema: dict[str, Any], spec: dict[str, Any]) -> jsonschema_rs.Validator:
    """Compile `schema` (which may `$ref` into `#/components/...`) against `spec`'s components.

    OpenAPI 3.1 schemas are JSON Schema 2020-12, so the components are embedded at the root of a
    2020-12 document and local references resolve as they do in the spec. Formats (uuid, ...)
    are asserted, as a server must.
    """
    document = {"$schema": JSON_SCHEMA_DIALECT, "components": spec.get("components", {}), **schema}
    return jsonschema_rs.validator_for(document, validate_formats=True)


def component_validator(name: str, spec: dict[str, Any] | None = None) -> jsonschema_rs.Validator:
    """A validator for `#/components/schemas/<name>` of `spec` (default: openapi.yaml)."""
    spec = load_spec() if spec is None else spec
    return compile_schema({"$ref": f"#/components/schemas/{name}"}, spec)
