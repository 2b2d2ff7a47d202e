"""`anyOf` and `oneOf`: members matched across the two versions, then classed by direction.

(`allOf` never reaches this module: :mod:`~tools.breaking.schemas.merge` has merged it into one schema.)

Members are matched first by what they are (the same `$ref`, or equal content), then by their JSON types,
then in order; matched members are compared as schemas. A member added widens what the schema admits, one
removed narrows it, so (oasdiff's `request-body-one-of-removed`, `response-body-one-of-added` and their
`any-of` twins):

- request: a member removed is **breaking** (clients sending that shape are refused); one added is not;
- response: a member added is **breaking** (the deployed client tries only the members it was generated
  with, and raw-HTTP callers did not expect the shape); one removed is not.

A schema wrapped in (or unwrapped from) a `oneOf`/`anyOf` is compared as a one-member list, so wrapping a
body in `oneOf: [itself, Other]` is "a member added", not "every field removed".
"""

from __future__ import annotations

from typing import Any

from tools.breaking.model import BREAKING, NON
from tools.breaking.schemas.json_types import json_types
from tools.breaking.schemas.merge import ANNOTATIONS, effective
from tools.breaking.walk import Comparison, Here, Schema, Subschemas

KEYWORDS = ("anyOf", "oneOf")
# Marks the side `wrap` made a one-member list of: its member is the schema itself, at the schema's pointer.
WRAPPED = "$wrapped"
RULE_NAMES = {"anyOf": "any-of", "oneOf": "one-of"}


def wrap(old: Schema, new: Schema) -> tuple[Schema, Schema]:
    """When only one side is a bare `oneOf`/`anyOf`, the other side as a one-member list of the same keyword."""
    for keyword in KEYWORDS:
        if _bare(new, keyword) and not _composed(old) and _core(old):
            return {**_docs(old), keyword: [_core(old)], WRAPPED: True}, new
        if _bare(old, keyword) and not _composed(new) and _core(new):
            return old, {**_docs(new), keyword: [_core(new)], WRAPPED: True}
    return old, new


def _composed(schema: Schema) -> bool:
    return any(isinstance(schema.get(k), list) for k in KEYWORDS)


def _bare(schema: Schema, keyword: str) -> bool:
    """A schema that is only a `keyword` list (plus annotations)."""
    return isinstance(schema.get(keyword), list) and not _core(schema, keyword)


def _core(schema: Schema, *also: str) -> Schema:
    return {k: v for k, v in schema.items() if k not in ANNOTATIONS and k not in also and not k.startswith("x-")}


def _docs(schema: Schema) -> Schema:
    return {k: v for k, v in schema.items() if k in ANNOTATIONS or k.startswith("x-")}


def _identity(member: Any) -> Any:
    """What makes two members "the same one": their `$ref`, else their content."""
    if isinstance(member, dict) and isinstance(member.get("$ref"), str):
        return ("ref", member["$ref"].rsplit("/", 1)[-1])
    return ("inline", repr(member))


def _types(member: Any, spec: dict[str, Any]) -> str:
    schema, _ = effective(member, spec, "")
    types = json_types(schema)
    return "any" if types is None else ",".join(sorted(types))


def match(run: Comparison, old: list[Any], new: list[Any]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs of (old index, new index) for the same member, then the old ones removed and the new ones added."""
    left, right = list(range(len(old))), list(range(len(new)))
    pairs: list[tuple[int, int]] = []

    def pair_by(key_old: Any, key_new: Any) -> None:
        for i in list(left):
            for j in right:
                if key_old(i) == key_new(j):
                    pairs.append((i, j))
                    left.remove(i)
                    right.remove(j)
                    break

    pair_by(lambda i: _identity(old[i]), lambda j: _identity(new[j]))
    pair_by(lambda i: repr(effective(old[i], run.old, "")[0]), lambda j: repr(effective(new[j], run.new, "")[0]))
    if len(left) == len(right):
        pairs.extend(zip(left, right, strict=True))
        return sorted(pairs), [], []
    pair_by(lambda i: _types(old[i], run.old), lambda j: _types(new[j], run.new))
    return sorted(pairs), left, right


def subschemas(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    """Report members added or removed by direction; return the matched member pairs to compare."""
    found: list[Subschemas] = []
    for keyword in KEYWORDS:
        old_parts, new_parts = old.get(keyword), new.get(keyword)
        if not isinstance(old_parts, list) and not isinstance(new_parts, list):
            continue
        old_list = old_parts if isinstance(old_parts, list) else []
        new_list = new_parts if isinstance(new_parts, list) else []
        pairs, removed, added = match(run, old_list, new_list)
        at = here.step(keyword)
        name = RULE_NAMES[keyword]
        side = "request" if here.request else "response"
        for index in removed:
            severity = BREAKING if here.request else NON
            why = ": clients that send that shape are now refused" if here.request else ""
            run.add(
                severity, f"{side}-{name}-removed", Here(f"{at.old_ptr}/{index}", "", at.where, here.request),
                f"{keyword} member {index} removed{why}", in_base=True,
            )  # fmt: skip
        for index in added:
            severity = NON if here.request else BREAKING
            why = (
                ""
                if here.request
                else ": deployed clients parse only the members they were generated with, and callers did not "
                "expect this shape"
            )
            run.add(
                severity, f"{side}-{name}-added", Here("", f"{at.new_ptr}/{index}", at.where, here.request),
                f"{keyword} member {index} added{why}",
            )  # fmt: skip
        for i, j in pairs:
            old_at = here.old_ptr if old.get(WRAPPED) else f"{at.old_ptr}/{i}"
            new_at = here.new_ptr if new.get(WRAPPED) else f"{at.new_ptr}/{j}"
            found.append((old_list[i], new_list[j], Here(old_at, new_at, at.where, at.request)))
    return found
