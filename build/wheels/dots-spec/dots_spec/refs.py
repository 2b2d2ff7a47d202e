"""Local `$ref` resolution and JSON pointers (RFC 6901), as OpenAPI 3.1 defines them for one document."""

from __future__ import annotations

from typing import Any


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
    `$ref` comes back as it is. Raises `ValueError` for a `$ref` that is not local (`#/...`) or that
    loops, and `KeyError` when it names nothing.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise ValueError(f"cannot resolve $ref {ref!r} at {pointer}: only local, acyclic refs are supported")
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[unescape(part)]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **siblings} if isinstance(target, dict) else target
        pointer = ref if not siblings else pointer
    return node, pointer


def resolve(node: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The object a (possibly `$ref`) node names in `spec`: :func:`follow` without the pointer."""
    resolved: dict[str, Any] = follow(node, spec)[0]
    return resolved
