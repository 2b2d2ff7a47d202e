"""One comparison under way: where it is in both documents, and the changes found so far.

Every rule module takes a :class:`Comparison` and a :class:`Here` and reports through them, so the
rules themselves hold no state and each can be read (and tested) alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from dots_spec.refs import escape, follow
from tools.breaking.model import BREAKING, NON, POSSIBLY, Change, Severity

Spec = dict[str, Any]
Schema = dict[str, Any]
# The most places one finding lists: enough to show where a change reaches, bounded for any schema graph.
MAX_PLACES = 50
# Keywords that only document: any change to them is non-breaking.
DOC_KEYS = frozenset({"description", "summary", "example", "examples", "externalDocs", "$comment", "links"})


def mapping(node: Any) -> dict[str, Any]:
    """`node` when it is a mapping, else an empty one: the walk reads a misshapen node as absent."""
    return node if isinstance(node, dict) else {}


def listing(node: Any) -> list[Any]:
    """`node` when it is a list, else an empty one."""
    return node if isinstance(node, list) else []


@dataclass(frozen=True)
class Here:
    """Where the walk is: the node's pointer in each document, the operation + field label, the direction.

    `request` is the direction: True where clients send (a schema may only widen), False where the server
    answers (a schema may only narrow). An empty pointer means the node is absent from that document.
    """

    old_ptr: str
    new_ptr: str
    where: str
    request: bool

    def step(self, key: str, label: str | None = None) -> Here:
        """The child `key` of this node in both documents, relabelled when `label` is given."""
        return Here(
            f"{self.old_ptr}/{escape(key)}",
            f"{self.new_ptr}/{escape(key)}",
            self.where if label is None else label,
            self.request,
        )

    def named(self, where: str, *, request: bool | None = None) -> Here:
        """The same node under another label (and direction, when given)."""
        return replace(self, where=where, request=self.request if request is None else request)


# A pair of subschemas to compare next, and where they are.
Subschemas = tuple[Any, Any, Here]


@dataclass
class Comparison:
    """The two documents being compared, the changes found, and the schema pairs being compared right now."""

    old: Spec
    new: Spec
    changes: list[Change] = field(default_factory=list)
    # (old pointer, new pointer, direction) of the schemas on the walk's stack: a recursive schema stops here.
    active: set[tuple[str, str, bool]] = field(default_factory=set)
    # (old pointer, new pointer, direction, in a webhook) of component schema pairs compared so far -> the
    # label they were compared under and the changes found, replayed for every further use.
    memo: dict[tuple[str, str, bool, bool], tuple[str, list[Change]]] = field(default_factory=dict)
    # The places ("at ...") recorded for each finding so far, capped at MAX_PLACES.
    places: dict[tuple[Severity, str, str, bool, str], set[str]] = field(default_factory=dict)

    def add(self, severity: Severity, rule: str, here: Here, message: str, *, in_base: bool = False) -> None:
        """Record a change at `here` (located in the base document when `in_base`: the node was removed)."""
        pointer = here.old_ptr if in_base else here.new_ptr
        self.record(Change(severity, rule, pointer, message, here.where, in_base))

    def record(self, change: Change) -> None:
        """Keep `change`, unless its finding already names :data:`MAX_PLACES` places.

        A component reached through many paths (reused, nested, recursive) would otherwise be reported once
        per path, and the paths of a schema graph can grow exponentially with its depth.
        """
        key = (change.severity, change.rule, change.pointer, change.in_base, change.message)
        places = self.places.setdefault(key, set())
        if change.where in places or len(places) < MAX_PLACES:
            places.add(change.where)
            self.changes.append(change)

    def pair(self, old: Any, new: Any, here: Here) -> tuple[Any, Any, Here]:
        """Both nodes with their `$ref`s followed, and `here` moved to where they really are.

        A node that is not a mapping (`application/json:` with nothing under it reads as None) is read
        as an empty one. Raises `ValueError` on a `$ref` that is not local or loops (the command exits 2).
        """
        old, old_ptr = follow(old, self.old, here.old_ptr)
        new, new_ptr = follow(new, self.new, here.new_ptr)
        return mapping(old), mapping(new), Here(old_ptr, new_ptr, here.where, here.request)

    def docs(self, old: Spec, new: Spec, here: Here, keys: frozenset[str] = DOC_KEYS) -> None:
        """Report documentation keywords (and `x-` extensions) that differ, as non-breaking."""
        for key in sorted(set(old) | set(new)):
            if (key in keys or key.startswith("x-")) and old.get(key) != new.get(key):
                self.add(NON, "docs-changed", here.step(key), f"{key} changed (documentation only)")

    def leftovers(self, old: Spec, new: Spec, here: Here, handled: frozenset[str]) -> None:
        """Report changed keywords no rule knows: a person must judge them."""
        for key in sorted(set(old) | set(new)):
            if key in handled or key in DOC_KEYS or key.startswith("x-") or old.get(key) == new.get(key):
                continue
            self.add(POSSIBLY, "unrecognised-change", here.step(key), f"{key} changed and no rule covers it: check it")

    def narrow_or_widen(self, stricter: bool, at: Here, what: str, shown: str) -> None:
        """Class a constraint that now admits less (`stricter`) or more, by the walk's direction.

        Narrowing what clients send is breaking; widening it is not. Narrowing what the server answers is
        not; widening it is breaking too: the generated client does not check such constraints, but the
        code around it and every raw-HTTP caller were written to the documented ones (a column sized by
        `maxLength`, a total that cannot be negative); oasdiff rates these ERR as well
        (`response-property-max-increased`, `response-body-min-decreased`, ...).
        """
        if at.request and stricter:
            self.add(BREAKING, f"request-{what}-narrowed", at, f"{shown}: some values clients send are now rejected")
        elif at.request:
            self.add(NON, f"request-{what}-widened", at, shown)
        elif stricter:
            self.add(NON, f"response-{what}-narrowed", at, shown)
        else:
            self.add(
                BREAKING, f"response-{what}-widened", at,
                f"{shown}: the server may now send values callers were told it would not",
            )  # fmt: skip
