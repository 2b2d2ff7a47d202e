"""Bounds: the numeric range (`minimum`, `maximum`, `exclusive*`, `multipleOf`) and sizes (`min/maxLength`,
`min/maxItems`, `min/maxProperties`, `uniqueItems`), compared by what they admit, not how they are spelt."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tools.breaking.model import BREAKING
from tools.breaking.schemas.json_types import json_types, show_types
from tools.breaking.walk import Comparison, Here, Schema

SIDES = ("minimum", "maximum")
SIZE_KEYS = (
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
    ("minContains", "maxContains"),
)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Bound:
    """A numeric bound; `exclusive` for exclusiveMinimum/exclusiveMaximum."""

    value: float
    exclusive: bool

    def __str__(self) -> str:
        return f"{'exclusive ' if self.exclusive else ''}{_number(self.value)}"


def bound(schema: Schema, side: str) -> Bound | None:
    """The lower ('minimum') or upper ('maximum') bound, whichever spelling the schema uses (3.0 or 3.1).

    On an integer, an exclusive bound becomes the inclusive one it means (`exclusiveMinimum: 0` is `minimum: 1`).
    """
    inclusive = _numeric(schema.get(side))
    exclusive = schema.get("exclusive" + side.capitalize())
    exclusive = exclusive if isinstance(exclusive, bool) else _numeric(exclusive)
    candidates: list[Bound] = []
    if isinstance(exclusive, bool):  # OpenAPI 3.0: a flag on minimum/maximum
        if inclusive is not None:
            candidates.append(Bound(inclusive, exclusive))
    else:
        if inclusive is not None:
            candidates.append(Bound(inclusive, exclusive=False))
        if exclusive is not None:
            candidates.append(Bound(exclusive, exclusive=True))
    if not candidates:
        return None
    if (json_types(schema) or set()) - {"null"} == {"integer"}:
        candidates = [_integer_bound(b, side) for b in candidates]
    sign = 1 if side == "minimum" else -1
    return max(candidates, key=lambda b: (sign * b.value, b.exclusive))


def _numeric(value: object) -> float | None:
    """A bound's value, or None when it is not a number (a misshapen document: no bound)."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _integer_bound(value: Bound, side: str) -> Bound:
    if side == "minimum":
        number = math.floor(value.value) + 1 if value.exclusive else math.ceil(value.value)
    else:
        number = math.ceil(value.value) - 1 if value.exclusive else math.floor(value.value)
    return Bound(number, exclusive=False)


def stricter(old: Bound | None, new: Bound | None, side: str) -> bool | None:
    """True if `new` admits less than `old`, False if more, None if the same."""
    if old == new:
        return None
    if old is None or new is None:
        return old is None
    sign = 1 if side == "minimum" else -1
    if old.value != new.value:
        return sign * new.value > sign * old.value
    return new.exclusive


def _raw_bound(schema: Schema, side: str) -> str:
    """The bound keywords as the spec spells them, e.g. `exclusiveMinimum 0`."""
    keywords = (side, "exclusive" + side.capitalize())
    shown = [f"{k} {v}" for k in keywords if (v := schema.get(k)) is not None]
    return " + ".join(shown) or f"no {side}"


def _or_none(value: object) -> str:
    return "none" if value is None else str(value)


def compare_ranges(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Compare the lower and the upper bound by the values they admit."""
    for side in SIDES:
        tighter = stricter(bound(old, side), bound(new, side), side)
        if tighter is None:
            continue
        keyword = side if side in new or side in old else "exclusive" + side.capitalize()
        old_raw, new_raw = _raw_bound(old, side), _raw_bound(new, side)
        shown = f"{old_raw} -> {new_raw}" if old_raw != new_raw else f"{old_raw}, on type {show_types(json_types(new))}"
        run.narrow_or_widen(tighter, here.step(keyword), "range", shown)


def compare_multiple_of(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """`multipleOf` widens when every old multiple is still one, narrows when every new multiple was one;
    otherwise (2 -> 3) each side admits values the other does not, which breaks either direction."""
    old_value, new_value = _numeric(old.get("multipleOf")) or None, _numeric(new.get("multipleOf")) or None
    if old_value == new_value:
        return
    # Every multiple of `old` is a multiple of `new` exactly when `old` is itself a multiple of `new`.
    widened = new_value is None or (old_value is not None and (old_value / new_value).is_integer())
    narrowed = old_value is None or (new_value is not None and (new_value / old_value).is_integer())
    shown = f"multipleOf {old_value or 'none'} -> {new_value or 'none'}"
    if widened or narrowed:
        run.narrow_or_widen(narrowed, here.step("multipleOf"), "range", shown)
        return
    side = "request" if here.request else "response"
    run.add(
        BREAKING, f"{side}-multiple-of-changed", here.step("multipleOf"),
        f"{shown}: each admits values the other does not",
    )  # fmt: skip


def compare_sizes(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Compare each min/max size keyword as an inclusive bound."""
    for low, high in SIZE_KEYS:
        for keyword, side in ((low, "minimum"), (high, "maximum")):
            old_value, new_value = _numeric(old.get(keyword)), _numeric(new.get(keyword))
            if old_value == new_value:
                continue
            old_bound = None if old_value is None else Bound(old_value, exclusive=False)
            new_bound = None if new_value is None else Bound(new_value, exclusive=False)
            tighter = stricter(old_bound, new_bound, side)
            if tighter is not None:
                shown = f"{keyword} {_or_none(old_value)} -> {_or_none(new_value)}"
                run.narrow_or_widen(tighter, here.step(keyword), "size", shown)


def compare_unique_items(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """`uniqueItems` turned on narrows what an array may hold."""
    old_unique, new_unique = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
    if old_unique != new_unique:
        run.narrow_or_widen(new_unique, here.step("uniqueItems"), "size", f"uniqueItems {old_unique} -> {new_unique}")
