"""`enum` and `const`: values a request may no longer carry, values a response may now carry."""

from __future__ import annotations

from typing import Any

from tools.breaking.model import BREAKING, NON
from tools.breaking.walk import Comparison, Here, Schema


def enum_values(schema: Schema) -> list[Any] | None:
    """The values `enum` (or `const`) allows, or None when the schema does not restrict values this way."""
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None


def show_values(values: list[Any] | set[str]) -> str:
    """Values as `'a', 'b'`, sorted, for messages."""
    return ", ".join(repr(v) for v in sorted(values, key=str))


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """A response enum that gains a value is breaking: the generated StrEnum raises on a value it does not know."""
    old_values, new_values = enum_values(old), enum_values(new)
    if old_values == new_values:
        return
    at = here.step("enum" if "enum" in new or "enum" in old else "const")
    if old_values is None or new_values is None:
        if (new_values is not None) == here.request:  # an enum appears on a request / vanishes from a response
            rule = "request-enum-added" if here.request else "response-enum-removed"
            run.add(BREAKING, rule, at, "values restricted to an enum" if here.request else "enum removed")
        else:
            rule = "request-enum-removed" if here.request else "response-enum-added"
            run.add(NON, rule, at, "enum removed" if here.request else "values restricted to an enum")
        return
    added = [v for v in new_values if v not in old_values]
    removed = [v for v in old_values if v not in new_values]
    if here.request:
        if removed:
            run.add(BREAKING, "request-enum-value-removed", at, f"{show_values(removed)} no longer accepted")
        if added:
            run.add(NON, "request-enum-value-added", at, f"{show_values(added)} now accepted")
        return
    if added and here.where.startswith("webhook "):
        # A webhook payload model was read strictly until dots-client 1.3.0.3 (model_roles.jinja).
        run.add(
            BREAKING, "response-enum-value-added", at,
            f"{show_values(added)} may now be sent in a webhook: dots-client before 1.3.0.3 raises ValueError on "
            "an event value it does not know, so receivers built on its model fail every such delivery (from "
            "1.3.0.3 the model and dots.webhooks.unwrap read the value as a plain str)",
        )  # fmt: skip
    elif added:
        run.add(
            BREAKING, "response-enum-value-added", at,
            f"{show_values(added)} may now be sent: dots-client before 1.1.0 raises ValueError on an enum value it "
            "does not know, so the whole response fails to parse (from 1.1.0 it reads the value as a plain str)",
        )  # fmt: skip
    if removed:
        # oasdiff rates this INFO (`response-property-enum-value-removed`); the project differs on purpose.
        run.add(
            BREAKING, "response-enum-value-removed", at,
            f"{show_values(removed)} no longer sent: safe on the wire, but the regenerated enum loses the member, "
            "so code that names it (a comparison, a match case) fails mypy --strict or raises AttributeError "
            "on upgrade",
        )  # fmt: skip
