"""Answers are shaped by the spec's PaymentIntent schema from what is stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from dots_sandbox import lifecycle
from dots_sandbox.errors import ApiError
from dots_sandbox.request.handlers import Handlers
from dots_sandbox.store import SQLiteStore
from dots_spec.document import load_spec
from dots_spec.validators import component_validator

INTENT = component_validator("PaymentIntent")
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
FULL = {
    "amount": 123,
    "currency": "usd",
    "confirm": False,
    "user_id": PM,
    "customer_id": PM,
    "description": "Order 1042",
    "payment_method_types": ["card"],
    "setup_future_usage": "on_session",
    "metadata": {"order_id": "1042"},
    "transfer_data": {"destination_user_id": PM},
    "application_fee_amount": 1,
}


@pytest.fixture
def handlers() -> Iterator[Handlers]:
    """Handlers over a fresh in-memory store."""
    store = SQLiteStore(":memory:")
    yield Handlers(store, load_spec())
    store.close()


def test_create_answer_has_exactly_the_schema_fields_with_values(handlers: Handlers) -> None:
    """Create shows the PaymentIntent properties that have values; request-only fields are stored, not shown."""
    answer = handlers.create_payment_intent("client", {}, FULL)
    assert INTENT.is_valid(answer)
    assert set(answer) == {"id", "amount", "currency", "user_id", "status", "metadata", "client_secret"}
    stored = handlers.store.get("client", answer["id"])
    assert stored is not None
    assert stored.create_request == FULL


def test_answers_follow_the_schema_property_order(handlers: Handlers) -> None:
    """Keys come in the order the PaymentIntent schema lists its properties."""
    answer = handlers.create_payment_intent("client", {}, {**FULL, "confirm": True, "payment_method_id": PM})
    properties = list(load_spec()["components"]["schemas"]["PaymentIntent"]["properties"])
    assert list(answer) == [name for name in properties if name in answer]


def test_retrieve_and_confirm_never_show_the_client_secret(handlers: Handlers) -> None:
    """client_secret is only in the create answer."""
    created = handlers.create_payment_intent("client", {}, {"amount": 1, "currency": "usd"})
    params = {"payment_intent_id": created["id"]}
    assert "client_secret" not in handlers.retrieve_payment_intent("client", params, None)
    confirmed = handlers.confirm_payment_intent("client", params, {"payment_method_id": PM})
    assert "client_secret" not in confirmed
    assert INTENT.is_valid(confirmed)


def test_metadata_is_always_present(handlers: Handlers) -> None:
    """An intent created without metadata shows `metadata: {}`; optional fields without values are absent."""
    created = handlers.create_payment_intent("client", {}, {"amount": 1, "currency": "usd"})
    retrieved = handlers.retrieve_payment_intent("client", {"payment_intent_id": created["id"]}, None)
    assert retrieved["metadata"] == {}
    assert None not in retrieved.values()
    assert not {"user_id", "transfer_id", "payment_method_id"} & set(retrieved)


def test_ids_are_looked_up_in_lower_case(handlers: Handlers) -> None:
    """An upper-case id finds the intent for retrieve and confirm."""
    created = handlers.create_payment_intent("client", {}, {"amount": 1, "currency": "usd"})
    params = {"payment_intent_id": created["id"].upper()}
    assert handlers.retrieve_payment_intent("client", params, None)["id"] == created["id"]
    assert handlers.confirm_payment_intent("client", params, {"payment_method_id": PM})["status"] == "succeeded"


def test_refusals_become_404_and_409(handlers: Handlers) -> None:
    """An unknown id is 404 not-found; a second confirm is 409 payment-intent-already-confirmed."""
    unknown = {"payment_intent_id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"}
    with pytest.raises(ApiError) as raised:
        handlers.retrieve_payment_intent("client", unknown, None)
    assert (raised.value.status, raised.value.code) == (404, "not-found")
    with pytest.raises(ApiError) as raised:
        handlers.confirm_payment_intent("client", unknown, {"payment_method_id": PM})
    assert raised.value.status == 404
    created = handlers.create_payment_intent("client", {}, {"amount": 1, "currency": "usd"})
    params = {"payment_intent_id": created["id"]}
    handlers.confirm_payment_intent("client", params, {"payment_method_id": PM})
    with pytest.raises(ApiError) as raised:
        handlers.confirm_payment_intent("client", params, {"payment_method_id": PM})
    assert (raised.value.status, raised.value.code) == (409, "payment-intent-already-confirmed")


def test_server_fields_are_never_taken_from_the_request(handlers: Handlers) -> None:
    """Even if a stored request had id/status/transfer_id keys, the answer shows the server's values."""
    intent, _ = lifecycle.new_intent("client", {"amount": 1, "currency": "usd"})
    forged = {**intent.create_request, "id": "x", "status": "succeeded", "transfer_id": "y", "client_secret": "z"}
    shown = handlers.present(dataclasses.replace(intent, create_request=forged))
    assert (shown["id"], shown["status"]) == (intent.id, "initialized")
    assert "transfer_id" not in shown
    assert "client_secret" not in shown
