"""The spec's operations: every (path, method, Operation Object) under `paths`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dots_spec.document import load_spec

# The fixed fields of an OpenAPI Path Item Object that hold operations, in the specification's order.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(spec: dict[str, Any] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, method, operation) for every operation of `spec` (default: openapi.yaml), in file order.

    `method` is lower case, as the spec spells it. A document without `paths` has no operations, and a
    path item or operation that is not a mapping (an empty `get:` in YAML) is not one.
    """
    spec = load_spec() if spec is None else spec
    paths = spec.get("paths")
    for path, item in (paths if isinstance(paths, dict) else {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                yield path, method, item[method]
