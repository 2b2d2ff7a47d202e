"""openapi.yaml, loaded once and compiled into JSON Schema validators.

The sandbox validates requests with these validators and the tests validate examples and
responses with them, so no schema is ever written twice: everything comes from the spec file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """Parse the spec file (cached: callers must not mutate the result)."""
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def compile_schema(schema: dict[str, Any], spec: dict[str, Any]) -> jsonschema_rs.Validator:
    """Compile `schema` (which may `$ref` into `#/components/...`) against `spec`'s components.

    OpenAPI 3.1 schemas are JSON Schema 2020-12, so the components are embedded at the root of a
    2020-12 document and local references resolve as they do in the spec. Formats (uuid, ...)
    are asserted, as a server must.
    """
    document = {"$schema": JSON_SCHEMA_DIALECT, "components": spec.get("components", {}), **schema}
    return jsonschema_rs.validator_for(document, validate_formats=True)


def component_validator(name: str, spec: dict[str, Any] | None = None) -> jsonschema_rs.Validator:
    """A validator for `#/components/schemas/<name>`."""
    spec = load_spec() if spec is None else spec
    return compile_schema({"$ref": f"#/components/schemas/{name}"}, spec)


def resolve(node: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (one or more hops) to the object it names."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(spec: dict[str, Any] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, method, operation) for every operation in the spec."""
    spec = load_spec() if spec is None else spec
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]
