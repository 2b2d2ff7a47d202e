"""Operations: which were added or removed, and what changed in each one that is in both documents."""

from __future__ import annotations

import re
from typing import Any

from dots_spec.operations import operations
from dots_spec.refs import escape
from tools.breaking import bodies, parameters, responses, security
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.walk import Comparison, Here, Spec, mapping

# (path, method, path item) of one operation.
Entry = tuple[str, str, dict[str, Any]]
# Operation fields compared here or by the modules this one hands over to.
OPERATION_KEYS = frozenset({"operationId", "tags", "deprecated", "security", "parameters", "requestBody", "responses"})


def keyed_operations(spec: Spec) -> dict[tuple[str, str], Entry]:
    """Operations keyed by (method, path with its parameter names blanked), so a renamed `{id}` still matches."""
    return {
        (method, re.sub(r"\{[^}]*\}", "{}", path)): (path, method, spec["paths"][path])
        for path, method, _ in operations(spec)
    }


def compare_paths(run: Comparison) -> None:
    """Report removed (breaking) and added (non-breaking) operations, and compare the ones in both."""
    old_ops, new_ops = keyed_operations(run.old), keyed_operations(run.new)
    for key in sorted(old_ops.keys() - new_ops.keys()):
        path, method, _ = old_ops[key]
        here = Here(f"#/paths/{escape(path)}/{method}", "", f"{method.upper()} {path}", request=True)
        run.add(BREAKING, "operation-removed", here, "operation removed", in_base=True)
    for key in sorted(new_ops.keys() - old_ops.keys()):
        path, method, _ = new_ops[key]
        here = Here("", f"#/paths/{escape(path)}/{method}", f"{method.upper()} {path}", request=True)
        run.add(NON, "operation-added", here, "operation added")
    for key in sorted(old_ops.keys() & new_ops.keys()):
        compare_operation(run, old_ops[key], new_ops[key])


def compare_operation(run: Comparison, old_entry: Entry, new_entry: Entry) -> None:
    """Compare one operation: the names the generator uses, then security, parameters, body and responses."""
    old_path, method, old_item = old_entry
    new_path, _, new_item = new_entry
    old_item, new_item, item_here = run.pair(
        old_item, new_item, Here(f"#/paths/{escape(old_path)}", f"#/paths/{escape(new_path)}", "", request=True)
    )
    here = item_here.step(method, f"{method.upper()} {new_path}")
    old_op, new_op = mapping(old_item.get(method)), mapping(new_item.get(method))
    run.docs(old_item, new_item, item_here.named(here.where, request=True))
    run.docs(old_op, new_op, here)
    if old_op.get("operationId") != new_op.get("operationId"):
        run.add(
            POSSIBLY, "operation-id-changed", here.step("operationId"),
            f"operationId {old_op.get('operationId')!r} -> {new_op.get('operationId')!r}: the wire is unchanged, "
            "but the generated function module (dots_client.api.<tag>.<operationId>) is renamed",
        )  # fmt: skip
    if old_op.get("tags") != new_op.get("tags"):
        run.add(
            POSSIBLY, "operation-tags-changed", here.step("tags"),
            f"tags {old_op.get('tags')} -> {new_op.get('tags')}: the generated module moves to another "
            "dots_client.api.<tag> package",
        )  # fmt: skip
    if not old_op.get("deprecated") and new_op.get("deprecated"):
        run.add(NON, "operation-deprecated", here.step("deprecated"), "operation deprecated")
    security.compare_security(run, old_op, new_op, here)
    parameters.compare_parameters(
        run, (old_path, old_item), (new_path, new_item), method=method, item_here=item_here, operation=here.where
    )
    bodies.compare_request_body(run, old_op.get("requestBody"), new_op.get("requestBody"), here.step("requestBody"))
    responses.compare_responses(
        run, mapping(old_op.get("responses")), mapping(new_op.get("responses")), here.step("responses")
    )
    run.leftovers(old_op, new_op, here, OPERATION_KEYS)
