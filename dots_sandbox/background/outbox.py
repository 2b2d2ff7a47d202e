"""The outbox dispatcher: sends due deliveries, Svix-signed, and records every attempt.

At least once: a delivery stays `pending` until an attempt is answered 2xx (or the retry
schedule runs out: `failed`). A delivery is leased before it is sent (`lease_seconds`), so with
several processes each attempt is made by one of them; a process that dies between the
receiver's 2xx and recording it leaves the lease to expire, and the event is sent once more (its
`svix-id` unchanged, which is what receivers de-duplicate on).

**Every attempt is bounded in total.** httpx's timeout bounds each read, not the whole answer
(encode/httpx#1450): a receiver that drips its answer a byte at a time could hold an attempt
forever. So attempts are sent with `httpx.AsyncClient` on the dispatcher's own event loop (an
anyio blocking portal: `anyio.from_thread.start_blocking_portal`, asyncio backend, on a daemon
thread) and each one (connect, request, answer head, answer body) runs inside `asyncio.timeout`,
its deadline `timeout` seconds after the claim began.
When the deadline passes the task is cancelled, httpcore closes the connection (the receiver
sees it closed), and the attempt is recorded as failed with the reason "timeout". Store calls
(claims, records) block, so they never run on the loop: claims on the caller's thread, records
on RECORDERS threads of their own.

**The lease invariant.** `lease_seconds = timeout + min(LEASE_MARGIN_SECONDS, timeout)`, taken
from a clock read after the claim began, so the lease ends at least `min(10 s, timeout)` after
the attempt's deadline: by then the attempt's socket is closed, and the margin is the time left
to record it (a store write, milliseconds when the database is up). Hence one `svix-id` is never
in flight twice, on one process or several sharing a database, whatever the receiver does; an
attempt whose record comes too late (the database stalled past the margin) was still closed at its
deadline, and the record changes nothing once another owner holds the lease: each claim leases
under an owner token of its own (`lease_token`), so a later claim by this same dispatcher is
"another owner" too. And a dispatcher never starts an attempt of a delivery that is in flight on
it already, so its own clock jumping forward (a test's clock, an NTP step) cannot end a lease
early into a second send.

**Answers.** The status decides (any 2xx delivers); redirects are never followed (a 3xx is a
failed attempt, "HTTP 307"); at most MAX_ANSWER_BYTES of the body are read, then the connection
is closed, so a huge answer costs no memory. An answer whose body has not ended by the deadline
is a timeout, even after a 2xx status line ("receivers answer 2xx within 15 s").

**Isolation.** Each receiver has at most `attempts_per_receiver` attempts in flight
(SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER, default ATTEMPTS_PER_RECEIVER), and a claim
asks only for receivers with a free slot, never more than the freest of them has; so a slow,
silent or dripping receiver holds its own slots and no other receiver's (`start_due`).

**A plan** (`DeliveryPlan`, optional) is the seam for the world's disorder in a test kit: the
dispatcher asks it for a `Route` for each delivery it claimed, and so holds one back (due again
later, no attempt recorded), sends it twice at once (one `svix-id`), or makes deliveries due again
once it is recorded (a redelivery after a 2xx, a held one released after a later event). Each send
is a real attempt, signed afresh; production has no plan and sends each delivery once per claim.

When a delivery is due again, and how long its lease is, is dots_sandbox/background/schedule.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import itertools
import logging
import ssl
import threading
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any, Protocol, cast

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from dots_sandbox.background.schedule import DEFAULT_TIMEOUT_SECONDS, RetryPolicy, lease_seconds
from dots_sandbox.background.webhooks import ATTEMPTS_PER_RECEIVER, Receiver, Signer
from dots_sandbox.store import Attempt, Delivery, OutcomeUnknown, StorageFault, Store, StoreBusy, StoreUnavailable

# How much of an answer's body is read: enough for any acknowledgement, and the connection is kept
# alive when the body ends within it; a longer one is cut (the status has decided already).
MAX_ANSWER_BYTES = 65_536
# Threads that record attempts in the store (PostgreSQL: see BACKGROUND_CONNECTIONS there).
RECORDERS = 4
USER_AGENT = "dots-sandbox-webhooks"
# Receivers on this machine are reached directly, never through an environment proxy (HTTP_PROXY, ...):
# a CI image's proxy cannot reach the runner's 127.0.0.1, where test receivers listen. Another host
# still goes through the proxy the environment names (httpx picks the most specific mount).
DIRECT_HOSTS = ("all://127.0.0.1", "all://localhost", "all://[::1]")
# The name of the portal's thread (the dispatcher's event loop).
SENDERS_THREAD = "webhook-senders"

logger = logging.getLogger("dots_sandbox.background.outbox")


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """What the dispatcher does with one delivery it claimed, as a `DeliveryPlan` says (the default: send it once).

    `hold_until`: not sent now but due again at that time (epoch seconds, the dispatcher's `clock`),
    its lease ended and no attempt recorded. `copies`: sent this many times at once (>= 1), one
    `svix-id`, each signed; the first copy's answer is the attempt recorded. `due_after`: deliveries
    (event id, receiver URL) made due at once after this attempt is recorded; `again_if_delivered`:
    this delivery too, when the attempt was a 2xx (sent again, as Svix may after a 2xx).
    """

    hold_until: float | None = None
    copies: int = 1
    due_after: tuple[tuple[str, str], ...] = ()
    again_if_delivered: bool = False


SEND_ONCE = Route()


class DeliveryPlan(Protocol):
    """The seam a test kit plans webhook disorder through (dots_testing/disorder.py); production has none."""

    def route(self, delivery: Delivery, now: float) -> Route:
        """The route of `delivery`, claimed at `now` (the dispatcher's clock); once per claim, off the loop."""
        ...


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying TLS context, built once per process and shared by every dispatcher.

    Building one costs about 30 ms (`load_verify_locations`; docs/performance.md), which a test kit
    that builds a sandbox, so a dispatcher, per test would pay each time.
    """
    return httpx.create_ssl_context()


def delivered(response: httpx.Response) -> bool:
    """Svix's rule: any 2xx is a delivery; everything else (3xx included: no redirects) is retried."""
    return 200 <= response.status_code < 300


def failure(error: Exception) -> str:
    """A short, secret-free reason for an attempt that got no (whole) answer."""
    if isinstance(error, (httpx.TimeoutException, TimeoutError)):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connection failed"
    return f"{type(error).__name__}"


class _UnusableProxy(httpx.AsyncBaseTransport):
    """Where a delivery to another host goes when httpx cannot use the environment's proxy: it fails."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ProxyError("the environment's proxy (*_PROXY) cannot be used", request=request)


def _http_client(**options: Any) -> httpx.AsyncClient:
    """The dispatcher's client: loopback hosts direct, others through the environment's proxy.

    httpx builds the environment's proxies with the client, and raises ImportError for a SOCKS
    proxy without `socksio` (httpx[socks]) and ValueError for a scheme it does not know. Such a
    proxy must not stop deliveries to this machine, which never go through it (a test kit's
    receivers), so the client is built without it: another host's deliveries then fail (attempts
    recorded as "ProxyError", retried on the schedule), and one warning says why, naming no value
    (a proxy URL may hold a password).
    """
    direct: dict[str, httpx.AsyncBaseTransport | None] = dict.fromkeys(DIRECT_HOSTS)
    try:
        return httpx.AsyncClient(**options, mounts=direct)
    except (ImportError, ValueError) as error:
        why = "a SOCKS proxy needs httpx[socks]" if isinstance(error, ImportError) else "a scheme httpx cannot use"
        logger.warning(
            "webhooks to hosts other than this machine will fail: httpx cannot use the proxy a *_PROXY variable"
            " names (%s); fix or unset it",
            why,
        )
        return httpx.AsyncClient(**options, trust_env=False, mounts={"all://": _UnusableProxy(), **direct})


class Dispatcher:
    """Claims due deliveries from the store, sends them and records the attempts.

    `timeout` (seconds) bounds each whole attempt; `clock` gives epoch seconds for the schedule (when
    a delivery is due, when it is due again: a test kit's clock may run ahead of the real one);
    `lease_clock` gives them for leases (None: `clock`); `svix-timestamp` is always the real time
    (`wall_clock`), since receivers check it against theirs. `transport` is an httpx async transport
    (tests pass a MockTransport); `plan` routes each claimed delivery (a test kit's disorder; None:
    each is sent once). Its one way to send is `start_due`, which runs attempts
    concurrently on the dispatcher's loop, at most `attempts_per_receiver` (>= 1) per receiver, each
    `attempt` then `record`; `claim` and `record` block and may be called from any thread but the
    loop's. `close()` when done.

    The loop is an anyio blocking portal (asyncio backend) on a daemon thread named SENDERS_THREAD,
    started on first use rather than at construction: starting and stopping one costs about 2 ms
    (measured on the development machine, against 0.5 ms for the hand-written loop thread it
    replaced), and most dispatchers tests build never send, nor does a sandbox with no due event.
    """

    def __init__(
        self,
        store: Store,
        receivers: Sequence[Receiver],
        *,
        policy: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
        owner: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        attempts_per_receiver: int = ATTEMPTS_PER_RECEIVER,
        lease_clock: Callable[[], float] | None = None,
        plan: DeliveryPlan | None = None,
    ) -> None:
        self.store = store
        self.attempts_per_receiver = attempts_per_receiver
        self.policy = RetryPolicy() if policy is None else policy
        self.clock = clock
        self.wall_clock = wall_clock
        self.lease_clock = clock if lease_clock is None else lease_clock
        self.plan = plan
        self.owner = owner or f"dispatcher-{uuid.uuid4().hex[:12]}"
        self.timeout = timeout
        self.lease_seconds = lease_seconds(timeout)
        # Both replaced whole under `_lock` (never mutated), so a sender reads a consistent pair.
        self.receivers = tuple(receiver.url for receiver in receivers)
        self._signers = {receiver.url: Signer(receiver.secret) for receiver in receivers}
        self._lock = threading.Lock()
        self._in_flight: dict[str, set[concurrent.futures.Future[None]]] = {}
        self._sending_keys: set[tuple[str, str]] = set()  # (event_id, receiver) of the attempts in flight
        self._claims = itertools.count(1)
        self._closing = False
        self._portal_lock = threading.Lock()
        self._portal: BlockingPortal | None = None
        self._stop_portal = contextlib.ExitStack()
        self._sending: set[asyncio.Task[Any]] = set()  # attempts running on the loop (only the loop touches it)
        self._recorders = concurrent.futures.ThreadPoolExecutor(RECORDERS, thread_name_prefix="webhook-recorder")
        # The per-read timeout is the whole deadline too (never the binding one: asyncio.timeout is).
        # No cap on connections: the slots cap them per receiver, and a shared cap (httpx's default
        # 100) would let slow receivers' connections hold up the others'.
        self._client = _http_client(
            timeout=timeout,
            verify=tls_context(),
            transport=transport,
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
        )

    def __repr__(self) -> str:
        return f"Dispatcher(owner={self.owner!r}, receivers={self.receivers!r})"

    def add_receiver(self, receiver: Receiver) -> None:
        """Deliver to `receiver` too from now on (its pending deliveries included), with its own slots.

        Raises ValueError if its URL is known.
        """
        signer = Signer(receiver.secret)
        with self._lock:
            if receiver.url in self._signers:
                raise ValueError(f"webhook receiver {receiver.url} is registered already")
            self._signers = {**self._signers, receiver.url: signer}
            self.receivers = (*self.receivers, receiver.url)

    def remove_receiver(self, url: str) -> None:
        """Stop delivering to `url`: its attempts in flight are abandoned (their connections closed, nothing
        recorded) and its deliveries stay pending, unclaimed, until it is added again."""
        with self._lock:
            self._signers = {known: signer for known, signer in self._signers.items() if known != url}
            self.receivers = tuple(known for known in self.receivers if known != url)
            abandoned = list(self._in_flight.get(url, ()))
        for future in abandoned:
            future.cancel()

    def claim(self, limit: int, receivers: tuple[str, ...] | None = None, owner: str | None = None) -> list[Delivery]:
        """Lease up to `limit` due deliveries to `receivers` (None: all) as `owner` (None: this dispatcher's).

        Due by `clock`, leased for `lease_seconds` by `lease_clock`.
        """
        urls = self.receivers if receivers is None else receivers
        lessee = self.owner if owner is None else owner
        return self.store.claim_deliveries(
            self.lease_clock(), self.lease_seconds, lessee, urls, limit, due_by=self.clock()
        )

    def lease_token(self) -> str:
        """A lease owner of its own for one claim: this dispatcher's `owner`, then a claim number.

        A record moves a delivery on only under the owner that leased it, so with one token per
        claim a record that comes after its lease ended (a database stalled past the margin) cannot
        end the lease of a later attempt of the same delivery by this same dispatcher.
        """
        return f"{self.owner}.{next(self._claims)}"

    async def attempt(self, delivery: Delivery, deadline: float) -> Attempt | None:
        """One attempt, on the dispatcher's loop: POST the body, signed, abandoned at `deadline` (time.monotonic()).

        What came of it (nothing is recorded yet): delivered on a 2xx; else failed with the reason
        ("HTTP 307", "timeout", "connection failed", ...); `http_status` is the answer's status if
        one came. None when the receiver was removed after the claim: nothing is sent, and the
        delivery is due again once its lease ends (claimed only if the receiver is added again).
        """
        at = self.clock()
        signer = self._signers.get(delivery.receiver)
        if signer is None:
            return None
        headers = {
            "content-type": "application/json",
            **signer.headers(delivery.event_id, delivery.body, self.wall_clock()),
        }
        number = delivery.attempts + 1
        status: int | None = None
        ok = False
        task = cast("asyncio.Task[Any]", asyncio.current_task())  # never None: the portal runs it as a task
        self._sending.add(task)
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                request = self._client.stream("POST", delivery.receiver, content=delivery.body, headers=headers)
                async with request as response:
                    status, ok = response.status_code, delivered(response)
                    await _read_at_most(response, MAX_ANSWER_BYTES)
        except (httpx.HTTPError, TimeoutError) as error:
            return Attempt(delivery.event_id, delivery.receiver, number, at, status, failure(error), delivered=False)
        finally:
            self._sending.discard(task)
        reason = None if ok else f"HTTP {status}"
        return Attempt(delivery.event_id, delivery.receiver, number, at, status, reason, delivered=ok)

    def record(self, attempt: Attempt, owner: str | None = None) -> None:
        """Store the attempt and move the delivery on: done, failed, or due again per the policy.

        `owner` is the lease owner the delivery was claimed as (None: this dispatcher's `owner`);
        under another owner's lease the attempt goes into the history and moves nothing.
        """
        next_at = None if attempt.delivered else self.policy.next_attempt_at(attempt.number, self.clock())
        self.store.record_attempt(attempt, self.owner if owner is None else owner, next_at)

    def start_due(self, on_done: Callable[[], None]) -> int:
        """Claim due deliveries for the receivers with a free slot and start them; how many were started.

        Each claim asks for the receivers with a free slot, and for no more deliveries than the
        freest has, so none goes over `attempts_per_receiver`; claims repeat while they fill up.
        Each attempt is sent, then recorded, on the dispatcher's loop; `on_done()` is called (on
        another thread) when one ends. Raises StoreUnavailable if the database is down.
        """
        started = 0
        while True:
            with self._lock:
                slots = self.attempts_per_receiver
                free = {url: slots - len(self._in_flight.get(url, ())) for url in self.receivers}
            open_ = tuple(url for url, slots in free.items() if slots > 0)
            if not open_:
                return started
            limit = min(free[url] for url in open_)
            deadline = time.monotonic() + self.timeout  # before the claim reads the clock for the lease
            owner = self.lease_token()
            claimed = self.claim(limit, open_, owner)
            started += sum(self._start(delivery, deadline, on_done, owner) for delivery in claimed)
            if len(claimed) < limit:
                return started

    def _start(self, delivery: Delivery, deadline: float, on_done: Callable[[], None], owner: str) -> bool:
        """Start one claimed attempt; False (nothing sent) when this delivery is in flight here already.

        The lease keeps other dispatchers off an attempt in flight, but this one's own clock can jump
        (a test's clock moved on, an NTP step) and end the lease early: then the delivery is claimed
        again while its attempt is still out. It is not sent twice at once; the new lease runs out and
        the delivery comes due again.
        """
        key = (delivery.event_id, delivery.receiver)
        with self._lock:
            if key in self._sending_keys:
                return False
            self._sending_keys.add(key)
        route = SEND_ONCE if self.plan is None else self.plan.route(delivery, self.clock())
        if route.hold_until is not None:
            with self._lock:
                self._sending_keys.discard(key)
            self.store.schedule_delivery(delivery.event_id, delivery.receiver, route.hold_until, owner)
            return False
        # Started outside `_lock`: start_task_soon waits for the loop to take the task, and the loop
        # may be waiting for `_lock` (an attempt ending, `done`). So the future is registered just
        # after, and cancelled if `remove_receiver` ran in between (it could not see it).
        future = self._running_portal().start_task_soon(self._attempt_and_record, delivery, deadline, owner, route)
        with self._lock:
            self._in_flight.setdefault(delivery.receiver, set()).add(future)
            removed = delivery.receiver not in self._signers
        if removed:
            future.cancel()

        def done(future: concurrent.futures.Future[None]) -> None:
            with self._lock:
                self._sending_keys.discard(key)
                running = self._in_flight.get(delivery.receiver, set())
                running.discard(future)
                if not running:
                    self._in_flight.pop(delivery.receiver, None)  # a removed receiver's share is gone
            on_done()

        future.add_done_callback(done)  # at once, on this thread, if the attempt ended already
        return True

    async def _attempt_and_record(self, delivery: Delivery, deadline: float, owner: str, route: Route) -> None:
        try:
            # Copies beyond the first only reach the receiver (this task's answer is the attempt); they
            # end with it when it is cancelled (a receiver removed, the dispatcher closing).
            copies = [asyncio.ensure_future(self.attempt(delivery, deadline)) for _ in range(route.copies - 1)]
            try:
                attempt = await self.attempt(delivery, deadline)
                if copies:
                    await asyncio.wait(copies)
            finally:
                for copy in copies:
                    copy.cancel()
            if attempt is not None:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._recorders, self.record, attempt, owner)
                due = route.due_after
                if route.again_if_delivered and attempt.delivered:
                    due = (*due, (delivery.event_id, delivery.receiver))
                if due:
                    await loop.run_in_executor(self._recorders, self._make_due, due)
        except (StoreUnavailable, OutcomeUnknown):
            pass  # an outage, which the store logs as it begins and ends: due again once its lease ends
        except (StoreBusy, StorageFault) as error:  # no outage line for these: say it here, once per attempt
            logger.warning(
                "webhook attempt to %s not recorded, sent again once its lease ends: %s", delivery.receiver, error
            )
        except Exception:
            # The event stays leased, then due again: nothing is lost. Never the headers or body. While
            # closing, an attempt cut short by the closed store is expected: no noise.
            if not self._closing:
                logger.exception("webhook delivery to %s failed unexpectedly", delivery.receiver)

    def _make_due(self, deliveries: tuple[tuple[str, str], ...]) -> None:
        now = self.clock()
        for event_id, receiver in deliveries:
            self.store.schedule_delivery(event_id, receiver, now, None)

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until every attempt started before this call has ended (sent and
        recorded, or abandoned); whether they all did. Attempts started meanwhile are not waited for."""
        _, not_done = concurrent.futures.wait(self._started(), timeout=timeout)
        return not not_done

    def _started(self) -> list[concurrent.futures.Future[None]]:
        with self._lock:
            return [future for futures in self._in_flight.values() for future in futures]

    def close(self, wait: float = 0.0) -> None:
        """Wait up to `wait` seconds for attempts in flight, abandon the rest (each retried after its lease
        ends), then close the HTTP client, the loop and the recorders. Works from any thread but the
        loop's, one running an event loop of its own (a lifespan hook) included."""
        in_flight = self._started()
        concurrent.futures.wait(in_flight, timeout=wait)
        self._closing = True
        for future in in_flight:
            future.cancel()
        with self._portal_lock:
            portal, stop = self._portal, self._stop_portal
            self._portal, self._stop_portal = None, contextlib.ExitStack()
        if portal is not None:
            portal.call(self._cancelled_then_closed)
        stop.close()  # stops the portal (no task left) and joins its thread
        self._recorders.shutdown(wait=False, cancel_futures=True)

    def _running_portal(self) -> BlockingPortal:
        with self._portal_lock:
            if self._portal is None:
                self._portal = self._stop_portal.enter_context(start_blocking_portal("asyncio", name=SENDERS_THREAD))
            return self._portal

    async def _cancelled_then_closed(self) -> None:
        # Let each cancelled attempt close its connection before the client and the loop go.
        if self._sending:
            await asyncio.wait(set(self._sending))
        await self._client.aclose()


async def _read_at_most(response: httpx.Response, limit: int) -> None:
    """Read the body until it ends or `limit` bytes came (raw: never decompressed), and no more."""
    if response.is_stream_consumed:
        return  # read already (a MockTransport's answer): nothing comes from the network
    read = 0
    # aiter_raw is an async generator (typed as an iterator): close it at once when cut short.
    async with contextlib.aclosing(cast(AsyncGenerator[bytes, None], response.aiter_raw())) as chunks:
        async for chunk in chunks:
            read += len(chunk)
            if read >= limit:
                return
