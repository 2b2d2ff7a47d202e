"""The `dots_webhooks` receiver: verified deliveries kept, waited for without sleeping, answered as the test says."""

from __future__ import annotations

import httpx
import pytest
from dots_client import AsyncDots, Dots

from dots_sandbox.receiver import ReceiverServer
from dots_testing.kit import TestSandbox
from dots_testing.webhook_receiver import WebhookReceiver, receiving

CARD = "00000000-0000-4000-8000-000000000001"
SETTLES_LATER = "00000000-0000-4000-8000-000000000004"
DECLINE = "00000000-0000-4000-8000-000000000002"


def _confirmed(dots: Dots, payment_method_id: str = CARD) -> str:
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=payment_method_id)
    return str(intent.id)


def test_a_settlement_brings_two_verified_deliveries(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """Done-when: confirm with the settles-later method, settle(), and wait_for gets both events, verified."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    assert dots.payment_intents.confirm(intent.id, payment_method_id=SETTLES_LATER).status == "processing"
    dots_sandbox.settle(intent.id)
    first = dots_webhooks.wait_for(intent.id)
    second = dots_webhooks.wait_for(str(intent.id))
    assert (first.verified, second.verified) == (True, True)
    assert {first.payment_intent_id, second.payment_intent_id} == {str(intent.id)}
    assert first.svix_id != second.svix_id
    assert (first.attempt, first.status, second.attempt, second.status) == (1, 204, 1, 204)
    # What a service's own handler gets: the raw body and headers verify with the receiver's secret.
    event = dots.webhooks.unwrap(second.body, second.headers, secret=dots_webhooks.secret)
    assert event.payment_intent_id == intent.id
    assert dots.payment_intents.retrieve(intent.id).status == "succeeded"


def test_respond_with_500_brings_the_same_event_again(dots: Dots, dots_webhooks: WebhookReceiver) -> None:
    """The queued 500 answers one delivery; the redelivery (same svix-id) is returned by the next wait_for."""
    dots_webhooks.respond_with(500)
    intent_id = _confirmed(dots)
    first = dots_webhooks.wait_for(intent_id)
    again = dots_webhooks.wait_for(intent_id)
    assert (first.status, first.attempt) == (500, 1)
    assert (again.status, again.attempt, again.svix_id) == (204, 2, first.svix_id)
    assert [d.status for d in dots_webhooks.deliveries] == [500, 204]


def test_wait_for_fails_with_what_did_arrive(dots: Dots, dots_webhooks: WebhookReceiver) -> None:
    """No delivery for the intent asked for: AssertionError listing the ids and intents that came, not the secret."""
    intent_id = _confirmed(dots)
    delivered = dots_webhooks.wait_for()
    with pytest.raises(AssertionError) as failure:
        dots_webhooks.wait_for(intent_id, timeout=0.05)
    message = str(failure.value)
    assert f"payment intent {intent_id}" in message
    assert delivered.svix_id in message
    assert "returned by wait_for already" in message
    assert dots_webhooks.secret not in message
    other = "00000000-0000-4000-8000-00000000beef"
    with pytest.raises(AssertionError, match=f"payment intent {other}"):
        dots_webhooks.wait_for(other, timeout=0)


def test_a_delivery_that_fails_verification_fails_wait_for(dots: Dots, dots_webhooks: WebhookReceiver) -> None:
    """A delivery signed with another secret is answered 400 (a queued answer waits for a verified one), kept,
    and makes wait_for fail saying so."""
    event = {"event": "payment_intent.updated", "payment_intent_id": CARD}
    forged = dots.webhooks.sign(event, secret="whsec_" + "A" * 32)
    dots_webhooks.respond_with(503)
    assert httpx.post(dots_webhooks.url, content=forged.body, headers=forged.headers).status_code == 400
    signed = dots.webhooks.sign(event, secret=dots_webhooks.secret)
    assert httpx.post(dots_webhooks.url, content=signed.body, headers=signed.headers).status_code == 503
    kept, verified = dots_webhooks.deliveries
    assert (verified.verified, verified.status) == (True, 503)
    assert (kept.verified, kept.body, kept.svix_id) == (False, forged.body, forged.headers["svix-id"])
    with pytest.raises(AssertionError, match="failed verification") as failure:
        dots_webhooks.wait_for()
    assert dots_webhooks.secret not in str(failure.value)
    assert dots_webhooks.secret not in repr(dots_webhooks)


def test_the_receiver_outlives_a_reset_set_up_first(dots_webhooks: WebhookReceiver, dots_sandbox: TestSandbox) -> None:
    """Registered before dots_sandbox's reset (fixture order) and reset again: events still reach it."""
    dots_sandbox.reset()
    with Dots(client_id=dots_sandbox.client_id, api_key=dots_sandbox.api_key, base_url=dots_sandbox.base_url) as dots:
        intent_id = _confirmed(dots)
    assert dots_webhooks.wait_for(intent_id).verified


def test_a_session_sandbox_gets_a_receiver_without_a_restart(dots_sandbox_session: TestSandbox) -> None:
    """receiving() registers on the running server, and unregisters and stops on leaving."""
    base_url = dots_sandbox_session.base_url
    with Dots(
        client_id=dots_sandbox_session.client_id, api_key=dots_sandbox_session.api_key, base_url=base_url
    ) as dots:
        with receiving(dots_sandbox_session) as receiver:
            intent_id = _confirmed(dots)
            assert receiver.wait_for(intent_id).payment_intent_id == intent_id
        later = _confirmed(dots)
    assert dots_sandbox_session.base_url == base_url
    with pytest.raises(LookupError):
        dots_sandbox_session.remove_receiver(receiver.url)
    undelivered = dots_sandbox_session.webhook_events(later)[0]["deliveries"]
    assert receiver.url not in [delivery["receiver"] for delivery in undelivered]


def test_respond_with_and_wait_for_refuse_bad_arguments(dots_webhooks: WebhookReceiver) -> None:
    """respond_with takes 200 to 599 only; wait_for a finite, non-negative timeout."""
    for status in (199, 600, True):
        with pytest.raises(ValueError, match="status"):
            dots_webhooks.respond_with(status)
    for timeout in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            dots_webhooks.wait_for(timeout=timeout)
    with pytest.raises(TypeError, match="timeout"):
        dots_webhooks.wait_for(timeout="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payment_intent_id"):
        dots_webhooks.wait_for(12345)  # type: ignore[arg-type]


def test_a_later_receiver_on_the_same_server_gets_none_of_an_earlier_ones_deliveries(
    dots: Dots, dots_sandbox_session: TestSandbox, dots_webhooks_server: ReceiverServer
) -> None:
    """An unregistered receiver's pending redelivery never reaches a later receiver on the session's server."""
    with receiving(dots_sandbox_session, dots_webhooks_server, dots) as first:
        first.respond_with(500)  # its redelivery stays pending once `first` is unregistered
        earlier = _confirmed(dots)
        first.wait_for(earlier)
    with receiving(dots_sandbox_session, dots_webhooks_server, dots) as second:
        assert second.url.startswith(dots_webhooks_server.url("/webhooks/"))
        assert second.url != first.url
        later = _confirmed(dots)
        assert second.wait_for(later).payment_intent_id == later
        stray = httpx.post(first.url, content=b"{}")
        assert stray.status_code == 404
        assert [delivery.payment_intent_id for delivery in second.deliveries] == [later]


def test_each_test_s_receiver_is_a_path_on_the_session_server(
    dots_webhooks: WebhookReceiver, dots_webhooks_server: ReceiverServer
) -> None:
    """dots_webhooks mounts a path on the session's one server rather than starting a server of its own."""
    assert dots_webhooks.url.startswith(dots_webhooks_server.url("/webhooks/"))
    assert httpx.get(dots_webhooks.url).status_code == 405


def test_an_answer_never_used_fails_the_block(dots_sandbox_session: TestSandbox) -> None:
    """respond_with queued but no delivery took it: leaving receiving() raises, naming the status."""
    with pytest.raises(AssertionError, match=r"respond_with\(503\)"), receiving(dots_sandbox_session) as receiver:
        receiver.respond_with(503)


def test_wait_for_filters_by_svix_id_and_intent_status(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """intent_status skips the processing event for the settlement's; svix_id finds one event's redelivery."""
    dots_webhooks.respond_with(500)  # the processing event comes twice
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=SETTLES_LATER)
    processing = dots_webhooks.wait_for(intent_status="processing")  # answered 500, before the settlement
    dots_sandbox.settle(intent.id)
    settled = dots_webhooks.wait_for(intent.id, intent_status="succeeded")
    assert settled.intent_status == "succeeded"
    again = dots_webhooks.wait_for(svix_id=processing.svix_id)
    assert (again.svix_id, again.attempt, again.intent_status) == (processing.svix_id, 2, "processing")
    with pytest.raises(AssertionError, match="intent status failed"):
        dots_webhooks.wait_for(intent.id, timeout=0, intent_status="failed")
    with pytest.raises(ValueError, match="succeeded"):
        dots_webhooks.wait_for(intent_status="paid")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_wait_for_async_waits_off_the_event_loop(async_dots: AsyncDots, dots_webhooks: WebhookReceiver) -> None:
    """An anyio test awaits the delivery of a confirm made with async_dots on the same loop."""
    intent = await async_dots.payment_intents.create(amount=1000, currency="usd")
    await async_dots.payment_intents.confirm(intent.id, payment_method_id=DECLINE)
    delivery = await dots_webhooks.wait_for_async(intent.id, intent_status="failed")
    assert delivery.payment_intent_id == str(intent.id)
