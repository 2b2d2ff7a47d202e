"""The test sandbox's controls, through the Dots client as a user's service would use them."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Final

import httpx
import pytest
from dots_client import Dots
from dots_client.errors import APIStatusError, ConflictError, InternalServerError, RateLimitError, UnreadableResponse

import dots_testing
from dots_sandbox.request.control import with_control_routes
from dots_sandbox.request.routing import Router
from dots_sandbox.sandbox import Sandbox
from dots_spec.document import load_spec
from dots_testing import kit
from dots_testing.kit import TestSandbox
from dots_testing.webhook_receiver import WebhookReceiver

DECLINE = "00000000-0000-4000-8000-000000000002"
CHALLENGE = "00000000-0000-4000-8000-000000000003"
SETTLES_LATER = "00000000-0000-4000-8000-000000000004"
CARD = "00000000-0000-4000-8000-000000000001"
CONFIRM: Final = "confirm_payment_intent"


def test_a_decline_fails(dots: Dots) -> None:
    """The decline payment method leaves the intent failed."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    assert dots.payment_intents.confirm(intent.id, payment_method_id=DECLINE).status == "failed"


def test_settle_moves_a_processing_intent_on_now(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """A processing intent stays so until settle(), then succeeds, with its event."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    assert dots.payment_intents.confirm(intent.id, payment_method_id=SETTLES_LATER).status == "processing"
    assert dots_sandbox.settle(intent.id)["status"] == "succeeded"
    assert dots.payment_intents.retrieve(intent.id).status == "succeeded"
    assert [event["status"] for event in dots_sandbox.webhook_events(intent.id)] == ["succeeded", "processing"]
    with pytest.raises(ValueError, match="not-processing"):
        dots_sandbox.settle(intent.id)
    with pytest.raises(LookupError):
        dots_sandbox.settle("00000000-0000-4000-8000-00000000abcd")


def test_complete_action_finishes_the_challenge(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """A requires_action intent completes as the test says; an intent in another status is refused."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    assert dots.payment_intents.confirm(intent.id, payment_method_id=CHALLENGE).status == "requires_action"
    assert dots_sandbox.complete_action(intent.id, "failed")["status"] == "failed"
    with pytest.raises(ValueError, match="not-requires-action"):
        dots_sandbox.complete_action(str(intent.id), "succeeded")


def test_a_double_confirm_commits_once(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """The second confirm is a conflict; the journal shows the first committed and the second not."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=CARD)
    with pytest.raises(ConflictError):
        dots.payment_intents.confirm(intent.id, payment_method_id=CARD)
    assert [(r.status, r.committed) for r in dots_sandbox.requests(CONFIRM)] == [(200, True), (409, False)]


@pytest.mark.parametrize(
    ("options", "error"), [({"status": 503}, InternalServerError), ({"status": 429, "retry_after": 0}, RateLimitError)]
)
def test_refuse_answers_without_carrying_out(
    dots: Dots, dots_sandbox: TestSandbox, options: dict[str, Any], error: type[Exception]
) -> None:
    """A refused create is answered as asked, marked, and commits nothing."""
    dots_sandbox.fail_next("create_payment_intent", "refuse", **options)
    with pytest.raises(error) as raised:
        dots.with_options(max_retries=0).payment_intents.create(amount=1000, currency="usd")
    assert isinstance(raised.value, APIStatusError)
    assert raised.value.response.headers["preference-applied"] == "dots-fault=refuse"
    assert [(r.status, r.fault, r.committed) for r in dots_sandbox.requests()] == [(options["status"], "refuse", False)]


def test_the_client_retries_past_a_refused_confirm(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """A refused confirm is retried by the client; the journal shows one refused and one committed."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots_sandbox.fail_next(CONFIRM, "refuse", status=503)
    assert dots.payment_intents.confirm(intent.id, payment_method_id=CARD).status == "succeeded"
    assert [(r.fault, r.committed) for r in dots_sandbox.requests(CONFIRM)] == [("refuse", False), (None, True)]


def test_non_json_is_a_gateways_answer(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """A non-JSON success is unreadable to the client, and nothing was carried out."""
    dots_sandbox.fail_next("create_payment_intent", "non-json", status=200, body="html")
    with pytest.raises(UnreadableResponse):
        dots.payment_intents.create(amount=1000, currency="usd")
    assert [(r.status, r.fault, r.committed) for r in dots_sandbox.requests()] == [(200, "non-json", False)]


def test_delay_holds_the_answer_back(dots_sandbox: TestSandbox) -> None:
    """A delayed create is carried out and answered, marked as delayed."""
    dots_sandbox.fail_next("create_payment_intent", "delay", seconds=0.05)
    auth = (dots_sandbox.client_id, dots_sandbox.api_key)
    answer = httpx.post(f"{dots_sandbox.base_url}/v2/payment-intents", json={"amount": 1, "currency": "usd"}, auth=auth)
    assert answer.status_code == 200
    assert answer.headers["preference-applied"] == "dots-fault=delay"
    assert answer.elapsed.total_seconds() >= 0.05
    assert dots_sandbox.requests()[0].committed


def test_a_lost_confirm_answer_is_reconciled(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """The confirm's answer is lost after the commit: the client returns the intent, and one confirm committed."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots_sandbox.fail_next(CONFIRM, "lose-answer")
    assert dots.payment_intents.confirm(intent.id, payment_method_id=CARD).status == "succeeded"
    confirms = dots_sandbox.requests(CONFIRM)
    assert [(r.status, r.fault, r.committed) for r in confirms if r.committed] == [(None, "lose-answer", True)]


def test_fail_next_refuses_what_it_cannot_do(dots_sandbox: TestSandbox) -> None:
    """An unknown operation, fault or option is a ValueError at once, not a surprise later."""
    for operation_id, fault, options in [
        ("nope", "refuse", {}),
        (CONFIRM, "explode", {}),
        (CONFIRM, "refuse", {"seconds": 1}),
        (CONFIRM, "refuse", {"status": 404}),
    ]:
        with pytest.raises(ValueError):  # noqa: PT011 (each message names its own cause)
            dots_sandbox.fail_next(operation_id, fault, **options)  # type: ignore[call-overload]


def test_running_gives_the_same_object_without_pytest() -> None:
    """running() serves a sandbox with the settings asked for (over the kit's), and stops it at the block's end."""
    with dots_testing.running(client_id="shop", webhook_retry_seconds=(1.0,)) as sandbox:
        assert (sandbox.client_id, sandbox.settings.webhook_retry_seconds) == ("shop", (1.0,))
        auth = (sandbox.client_id, sandbox.api_key)
        assert httpx.get(f"{sandbox.base_url}/sandbox/webhook-events", auth=auth).json() == {"data": []}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.base_url}/sandbox/webhook-events", auth=auth)


def test_add_receiver_refuses_what_it_cannot_send_to(dots_sandbox: TestSandbox) -> None:
    """A bad URL or secret (never quoted), a URL added twice, or removing one never added: refused."""
    secret = "whsec_" + "Zm9vYmFy" * 4
    with pytest.raises(ValueError, match="http"):
        dots_sandbox.add_receiver("ftp://127.0.0.1/", secret)
    with pytest.raises(ValueError, match="secret") as bad:
        dots_sandbox.add_receiver("http://127.0.0.1:9/", "whsec_not base64!")
    assert "not base64!" not in str(bad.value)
    dots_sandbox.add_receiver("http://127.0.0.1:9/", secret)
    try:
        with pytest.raises(ValueError, match="already"):
            dots_sandbox.add_receiver("http://127.0.0.1:9/", secret)
    finally:
        dots_sandbox.remove_receiver("http://127.0.0.1:9/")
    with pytest.raises(LookupError):
        dots_sandbox.remove_receiver("http://127.0.0.1:9/")


def test_the_kit_retries_webhooks_within_a_wait(dots_sandbox: TestSandbox) -> None:
    """A test sandbox retries a webhook (and waits for an answer) within wait_for's default 5 s."""
    assert sum(dots_sandbox.settings.webhook_retry_seconds) < 5.0
    assert dots_sandbox.settings.webhook_timeout_seconds < 5.0 + 1e-9


def test_controls_take_the_ids_the_client_returns(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """settle, complete_action and webhook_events take the client's UUID as it is, or its text in any case."""
    later = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(later.id, payment_method_id=SETTLES_LATER)
    assert dots_sandbox.settle(later.id)["status"] == "succeeded"
    assert [event["status"] for event in dots_sandbox.webhook_events(later.id)] == ["succeeded", "processing"]
    challenged = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(challenged.id, payment_method_id=CHALLENGE)
    assert dots_sandbox.complete_action(str(challenged.id).upper(), "succeeded")["status"] == "succeeded"
    with pytest.raises(TypeError, match="str or a UUID"):
        dots_sandbox.settle(12345)  # type: ignore[arg-type]


def test_a_typo_in_an_operation_name_lists_the_valid_ones(dots_sandbox: TestSandbox) -> None:
    """requests() with an operation the spec does not have is a ValueError naming them, never an empty list."""
    with pytest.raises(ValueError, match="confirm_payment_intent") as raised:
        dots_sandbox.requests("confirm_payment")  # type: ignore[arg-type]
    assert "'confirm_payment'" in str(raised.value)
    with pytest.raises(ValueError, match="create_payment_intent"):
        dots_sandbox.fail_next("create_payment", "refuse")  # type: ignore[call-overload]


def test_the_operation_literal_is_what_the_sandbox_routes(dots_sandbox: TestSandbox) -> None:
    """OperationId lists exactly the operations a test sandbox routes (the spec's and the control routes')."""
    routed = {op for route in Router(with_control_routes(load_spec())).routes for op in route.operations.values()}
    assert set(kit.OPERATION_IDS) == routed


def test_fail_next_refuses_a_delay_beyond_the_bound_and_never_reparses(dots_sandbox: TestSandbox) -> None:
    """A 60 s delay is refused, not capped; a `;` in a value is a bad value, not a second option."""
    with pytest.raises(ValueError, match="at most 30"):
        dots_sandbox.fail_next(CONFIRM, "delay", seconds=60)
    with pytest.raises(ValueError, match="body must be one of text, html, empty"):
        dots_sandbox.fail_next(CONFIRM, "non-json", body="text; status=200")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="lose-answer takes no options"):
        dots_sandbox.fail_next(CONFIRM, "lose-answer", seconds=1)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="refuse, non-json, delay, lose-answer"):
        dots_sandbox.fail_next(CONFIRM, "explode")  # type: ignore[call-overload]
    assert dots_sandbox.preparations.unused() == []  # nothing refused was queued


def _closed(sandbox: Sandbox) -> bool:
    return sandbox.worker is None


def test_reset_lets_a_request_in_flight_finish_on_the_old_state(
    dots_sandbox: TestSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """reset() while a create is inside the store returns at once; the create is answered 200, then the old closes."""
    old = dots_sandbox.sandbox
    inside, release = threading.Event(), threading.Event()
    add_with = old.store.add_with

    def held(*args: Any) -> None:
        inside.set()
        release.wait(10)
        add_with(*args)

    monkeypatch.setattr(old.store, "add_with", held)
    answers: list[int] = []
    auth = (dots_sandbox.client_id, dots_sandbox.api_key)
    url = f"{dots_sandbox.base_url}/v2/payment-intents"
    create = threading.Thread(
        target=lambda: answers.append(httpx.post(url, json={"amount": 1, "currency": "usd"}, auth=auth).status_code)
    )
    create.start()
    assert inside.wait(10)
    dots_sandbox.reset()  # returns while the create is held inside the old store
    assert dots_sandbox.sandbox is not old
    assert not _closed(old)  # not closed under the request
    release.set()
    create.join(10)
    assert answers == [200]
    for _ in range(500):  # closed on a thread of its own once the request ended
        if _closed(old):
            break
        time.sleep(0.01)
    assert _closed(old)


@pytest.fixture(params=["http://127.0.0.1:9", "socks5://127.0.0.1:9"])
def proxy_nowhere(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY and ALL_PROXY name a port nothing listens on, as a CI image's proxy that cannot reach us
    (a SOCKS one too, without httpx[socks], which httpx cannot even build a client for)."""
    monkeypatch.setitem(sys.modules, "socksio", None)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, request.param)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def test_the_kit_ignores_environment_proxies(proxy_nowhere: None, dots: Dots, dots_webhooks: WebhookReceiver) -> None:
    """With the proxy variables set before the fixtures, the `dots` client and the deliveries reach 127.0.0.1."""
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=DECLINE)
    assert dots_webhooks.wait_for(intent.id).verified
