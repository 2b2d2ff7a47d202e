"""The composition root (dots_sandbox/sandbox.py): one builder, and where each operation runs."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from dots_sandbox.background.outbox import tls_context
from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.receiver import LocalReceiver
from dots_sandbox.sandbox import Sandbox, build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import SQLiteStore
from dots_spec.document import load_spec

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUCCEEDS = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.02)


def test_an_operation_without_a_handler_fails_at_start_up() -> None:
    """A spec with an operation the sandbox does not implement is refused when the sandbox is built."""
    spec = load_spec()
    spec = {**spec, "paths": {**spec["paths"], "/v2/refunds": {"post": {"operationId": "create_refund"}}}}
    store = SQLiteStore(":memory:")
    try:
        with pytest.raises(NotImplementedError, match="create_refund"):
            Sandbox(Settings(db=":memory:"), store, time.time, spec=spec)
    finally:
        store.close()


def test_where_an_operation_runs_follows_its_store_access_not_its_method() -> None:
    """With store threads, one-row reads run on the loop; writes and many-query reads (GETs too) do not."""
    store = SQLiteStore(":memory:")
    store.concurrency = 2  # as a store with threads (PostgreSQL's) declares
    sandbox = build_sandbox(Settings(db=":memory:"), store)
    try:
        on_loop = {operation_id: operation.on_loop for operation_id, operation in sandbox.operations.items()}
        assert on_loop == {
            "create_payment_intent": False,
            "retrieve_payment_intent": True,
            "confirm_payment_intent": False,
            "complete_payment_intent_action": False,
            "settle_payment_intent": False,
            "list_payment_intent_webhook_events": False,  # a GET, three queries on PostgreSQL
            "list_webhook_events": False,
        }
    finally:
        store.close()


def test_a_store_without_threads_runs_every_operation_on_the_loop() -> None:
    """SQLite (no store threads): every operation runs on the event loop."""
    built = build_sandbox(Settings(db=":memory:"))
    try:
        assert all(operation.on_loop for operation in built.operations.values())
        assert len(built.operations) == 7
    finally:
        built.store.close()


def test_the_clock_given_is_the_one_the_sandbox_keeps_time_with() -> None:
    """`build_sandbox(settings, store, clock)`: timers and webhooks read the clock given."""
    sandbox = build_sandbox(Settings(db=":memory:"), clock=lambda: 1234.5)
    try:
        assert sandbox.changes.clock() == 1234.5
    finally:
        sandbox.store.close()


def test_sandboxes_of_the_repository_spec_share_its_compiled_validators() -> None:
    """The spec's validators are compiled once per process (milliseconds a test kit's reset would pay each time)."""
    first, second = build_sandbox(Settings(db=":memory:")), build_sandbox(Settings(db=":memory:"))
    try:
        assert first.app._rules is second.app._rules
    finally:
        first.store.close()
        second.store.close()


def test_dispatchers_share_one_tls_context() -> None:
    """Each dispatcher's HTTP client verifies with the process's one TLS context (building one costs ~30 ms)."""
    settings = Settings(db=":memory:", webhooks=(Receiver("https://receiver.test/", SECRET),))
    first, second = build_sandbox(settings), build_sandbox(settings)
    dispatchers = [first.dispatcher(), second.dispatcher()]
    try:
        contexts = {id(d._client._transport._pool._ssl_context) for d in dispatchers if d is not None}  # type: ignore[attr-defined]
        assert contexts == {id(tls_context())}
    finally:
        for dispatcher in dispatchers:
            assert dispatcher is not None
            dispatcher.close()
        first.store.close()
        second.store.close()


def _delivered_intents(receiver: LocalReceiver) -> list[str]:
    return [entry["body"]["payment_intent_id"] for entry in list(receiver.received) if entry["verified"]]


def test_a_receiver_added_at_run_time_gets_the_events_committed_after_it() -> None:
    """`add_receiver` on a running sandbox with none: later events reach it, signed; earlier ones do not."""
    from tests.conftest import InProcess

    receiver = LocalReceiver(SECRET, on_line=lambda line: None).start()
    sandbox = build_sandbox(Settings(db=":memory:", webhook_timeout_seconds=1.0))
    client = InProcess(sandbox)
    sandbox.start_background()
    try:
        before = client.create(amount=10, currency="usd").json()["id"]
        client.confirm(before, SUCCEEDS)
        sandbox.add_receiver(Receiver(receiver.url, SECRET))
        after = client.create(amount=10, currency="usd").json()["id"]
        client.confirm(after, SUCCEEDS)
        _wait_for(lambda: len(_delivered_intents(receiver)) >= 1)
        with pytest.raises(ValueError, match="registered already"):
            sandbox.add_receiver(Receiver(receiver.url, SECRET))
        assert _delivered_intents(receiver) == [after]
    finally:
        sandbox.stop_background()
        client.close()
        receiver.stop()


def test_a_removed_receiver_gets_nothing_more_and_its_deliveries_stay_pending() -> None:
    """`remove_receiver`: events after it name no delivery to it; removing an unknown URL is a LookupError."""
    from tests.conftest import InProcess

    receiver = LocalReceiver(SECRET, on_line=lambda line: None).start()
    sandbox = build_sandbox(Settings(db=":memory:", webhooks=(Receiver(receiver.url, SECRET),)))
    client = InProcess(sandbox)
    try:
        sandbox.remove_receiver(receiver.url)
        intent = client.create(amount=10, currency="usd").json()["id"]
        client.confirm(intent, SUCCEEDS)
        events = client.request("GET", "/sandbox/webhook-events").json()["data"]
        assert [event["deliveries"] for event in events] == [[]]
        with pytest.raises(LookupError, match="no webhook receiver"):
            sandbox.remove_receiver(receiver.url)
    finally:
        client.close()
        receiver.stop()
