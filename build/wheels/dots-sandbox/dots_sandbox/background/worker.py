"""The sandbox's background worker: a thread that settles due intents and delivers due webhooks.

Off the request path: requests only write rows (the change, its event, its timer) and nudge the
worker; the worker's thread ticks every POLL_SECONDS (at once when nudged), applies due
settlements, and hands due deliveries to a small pool of sender threads, so one slow receiver
holds one sender, never a request and never the other receivers.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading

from dots_sandbox.background.outbox import Dispatcher
from dots_sandbox.background.retention import Pruner
from dots_sandbox.background.settlement import Settler
from dots_sandbox.store import Delivery, StoreUnavailable

POLL_SECONDS = 0.1
SENDERS = 4
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
        self._pool = concurrent.futures.ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-sender")
        self._in_flight: set[concurrent.futures.Future[None]] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread (its first tick is immediate: whatever came due while the server was down)."""
        self._thread = threading.Thread(target=self._run, name="sandbox-background", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Tick now (a change was just committed), rather than at the next poll."""
        self._nudge.set()

    def stop(self) -> None:
        """Stop ticking; wait briefly for attempts in flight, then close the dispatcher's client."""
        self._stopping.set()
        self._nudge.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            in_flight = set(self._in_flight)
        concurrent.futures.wait(in_flight, timeout=STOP_WAIT_SECONDS)
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.dispatcher is not None:
            self.dispatcher.close()

    def tick(self) -> None:
        """One pass: settle what is due, prune old events if due, then hand due deliveries to free senders."""
        self.settler.tick()
        if self.pruner is not None:
            self.pruner.tick()
        if self.dispatcher is None:
            return
        with self._lock:
            free = SENDERS - len(self._in_flight)
        for delivery in self.dispatcher.claim(free):
            future = self._pool.submit(self._deliver, delivery)
            with self._lock:
                self._in_flight.add(future)
            future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._in_flight.discard(future)
        self._nudge.set()  # a sender is free: claim more now

    def _deliver(self, delivery: Delivery) -> None:
        assert self.dispatcher is not None
        if self._stopping.is_set():
            return  # not sent, not recorded: due again once its lease ends
        try:
            self.dispatcher.deliver(delivery)
        except StoreUnavailable:
            pass  # the database is down (the store logs that once): due again once its lease ends
        except Exception:
            # The event stays leased, then due again: nothing is lost. Never the headers or body. While
            # stopping, an attempt cut short by the closed client or store is expected: no noise.
            if not self._stopping.is_set():
                logger.exception("webhook delivery to %s failed unexpectedly", delivery.receiver)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except StoreUnavailable:
                pass  # the database is down (the store logs that once, not every tick): retried next tick
            except Exception:
                logger.exception("background tick failed; retrying at the next one")
            self._nudge.wait(self.poll_seconds)
            self._nudge.clear()
