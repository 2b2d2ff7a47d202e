"""Webhooks (OpenAPI 3.1 `webhooks:`): requests the API sends to the integrator's receiver.

The direction is the reverse of an operation's: the webhook's request is written by the API and read
by the receiver (so, like a response, its headers and body may only narrow), and the receiver's answer
is what the API accepts (so, like a request, the statuses it counts as received may only widen). A
receiver is judged as deployed integrator code: it reads the payload with the generated model (for
`payment_intent.updated`, `PaymentIntentUpdatedEvent.from_dict`; strict before dots-client 1.3.0.3, so an
added `event` value stays breaking) and verifies the signature headers.
"""

from __future__ import annotations

from typing import Any

from dots_spec.operations import HTTP_METHODS
from dots_spec.refs import escape
from tools.breaking.bodies import compare_content
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.parameters import PARAMETER_KEYS, Parameters, effective_parameters
from tools.breaking.schemas import compare_schema
from tools.breaking.walk import Comparison, Here, Spec

# Webhook operation fields compared here; a change to any other one is unrecognised.
WEBHOOK_KEYS = frozenset({"operationId", "deprecated", "parameters", "requestBody", "responses"})
# (name, method) -> (the webhook's path item, its pointer).
Webhooks = dict[tuple[str, str], tuple[dict[str, Any], str]]


def keyed_webhooks(spec: Spec) -> Webhooks:
    """Each webhook operation by (webhook name, method), with its path item and that item's pointer."""
    found: Webhooks = {}
    for name, item in (spec.get("webhooks") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                found[(name, method)] = (item, f"#/webhooks/{escape(name)}")
    return found


def compare_webhooks(run: Comparison) -> None:
    """Report removed (breaking) and added (non-breaking) webhooks, and compare the ones in both."""
    old_hooks, new_hooks = keyed_webhooks(run.old), keyed_webhooks(run.new)
    for key in sorted(old_hooks.keys() - new_hooks.keys()):
        name, method = key
        here = Here(f"{old_hooks[key][1]}/{method}", "", f"webhook {name}", request=False)
        run.add(
            BREAKING, "webhook-removed", here,
            "webhook removed: receivers written for it are never called again",
            in_base=True,
        )  # fmt: skip
    for key in sorted(new_hooks.keys() - old_hooks.keys()):
        name, method = key
        here = Here("", f"{new_hooks[key][1]}/{method}", f"webhook {name}", request=False)
        run.add(NON, "webhook-added", here, "webhook added")
    for key in sorted(old_hooks.keys() & new_hooks.keys()):
        compare_webhook(run, key, old_hooks[key], new_hooks[key])


def compare_webhook(
    run: Comparison, key: tuple[str, str], old_entry: tuple[dict[str, Any], str], new_entry: tuple[dict[str, Any], str]
) -> None:
    """Compare one webhook: its signature headers and payload as the API sends them, and the answers it accepts."""
    name, method = key
    old_item, new_item, item_here = run.pair(
        old_entry[0], new_entry[0], Here(old_entry[1], new_entry[1], f"webhook {name}", request=False)
    )
    here = item_here.step(method)
    old_op, new_op = old_item[method], new_item[method]
    run.docs(old_item, new_item, item_here)
    run.docs(old_op, new_op, here)
    if old_op.get("operationId") != new_op.get("operationId"):
        run.add(
            NON, "webhook-operation-id-changed", here.step("operationId"),
            f"operationId {old_op.get('operationId')!r} -> {new_op.get('operationId')!r}: no generated code uses it",
        )  # fmt: skip
    if not old_op.get("deprecated") and new_op.get("deprecated"):
        run.add(NON, "webhook-deprecated", here.step("deprecated"), "webhook deprecated")
    compare_sent_parameters(
        run,
        effective_parameters(run.old, "", old_item, item_here.old_ptr, method),
        effective_parameters(run.new, "", new_item, item_here.new_ptr, method),
        here.where,
    )
    compare_payload(run, old_op.get("requestBody"), new_op.get("requestBody"), here.step("requestBody"))
    compare_accepted_answers(run, old_op.get("responses") or {}, new_op.get("responses") or {}, here.step("responses"))
    run.leftovers(old_op, new_op, here, WEBHOOK_KEYS)


def compare_sent_parameters(run: Comparison, old: Parameters, new: Parameters, webhook: str) -> None:
    """Headers (and any other parameters) the API sends: one removed or no longer always sent is breaking."""
    for key in sorted(old.keys() | new.keys()):
        old_param, old_at = old.get(key, ({}, ""))
        new_param, new_at = new.get(key, ({}, ""))
        shown = str((new_param or old_param).get("name"))
        at = Here(old_at, new_at, f"{webhook} request {key[0]}.{shown}", request=False)
        if not new_param:
            run.add(
                BREAKING, "webhook-parameter-removed", at,
                f"{key[0]} {shown!r} no longer sent: receivers that read it (a signature check) fail",
                in_base=True,
            )  # fmt: skip
            continue
        if not old_param:
            run.add(NON, "webhook-parameter-added", at, f"{key[0]} {shown!r} now sent as well")
            continue
        if old_param.get("required") and not new_param.get("required"):
            run.add(BREAKING, "webhook-parameter-became-optional", at, f"{key[0]} {shown!r} may now be missing")
        elif new_param.get("required") and not old_param.get("required"):
            run.add(NON, "webhook-parameter-became-required", at, f"{key[0]} {shown!r} is now always sent")
        run.docs(old_param, new_param, at)
        run.leftovers(old_param, new_param, at, PARAMETER_KEYS)
        compare_schema(run, old_param.get("schema", {}), new_param.get("schema", {}), at.step("schema"))


def compare_payload(run: Comparison, old: Any, new: Any, here: Here) -> None:
    """The body the API sends, compared as a response body: it may only narrow."""
    webhook = here.where
    here = here.named(f"{webhook} payload", request=False)
    if old is None and new is None:
        return
    if new is None:
        run.add(BREAKING, "webhook-payload-removed", here, "the payload is no longer sent", in_base=True)
        return
    if old is None:
        run.add(POSSIBLY, "webhook-payload-added", here, "a payload is now sent where none was")
        return
    old_body, new_body, here = run.pair(old, new, here)
    if old_body.get("required") and not new_body.get("required"):
        run.add(BREAKING, "webhook-payload-became-optional", here.step("required"), "the payload may now be absent")
    run.docs(old_body, new_body, here)
    content = here.named(f"{webhook} payload", request=False).step("content")
    compare_content(run, old_body.get("content") or {}, new_body.get("content") or {}, content)


def compare_accepted_answers(run: Comparison, old: dict[str, Any], new: dict[str, Any], here: Here) -> None:
    """The receiver's answers the API counts as received: a success status (or range like `2XX`) may only be added.

    One removed makes deployed receivers that answer it look failed: their events are retried, then dropped.
    """
    webhook = here.where
    for status in sorted(set(old) | set(new)):
        at = here.named(f"{webhook} answer {status}", request=True).step(status)
        success = status.upper().startswith("2")
        if status not in new:
            severity = BREAKING if success else NON
            run.add(severity, "webhook-answer-removed", at, f"answer {status} no longer accepted", in_base=True)
        elif status not in old:
            run.add(NON, "webhook-answer-added", at, f"answer {status} accepted as well")
        else:
            old_response, new_response, at = run.pair(old[status], new[status], at)
            run.docs(old_response, new_response, at)
