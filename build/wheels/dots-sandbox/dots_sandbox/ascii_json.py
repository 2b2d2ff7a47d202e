"""JSON as the sandbox writes it, in answers and in stored requests: compact ASCII, read back exactly.

ASCII (every other character as a `\\u` escape) so that the text means the same in any
encoding: a database's TEXT column of any encoding keeps it, and PostgreSQL's, which cannot hold
a NUL character, holds its six-character escape.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_encode = json.JSONEncoder(separators=(",", ":")).encode  # ASCII: every \u escape kept
# 19 digits in a row: maybe an integer beyond 64 bits, which orjson would read as a float.
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def dumps(document: Any) -> bytes:
    """`document` as compact ASCII JSON (non-ASCII characters as \\u escapes).

    orjson writes it about ten times faster than `json`; its output is used when it is ASCII
    (the usual case), else `json` writes the document, and so it does for integers beyond 64
    bits, which orjson refuses. (The two spell some floats differently, `1e16` against `1e+16`:
    the same number.)
    """
    try:
        data = orjson.dumps(document)
    except orjson.JSONEncodeError:
        return _encode(document).encode("ascii")
    return data if data.isascii() else _encode(document).encode("ascii")


def loads(text: str) -> Any:
    """JSON text read back exactly: orjson, or `json` when the text may hold an integer beyond 64 bits.

    orjson reads such an integer as a float (losing digits); `json` keeps it an int. A run of 19
    digits is the cheap test (it may also be inside a string or a fraction: then `json` reads it,
    equally right).
    """
    if _LONG_DIGITS.search(text) is None:
        return orjson.loads(text)
    return json.loads(text)
