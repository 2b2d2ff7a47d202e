"""`type` (and OpenAPI 3.0's `nullable`): which JSON types a schema admits, and whether that widened."""

from __future__ import annotations

from tools.breaking.model import BREAKING, NON
from tools.breaking.schemas.enums import enum_values
from tools.breaking.walk import Comparison, Here, Schema

PYTHON_TO_JSON = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def json_types(schema: Schema) -> set[str] | None:
    """The JSON types a schema allows, or None for any type (an enum without `type` allows its values' types)."""
    raw = schema.get("type")
    if raw is None:
        types = None if "enum" not in schema and "const" not in schema else _enum_types(schema)
    else:
        types = (
            {raw} if isinstance(raw, str) else {t for t in raw if isinstance(t, str)} if isinstance(raw, list) else None
        )
    if types is not None and schema.get("nullable") is True:  # OpenAPI 3.0 spelling
        types.add("null")
    return types


def _enum_types(schema: Schema) -> set[str] | None:
    found = {PYTHON_TO_JSON.get(type(v)) for v in enum_values(schema) or []}
    return None if None in found else {t for t in found if t is not None}


def covers(allowed: set[str], kind: str) -> bool:
    """Whether a schema allowing `allowed` admits every value of JSON type `kind` (a number covers integers)."""
    return kind in allowed or (kind == "integer" and "number" in allowed)


def show_types(types: set[str] | None) -> str:
    """Types as `integer | null`, or `any`."""
    return "any" if types is None else " | ".join(sorted(types))


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """A request type may only widen; a response type may only narrow (the client expects the old types)."""
    old_types, new_types = json_types(old), json_types(new)
    if old_types == new_types:
        return
    shown = f"type {show_types(old_types)} -> {show_types(new_types)}"
    at = here.step("type")
    if here.request:
        lost = new_types is not None and (old_types is None or any(not covers(new_types, t) for t in old_types))
        if lost:
            run.add(BREAKING, "request-type-narrowed", at, f"{shown}: some values clients send are now rejected")
        else:
            run.add(NON, "request-type-widened", at, shown)
        return
    gained = old_types is not None and (new_types is None or any(not covers(old_types, t) for t in new_types))
    if not gained:
        run.add(NON, "response-type-narrowed", at, shown)
    elif new_types is not None and old_types is not None and old_types <= new_types:
        run.add(BREAKING, "response-type-widened", at, f"{shown}: the deployed client does not expect the new type")
    else:
        run.add(BREAKING, "response-type-changed", at, f"{shown}: the deployed client does not expect the new type")
