"""`pattern`: adding or removing one narrows or widens; a changed one cannot be decided (regex containment).

A pattern that constrains nothing (empty, `.*`, `^.*$`, ...) counts as no pattern, so `pattern: ""` ->
`"^\\w+$"` is a pattern *added* (oasdiff: `request-property-pattern-added`, ERR), not "changed".
"""

from __future__ import annotations

from typing import Any

from tools.breaking.model import POSSIBLY
from tools.breaking.walk import Comparison, Here, Schema

# Patterns that match every string (`re.search` semantics: unanchored, so `""` matches everything too).
MATCH_ALL = frozenset({"", ".*", "^.*", ".*$", "^.*$", "[\\s\\S]*", "^[\\s\\S]*$", "(.*)", "^(.*)$"})


def effective_pattern(schema: Schema) -> Any:
    """The schema's pattern, or None when it has none or one that matches every string."""
    pattern = schema.get("pattern")
    return None if pattern is None or pattern in MATCH_ALL else pattern


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Classify an added, removed or changed `pattern`."""
    old_pattern, new_pattern = effective_pattern(old), effective_pattern(new)
    if old_pattern == new_pattern:
        return
    at = here.step("pattern")
    if old_pattern is None or new_pattern is None:
        shown = f"pattern {old.get('pattern', 'none')!r} -> {new.get('pattern', 'none')!r}"
        shown = f"{shown} ({'added' if old_pattern is None else 'removed'})"
        run.narrow_or_widen(new_pattern is not None, at, "pattern", shown)
        return
    shown = f"pattern {old_pattern!r} -> {new_pattern!r}"
    side = "values clients send may now be rejected" if here.request else "the server may send values it did not"
    run.add(
        POSSIBLY, f"{'request' if here.request else 'response'}-pattern-changed", at,
        f"{shown}: whether it accepts every old value cannot be decided here; {side}",
    )  # fmt: skip
