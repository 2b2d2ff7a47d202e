"""One schema as it applies: `$ref`s followed, and `allOf` (with a 3.1 `$ref`'s sibling keywords) merged.

Two documents can say the same thing in different shapes: `amount: {$ref: Cents}` and `amount: {allOf:
[{$ref: Cents}], maximum: 5000}`, or a `$ref` with a `maximum` beside it. The rules compare keywords, so
both sides are first brought to one flat schema: every `allOf` member (recursively) and the schema's own
keywords are merged into the one schema that admits what all of them admit (types intersected, the
strictest bound kept, `required` and `properties` united, a property named in several members compared as
the `allOf` of its definitions). A change behind an unchanged `$ref` is then seen like any other, and
wrapping a field in `allOf: [$ref]` with a narrower bound is the narrowing it is (oasdiff#106).
"""

from __future__ import annotations

from typing import Any

from dots_spec.refs import follow_schema
from tools.breaking.schemas.bounds import SIDES, SIZE_KEYS, Bound, bound
from tools.breaking.schemas.json_types import covers, json_types
from tools.breaking.walk import DOC_KEYS, Schema, Spec

# Keywords that describe without constraining: a member holding only these adds no constraint.
ANNOTATIONS = DOC_KEYS | {"title", "deprecated", "readOnly", "writeOnly", "default", "discriminator", "xml"}
# Keywords whose values are maps of name -> subschema, merged name by name.
SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")
# Keywords holding one subschema: two different ones apply together (their allOf).
ONE_SCHEMA = (
    "items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains", "propertyNames",
    "contentSchema",
)  # fmt: skip
MAX_DEPTH = 32


def as_object(node: Any) -> Schema:
    """JSON Schema booleans as objects: true is {}, false admits nothing."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    return node if isinstance(node, dict) else {}


def effective(node: Any, spec: Spec, pointer: str) -> tuple[Schema, str]:
    """The schema `node` (at `pointer` in `spec`) applies, flattened, and the pointer to report it at.

    The pointer is the single member that constrains, when only one does (so a change inside a component
    is reported inside the component), else the node's own. Raises `ValueError` on a `$ref` that cannot be
    followed (the reader refuses those before the walk).
    """
    node, pointer = follow_schema(node, spec, pointer)
    schema = as_object(node)
    if "allOf" not in schema:
        return schema, pointer
    parts: list[tuple[Schema, str]] = []
    _collect(schema, pointer, spec, parts, (set(), 0))
    constraining = [ptr for part, ptr in parts if any(k not in ANNOTATIONS and not k.startswith("x-") for k in part)]
    where = constraining[0] if len(constraining) == 1 else pointer
    return merge([part for part, _ in parts]), where


def _collect(
    schema: Schema, pointer: str, spec: Spec, parts: list[tuple[Schema, str]], walk: tuple[set[str], int]
) -> None:
    seen, depth = walk
    if pointer in seen or depth > MAX_DEPTH:
        return
    seen.add(pointer)
    members = schema.get("allOf")
    if isinstance(members, list):
        for index, member in enumerate(members):
            resolved, at = follow_schema(member, spec, f"{pointer}/allOf/{index}")
            _collect(as_object(resolved), at, spec, parts, (seen, depth + 1))
    own = {k: v for k, v in schema.items() if k != "allOf"}
    if own or not isinstance(members, list):
        parts.append((own, pointer))


def merge(parts: list[Schema]) -> Schema:
    """The one schema admitting what every schema of `parts` admits (later annotations win)."""
    if len(parts) == 1:
        return parts[0]
    merged: Schema = {}
    for part in parts:
        for key, value in part.items():
            if key not in merged:
                merged[key] = value
            else:
                merged[key] = _combine(key, merged[key], value)
    types = [json_types(part) for part in parts if "type" in part or "enum" in part or "const" in part]
    known = [t for t in types if t is not None]
    if known:
        allowed = known[0]
        for other in known[1:]:
            allowed = {t for t in allowed if covers(other, t)} | {t for t in other if covers(allowed, t)}
        if any(part.get("nullable") is True for part in parts):
            allowed.add("null")  # the 3.0 idiom `allOf: [$ref], nullable: true` makes a reference nullable
        merged.pop("nullable", None)
        merged["type"] = sorted(allowed)[0] if len(allowed) == 1 else sorted(allowed)
    _merge_bounds(parts, merged)
    return merged


def _merge_bounds(parts: list[Schema], merged: Schema) -> None:
    for side in SIDES:
        found = [b for part in parts if (b := bound(part, side)) is not None]
        if len(found) < 2:
            continue
        sign = 1 if side == "minimum" else -1
        strictest: Bound = max(found, key=lambda b: (sign * b.value, b.exclusive))
        merged.pop(side, None)
        merged.pop("exclusive" + side.capitalize(), None)
        merged["exclusive" + side.capitalize() if strictest.exclusive else side] = strictest.value
    for low, high in SIZE_KEYS:
        lows = [part[low] for part in parts if isinstance(part.get(low), (int, float))]
        highs = [part[high] for part in parts if isinstance(part.get(high), (int, float))]
        if lows:
            merged[low] = max(lows)
        if highs:
            merged[high] = min(highs)


LATER_WINS = frozenset({"description", "title", "default", "example", "examples", "summary", "$comment"})
EITHER = frozenset({"deprecated", "readOnly", "writeOnly", "uniqueItems", "nullable"})


def _combine(key: str, first: Any, second: Any) -> Any:
    """Two values of one keyword, from two schemas that both apply."""
    combined: Any = first
    if first == second:
        pass
    elif key in LATER_WINS:
        combined = second
    elif key in EITHER:
        combined = bool(first) or bool(second)
    elif isinstance(first, list) and isinstance(second, list):
        combined = _lists(key, first, second)
    elif isinstance(first, dict) and isinstance(second, dict) and key in (*SCHEMA_MAPS, "dependentRequired"):
        combined = _maps(key, first, second)
    elif key in ONE_SCHEMA:
        combined = _one_schema(first, second)
    elif key == "pattern" and isinstance(first, str) and isinstance(second, str):
        combined = f"(?=.*?(?:{first}))(?=.*?(?:{second}))"
    elif key == "multipleOf" and isinstance(first, (int, float)) and isinstance(second, (int, float)):
        combined = _multiple(first, second)
    return combined


def _lists(key: str, first: list[Any], second: list[Any]) -> list[Any]:
    if key == "required":
        return [*first, *[name for name in second if name not in first]]
    if key == "enum":
        return [value for value in first if value in second]
    return first


def _maps(key: str, first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    if key == "dependentRequired":
        return {name: sorted({*first.get(name, []), *second.get(name, [])}) for name in {*first, *second}}
    combined = dict(first)
    for name, schema in second.items():
        combined[name] = {"allOf": [first[name], schema]} if name in first else schema
    return combined


def _one_schema(first: Any, second: Any) -> Any:
    if first is False or second is False:
        return False
    if first is True or first == {}:
        return second
    if second is True or second == {}:
        return first
    return {"allOf": [first, second]}


def _multiple(first: float, second: float) -> float:
    if not first or not second:
        return first or second
    if (first / second).is_integer():
        return first
    if (second / first).is_integer():
        return second
    return first * second
