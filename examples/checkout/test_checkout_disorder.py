"""The checkout service against webhooks as the real world sends them, and against time it does not wait for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from checkout import Checkout
from dots_client import Dots

import dots_testing
from dots_testing.kit import SETTLEMENT_SECONDS
from dots_testing.webhook_receiver import receiving

if TYPE_CHECKING:
    from dots_testing.kit import TestSandbox
    from dots_testing.webhook_receiver import WebhookReceiver

CARD = "00000000-0000-4000-8000-000000000001"  # succeeds
LATER = "00000000-0000-4000-8000-000000000004"  # settles later, succeeded


@pytest.fixture
def checkout(dots: Dots, dots_webhooks: WebhookReceiver) -> Checkout:
    """The service as production builds it, with the kit's client and the kit's receiver's secret."""
    return Checkout(dots, webhook_secret=dots_webhooks.secret)


def hand_over(checkout: Checkout, dots_webhooks: WebhookReceiver, intent_id: str) -> str:
    """Hand the service the next delivery for the intent, as its endpoint would; its svix-id."""
    delivery = dots_webhooks.wait_for(intent_id)
    assert checkout.handle_webhook(delivery.body, delivery.headers) == 204
    return delivery.svix_id


def retrieves(dots_sandbox: TestSandbox) -> int:
    """How many times the service read an intent."""
    return len(dots_sandbox.requests("retrieve_payment_intent"))


def test_time_settles_a_payment(checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver) -> None:
    """A day passes (advance, no sleep): the payment settles, and the settlement's webhook pays the order."""
    order = checkout.pay("order-1", 1000, LATER)
    assert order.status == "pending"
    dots_sandbox.advance(SETTLEMENT_SECONDS)
    hand_over(checkout, dots_webhooks, order.payment_intent_id)  # the confirm's event
    hand_over(checkout, dots_webhooks, order.payment_intent_id)  # the settlement's
    assert order.status == "paid"


def test_a_duplicate_is_handled_once(
    checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """The same event arrives twice at once (one svix-id): the second is skipped without a read."""
    dots_sandbox.disturb_webhooks("duplicate")
    order = checkout.pay("order-2", 1000, LATER)
    first = hand_over(checkout, dots_webhooks, order.payment_intent_id)
    assert hand_over(checkout, dots_webhooks, order.payment_intent_id) == first
    assert retrieves(dots_sandbox) == 1


def test_events_out_of_order_leave_the_order_paid(
    checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """The settlement's event comes before the confirm's: the older one, handled last, does not undo the payment."""
    dots_sandbox.disturb_webhooks("reorder")
    order = checkout.pay("order-3", 1000, LATER)
    dots_sandbox.advance(SETTLEMENT_SECONDS)
    hand_over(checkout, dots_webhooks, order.payment_intent_id)  # the settlement's event
    assert order.status == "paid"
    hand_over(checkout, dots_webhooks, order.payment_intent_id)  # the confirm's, late
    assert order.status == "paid"


def test_a_late_webhook_changes_nothing(
    checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """The confirm's webhook comes an hour late (held until advance passes it): the order was paid already."""
    dots_sandbox.disturb_webhooks("delay", seconds=3600)
    order = checkout.pay("order-4", 1000, CARD)
    assert order.status == "paid"
    dots_sandbox.advance(3600)
    hand_over(checkout, dots_webhooks, order.payment_intent_id)
    assert order.status == "paid"


def test_a_redelivery_after_a_2xx_and_a_resend_are_skipped(
    checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """Delivered, answered 204, then sent again; then resent by hand: each copy after the first is skipped."""
    dots_sandbox.disturb_webhooks("redeliver")
    order = checkout.pay("order-5", 1000, CARD)
    first = hand_over(checkout, dots_webhooks, order.payment_intent_id)
    assert hand_over(checkout, dots_webhooks, order.payment_intent_id) == first
    dots_sandbox.resend_webhook(first)
    assert hand_over(checkout, dots_webhooks, order.payment_intent_id) == first
    assert retrieves(dots_sandbox) == 1


def test_a_retry_on_the_production_schedule_comes_when_time_passes() -> None:
    """With Dots' schedule (the first retry 5 s after a failure), our endpoint's 500 is retried once advance passes
    those seconds: same svix-id, and the order is paid then."""
    with (
        dots_testing.running(webhook_retry_seconds=(5.0, 300.0, 1800.0)) as sandbox,
        receiving(sandbox) as receiver,
        Dots(client_id=sandbox.client_id, api_key=sandbox.api_key, base_url=sandbox.base_url) as dots,
    ):
        checkout = Checkout(dots, webhook_secret=receiver.secret)
        receiver.respond_with(500)  # our endpoint was down for the first delivery
        order = checkout.pay("order-6", 1000, CARD)
        first = receiver.wait_for(order.payment_intent_id)
        sandbox.advance(5)
        again = receiver.wait_for(order.payment_intent_id)
        assert (again.svix_id, again.attempt) == (first.svix_id, 2)
        assert checkout.handle_webhook(again.body, again.headers) == 204
        assert order.status == "paid"
