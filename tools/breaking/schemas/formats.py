"""`format`: a request format narrows what is accepted; a response format the client parses must stay."""

from __future__ import annotations

from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.walk import Comparison, Here, Schema

# String formats the generated client converts on parse (uuid.UUID, isoparse, File): a response value
# outside the format makes `from_dict` raise.
CLIENT_PARSED_FORMATS = frozenset({"uuid", "date", "date-time", "binary"})


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Classify a changed `format` by direction and by whether the generated client parses it."""
    old_format, new_format = old.get("format"), new.get("format")
    if old_format == new_format:
        return
    at = here.step("format")
    shown = f"format {old_format or 'none'} -> {new_format or 'none'}"
    if here.request:
        if new_format is None:
            run.add(NON, "request-format-removed", at, shown)
        else:
            run.add(BREAKING, "request-format-narrowed", at, f"{shown}: some values clients send are now rejected")
    elif old_format is None:
        run.add(NON, "response-format-added", at, shown)
    elif old_format in CLIENT_PARSED_FORMATS:
        run.add(
            BREAKING, "response-format-removed" if new_format is None else "response-format-changed", at,
            f"{shown}: the deployed client parses this field as {old_format} and raises on anything else",
        )  # fmt: skip
    else:
        run.add(
            POSSIBLY, "response-format-removed" if new_format is None else "response-format-changed", at,
            f"{shown}: the client does not check it, code that relies on it may",
        )  # fmt: skip
