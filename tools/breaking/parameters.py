"""Parameters (path, query, header, cookie): added, removed, renamed, required or not, and their schemas."""

from __future__ import annotations

import re
from typing import Any

from dots_spec.refs import follow
from tools.breaking.bodies import compare_content
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.schemas import compare_schema
from tools.breaking.walk import Comparison, Here, Spec, listing, mapping

# A parameter's identity, (location, name), mapped to (the parameter, its pointer).
Parameters = dict[tuple[str, str], tuple[dict[str, Any], str]]
PARAMETER_KEYS = frozenset({"name", "in", "required", "schema", "content", "deprecated"})


def effective_parameters(spec: Spec, path: str, item: dict[str, Any], ptr: str, method: str) -> Parameters:
    """Path-item and operation parameters merged (operation wins), keyed by location and name.

    Path parameters are keyed by position, so renaming `{id}` is seen as a rename, not a removal; header
    names are case-insensitive (RFC 9110 section 5.1), so they are keyed in lower case.
    """
    names = re.findall(r"\{([^}]*)\}", path)
    merged: Parameters = {}
    for level, node in (("", item), (f"/{method}", mapping(item.get(method)))):
        for index, raw in enumerate(listing(node.get("parameters"))):
            param, param_ptr = follow(raw, spec, f"{ptr}{level}/parameters/{index}")
            if not isinstance(param, dict):
                continue
            where, name = param.get("in", ""), str(param.get("name", ""))
            if where == "path" and name in names:
                name = f"#{names.index(name)}"
            elif where == "header":
                name = name.lower()
            merged[(where, name)] = (param, param_ptr)
    return merged


def compare_parameters(
    run: Comparison,
    old: tuple[str, dict[str, Any]],
    new: tuple[str, dict[str, Any]],
    *,
    method: str,
    item_here: Here,
    operation: str,
) -> None:
    """Compare the parameters of one operation; `old` and `new` are (path, path item), `operation` its label."""
    (old_path, old_item), (new_path, new_item) = old, new
    old_params = effective_parameters(run.old, old_path, old_item, item_here.old_ptr, method)
    new_params = effective_parameters(run.new, new_path, new_item, item_here.new_ptr, method)
    for key in sorted(old_params.keys() | new_params.keys()):
        old_param, old_at = old_params.get(key, ({}, ""))
        new_param, new_at = new_params.get(key, ({}, ""))
        name = str((new_param or old_param).get("name"))
        at = Here(old_at, new_at, f"{operation} request {key[0]}.{name}", request=True)
        if not new_param:
            run.add(
                POSSIBLY, "request-parameter-removed", at,
                f"{key[0]} parameter {name!r} removed: the server now ignores it, and the regenerated "
                "function no longer takes it",
                in_base=True,
            )  # fmt: skip
            continue
        required = bool(new_param.get("required"))
        if not old_param:
            if required:
                run.add(BREAKING, "request-parameter-added-required", at, f"required {key[0]} parameter added")
            else:
                run.add(NON, "request-parameter-added", at, f"optional {key[0]} parameter added")
            continue
        if old_param.get("name") != new_param.get("name") and key[0] == "path":
            run.add(
                POSSIBLY, "path-parameter-renamed", at,
                f"path parameter {old_param.get('name')!r} -> {new_param.get('name')!r}: same URL, but the "
                "generated function's argument is renamed",
            )  # fmt: skip
        if required and not old_param.get("required"):
            run.add(BREAKING, "request-parameter-became-required", at, "parameter became required")
        elif old_param.get("required") and not required:
            run.add(NON, "request-parameter-became-optional", at, "parameter became optional")
        run.docs(old_param, new_param, at)
        run.leftovers(old_param, new_param, at, PARAMETER_KEYS)
        if "content" in old_param or "content" in new_param:  # a parameter serialised as a media type
            content = mapping(old_param.get("content")), mapping(new_param.get("content"))
            compare_content(run, *content, at.step("content"))
        if "schema" in old_param or "schema" in new_param or "content" not in old_param:
            compare_schema(run, old_param.get("schema", {}), new_param.get("schema", {}), at.step("schema"))
