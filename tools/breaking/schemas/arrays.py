"""`items`: an array's items are compared as a schema of their own, labelled `field[]`."""

from __future__ import annotations

from tools.breaking.walk import Comparison, Here, Schema, Subschemas


def subschemas(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    """The `items` pair, when either side has one."""
    if "items" not in old and "items" not in new:
        return []
    return [(old.get("items", {}), new.get("items", {}), here.step("items", f"{here.where}[]"))]
