"""`format`: compared as what it admits, for raw-HTTP callers and the generated client alike.

A format narrows its type (`int32` admits fewer integers than `int64` or none; `uuid` fewer strings than none),
so by direction (oasdiff's `request-property-type-changed` / `response-property-type-changed`, ERR, cover
format changes too):

- request: a format added or changed to another is **breaking** (the server refuses values it took), one
  removed or widened (`int32` -> `int64`, `float` -> `double`) is not;
- response: a format removed, widened or changed to another is **breaking** (`int32` -> `int64` overflows a
  32-bit reader; `hostname` -> `uuid` breaks any parser of the old form; the generated client itself
  parses `uuid`, `date`, `date-time` and `binary` and raises on anything else); one added or narrowed is not.
"""

from __future__ import annotations

from tools.breaking.model import BREAKING, NON
from tools.breaking.walk import Comparison, Here, Schema

# String formats the generated client converts on parse (uuid.UUID, isoparse, File): a response value
# outside the format makes `from_dict` raise.
CLIENT_PARSED_FORMATS = frozenset({"uuid", "date", "date-time", "binary"})
# (narrower, wider): every value of the first format is a value of the second (OpenAPI's data types).
WIDER = frozenset({("int32", "int64"), ("float", "double")})


def compare(run: Comparison, old: Schema, new: Schema, here: Here) -> None:
    """Classify a changed `format` by direction: whether the new one admits more or fewer values."""
    old_format, new_format = old.get("format"), new.get("format")
    if old_format == new_format:
        return
    at = here.step("format")
    shown = f"format {old_format or 'none'} -> {new_format or 'none'}"
    widened = new_format is None or (old_format, new_format) in WIDER
    narrowed = old_format is None or (new_format, old_format) in WIDER
    if here.request:
        if widened:
            run.add(NON, "request-format-widened" if new_format else "request-format-removed", at, shown)
        else:
            rule = "request-format-added" if old_format is None else "request-format-changed"
            run.add(BREAKING, rule, at, f"{shown}: some values clients send are now rejected")
    elif narrowed:
        run.add(NON, "response-format-added" if old_format is None else "response-format-narrowed", at, shown)
    else:
        parsed = (
            f"; the deployed client parses this field as {old_format} and raises on anything else"
            if old_format in CLIENT_PARSED_FORMATS
            else ""
        )
        rule = "response-format-removed" if new_format is None else "response-format-changed"
        run.add(BREAKING, rule, at, f"{shown}: the server may send values callers do not expect{parsed}")
