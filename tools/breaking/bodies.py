"""Request bodies, and the media types of any body (request or response) with their schemas."""

from __future__ import annotations

from typing import Any

from dots_spec.refs import escape, follow
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


def media_key(media: str) -> str:
    """A media type as compared: `Application/JSON; Charset=UTF-8` is `application/json;charset=utf-8`.

    RFC 9110 section 8.3.1: the type, subtype and parameter names are case-insensitive, and so are the values
    of the parameters content keys carry (`charset`, section 8.3.2); whitespace around `;` is optional.
    """
    return ";".join(part.strip() for part in media.lower().split(";"))


def compare_content(run: Comparison, old: dict[str, Any], new: dict[str, Any], here: Here) -> None:
    """Compare media types; `here.where` names the request or response, schemas are labelled `body...`.

    A media type written differently but the same (:func:`media_key`) is the same one, at its own key on each
    side.
    """
    old_keys = {media_key(str(media)): media for media in old}
    new_keys = {media_key(str(media)): media for media in new}
    for key in sorted(set(old_keys) | set(new_keys)):
        media = new_keys.get(key, old_keys.get(key, key))
        at = here.step(media)
        if key in old_keys and key in new_keys:
            at = Here(f"{here.old_ptr}/{escape(old_keys[key])}", at.new_ptr, at.where, at.request)
            old_media, new_media, at = run.pair(old[old_keys[key]], new[new_keys[key]], at)
            run.docs(old_media, new_media, at)
            compare_schema(
                run, old_media.get("schema", {}), new_media.get("schema", {}), at.step("schema", f"{at.where} body")
            )
            continue
        if key not in new_keys:
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
        if here.request:
            run.add(NON, "request-media-type-added", at, f"{media} also accepted")
        else:
            run.add(
                POSSIBLY, "response-media-type-added", at,
                f"{media} may now be sent: the generated client parses every body as JSON",
            )  # fmt: skip
