"""dots_spec/validators.py: JSON Schema validators compiled from the spec."""

from __future__ import annotations

import uuid

from dots_spec.document import load_spec
from dots_spec.validators import compile_schema, component_validator


def test_component_validator_follows_the_spec() -> None:
    """A PaymentIntent-shaped body validates; one with an unknown status does not."""
    validator = component_validator("PaymentIntent")
    intent = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}
    assert validator.is_valid(intent)
    assert not validator.is_valid({**intent, "status": "refunded"})


def test_formats_are_asserted() -> None:
    """format: uuid is checked, as a server must check it."""
    validator = compile_schema({"$ref": "#/components/parameters/PaymentIntentId/schema"}, load_spec())
    assert validator.is_valid(str(uuid.uuid4()))
    assert not validator.is_valid("not-a-uuid")


def test_inline_schema_may_reference_components() -> None:
    """An inline schema with a $ref into components compiles against the given spec."""
    spec = {"components": {"schemas": {"Cents": {"type": "integer", "minimum": 1}}}}
    validator = compile_schema({"type": "array", "items": {"$ref": "#/components/schemas/Cents"}}, spec)
    assert validator.is_valid([1, 2])
    assert not validator.is_valid([0])
