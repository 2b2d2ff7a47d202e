"""The checkout service against the test kit: each outcome of a payment, and its webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from checkout import ORDER_STATUS, Checkout
from dots_client import Dots

if TYPE_CHECKING:
    from dots_testing.kit import TestSandbox
    from dots_testing.outcomes import Outcome
    from dots_testing.webhook_receiver import WebhookReceiver

CARD = "00000000-0000-4000-8000-000000000001"  # succeeds
DECLINE = "00000000-0000-4000-8000-000000000002"  # is declined
CHALLENGE = "00000000-0000-4000-8000-000000000003"  # asks for authentication
LATER = "00000000-0000-4000-8000-000000000004"  # settles later, succeeded


@pytest.fixture
def checkout(dots: Dots, dots_webhooks: WebhookReceiver) -> Checkout:
    """The service as production builds it, with the kit's client and the kit's receiver's secret."""
    return Checkout(dots, webhook_secret=dots_webhooks.secret)


def deliver_all(checkout: Checkout, dots_webhooks: WebhookReceiver, intent_id: str, count: int) -> None:
    """Hand the service's webhook handler the next `count` deliveries for the intent, as its endpoint would."""
    for _ in range(count):
        delivery = dots_webhooks.wait_for(intent_id)
        assert checkout.handle_webhook(delivery.body, delivery.headers) == 204


def test_success(checkout: Checkout) -> None:
    """A card that goes through: the order is paid at once."""
    assert checkout.pay("order-1", 1000, CARD).status == "paid"


def test_decline(checkout: Checkout, dots_webhooks: WebhookReceiver) -> None:
    """A declined card: the order is declined, and the webhook that follows leaves it so."""
    order = checkout.pay("order-2", 1000, DECLINE)
    assert order.status == "declined"
    deliver_all(checkout, dots_webhooks, order.payment_intent_id, 1)
    assert order.status == "declined"


def test_settles_later_by_webhook(
    checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """A payment that settles later is pending until the settlement's webhook: two verified deliveries."""
    order = checkout.pay("order-3", 1000, LATER)
    assert order.status == "pending"
    dots_sandbox.settle(order.payment_intent_id)  # now, not after a timer
    deliver_all(checkout, dots_webhooks, order.payment_intent_id, 2)  # the confirm's event, the settlement's
    assert order.status == "paid"


def test_requires_action(checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver) -> None:
    """A challenge: the order waits for the customer, and is paid by the webhook once they authenticate."""
    order = checkout.pay("order-4", 1000, CHALLENGE)
    assert order.status == "needs_action"
    dots_sandbox.complete_action(order.payment_intent_id, "succeeded")  # the customer passes 3-D Secure
    deliver_all(checkout, dots_webhooks, order.payment_intent_id, 2)
    assert order.status == "paid"


def test_double_confirm(checkout: Checkout, dots_sandbox: TestSandbox) -> None:
    """Paying an order twice confirms once: the second confirm is refused (409) and the order stays paid."""
    checkout.pay("order-5", 1000, CARD)
    assert checkout.pay("order-5", 1000, CARD).status == "paid"
    confirms = dots_sandbox.requests("confirm_payment_intent")
    assert [(r.status, r.committed) for r in confirms] == [(200, True), (409, False)]
    assert len(dots_sandbox.requests("create_payment_intent")) == 1


def test_lost_answer_is_reconciled(checkout: Checkout, dots_sandbox: TestSandbox) -> None:
    """The confirm's answer is lost after Dots acted: the client retries, reconciles, and the order is paid once."""
    dots_sandbox.fail_next("confirm_payment_intent", "lose-answer")
    assert checkout.pay("order-6", 1000, CARD).status == "paid"
    committed = [r for r in dots_sandbox.requests("confirm_payment_intent") if r.committed]
    assert [(r.fault, r.status) for r in committed] == [("lose-answer", None)]


def test_lost_answer_left_unknown_until_refreshed(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """Lost answer, and the reconciling retrieve refused too: ConfirmOutcomeUnknown, the order "unknown", then paid."""
    checkout = Checkout(dots.with_options(max_retries=0), webhook_secret=dots_webhooks.secret)
    dots_sandbox.fail_next("confirm_payment_intent", "lose-answer")
    dots_sandbox.fail_next("retrieve_payment_intent", "refuse", status=503)
    assert checkout.pay("order-7", 1000, CARD).status == "unknown"
    assert checkout.refresh("order-7").status == "paid"
    assert len(dots_sandbox.requests("confirm_payment_intent")) == 1  # never confirmed twice


def test_redelivered_webhook(dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver) -> None:
    """The handler fails on a delivery (Dots unavailable): it answers 500, the redelivery does the work, once."""
    checkout = Checkout(dots.with_options(max_retries=0), webhook_secret=dots_webhooks.secret)
    dots_webhooks.respond_with(500)  # what our endpoint answers the first delivery: the handler's answer below
    order = checkout.pay("order-8", 1000, LATER)
    first = dots_webhooks.wait_for(order.payment_intent_id)
    dots_sandbox.fail_next("retrieve_payment_intent", "refuse", status=503)
    assert checkout.handle_webhook(first.body, first.headers) == 500
    again = dots_webhooks.wait_for(svix_id=first.svix_id)  # the same event, delivered again
    assert (again.svix_id, again.attempt) == (first.svix_id, 2)
    assert checkout.handle_webhook(again.body, again.headers) == 204
    assert checkout.handle_webhook(again.body, again.headers) == 204  # once more: a duplicate, skipped
    retrieves = dots_sandbox.requests("retrieve_payment_intent")
    assert [r.status for r in retrieves] == [503, 200]  # the duplicate read nothing
    assert order.status == "pending"


@pytest.mark.dots_outcomes(faults=True)
def test_every_outcome(dots: Dots, dots_outcome: Outcome) -> None:
    """One order per outcome of a confirm (and per fault on it): the customer is told the status, then the final one."""
    checkout = Checkout(dots, webhook_secret="whsec_" + "MDEyMzQ1Njc4OWFiY2RlZg==")  # no webhook in this test
    order = checkout.pay("order-9", 1000, dots_outcome.payment_method_id)
    assert order.status == ORDER_STATUS[dots_outcome.first_status]
    dots_outcome.finish()  # the settlement or the customer's authentication, now
    assert checkout.refresh("order-9").status == ORDER_STATUS[dots_outcome.final_status]


def test_the_kit_takes_the_clients_own_ids(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """settle() and webhook_events() take `intent.id` as the client returns it; a typo'd operation is refused."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=LATER)
    dots_sandbox.settle(intent.id)
    assert dots_webhooks.wait_for(intent.id, intent_status="succeeded").payment_intent_id == str(intent.id)
    assert [event["status"] for event in dots_sandbox.webhook_events(intent.id)] == ["succeeded", "processing"]
    with pytest.raises(ValueError, match="confirm_payment_intent"):
        dots_sandbox.requests("confirm_payment")  # type: ignore[arg-type]  # mypy catches the typo too


def test_a_fault_the_code_may_not_meet(checkout: Checkout, dots_sandbox: TestSandbox) -> None:
    """A fault no request takes fails the test after it, unless optional=True says it may go unused."""
    dots_sandbox.fail_next("retrieve_payment_intent", "refuse", optional=True)  # only a double click retrieves
    assert checkout.pay("order-10", 1000, CARD).status == "paid"
    assert dots_sandbox.requests("retrieve_payment_intent") == []


def test_webhooks_forwarded_to_the_services_endpoint(
    checkout: Checkout, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """The service's own webhook route gets every delivery (forward_to), and the settlement's pays the order."""
    dots_webhooks.forward_to(checkout.webhook_endpoint, path="/webhooks/dots")
    order = checkout.pay("order-11", 1000, LATER)
    dots_sandbox.settle(order.payment_intent_id)
    settled = dots_webhooks.wait_for(order.payment_intent_id, intent_status="succeeded")
    assert settled.forwarded == 204  # answered by the service's endpoint, once it had done the work
    assert order.status == "paid"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"svix-id": "msg_1", "svix-timestamp": "1764500000", "svix-signature": "v1,!!!not base64"},
        {"svix-id": "msg_1", "svix-timestamp": "soon", "svix-signature": "v1,AAAA"},
        {"svix-id": "msg_1", "svix-timestamp": "1764500000", "svix-signature": ","},
    ],
)
def test_malformed_webhooks_answer_400(headers: dict[str, str]) -> None:
    """Whatever anyone POSTs to the webhook endpoint, unsigned or malformed, is answered 400, never 500."""
    dots = Dots(client_id="id", api_key="key", base_url="http://127.0.0.1:9")
    checkout = Checkout(dots, webhook_secret="whsec_" + "A" * 43 + "=")
    assert checkout.handle_webhook(b"\xff{not json", headers) == 400
    assert checkout.handle_webhook(b'{"event": "payment_intent.updated"}', headers) == 400
