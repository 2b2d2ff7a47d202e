"""dots_client._response: RawResponse and the argument conversions of the resource methods."""

from __future__ import annotations

import enum
import uuid

import httpx
import pytest
from dots_client import RawResponse
from dots_client._response import as_uuid, plain
from dots_client.models import Currency, Metadata


def test_raw_response_repr_shows_neither_body_nor_headers() -> None:
    """A create's raw answer holds the client_secret: the repr gives status, attempts and reconciled only."""
    raw = RawResponse(200, httpx.Headers({"x": "1"}), b'{"client_secret": "pi_secret_1"}', 1, False, "parsed")
    assert "pi_secret" not in repr(raw)
    assert repr(raw) == "RawResponse(status_code=200, attempts=1, reconciled=False)"
    assert raw.parse() == "parsed"


def test_as_uuid_takes_a_uuid_or_its_string() -> None:
    """A UUID or its string is a UUID; anything else is a ValueError naming the argument."""
    value = uuid.uuid4()
    assert as_uuid(value, "x") is value
    assert as_uuid(str(value).upper(), "x") == value
    for bad in ("pm_123", 12, None):
        with pytest.raises(ValueError, match="payment_method_id must be a UUID"):
            as_uuid(bad, "payment_method_id")  # type: ignore[arg-type]


def test_plain_turns_values_into_the_json_from_dict_reads() -> None:
    """UUIDs and enum members become strings, mappings dicts, sequences lists, models their to_dict()."""

    class Colour(enum.Enum):
        RED = "red"

    identifier = uuid.uuid4()
    metadata = Metadata.from_dict({"a": "b"})
    assert plain(
        {"id": identifier, "c": Currency.USD, "e": Colour.RED, "m": metadata, "l": (identifier,), "s": "x"}
    ) == {
        "id": str(identifier),
        "c": "usd",
        "e": "red",
        "m": {"a": "b"},
        "l": [str(identifier)],
        "s": "x",
    }
