"""dots_sandbox/ascii_json.py: JSON written as compact ASCII and read back exactly (answers and stored requests)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dots_sandbox import ascii_json
from dots_sandbox.store.base import dump_json

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses to write them and would read them as floats
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # NUL, non-ASCII, astral characters
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _typed(value: Any) -> Any:
    """`value` with each scalar's type beside it (1 and 1.0 and True compare equal in Python)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


@given(_JSON)
def test_stored_json_reads_back_exactly(document: Any) -> None:
    """A stored request reads back equal, type for type (big integers stay integers), from ASCII text."""
    text = dump_json(document)
    assert text.isascii()
    assert "\x00" not in text  # PostgreSQL TEXT cannot hold NUL
    assert _typed(ascii_json.loads(text)) == _typed(document)


def test_stored_json_keeps_integers_beyond_64_bits() -> None:
    """Integers orjson cannot hold are written and read by `json`, digit for digit."""
    document = {"big": 2**64 + 1, "negative": -(2**70), "in_text": "1234567890123456789012", "small": 7}
    assert ascii_json.loads(dump_json(document)) == document
    assert isinstance(ascii_json.loads(dump_json(document))["big"], int)
