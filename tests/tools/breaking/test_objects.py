"""tools/breaking/schemas/objects.py: properties, required, additionalProperties."""

from __future__ import annotations

import uuid

import pytest
from dots_client.models import PaymentIntent

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import (
    CATALOGUE,
    CREATE_PATH,
    CREATE_PROPS,
    RULE_PAIRS,
    Case,
    RulePair,
    assert_rule_pair,
    assert_verdict,
    edited_spec,
    ids,
    put,
    rule_ids,
)
from tools.breaking.compare import compare


@pytest.mark.parametrize("item", CATALOGUE["schemas.objects"], ids=ids(CATALOGUE["schemas.objects"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


INTENT_JSON = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}


def test_inline_field_pointer_follows_refs() -> None:
    """A request field change is located inside the component its $ref names, with a body.field label."""
    (change,) = compare(load_spec(), edited_spec([put((*CREATE_PROPS, "description", "maxLength"), 10)]))
    assert change.pointer == "#/components/schemas/CreatePaymentIntentRequest/properties/description/maxLength"
    assert change.where == f"POST {CREATE_PATH} request body.description"
    assert change.message == "maxLength 1000 -> 10: some values clients send are now rejected"


def test_generated_client_requires_required_response_fields() -> None:
    """from_dict raises KeyError without a required field (so dropping required-ness is breaking)."""
    with pytest.raises(KeyError, match="id"):
        PaymentIntent.from_dict({k: v for k, v in INTENT_JSON.items() if k != "id"})


def test_generated_client_keeps_unknown_response_fields() -> None:
    """An undeclared response field lands in additional_properties (so adding one is non-breaking)."""
    intent = PaymentIntent.from_dict({**INTENT_JSON, "created_at": "2026-01-01T00:00:00Z"})
    assert intent.additional_properties == {"created_at": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize("item", RULE_PAIRS["schemas.objects"], ids=rule_ids(RULE_PAIRS["schemas.objects"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
