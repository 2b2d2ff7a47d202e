"""The sandbox's background worker: a thread that settles due intents and delivers due webhooks.

Off the request path: requests only write rows (the change, its event, its timer) and nudge the
worker; the worker's thread ticks every POLL_SECONDS (at once when nudged, and when an attempt
ends), applies due settlements, and has the dispatcher start due deliveries (`Dispatcher.start_due`).

Isolation (dots_sandbox/background/outbox.py): each receiver has at most its own
SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER (4) attempts in flight, each bounded as a whole by the
webhook timeout, and the claims ask only for receivers with a free slot. So a slow, silent,
dripping, redirecting or huge-answering receiver holds its own slots, never a request and never
another receiver's: a healthy receiver's delivery is sent within POLL_SECONDS (plus the claim and
the connect) of its due time when it has a free slot, else as soon as one of its own earlier
attempts ends (each within the timeout).
A receiver added while the worker runs gets its own slots at the next tick; a removed one's
attempts are abandoned and its slots are gone.
"""

from __future__ import annotations

import logging
import threading

from dots_sandbox.background.outbox import Dispatcher
from dots_sandbox.background.retention import Pruner
from dots_sandbox.background.settlement import Settler
from dots_sandbox.store import OutcomeUnknown, StorageFault, StoreBusy, StoreUnavailable

POLL_SECONDS = 0.1
# How long stopping waits for attempts in flight; one cut short is retried after its lease ends.
STOP_WAIT_SECONDS = 2.0

logger = logging.getLogger("dots_sandbox.background.worker")


class Worker:
    """Runs `settler`, `pruner` and `dispatcher` (None: none) on a thread between `start()` and `stop()`."""

    def __init__(
        self,
        settler: Settler,
        dispatcher: Dispatcher | None,
        poll_seconds: float = POLL_SECONDS,
        pruner: Pruner | None = None,
    ) -> None:
        self.settler = settler
        self.pruner = pruner
        self.dispatcher = dispatcher
        self.poll_seconds = poll_seconds
        self._nudge = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (its first tick is immediate: whatever came due while the server was down)."""
        self._thread = threading.Thread(target=self._run, name="sandbox-background", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Tick now (a change was just committed), rather than at the next poll."""
        self._nudge.set()

    def stop(self) -> None:
        """Stop ticking; wait briefly for attempts in flight, abandon the rest, and close the dispatcher."""
        self._stopping.set()
        self._nudge.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.dispatcher is not None:
            self.dispatcher.close(wait=STOP_WAIT_SECONDS)

    def tick(self) -> None:
        """One pass: settle what is due, prune old events if due, then start due deliveries in free slots."""
        self.settler.tick()
        if self.pruner is not None:
            self.pruner.tick()
        dispatcher = self.dispatcher
        if dispatcher is not None and not self._stopping.is_set():
            dispatcher.start_due(self._nudge.set)  # an attempt ended: its slot is free, claim more now

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except (StoreUnavailable, OutcomeUnknown):
                pass  # an outage, which the store logs as it begins and ends (not every tick): retried next tick
            except StorageFault:
                pass  # the store logs the fault as it begins and as writes work again (not every tick)
            except StoreBusy as error:  # the store never logs it; each follows a timeout or spent retries
                logger.warning("background tick not done, retrying at the next one: %s", error)
            except Exception:
                logger.exception("background tick failed; retrying at the next one")
            self._nudge.wait(self.poll_seconds)
            self._nudge.clear()
