"""JSON Schema 2020-12 keywords beyond the 3.0 subset: `not`, `if`/`then`/`else`, `contains`,
`unevaluatedProperties`/`unevaluatedItems`, `patternProperties`, `dependentSchemas`, `dependentRequired`,
`contentSchema`, `contentMediaType`/`contentEncoding` (`prefixItems` is with `items`, in
:mod:`~tools.breaking.schemas.arrays`; `minContains`/`maxContains` with the sizes, in
:mod:`~tools.breaking.schemas.bounds`).

Each constrains, so one **added** narrows what the schema admits and one **removed** widens it: in a request
narrowing is breaking, in a response widening is (the rule names follow oasdiff's: `request-contains-added`
for its `request-body-contains-added` and `request-property-contains-added`, and so on). When both sides have
one, its subschema is compared in the same direction, except under `not`, where a narrower subschema admits
more: it is compared in the reverse direction. A changed `if` (its `$ref`s followed) cannot be decided
(possibly breaking).
"""

from __future__ import annotations

from typing import Any

from dots_spec.refs import follow_schema
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.walk import Comparison, Here, Schema, Spec, Subschemas

# keyword -> its part of the rule names.
SINGLE = {
    "contains": "contains",
    "then": "then",
    "else": "else",
    "unevaluatedProperties": "unevaluated-properties",
    "unevaluatedItems": "unevaluated-items",
    "contentSchema": "content-schema",
}
MAPS = {"patternProperties": "pattern-property", "dependentSchemas": "dependent-schema"}


def presence(run: Comparison, name: str, at: Here, added: bool, shown: str) -> None:
    """A constraint added (narrows) or removed (widens), classed by the walk's direction."""
    side = "request" if at.request else "response"
    narrows = added
    severity = BREAKING if narrows == at.request else NON
    if severity is BREAKING:
        why = ": some values clients send are now rejected" if at.request else ": the server may send what it did not"
    else:
        why = ""
    run.add(severity, f"{side}-{name}-{'added' if added else 'removed'}", at, f"{shown}{why}", in_base=not added)


def subschemas(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    """Report these keywords added or removed; return the subschema pairs to compare."""
    pairs: list[Subschemas] = []
    for keyword, name in SINGLE.items():
        pairs += _single(run, old, new, here, keyword=keyword, name=name)
    if "if" in old or "if" in new:
        at = here.step("if")
        if ("if" in old) != ("if" in new):
            presence(run, "if", at, "if" in new, f"if {'added' if 'if' in new else 'removed'}")
        elif not same_schema(old["if"], run.old, new["if"], run.new):
            run.add(
                POSSIBLY, f"{'request' if here.request else 'response'}-if-changed", at,
                "the `if` condition changed: which values its then/else apply to cannot be compared here",
            )  # fmt: skip
    if "not" in old or "not" in new:
        at = here.step("not")
        if ("not" in old) != ("not" in new):
            presence(run, "not", at, "not" in new, f"not {'added' if 'not' in new else 'removed'}")
        elif old["not"] != new["not"] or isinstance(old["not"], dict):  # the same text may $ref a changed schema
            pairs.append((old["not"], new["not"], at.named(f"{here.where} (not)", request=not here.request)))
    for keyword, name in MAPS.items():
        old_map, new_map = old.get(keyword) or {}, new.get(keyword) or {}
        if not isinstance(old_map, dict) or not isinstance(new_map, dict):
            continue
        for key in sorted(set(old_map) | set(new_map), key=str):
            at = here.step(keyword).step(str(key))
            if key not in new_map or key not in old_map:
                presence(run, name, at, key in new_map, f"{keyword} {key!r} {'added' if key in new_map else 'removed'}")
            else:
                pairs.append((old_map[key], new_map[key], at.named(f"{here.where}.{{{key}}}")))
    return pairs


def same_schema(old: Any, old_spec: Spec, new: Any, new_spec: Spec) -> bool:
    """Whether two subschemas say the same once every `$ref` in them is followed (3.1 siblings applied).

    A pair of nodes met again on the way (a recursive schema) counts as the same there.
    """
    seen: set[tuple[int, int]] = set()
    kept: list[Any] = []  # the nodes compared stay alive, so no id in `seen` is reused

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, dict) and "$ref" in a:
            a, _ = follow_schema(a, old_spec)
        if isinstance(b, dict) and "$ref" in b:
            b, _ = follow_schema(b, new_spec)
        if (id(a), id(b)) in seen:
            return True
        seen.add((id(a), id(b)))
        kept.append((a, b))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return bool(a == b)

    return same(old, new)


def _single(run: Comparison, old: Schema, new: Schema, here: Here, *, keyword: str, name: str) -> list[Subschemas]:
    old_value, new_value = old.get(keyword, True), new.get(keyword, True)
    if (keyword not in old and keyword not in new) or (old_value == new_value and not isinstance(old_value, dict)):
        return []  # (equal schemas are still compared: the same text may $ref a changed schema)
    at = here.step(keyword)
    if old_value is True or new_value is True:  # absent (or `true`) on one side: added or removed
        presence(run, name, at, new_value is not True, f"{keyword} {'added' if new_value is not True else 'removed'}")
        return []
    if old_value is False or new_value is False:
        presence(run, name, at, new_value is False, f"{keyword}: {old_value!r} -> {new_value!r}")
        return []
    return [(old_value, new_value, at)]


def compare_dependent_required(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """`dependentRequired`: a property's list of companions grown narrows, shrunk widens, both is a change."""
    old_map, new_map = old.get("dependentRequired") or {}, new.get("dependentRequired") or {}
    if old_map == new_map or not isinstance(old_map, dict) or not isinstance(new_map, dict):
        return
    for key in sorted(set(old_map) | set(new_map), key=str):
        before, after = set(old_map.get(key) or []), set(new_map.get(key) or [])
        if before == after:
            continue
        at = here.step("dependentRequired").step(str(key))
        shown = f"dependentRequired {key!r}: {sorted(before)} -> {sorted(after)}"
        if before < after or before > after:
            presence(run, "dependent-required", at, before < after, shown)
        else:
            side = "request" if here.request else "response"
            run.add(BREAKING, f"{side}-dependent-required-changed", at, f"{shown}: neither contains the other")


def compare_content_keywords(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """`contentMediaType`/`contentEncoding`: how a string's content is encoded; any change breaks a reader or
    a writer of it, in either direction (oasdiff: `request-body-content-media-type-changed`, ERR)."""
    for keyword, name in (("contentMediaType", "content-media-type"), ("contentEncoding", "content-encoding")):
        before: Any = old.get(keyword)
        after: Any = new.get(keyword)
        if before != after:
            side = "request" if here.request else "response"
            run.add(
                BREAKING, f"{side}-{name}-changed", here.step(keyword),
                f"{keyword} {before or 'none'} -> {after or 'none'}: what one side writes the other cannot read",
            )  # fmt: skip
