"""Statuses, outcomes by payment method, and what create and confirm write."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from dots_sandbox import lifecycle
from dots_spec.document import load_spec

SPEC_STATUSES = set(load_spec()["components"]["schemas"]["PaymentIntentStatus"]["enum"])
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def test_statuses_are_the_specs() -> None:
    """Every status the lifecycle uses is in the spec's enum; the unconfirmed ones are the spec's four."""
    assert lifecycle.statuses_used() <= SPEC_STATUSES
    unconfirmed = {"initialized", "created", "requires_payment_method", "requires_confirmation"}
    assert unconfirmed == lifecycle.UNCONFIRMED


def test_the_unconfirmed_set_is_the_one_the_spec_describes() -> None:
    """The confirm operation's Decision paragraph names exactly the unconfirmed statuses."""
    confirm = load_spec()["paths"]["/v2/payment-intents/{payment_intent_id}/confirm"]["post"]["description"]
    for status in lifecycle.UNCONFIRMED:
        assert f"`{status}`" in confirm


@pytest.mark.parametrize(
    ("payment_method_id", "status"),
    [
        ("00000000-0000-4000-8000-000000000001", "succeeded"),
        ("00000000-0000-4000-8000-000000000002", "failed"),
        ("00000000-0000-4000-8000-000000000003", "requires_action"),
        ("00000000-0000-4000-8000-000000000004", "processing"),
        ("00000000-0000-4000-8000-000000000005", "processing"),
        ("00000000-0000-4000-8000-000000000006", "succeeded"),
        (PM, "succeeded"),
        (PM.upper(), "succeeded"),
    ],
)
def test_outcome_by_payment_method(payment_method_id: str, status: str) -> None:
    """The magic ids simulate a decline, a challenge and a late settlement; every other id succeeds."""
    assert lifecycle.outcome(payment_method_id) == status
    assert lifecycle.outcome(payment_method_id.upper()) == status


@pytest.mark.parametrize(
    ("payment_method_id", "status"),
    [
        ("00000000-0000-4000-8000-000000000004", "succeeded"),
        ("00000000-0000-4000-8000-000000000005", "failed"),
        (PM, "succeeded"),
    ],
)
def test_settlement_by_payment_method(payment_method_id: str, status: str) -> None:
    """A processing intent settles as its payment method says: ...0005 fails, every other id succeeds."""
    assert lifecycle.settlement(payment_method_id) == status
    assert lifecycle.settlement(payment_method_id.upper()) == status


def test_outcomes_leave_the_unconfirmed_set() -> None:
    """No outcome of a confirm is an unconfirmed status (so a second confirm is always refused)."""
    assert not set(lifecycle.OUTCOMES.values()) & lifecycle.UNCONFIRMED


def test_new_intent_starts_initialized() -> None:
    """Without confirm, a new intent is initialized, with the request stored whole and a hashed secret."""
    request = {"amount": 5, "currency": "usd", "payment_method_id": PM, "confirm": False}
    intent, secret = lifecycle.new_intent("client", request)
    assert intent.status == "initialized"
    assert intent.payment_method_id == PM
    assert intent.transfer_id is None
    assert intent.create_request == request
    assert intent.client_id == "client"
    assert uuid.UUID(intent.id).version == 7
    assert str(uuid.UUID(intent.id)) == intent.id
    assert intent.client_secret_sha256 == hashlib.sha256(secret.encode()).digest()
    assert lifecycle.new_intent("client", request)[1] != secret


def test_new_ids_sort_in_creation_order() -> None:
    """Intent ids are UUID version 7: each later id sorts after the one before (as text, as stored)."""
    ids = [lifecycle.new_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {uuid.UUID(value).version for value in ids} == {7}
    assert {uuid.UUID(value).variant for value in ids} == {uuid.RFC_4122}
    assert all(value == value.lower() for value in ids)


def test_confirm_on_create_without_payment_method_waits() -> None:
    """`confirm: true` without a payment method gives requires_payment_method, still unconfirmed."""
    intent, _ = lifecycle.new_intent("client", {"amount": 5, "currency": "usd", "confirm": True})
    assert intent.status == "requires_payment_method"
    assert intent.status in lifecycle.UNCONFIRMED
    assert intent.confirmed_at is None


@pytest.mark.parametrize(
    ("payment_method_id", "status", "has_transfer"),
    [(PM, "succeeded", True), ("00000000-0000-4000-8000-000000000003", "requires_action", False)],
)
def test_confirm_on_create_with_payment_method_confirms(
    payment_method_id: str, status: str, has_transfer: bool
) -> None:
    """`confirm: true` with a payment method gives the confirm outcome, and a transfer_id only on success."""
    request = {"amount": 5, "currency": "usd", "confirm": True, "payment_method_id": payment_method_id}
    intent, _ = lifecycle.new_intent("client", request)
    assert intent.status == status
    assert (intent.transfer_id is not None) == has_transfer
    assert intent.confirmed_at is not None


def test_confirmation_records_the_payment_method_as_sent() -> None:
    """A confirmation keeps the payment_method_id's case and the request, with a transfer_id only on success."""
    succeeded = lifecycle.confirmation({"payment_method_id": PM.upper()})
    assert (succeeded.status, succeeded.payment_method_id) == ("succeeded", PM.upper())
    assert succeeded.transfer_id is not None
    assert succeeded.request == {"payment_method_id": PM.upper()}
    declined = lifecycle.confirmation({"payment_method_id": "00000000-0000-4000-8000-000000000002"})
    assert (declined.status, declined.transfer_id) == ("failed", None)
    assert lifecycle.confirmation({"payment_method_id": PM}).transfer_id != succeeded.transfer_id
