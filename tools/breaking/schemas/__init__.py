"""Schema comparison, one module per family of keywords, the way openapi-python-client's parser keeps one
module per kind of property.

:func:`compare_schema` brings both sides to the schema they apply (:mod:`~tools.breaking.schemas.merge`:
`$ref`s followed wherever they stand, 3.1 `$ref` siblings and `allOf` merged), stops on a pair already being
compared (recursive schemas), replays the result of a component pair compared before (each component is
compared once per direction, however many operations reuse it), runs every :data:`CHECKS` rule on the
pair, then compares the subschemas that the :data:`SUBSCHEMAS` rules name.
A check reports changes to its own keywords; a subschema rule may report too (a property added) and
returns the pairs to descend into, so no rule recurses by itself. A new keyword gets a module with a
`compare` (or `subschemas`) function, an entry below, and its name in :data:`SCHEMA_KEYS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tools.breaking.model import NON
from tools.breaking.schemas import (
    applicators,
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
from tools.breaking.schemas.merge import ANNOTATIONS, as_object, effective
from tools.breaking.walk import Comparison, Here, Schema, Subschemas

__all__ = ["CHECKS", "SCHEMA_KEYS", "SUBSCHEMAS", "as_object", "compare_schema"]

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
    applicators.compare_dependent_required,
    applicators.compare_content_keywords,
)
SUBSCHEMAS: tuple[SubschemaRule, ...] = (
    objects.subschemas,
    arrays.subschemas,
    composition.subschemas,
    applicators.subschemas,
)
# The schema keywords the rules understand; a change to any other one is reported as unrecognised.
SCHEMA_KEYS = frozenset(
    {
        "type", "nullable", "format", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
        "maxProperties", "uniqueItems", "pattern", "properties", "required", "additionalProperties", "items",
        "propertyNames", "allOf", "anyOf", "oneOf", "default", "deprecated", "title", "readOnly", "writeOnly",
        "discriminator", "xml", "prefixItems", "contains", "minContains", "maxContains", "unevaluatedItems",
        "unevaluatedProperties", "patternProperties", "dependentRequired", "dependentSchemas", "if", "then",
        "else", "not", "contentSchema", "contentMediaType", "contentEncoding", "$defs", "$schema", "$id",
        "$anchor", "$wrapped",
    }
)  # fmt: skip
# Deeper than this, a schema is compared no further (a guard for recursion through merged schemas).
MAX_NESTING = 64


def compare_schema(run: Comparison, old: Any, new: Any, here: Here) -> None:
    """Compare two schemas in the walk's direction (request: may widen; response: may narrow)."""
    old, old_ptr = effective(old, run.old, here.old_ptr)
    new, new_ptr = effective(new, run.new, here.new_ptr)
    here = Here(old_ptr, new_ptr, here.where, here.request)
    old, new = composition.wrap(old, new)
    if _unconstrained(run, old, new, here):
        return
    key = (here.old_ptr, here.new_ptr, here.request)
    if key in run.active or len(run.active) > MAX_NESTING:  # recursion: this pair is being compared further up
        return
    memo_key: tuple[str, str, bool, bool] | None = (*key, here.where.startswith("webhook "))
    if here.old_ptr.startswith("#/components/") and here.new_ptr.startswith("#/components/"):
        if memo_key in run.memo:
            _replay(run, here.where, *run.memo[memo_key])
            return
    else:
        memo_key = None
    start = len(run.changes)
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
    if memo_key is not None:
        run.memo[memo_key] = (here.where, run.changes[start:])


def _unconstrained(run: Comparison, old: Schema, new: Schema, here: Here) -> bool:
    """A request schema that now admits anything, or a response schema that admitted anything: one change.

    (What was inside the request schema no longer matters: every value is accepted, so a property "removed"
    there is not ignored but unconstrained; a response that now has a schema only narrowed.)
    """
    if old == new:
        return False
    if here.request and not new and _constrains(old):
        run.add(NON, "request-schema-unconstrained", here, "every constraint removed: any value is accepted")
        return True
    if not here.request and not old and _constrains(new):
        run.add(NON, "response-schema-constrained", here, "a schema now describes what was unconstrained")
        return True
    return False


def _constrains(schema: Schema) -> bool:
    """Whether a schema has any keyword beyond annotations (descriptions, titles, examples, x-...)."""
    return any(key not in ANNOTATIONS and not key.startswith("x-") for key in schema)


def _replay(run: Comparison, where: str, first_where: str, changes: list[Any]) -> None:
    """The changes a component pair gave when first compared, relabelled for this use of it."""
    for change in changes:
        label = where + change.where[len(first_where) :] if change.where.startswith(first_where) else change.where
        run.record(replace(change, where=label))
