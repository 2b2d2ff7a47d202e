"""The generated client's functions and models, found from the spec's names."""

from __future__ import annotations

import uuid

from dots_client.models import ConfirmPaymentIntentRequest, Error, PaymentIntent

from contract_tests.client_ops import call_kwargs, client_module, model
from contract_tests.spec_data import spec_operations

OPERATIONS = spec_operations()


def test_every_operation_has_its_generated_functions() -> None:
    """dots_client.api.<tag>.<operationId> exists for every operation, with the four call styles."""
    for op in OPERATIONS.values():
        module = client_module(op)
        assert module.__name__ == f"dots_client.api.payment_intents.{op.operation_id}"
        for name in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"):
            assert callable(getattr(module, name))


def test_models_are_named_after_the_schemas() -> None:
    """Every documented response schema and request schema has its model class."""
    confirm = OPERATIONS["confirm_payment_intent"]
    assert model(confirm.responses[200]) is PaymentIntent
    assert model(confirm.responses[409]) is Error
    assert confirm.request_schema is not None
    assert model(confirm.request_schema) is ConfirmPaymentIntentRequest


def test_call_kwargs_pass_path_parameters_and_the_body_model() -> None:
    """Path parameters go by name; the body becomes its model."""
    intent_id = uuid.uuid4()
    kwargs = call_kwargs(
        OPERATIONS["confirm_payment_intent"], {"payment_intent_id": intent_id}, {"payment_method_id": str(intent_id)}
    )
    assert kwargs["payment_intent_id"] == intent_id
    assert kwargs["body"] == ConfirmPaymentIntentRequest(payment_method_id=intent_id)
    assert call_kwargs(OPERATIONS["retrieve_payment_intent"], {"payment_intent_id": intent_id}, None) == {
        "payment_intent_id": intent_id
    }
