"""tools/breaking/schemas/enums.py: enum values added or removed, by direction."""

from __future__ import annotations

import uuid

import httpx
import pytest
from catalogue import CATALOGUE, STATUS, Case, append, assert_verdict, edited_spec, ids
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, PaymentIntent, PaymentIntentStatus

from dots_spec.document import load_spec
from tools.breaking.compare import compare
from tools.breaking.model import Severity


@pytest.mark.parametrize("item", CATALOGUE["schemas.enums"], ids=ids(CATALOGUE["schemas.enums"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


INTENT_JSON = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}


def test_generated_client_raises_on_unknown_enum_value() -> None:
    """PaymentIntentStatus is a StrEnum: PaymentIntent.from_dict raises ValueError on an unknown status."""
    assert issubclass(PaymentIntentStatus, str)
    with pytest.raises(ValueError, match="'refunded' is not a valid PaymentIntentStatus"):
        PaymentIntent.from_dict({**INTENT_JSON, "status": "refunded"})


def test_generated_operation_propagates_unknown_enum_value() -> None:
    """confirm_payment_intent.sync lets that ValueError escape: the caller gets no result at all."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={**INTENT_JSON, "status": "refunded"}))
    client = AuthenticatedClient.basic_auth("https://dots.test/api", "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
    with pytest.raises(ValueError, match="refunded"):
        confirm_payment_intent.sync(uuid.uuid4(), client=client, body=body)
    kind = {(c.rule, c.severity) for c in compare(load_spec(), edited_spec([append((*STATUS, "enum"), "refunded")]))}
    assert kind == {("response-enum-value-added", Severity.BREAKING)}
