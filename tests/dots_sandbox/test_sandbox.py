"""The composition root (dots_sandbox/sandbox.py): one builder, and where each operation runs."""

from __future__ import annotations

import time

import pytest

from dots_sandbox.sandbox import Sandbox, build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import SQLiteStore
from dots_spec.document import load_spec


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
