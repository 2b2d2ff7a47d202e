"""Retention: the background worker prunes old finished webhook events, a small batch per tick.

What `prune_events` deletes is tested on both engines in store/test_sql.py; here, when the pruner
runs, and that the running sandbox runs it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from dots_sandbox.background.retention import INTERVAL_SECONDS, Pruner
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import Clock

PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
LIVENESS_SECONDS = 10.0


class _CountingStore:
    """A store whose `prune_events` deletes `pending` events `limit` at a time, recording each call."""

    def __init__(self, pending: int) -> None:
        self.pending = pending
        self.calls: list[tuple[str, float, int]] = []

    def prune_events(self, client_id: str, before: float, limit: int) -> int:
        self.calls.append((client_id, before, limit))
        pruned = min(limit, self.pending)
        self.pending -= pruned
        return pruned


def test_a_backlog_drains_a_batch_per_tick_then_waits_the_interval(clock: Clock) -> None:
    """Full batches: one more each tick; a short batch: nothing until INTERVAL_SECONDS later."""
    store = _CountingStore(pending=5)
    pruner = Pruner(store, "me", retention_seconds=100.0, clock=clock, batch=2)  # type: ignore[arg-type]
    assert [pruner.tick() for _ in range(4)] == [2, 2, 1, 0]
    assert store.calls == [("me", clock.now - 100.0, 2)] * 3  # the fourth tick waited
    clock.advance(INTERVAL_SECONDS - 0.001)
    assert pruner.tick() == 0
    assert len(store.calls) == 3
    clock.advance(0.001)
    store.pending = 1
    assert pruner.tick() == 1
    assert store.calls[-1] == ("me", clock.now - 100.0, 2)


def test_the_running_sandbox_prunes_events_older_than_its_setting(tmp_path: Path, clock: Clock) -> None:
    """Retention 60 s: the worker prunes an event 61 s old, keeps one 59 s old, and keeps both intents."""
    from tests.conftest import InProcess

    app = build_sandbox(Settings(db=str(tmp_path / "sandbox.db"), webhook_retention_seconds=60.0), clock=clock)
    client = InProcess(app)
    try:
        old, recent = (client.create(amount=10, currency="usd").json() for _ in range(2))
        assert client.confirm(old["id"], PM).status_code == 200
        clock.advance(2.0)
        assert client.confirm(recent["id"], PM).status_code == 200
        clock.advance(59.0)
        app.start_background()  # its first tick is immediate

        def events(intent: dict[str, str]) -> int:
            return len(client.request("GET", f"/sandbox/payment-intents/{intent['id']}/webhook-events").json()["data"])

        deadline = time.monotonic() + LIVENESS_SECONDS
        while events(old) and time.monotonic() < deadline:
            time.sleep(0.02)
        app.stop_background()
        assert (events(old), events(recent)) == (0, 1)
        assert client.retrieve(old["id"]).json()["status"] == "succeeded"  # intents are never pruned
    finally:
        app.stop_background()
        client.close()
