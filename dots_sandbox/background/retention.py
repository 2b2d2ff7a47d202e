"""Retention: webhook events whose deliveries are all over are deleted once they are old enough.

A sandbox shared for months would otherwise keep every event and attempt it ever made. The
background worker calls `Pruner.tick()` on every tick; at most every `interval_seconds` it deletes
one batch of its client's events created more than `retention_seconds` ago with no delivery
pending (every delivery `delivered` or `failed`, or none at all), with their deliveries and
attempts, in one short transaction (`Store.prune_events`). Each instance prunes the events of the
client it serves, the only ones it writes, so on a shared database every client's events are
pruned while an instance for it runs. A full batch means more are due: the next tick deletes the next
batch, so a backlog drains a batch per tick (POLL_SECONDS apart), between settlements and
deliveries, never in one long transaction. Intents themselves are never deleted.
"""

from __future__ import annotations

from collections.abc import Callable

from dots_sandbox.store import Store

# Events deleted per transaction: small, so the write lock (SQLite's) or the rows' locks
# (PostgreSQL's) are held for milliseconds.
BATCH = 200
# How often to look for prunable events when the last look found fewer than a batch (seconds).
INTERVAL_SECONDS = 60.0


class Pruner:
    """Deletes `client_id`'s finished webhook events older than `retention_seconds` from `store`, a batch per `tick()`.

    `clock` gives epoch seconds (the events' `created_at` are epoch seconds from the same kind of clock).
    """

    def __init__(
        self,
        store: Store,
        client_id: str,
        retention_seconds: float,
        clock: Callable[[], float],
        *,
        batch: int = BATCH,
        interval_seconds: float = INTERVAL_SECONDS,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.retention_seconds = retention_seconds
        self.clock = clock
        self.batch = batch
        self.interval_seconds = interval_seconds
        self._next = float("-inf")

    def tick(self) -> int:
        """Delete one batch if one is due now; the number of events deleted (StoreRefused propagates)."""
        now = self.clock()
        if now < self._next:
            return 0
        pruned = self.store.prune_events(self.client_id, now - self.retention_seconds, self.batch)
        self._next = now if pruned >= self.batch else now + self.interval_seconds
        return pruned
