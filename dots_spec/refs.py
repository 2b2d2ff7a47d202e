"""Local `$ref` resolution and JSON pointers (RFC 6901), as OpenAPI 3.1 defines them for one document."""

from __future__ import annotations

import urllib.parse
from typing import Any


class RefError(ValueError):
    """A `$ref` that cannot be followed: not local (another file, a URL), dangling, or part of a loop."""


def escape(token: str) -> str:
    """One JSON pointer reference token: `~` as `~0`, `/` as `~1` (RFC 6901 section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The inverse of :func:`escape`."""
    return token.replace("~1", "/").replace("~0", "~")


# Keywords that may stand beside a `$ref` and only describe: they override the target's (the 3.1 Reference
# Object allows `summary` and `description`; a schema's annotations read the same way).
ANNOTATION_SIBLINGS = frozenset({"summary", "description", "title", "example", "examples", "deprecated", "$comment"})


def follow(node: Any, spec: dict[str, Any], pointer: str = "") -> tuple[Any, str]:
    """Follow local `$ref`s from `node` (found at `pointer`) to the object they name, and where it is.

    Annotations beside a `$ref` (`summary`, `description`, `title`, examples, `x-` extensions) override the
    target's, and the pointer then stays `pointer`, since the merged object lives nowhere else. Any other
    sibling makes the node a Schema Object whose siblings constrain: in 3.1 they apply together with the
    target, so the node comes back as `{"allOf": [<target>, <siblings>]}` (as :func:`follow_schema`
    returns it; JSON Schema 2020-12 section 8.2.3.1), and in 3.0 they are ignored, as that version says.
    Beside a `$ref` to anything else (a parameter, a response: :func:`is_schema`), every sibling overrides.
    A node without `$ref` comes back as it is.

    Raises :class:`RefError` (a `ValueError`) for a `$ref` that is not local (`#/...`), that loops, or
    that names nothing in `spec`.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise RefError(f"cannot resolve $ref {ref!r} at {pointer}: only local, acyclic refs are supported")
        seen.add(ref)
        target = pointed(spec, ref, pointer)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        annotations = {k: v for k, v in siblings.items() if k in ANNOTATION_SIBLINGS or k.startswith("x-")}
        if len(annotations) < len(siblings) and is_schema(target) and siblings_apply(spec):
            return {"allOf": [target, siblings]}, pointer
        kept = siblings if not is_schema(target) else annotations
        node = {**target, **kept} if isinstance(target, dict) else target
        pointer = ref if not kept else pointer
    return node, pointer


def resolve(node: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The object a (possibly `$ref`) node names in `spec`: :func:`follow` without the pointer."""
    resolved: dict[str, Any] = follow(node, spec)[0]
    return resolved


def pointed(spec: dict[str, Any], ref: str, at: str = "") -> Any:
    """The node a local `$ref` (`#/a/b`) names in `spec`; raises :class:`RefError` when it names nothing.

    A `$ref` is a URI reference, so its fragment may be percent-encoded (RFC 6901 section 6: `{id}` in a path's
    key is `%7Bid%7D`): a ref that names nothing as written is read again decoded.
    """
    target, missing = _walk(spec, ref)
    if missing is None:
        return target
    decoded = urllib.parse.unquote(ref)
    if decoded != ref:
        target, still = _walk(spec, decoded)
        if still is None:
            return target
    raise RefError(f"dangling $ref {ref!r} at {at or '#'}: {missing!r} is not in the document")


def _walk(spec: dict[str, Any], ref: str) -> tuple[Any, str | None]:
    """The node at `ref` and None, or None and the first token that names nothing."""
    target: Any = spec
    for part in ref[2:].split("/") if ref != "#" else []:
        token = unescape(part)
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return None, token
    return target, None


# Fields that mark an object as something other than a Schema Object (a parameter, response, body, header,
# example, link, path item or security scheme): keywords beside a `$ref` to one of those only override.
NOT_SCHEMA_FIELDS = frozenset(
    {
        "in", "content", "headers", "schema", "links", "value", "externalValue", "operationRef", "operationId",
        "scheme", "flows", "openIdConnectUrl", "get", "put", "post", "delete", "options", "head", "patch", "trace",
    }
)  # fmt: skip


def is_schema(node: Any) -> bool:
    """Whether `node` reads as a Schema Object (a boolean schema, or a mapping with none of the fields of the
    other objects a `$ref` may name)."""
    return isinstance(node, bool) or (isinstance(node, dict) and not NOT_SCHEMA_FIELDS & node.keys())


def siblings_apply(spec: dict[str, Any]) -> bool:
    """Whether keywords beside a schema's `$ref` count: yes in OpenAPI 3.1 (a Schema Object is JSON Schema
    2020-12, where `$ref` is an applicator like `allOf`), no in 3.0 (which says siblings SHALL be ignored)."""
    return not str(spec.get("openapi", "3.1")).startswith("3.0")


def follow_schema(node: Any, spec: dict[str, Any], pointer: str = "") -> tuple[Any, str]:
    """A Schema Object with its `$ref` followed, as every reader of the spec must read it, and where it is.

    In OpenAPI 3.1, keywords beside `$ref` apply together with the referenced schema (JSON Schema 2020-12
    section 8.2.3.1): `{"$ref": "#/components/schemas/Cents", "maximum": 99999999}` admits only what both
    `Cents` and the `maximum` admit. Such a node comes back as `{"allOf": [<target>, <siblings>]}`, at
    `pointer`; a `$ref` alone comes back as its target, at the target's pointer. In a 3.0 document the
    siblings are ignored, as that version says. Raises :class:`RefError` as :func:`follow` does.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")) or ref in seen:
            raise RefError(f"cannot resolve $ref {ref!r} at {pointer}: only local, acyclic refs are supported")
        seen.add(ref)
        target = pointed(spec, ref, pointer)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if siblings and siblings_apply(spec):
            return {"allOf": [target, siblings]}, pointer
        node, pointer = target, ref
    return node, pointer
