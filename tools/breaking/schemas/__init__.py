"""Schema comparison, one module per family of keywords, the way openapi-python-client's parser keeps one
module per kind of property.

:func:`compare_schema` follows `$ref`s, stops on a pair already being compared (recursive schemas), runs
every :data:`CHECKS` rule on the pair, then compares the subschemas that the :data:`SUBSCHEMAS` rules name.
A check reports changes to its own keywords; a subschema rule may report too (a property added) and
returns the pairs to descend into, so no rule recurses by itself. A new keyword gets a module with a
`compare` (or `subschemas`) function, an entry below, and its name in :data:`SCHEMA_KEYS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.breaking.schemas import (
    arrays,
    bounds,
    composition,
    enums,
    formats,
    json_types,
    metadata,
    objects,
    patterns,
)
from tools.breaking.walk import Comparison, Here, Schema, Subschemas

Check = Callable[[Comparison, Schema, Schema, Here], None]
SubschemaRule = Callable[[Comparison, Schema, Schema, Here], list[Subschemas]]

CHECKS: tuple[Check, ...] = (
    metadata.compare,
    json_types.compare,
    formats.compare,
    enums.compare,
    bounds.compare_ranges,
    bounds.compare_multiple_of,
    bounds.compare_sizes,
    bounds.compare_unique_items,
    patterns.compare,
)
SUBSCHEMAS: tuple[SubschemaRule, ...] = (objects.subschemas, arrays.subschemas, composition.subschemas)
# The schema keywords the rules understand; a change to any other one is reported as unrecognised.
SCHEMA_KEYS = frozenset(
    {
        "type", "nullable", "format", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
        "maxProperties", "uniqueItems", "pattern", "properties", "required", "additionalProperties", "items",
        "propertyNames", "allOf", "anyOf", "oneOf", "default", "deprecated", "title",
    }
)  # fmt: skip


def as_object(node: Any) -> Schema:
    """JSON Schema booleans as objects: true is {}, false admits nothing."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    return node if isinstance(node, dict) else {}


def compare_schema(run: Comparison, old: Any, new: Any, here: Here) -> None:
    """Compare two schemas in the walk's direction (request: may widen; response: may narrow)."""
    old, new, here = run.pair(old, new, here)
    old, new = as_object(old), as_object(new)
    key = (here.old_ptr, here.new_ptr, here.request)
    if key in run.active:  # a recursive schema: this pair is already being compared further up
        return
    run.active.add(key)
    try:
        for check in CHECKS:
            check(run, old, new, here)
        for rule in SUBSCHEMAS:
            for old_sub, new_sub, sub_here in rule(run, old, new, here):
                compare_schema(run, old_sub, new_sub, sub_here)
        run.leftovers(old, new, here, SCHEMA_KEYS)
    finally:
        run.active.discard(key)
