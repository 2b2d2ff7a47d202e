"""Request bodies, and the media types of any body (request or response) with their schemas."""

from __future__ import annotations

from typing import Any

from dots_spec.refs import follow
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.schemas import compare_schema
from tools.breaking.walk import Comparison, Here, mapping


def compare_request_body(run: Comparison, old: Any, new: Any, here: Here) -> None:
    """Compare an operation's `requestBody` (None when it has none); `here.where` names the operation."""
    operation = here.where
    here = here.named(f"{operation} request body", request=True)
    if old is None and new is None:
        return
    if old is None:
        if mapping(follow(new, run.new, here.new_ptr)[0]).get("required"):
            run.add(BREAKING, "request-body-added-required", here, "required request body added")
        else:
            run.add(NON, "request-body-added", here, "optional request body added")
        return
    if new is None:
        run.add(POSSIBLY, "request-body-removed", here, "request body removed: the server ignores it", in_base=True)
        return
    old_body, new_body, here = run.pair(old, new, here)
    if new_body.get("required") and not old_body.get("required"):
        run.add(BREAKING, "request-body-became-required", here.step("required"), "request body became required")
    elif old_body.get("required") and not new_body.get("required"):
        run.add(NON, "request-body-became-optional", here.step("required"), "request body became optional")
    run.docs(old_body, new_body, here)
    content = here.named(f"{operation} request", request=True).step("content")
    compare_content(run, mapping(old_body.get("content")), mapping(new_body.get("content")), content)


def compare_content(run: Comparison, old: dict[str, Any], new: dict[str, Any], here: Here) -> None:
    """Compare media types; `here.where` names the request or response, schemas are labelled `body...`."""
    for media in sorted(set(old) | set(new)):
        at = here.step(media)
        if media not in new:
            if here.request:
                run.add(BREAKING, "request-media-type-removed", at, f"{media} no longer accepted", in_base=True)
            else:
                run.add(
                    BREAKING, "response-media-type-removed", at,
                    f"{media} no longer sent: callers that ask for it (the generated client reads every body as "
                    "JSON) cannot read what comes instead",
                    in_base=True,
                )  # fmt: skip
            continue
        if media not in old:
            if here.request:
                run.add(NON, "request-media-type-added", at, f"{media} also accepted")
            else:
                run.add(
                    POSSIBLY, "response-media-type-added", at,
                    f"{media} may now be sent: the generated client parses every body as JSON",
                )  # fmt: skip
            continue
        old_media, new_media, at = run.pair(old[media], new[media], at)
        run.docs(old_media, new_media, at)
        compare_schema(
            run, old_media.get("schema", {}), new_media.get("schema", {}), at.step("schema", f"{at.where} body")
        )
