"""Objects: `properties` and `required` (added, removed, required or not), `additionalProperties` and
`propertyNames`."""

from __future__ import annotations

from dots_spec.refs import escape
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.schemas.merge import effective
from tools.breaking.walk import Comparison, Here, Schema, Spec, Subschemas


def subschemas(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    """Report property and openness changes; return the pairs of properties in both, and of
    `additionalProperties` and `propertyNames` schemas."""
    pairs = _properties(run, old, new, here)
    pairs += _additional_properties(run, old, new, here)
    if "propertyNames" in old or "propertyNames" in new:
        label = f"{here.where} (keys)"
        pairs.append((old.get("propertyNames", {}), new.get("propertyNames", {}), here.step("propertyNames", label)))
    return pairs


def hidden(schema: object, spec: Spec, request: bool) -> bool:
    """Whether a property is absent in this direction: `readOnly` ones are not sent in requests, `writeOnly`
    ones not returned in responses (OpenAPI 3.0 Schema Object; JSON Schema 2020-12 section 9.4)."""
    resolved, _ = effective(schema, spec, "")
    return bool(resolved.get("readOnly" if request else "writeOnly"))


def _visible(schema: Schema, spec: Spec, request: bool) -> tuple[dict[str, object], set[str]]:
    """The properties and required names of `schema` that exist in this direction."""
    raw_properties, raw_required = schema.get("properties"), schema.get("required")
    properties: dict[str, object] = raw_properties if isinstance(raw_properties, dict) else {}
    required: list[object] = raw_required if isinstance(raw_required, list) else []
    shown = {name: value for name, value in properties.items() if not hidden(value, spec, request)}
    return shown, {str(name) for name in required if name not in properties or name in shown}


def _properties(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    # A readOnly property in a request (a writeOnly one in a response) is not there: whatever changes about
    # it, clients neither send (nor read) it; one that becomes readOnly (writeOnly) is as if removed.
    old_props, old_required = _visible(old, run.old, here.request)
    new_props, new_required = _visible(new, run.new, here.request)
    closed = new.get("additionalProperties") is False
    pairs: list[Subschemas] = []
    for name in sorted(set(old_props) | set(new_props) | old_required | new_required, key=str):
        label = f"{here.where}.{name}"
        at = Here(
            f"{here.old_ptr}/properties/{escape(name)}", f"{here.new_ptr}/properties/{escape(name)}",
            label, here.request,
        )  # fmt: skip
        in_old, in_new = name in old_props, name in new_props
        if in_old and not in_new and name in (new.get("properties") or {}):
            _became_hidden(run, at, name in old_required)
            continue
        if in_old and not in_new:
            _property_removed(run, at, name in old_required, closed)
            continue
        if in_new and not in_old:
            if here.request and name in new_required:
                run.add(BREAKING, "request-property-added-required", at, "required field added")
            elif here.request:
                run.add(NON, "request-property-added", at, "optional field added")
            else:
                run.add(
                    NON, "response-property-added", at,
                    "field added: a deployed client keeps it in additional_properties",
                )  # fmt: skip
            continue
        _required_changed(run, name in old_required, name in new_required, here, label)
        if in_old and in_new:
            pairs.append((old_props[name], new_props[name], at))
    return pairs


def _became_hidden(run: Comparison, at: Here, was_required: bool) -> None:
    """A request property that became readOnly, or a response property that became writeOnly."""
    if at.request:
        run.add(
            POSSIBLY, "request-property-became-read-only", at.step("readOnly"),
            "field became readOnly: the server may now ignore (or refuse) it when clients send it",
        )  # fmt: skip
    else:
        # oasdiff rates this INFO (`response-*-property-became-write-only`); a field the server no longer
        # returns is gone for every reader, as a removed one is.
        run.add(
            BREAKING, "response-property-became-write-only", at.step("writeOnly"),
            f"{'required ' if was_required else ''}field became writeOnly: it is no longer returned, so "
            "readers of it get nothing (the generated from_dict raises KeyError on a required one)",
        )  # fmt: skip


def _required_changed(run: Comparison, was: bool, now: bool, here: Here, label: str) -> None:
    required_at = Here(f"{here.old_ptr}/required", f"{here.new_ptr}/required", label, here.request)
    if here.request and now and not was:
        run.add(BREAKING, "request-property-became-required", required_at, "field became required")
    elif here.request and was and not now:
        run.add(NON, "request-property-became-optional", required_at, "field became optional")
    elif not here.request and was and not now:
        run.add(
            BREAKING, "response-property-became-optional", required_at,
            "field no longer required: the generated from_dict pops it unconditionally and raises KeyError "
            "when it is missing",
        )  # fmt: skip
    elif not here.request and now and not was:
        run.add(NON, "response-property-became-required", required_at, "field became required")


def _property_removed(run: Comparison, at: Here, was_required: bool, closed: bool) -> None:
    if at.request:
        if closed:
            run.add(
                BREAKING, "request-property-removed", at,
                "field removed from a closed object (additionalProperties: false): clients that send it are "
                "now rejected",
                in_base=True,
            )  # fmt: skip
        else:
            run.add(
                POSSIBLY, "request-property-removed", at,
                "field removed: the server now ignores it when clients send it", in_base=True,
            )  # fmt: skip
        return
    consequence = (
        "the generated from_dict raises KeyError without it"
        if was_required
        else "clients that read it get UNSET from now on, and the name is no longer typed"
    )
    run.add(
        BREAKING, "response-property-removed", at,
        f"{'required' if was_required else 'optional'} field removed: {consequence}", in_base=True,
    )  # fmt: skip


def _additional_properties(run: Comparison, old: Schema, new: Schema, here: Here) -> list[Subschemas]:
    old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if old_extra == new_extra and not isinstance(old_extra, dict):  # the same text may $ref a changed schema
        return []
    at = here.step("additionalProperties", f"{here.where}.*")
    if new_extra is False:
        if here.request:
            run.add(
                BREAKING, "request-additional-properties-closed", at,
                "additionalProperties: false added: a request with any undeclared field is now rejected",
            )  # fmt: skip
        else:
            run.add(NON, "response-additional-properties-closed", at, "additionalProperties: false added")
    elif old_extra is False:
        if here.request:
            run.add(NON, "request-additional-properties-opened", at, "undeclared fields now accepted")
        else:
            run.add(
                NON, "response-additional-properties-opened", at,
                "undeclared fields may now be sent: the generated client keeps them in additional_properties",
            )  # fmt: skip
    else:
        return [(old_extra, new_extra, at)]
    return []
