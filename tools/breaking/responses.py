"""Responses: statuses added or removed (success and error weigh differently), their headers and bodies."""

from __future__ import annotations

from typing import Any

from dots_spec.refs import escape, follow
from tools.breaking.bodies import compare_content
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.schemas import compare_schema
from tools.breaking.walk import Comparison, Here, mapping


def compare_responses(run: Comparison, old: dict[str, Any], new: dict[str, Any], here: Here) -> None:
    """Compare an operation's `responses`; `here.where` names the operation.

    A removed 2xx is breaking (the deployed client has no branch for whatever is answered instead), a removed
    4xx/5xx only possibly (the deployed client still parses it); an added 2xx is possibly breaking (deployed
    clients return None for it), an added 4xx/5xx is not (None is already in their return type).
    """
    operation = here.where
    for status in sorted(set(old) | set(new), key=str):
        at = here.named(f"{operation} response {status}", request=False).step(status)
        success = str(status).upper().startswith("2")
        if status not in new:
            if success:
                run.add(
                    BREAKING, "response-status-removed", at,
                    f"success response {status} removed: a deployed client gets None (or UnexpectedStatus) "
                    "for whatever the operation answers instead",
                    in_base=True,
                )  # fmt: skip
            else:
                run.add(
                    POSSIBLY, "response-status-removed", at,
                    f"response {status} removed: deployed clients still parse it, but if the server still "
                    "sends it a regenerated client returns None (or raises UnexpectedStatus) instead of Error",
                    in_base=True,
                )  # fmt: skip
            continue
        if status not in old:
            if success:
                run.add(
                    POSSIBLY, "response-status-added", at,
                    f"success response {status} added: a deployed client returns None (or raises "
                    "UnexpectedStatus) for it instead of the parsed body",
                )  # fmt: skip
            else:
                run.add(
                    NON, "response-status-added", at,
                    f"response {status} added: a deployed client returns None for it, which its return type "
                    "already includes",
                )  # fmt: skip
            continue
        old_response, new_response, at = run.pair(old[status], new[status], at)
        run.docs(old_response, new_response, at)
        headers = mapping(old_response.get("headers")), mapping(new_response.get("headers"))
        compare_headers(run, *headers, at.step("headers"))
        compare_content(
            run, mapping(old_response.get("content")), mapping(new_response.get("content")), at.step("content")
        )


def compare_headers(run: Comparison, old: dict[str, Any], new: dict[str, Any], here: Here) -> None:
    """Compare response headers by case-insensitive name (RFC 9110 section 5.1); `here.where` names the response."""
    lower_old = {k.lower(): k for k in old}
    lower_new = {k.lower(): k for k in new}
    response = here.where
    for name in sorted(lower_old.keys() | lower_new.keys()):
        old_name, new_name = lower_old.get(name, name), lower_new.get(name, name)
        at = Here(
            f"{here.old_ptr}/{escape(old_name)}", f"{here.new_ptr}/{escape(new_name)}",
            f"{response} header {new_name if name in lower_new else old_name}", request=False,
        )  # fmt: skip
        if name not in lower_new:
            old_header, _ = follow(old[lower_old[name]], run.old, at.old_ptr)
            if mapping(old_header).get("required"):
                run.add(
                    BREAKING, "response-required-header-removed", at,
                    "required response header removed: callers that read it fail", in_base=True,
                )  # fmt: skip
            else:
                run.add(
                    POSSIBLY, "response-optional-header-removed", at,
                    "optional response header removed: callers that use it when present lose it", in_base=True,
                )  # fmt: skip
        elif name not in lower_old:
            run.add(NON, "response-header-added", at, "response header added")
        else:
            old_header, new_header, at = run.pair(old[lower_old[name]], new[lower_new[name]], at)
            run.docs(old_header, new_header, at)
            if old_header.get("required") and not new_header.get("required"):
                run.add(
                    BREAKING, "response-header-became-optional", at.step("required"),
                    "response header no longer required: callers that read it may find it missing",
                )  # fmt: skip
            elif new_header.get("required") and not old_header.get("required"):
                run.add(NON, "response-header-became-required", at.step("required"), "response header now always sent")
            compare_schema(run, old_header.get("schema", {}), new_header.get("schema", {}), at.step("schema"))
