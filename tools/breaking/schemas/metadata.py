"""Meta-data keywords (JSON Schema 2020-12 section 9): documentation, `deprecated`, `title` (it names the
generated class) and `default`."""

from __future__ import annotations

from tools.breaking.model import NON, POSSIBLY
from tools.breaking.walk import Comparison, Here, Schema


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Documentation and deprecation are non-breaking; a new title renames the generated class; a changed
    request default changes what an omitted field means (one added or removed only documents)."""
    run.docs(old, new, here)
    if not old.get("deprecated") and new.get("deprecated"):
        run.add(NON, "deprecated", here.step("deprecated"), "marked deprecated")
    for keyword in ("discriminator", "xml"):
        if old.get(keyword) != new.get(keyword):
            # The payload is the same JSON either way; oasdiff reports discriminator changes at INFO.
            run.add(NON, f"{keyword}-changed", here.step(keyword), f"{keyword} changed (the JSON sent is the same)")
    if old.get("title") != new.get("title"):
        run.add(
            POSSIBLY, "title-changed", here.step("title"),
            f"title {old.get('title')!r} -> {new.get('title')!r}: openapi-python-client names the generated "
            "class after it",
        )  # fmt: skip
    if old.get("default") == new.get("default"):
        return
    at = here.step("default")
    shown = f"default {old.get('default')!r} -> {new.get('default')!r}"
    if "default" not in old or "default" not in new:
        # Documenting a default (or no longer documenting one) does not change what the server does.
        run.add(
            NON,
            f"{'request' if here.request else 'response'}-default-{'added' if 'default' in new else 'removed'}",
            at,
            shown,
        )
    elif here.request:
        run.add(
            POSSIBLY, "request-default-changed", at, f"{shown}: requests that omit the field now mean something else"
        )
    else:
        run.add(NON, "response-default-changed", at, shown)
