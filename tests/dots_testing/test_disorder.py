"""Time and webhook disorder on demand: the kit's clock, its delivery plan, and both through the fixtures."""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

import pytest
from dots_client import Dots

from dots_sandbox.background.outbox import SEND_ONCE, Route
from dots_sandbox.background.webhooks import payload
from dots_sandbox.store import Delivery
from dots_testing import running
from dots_testing.disorder import HOLD_SECONDS, MAX_SECONDS, Disorder, KitClock, disturbance
from dots_testing.kit import SETTLEMENT_SECONDS, TestSandbox
from dots_testing.webhook_receiver import WebhookReceiver, receiving

CARD = "00000000-0000-4000-8000-000000000001"
SETTLES_LATER = "00000000-0000-4000-8000-000000000004"
RECEIVER = "http://127.0.0.1:9/webhooks/x"
NOW = 1_000_000.0


def _delivery(intent_id: str, event_id: str | None = None, receiver: str = RECEIVER) -> Delivery:
    return Delivery(event_id or f"msg_{uuid.uuid4().hex}", receiver, payload(intent_id), 0)


def _confirmed(dots: Dots, payment_method_id: str = CARD) -> Any:
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=payment_method_id)
    return intent.id


def _created(sandbox: TestSandbox, intent_id: uuid.UUID) -> float:
    """When the sandbox says the intent was created (epoch seconds): its stored time, which the API does not show."""
    intent = sandbox.sandbox.store.get(sandbox.client_id, str(intent_id))
    assert intent is not None
    return datetime.datetime.fromisoformat(intent.created_at).timestamp()


def test_the_kit_clock_runs_ahead_by_what_advance_added() -> None:
    """KitClock is the real time plus the seconds advanced; it never goes back, and refuses what is not seconds."""
    clock = KitClock()
    before = time.time()
    clock.advance(3600)
    clock.advance(0.5)
    assert clock.ahead == 3600.5
    assert before + 3600.5 <= clock() <= time.time() + 3600.5
    for bad, error in ((-1, ValueError), (float("inf"), ValueError), (float("nan"), ValueError), ("5", TypeError)):
        with pytest.raises(error, match="seconds"):
            clock.advance(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        clock.advance(True)


def test_the_kit_clock_refuses_to_go_more_than_a_century_ahead() -> None:
    """advance(1e12) would take the clock past the dates the sandbox can write: refused, in one call or many."""
    clock = KitClock()
    with pytest.raises(ValueError, match="at most"):
        clock.advance(1e12)
    clock.advance(MAX_SECONDS)
    with pytest.raises(ValueError, match="ahead"):
        clock.advance(1)
    assert clock.ahead == MAX_SECONDS
    with pytest.raises(ValueError, match="at most"):
        disturbance("delay", seconds=1e308)


def test_advance_past_the_bound_leaves_the_sandbox_working(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """An advance the sandbox cannot date is refused before the clock moves, so the next request is answered."""
    with pytest.raises(ValueError, match="at most"):
        dots_sandbox.advance(1e12)
    dots_sandbox.advance(MAX_SECONDS)
    with pytest.raises(ValueError, match="ahead"):
        dots_sandbox.advance(1)
    assert _created(dots_sandbox, dots.payment_intents.create(amount=1000, currency="usd").id) > time.time()


def test_a_disturbance_refuses_unknown_kinds_and_options_naming_the_valid_ones() -> None:
    """A typo'd kind or option is a ValueError listing the valid ones; a delay needs seconds > 0."""
    with pytest.raises(ValueError, match="duplicate, reorder, delay, redeliver"):
        disturbance("duplicated")
    with pytest.raises(ValueError, match="options seconds, payment_intent_id, not second"):
        disturbance("delay", second=5)
    with pytest.raises(ValueError, match="needs seconds="):
        disturbance("delay")
    with pytest.raises(ValueError, match="more than 0"):
        disturbance("delay", seconds=0)
    with pytest.raises(TypeError, match="payment_intent_id"):
        disturbance("duplicate", payment_intent_id=5)
    intent = uuid.uuid4()
    planned = disturbance("delay", seconds=60, payment_intent_id=intent, optional=True)
    assert (planned.seconds, planned.payment_intent_id, planned.optional) == (60.0, str(intent), True)
    assert planned.describe() == f"disturb_webhooks('delay', seconds=60, payment_intent_id='{intent}')"


def test_the_plan_routes_each_kind_once_and_names_what_went_unused() -> None:
    """duplicate: two copies; delay: held, then sent as is; redeliver: again after a 2xx; reorder: the first
    event held until its intent's next one, which releases it; unused ones are named, optional ones not."""
    plan = Disorder()
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    plan.add(disturbance("duplicate"))
    plan.add(disturbance("delay", seconds=30))
    plan.add(disturbance("redeliver"))
    assert plan.route(_delivery(one), NOW) == Route(copies=2)
    held = _delivery(one)
    assert plan.route(held, NOW) == Route(hold_until=NOW + 30)
    assert plan.route(_delivery(one), NOW) == Route(again_if_delivered=True)
    assert plan.route(held, NOW + 30) == SEND_ONCE  # due again: sent as it is
    plan.add(disturbance("reorder", payment_intent_id=one))
    first = _delivery(one)
    assert plan.route(_delivery(two), NOW) == SEND_ONCE  # another intent's event passes
    assert plan.route(first, NOW) == Route(hold_until=NOW + HOLD_SECONDS)
    assert plan.unused() == [
        f"disturb_webhooks('reorder', payment_intent_id='{one}'): holds {first.event_id}, "
        "and no later event of its intent came"
    ]
    assert plan.route(_delivery(one), NOW) == Route(due_after=((first.event_id, RECEIVER),))
    assert plan.route(first, NOW) == SEND_ONCE
    plan.add(disturbance("duplicate", optional=True))
    plan.add(disturbance("redeliver", payment_intent_id=two))
    assert plan.unused() == [f"disturb_webhooks('redeliver', payment_intent_id='{two}'): no delivery took it"]


def test_advance_settles_and_moves_the_lifecycle_s_times_not_svix_timestamps(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """advance() settles a processing intent before it returns, and later intents and events carry the moved
    time, while each delivery's svix-timestamp stays real (it verifies)."""
    intent_id = _confirmed(dots, SETTLES_LATER)
    dots_sandbox.advance(SETTLEMENT_SECONDS)
    assert dots.payment_intents.retrieve(intent_id).status == "succeeded"
    later = dots.payment_intents.create(amount=1000, currency="usd")
    assert _created(dots_sandbox, later.id) >= time.time() + SETTLEMENT_SECONDS - 60
    settled_event = dots_sandbox.webhook_events()[0]
    created = datetime.datetime.fromisoformat(settled_event["created_at"]).timestamp()
    assert created >= time.time() + SETTLEMENT_SECONDS - 60
    arrivals = [dots_webhooks.wait_for(intent_id), dots_webhooks.wait_for(intent_id)]
    assert all(abs(int(each.headers["svix-timestamp"]) - time.time()) < 300 for each in arrivals)
    dots_sandbox.reset()
    assert _created(dots_sandbox, dots.payment_intents.create(amount=1000, currency="usd").id) < time.time() + 60


def test_advance_drives_the_redelivery_schedule() -> None:
    """With an hour before the first retry, a delivery answered 500 comes again once advance() passes the hour."""
    with running(webhook_retry_seconds=(3600.0,)) as sandbox, receiving(sandbox) as receiver:
        receiver.respond_with(500)
        with Dots(client_id=sandbox.client_id, api_key=sandbox.api_key, base_url=sandbox.base_url) as dots:
            intent_id = _confirmed(dots)
        first = receiver.wait_for(intent_id)
        (pending,) = sandbox.webhook_events()[0]["deliveries"]
        assert (first.status, pending["state"]) == (500, "pending")
        sandbox.advance(3600)
        again = receiver.wait_for(intent_id)
        assert (again.svix_id, again.attempt, again.status) == (first.svix_id, 2, 204)


def test_a_duplicate_arrives_twice_with_one_svix_id(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """disturb_webhooks("duplicate"): the next delivery is sent twice, both verified, one svix-id."""
    dots_sandbox.disturb_webhooks("duplicate")
    intent_id = _confirmed(dots)
    first, second = dots_webhooks.wait_for(intent_id), dots_webhooks.wait_for(intent_id)
    assert first.svix_id == second.svix_id
    assert sorted([first.attempt, second.attempt]) == [1, 2]


def test_reorder_delivers_an_intent_s_next_two_events_in_reverse(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """disturb_webhooks("reorder"): the processing event is held until the settlement's event was delivered."""
    dots_sandbox.disturb_webhooks("reorder")
    intent_id = _confirmed(dots, SETTLES_LATER)
    dots_sandbox.advance(SETTLEMENT_SECONDS)
    arrived = [dots_webhooks.wait_for(intent_id).svix_id, dots_webhooks.wait_for(intent_id).svix_id]
    newest_first = [event["id"] for event in dots_sandbox.webhook_events()]
    assert arrived == newest_first


def test_a_delay_holds_a_delivery_until_advance_passes_it(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """disturb_webhooks("delay", seconds=60): unsent (no attempt) until advance(60); then delivered."""
    dots_sandbox.disturb_webhooks("delay", seconds=60)
    intent_id = _confirmed(dots)
    dots_sandbox.advance(0)  # what is due is routed before advance returns: the delay took it
    assert dots_sandbox.unused_disturbances() == []
    (held,) = dots_sandbox.webhook_events()[0]["deliveries"]
    assert (held["state"], held["attempts"]) == ("pending", [])
    dots_sandbox.advance(50)
    (held,) = dots_sandbox.webhook_events()[0]["deliveries"]
    assert held["attempts"] == []
    dots_sandbox.advance(10)
    assert dots_webhooks.wait_for(intent_id).attempt == 1
    assert dots_webhooks.deliveries[0].payment_intent_id == str(intent_id)


def test_redeliver_sends_again_after_a_2xx_and_resend_on_demand(
    dots: Dots, dots_sandbox: TestSandbox, dots_webhooks: WebhookReceiver
) -> None:
    """disturb_webhooks("redeliver"): answered 204, then sent again; resend_webhook(svix_id) sends it a third time."""
    dots_sandbox.disturb_webhooks("redeliver")
    intent_id = _confirmed(dots)
    first, again = dots_webhooks.wait_for(intent_id), dots_webhooks.wait_for(intent_id)
    assert (first.status, again.svix_id, again.attempt) == (204, first.svix_id, 2)
    dots_sandbox.resend_webhook(first.svix_id)
    resent = dots_webhooks.wait_for(intent_id)
    assert (resent.svix_id, resent.attempt, resent.verified) == (first.svix_id, 3, True)
    with pytest.raises(LookupError, match="msg_unknown"):
        dots_sandbox.resend_webhook("msg_unknown")


USER_TESTS = """
def test_unused_disturbance(dots_sandbox):
    dots_sandbox.disturb_webhooks("redeliver")


def test_optional_disturbance(dots_sandbox):
    dots_sandbox.disturb_webhooks("duplicate", optional=True)


def test_failing_with_a_disturbance(dots_sandbox):
    dots_sandbox.disturb_webhooks("reorder")
    assert False, "the test's own failure"
"""


def test_a_disturbance_no_delivery_took_fails_the_test(pytester: pytest.Pytester) -> None:
    """In a user's run, an unused disturb_webhooks errs at teardown naming it; optional=True opts out, and a
    test that failed is not blamed twice."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess("-p", "dots_testing.plugin", "-p", "no:cacheprovider", "-v")
    assert (result.parseoutcomes()["errors"], result.parseoutcomes()["failed"]) == (1, 1)
    output = result.stdout.str()
    assert "ERROR at teardown of test_unused_disturbance" in output
    assert "disturb_webhooks('redeliver')" in output
    assert "ERROR at teardown of test_optional_disturbance" not in output
    assert "ERROR at teardown of test_failing_with_a_disturbance" not in output
