"""What a status change writes besides the intent: its event and, for `processing`, its settlement.

Every status change of an intent after its creation writes one `payment_intent.updated` event
(with one delivery per receiver) in the change's own transaction; a creation writes none, and a
create with `confirm: true` that confirms writes one (see the spec's webhook Decision).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dots_sandbox import lifecycle
from dots_sandbox.background import webhooks
from dots_sandbox.store import Event, Settlement, Transition

Clock = Callable[[], float]


class Changes:
    """Builds the event and timer rows of a change; `clock` gives epoch seconds (tests pass their own)."""

    def __init__(self, receivers: tuple[str, ...], settlement_seconds: float, clock: Clock = time.time) -> None:
        # Replaced whole, never mutated: `event` reads one consistent tuple while a receiver is added.
        self.receivers = receivers
        self.settlement_seconds = settlement_seconds
        self.clock = clock
        # Wakes the background worker (which sets its own): see `committed`.
        self.wake: Callable[[], None] = _nothing

    def committed(self, settlement: Settlement | None = None) -> None:
        """A status change was committed: wake the worker if it gave it work, not otherwise.

        Work is a delivery to send (there are receivers) or a settlement timer (`settlement`). A
        wake with nothing to do still costs the worker a query, and a request the time it waits
        for the interpreter meanwhile: with no receivers, a confirm that succeeds wakes nothing.
        """
        if self.receivers or settlement is not None:
            self.wake()

    def event(self, client_id: str, intent_id: str, status: str, now: float | None = None) -> Event:
        """The event announcing that `intent_id` is now `status` (at `now`, epoch seconds; default the clock's)."""
        return Event(
            id=webhooks.new_event_id(),
            client_id=client_id,
            payment_intent_id=intent_id,
            status=status,
            body=webhooks.payload(intent_id),
            created_at=self.clock() if now is None else now,
            receivers=self.receivers,
        )

    def confirmed(
        self, client_id: str, intent_id: str, status: str, payment_method_id: str
    ) -> tuple[Event, Settlement | None]:
        """A confirm's event, and its settlement when it left the intent `processing` (due after the delay)."""
        now = self.clock()
        event = self.event(client_id, intent_id, status, now)
        if status != lifecycle.PROCESSING:
            return event, None
        due = now + self.settlement_seconds
        return event, Settlement(intent_id, client_id, due, lifecycle.settlement(payment_method_id))

    def transition(self, client_id: str, intent_id: str, status: str) -> Transition:
        """A later change to `status` (a new transfer_id when it is `succeeded`), with its event."""
        return Transition(status, lifecycle.transfer_id(status), self.event(client_id, intent_id, status))


def _nothing() -> None:
    """No worker to wake (in-process tests drive settlement and delivery themselves)."""
