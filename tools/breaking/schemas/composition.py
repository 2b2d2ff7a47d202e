"""`allOf`, `anyOf`, `oneOf`: compared member by member when the lists keep their length."""

from __future__ import annotations

from tools.breaking.model import POSSIBLY
from tools.breaking.walk import Comparison, Here, Schema, Subschemas

KEYWORDS = ("allOf", "anyOf", "oneOf")


def subschemas(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    """Member pairs of each changed list of the same length; a list that grew or shrank is for a person."""
    pairs: list[Subschemas] = []
    for key in KEYWORDS:
        old_parts, new_parts = old.get(key) or [], new.get(key) or []
        if old_parts == new_parts:
            continue
        if len(old_parts) == len(new_parts):
            for index, (old_part, new_part) in enumerate(zip(old_parts, new_parts, strict=True)):
                pairs.append((old_part, new_part, here.step(key).step(str(index))))
        else:
            run.add(
                POSSIBLY, "composition-changed", here.step(key),
                f"{key} has {len(old_parts)} -> {len(new_parts)} subschemas: compare them by hand",
            )  # fmt: skip
    return pairs
