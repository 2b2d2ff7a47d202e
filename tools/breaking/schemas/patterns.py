"""`pattern`: adding or removing one narrows or widens; a changed one cannot be decided (regex containment)."""

from __future__ import annotations

from tools.breaking.model import POSSIBLY
from tools.breaking.walk import Comparison, Here, Schema


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Classify an added, removed or changed `pattern`."""
    old_pattern, new_pattern = old.get("pattern"), new.get("pattern")
    if old_pattern == new_pattern:
        return
    at = here.step("pattern")
    if old_pattern is None or new_pattern is None:
        shown = "pattern added" if old_pattern is None else "pattern removed"
        run.narrow_or_widen(new_pattern is not None, at, "pattern", shown)
        return
    shown = f"pattern {old_pattern!r} -> {new_pattern!r}"
    side = "values clients send may now be rejected" if here.request else "the server may send values it did not"
    run.add(
        POSSIBLY, f"{'request' if here.request else 'response'}-pattern-changed", at,
        f"{shown}: whether it accepts every old value cannot be decided here; {side}",
    )  # fmt: skip
