"""Local `$ref` resolution and JSON pointers (RFC 6901), as OpenAPI 3.1 defines them for one document."""

from __future__ import annotations

from typing import Any


class RefError(ValueError):
    """A `$ref` that cannot be followed: not local (another file, a URL), dangling, or part of a loop."""


def escape(token: str) -> str:
    """One JSON pointer reference token: `~` as `~0`, `/` as `~1` (RFC 6901 section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The inverse of :func:`escape`."""
    return token.replace("~1", "/").replace("~0", "~")


def follow(node: Any, spec: dict[str, Any], pointer: str = "") -> tuple[Any, str]:
    """Follow local `$ref`s from `node` (found at `pointer`) to the object they name, and where it is.

    Sibling keys next to a `$ref` (3.1 allows `summary` and `description` there) override the target's,
    and the pointer then stays `pointer`, since the merged object lives nowhere else. A node without
    `$ref` comes back as it is. This is the rule for the objects OpenAPI 3.1 lets a Reference Object stand
    for (parameters, responses, bodies, headers ...), whose only siblings are `summary` and `description`;
    a Schema Object's siblings mean more: see :func:`follow_schema`.

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
        node = {**target, **siblings} if isinstance(target, dict) else target
        pointer = ref if not siblings else pointer
    return node, pointer


def resolve(node: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The object a (possibly `$ref`) node names in `spec`: :func:`follow` without the pointer."""
    resolved: dict[str, Any] = follow(node, spec)[0]
    return resolved


def pointed(spec: dict[str, Any], ref: str, at: str = "") -> Any:
    """The node a local `$ref` (`#/a/b`) names in `spec`; raises :class:`RefError` when it names nothing."""
    target: Any = spec
    for part in ref[2:].split("/") if ref != "#" else []:
        token = unescape(part)
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            raise RefError(f"dangling $ref {ref!r} at {at or '#'}: {token!r} is not in the document")
    return target


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
