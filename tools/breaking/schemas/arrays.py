"""`items` and `prefixItems`: an array's items compared position by position, labelled `field[]`/`field[i]`.

With `prefixItems` (JSON Schema 2020-12), item *i* is checked by `prefixItems[i]` and the items after the
prefix by `items`; so each position is compared as the schema that applies to it on each side (adding a
prefix schema compares it with the `items` schema it replaces there), then the tail (`items`) itself.
"""

from __future__ import annotations

from typing import Any

from tools.breaking.walk import Comparison, Here, Schema, Subschemas


def subschemas(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    """The pairs of per-position schemas, then the `items` pair, when either side has them."""
    pairs: list[Subschemas] = []
    old_prefix, new_prefix = _prefix(old), _prefix(new)
    for index in range(max(len(old_prefix), len(new_prefix))):
        old_at = f"{here.old_ptr}/prefixItems/{index}" if index < len(old_prefix) else f"{here.old_ptr}/items"
        new_at = f"{here.new_ptr}/prefixItems/{index}" if index < len(new_prefix) else f"{here.new_ptr}/items"
        pairs.append(
            (
                _at(old_prefix, index, old),
                _at(new_prefix, index, new),
                Here(old_at, new_at, f"{here.where}[{index}]", here.request),
            )
        )
    if "items" in old or "items" in new:
        pairs.append((old.get("items", {}), new.get("items", {}), here.step("items", f"{here.where}[]")))
    return pairs


def _prefix(schema: Schema) -> list[Any]:
    prefix = schema.get("prefixItems")
    return prefix if isinstance(prefix, list) else []


def _at(prefix: list[Any], index: int, schema: Schema) -> Any:
    return prefix[index] if index < len(prefix) else schema.get("items", {})
