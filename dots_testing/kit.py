"""`TestSandbox`: a sandbox served from a thread of the test's process, whose state a test can make fresh.

One server (dots_sandbox's own front, through `dots_sandbox.in_thread.serve_in_thread`) serves a
`_Current` app that hands each request to the sandbox of the moment; `reset()` builds a new sandbox
over a new, empty in-memory SQLite store and swaps it in, then closes the old one. A server start
and stop costs a quarter of a second (uvicorn's shutdown polls every 0.1 s); a swap costs
milliseconds, so the per-test fixture swaps and only the session starts a server.

`_Current` also keeps the journal (`requests()`) and applies `fail_next`'s faults, before the
sandbox's own pipeline sees the request. Webhook receivers added at run time (`add_receiver`, the
`dots_webhooks` fixture) are kept here, beside the sandbox of the moment, and registered again on
each fresh one, so a receiver outlives `reset()` whichever fixture was set up first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any, Literal, get_args, overload
from uuid import UUID

from dots_sandbox import errors
from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.front.app import Message, Receive, Scope, Send
from dots_sandbox.request.control import present_event, with_control_routes
from dots_sandbox.request.routing import Router
from dots_sandbox.sandbox import Sandbox, build_sandbox
from dots_sandbox.settings import MEMORY_DB, Settings
from dots_spec.document import load_spec
from dots_testing import faults, routes
from dots_testing.disorder import Disorder, DisturbanceKind, KitClock, disturbance, seconds_value
from dots_testing.journal import Journal, Received, RecordingStore
from dots_testing.preparations import Preparation, Preparations

# The operations a test sandbox routes (the spec's and the sandbox's control routes), for mypy and for
# the messages that list them; tests/dots_testing/test_kit.py checks them against the router's.
OperationId = Literal[
    "create_payment_intent",
    "retrieve_payment_intent",
    "confirm_payment_intent",
    "complete_payment_intent_action",
    "settle_payment_intent",
    "list_payment_intent_webhook_events",
    "list_webhook_events",
]
OPERATION_IDS: tuple[OperationId, ...] = get_args(OperationId)
ActionOutcome = Literal["succeeded", "failed"]

# `processing` intents settle when the test says (`settle`), not on a timer: a day is beyond any test.
SETTLEMENT_SECONDS = 86_400.0
RECENT_EVENTS = 1_000
# A failed webhook delivery is sent again after each of these delays (seconds), then given up: six
# attempts within about 3 s, inside `wait_for`'s 5 s, where the sandbox's own schedule waits 5 s
# before the first retry. A receiver has 5 s to answer (the sandbox's default is Dots' 15 s): the
# kit's own receiver answers at once, and a stalled attempt should not outlive a test's wait.
WEBHOOK_RETRY_SECONDS = (0.1, 0.2, 0.4, 0.8, 1.6)
WEBHOOK_TIMEOUT_SECONDS = 5.0


@dataclasses.dataclass(slots=True)
class _Serving:
    """A sandbox and its requests in flight; `retired` once reset() swapped another in, `closed` once closed."""

    sandbox: Sandbox
    in_flight: int = 0
    retired: bool = False
    closed: bool = False


class _Current:
    """A FrontApp serving every HTTP request with the current sandbox's app (swapped by `TestSandbox.reset`).

    The lifespan is answered here, not passed on: each sandbox's background path is started and
    stopped by `TestSandbox` as it is swapped in and out.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self._lock = threading.Lock()
        self.serving = _Serving(sandbox)
        self._closers: list[threading.Thread] = []
        self.journal = Journal()
        self.pending = faults.Pending()
        self.router = Router(with_control_routes(load_spec()))
        self.kit: routes.Controls | None = None  # set once the server is up: the controls need its URL

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox that answers new requests."""
        return self.serving.sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: HTTP goes to the current sandbox; lifespan startup and shutdown complete at once."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
            return
        if scope["type"] != "lifespan":
            await self.sandbox.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.kit is not None and routes.is_kit_route(scope):
            await routes.serve(self.kit, scope, receive, send)
            return
        found = self.router.match_raw(scope.get("raw_path") or scope["path"].encode())
        operation_id = None if found is None else found[0].operations.get(scope["method"])
        entry = Received(operation_id, scope["method"], scope["path"])
        with self._lock:  # this request is answered by the sandbox of this moment, whatever reset() does
            serving = self.serving
            serving.in_flight += 1
        self.journal.begin(entry)

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start" and entry.fault != faults.LOSE_ANSWER:
                entry.status = message["status"]
            await send(message)

        try:
            await self._answer(serving.sandbox, entry, scope, receive, recording)
        finally:
            self._leave(serving)

    async def _answer(self, sandbox: Sandbox, entry: Received, scope: Scope, receive: Receive, send: Send) -> None:
        planned = self.pending.take(entry.operation_id)
        if planned is None:
            await sandbox.app(scope, receive, send)
            return
        kind, fault = planned
        entry.fault = kind
        if kind == faults.LOSE_ANSWER:
            await sandbox.app(scope, receive, faults.losing(scope, send))
        elif fault is not None and kind == "delay":
            await sandbox.app(scope, receive, faults.delayed(send, fault.seconds))
        elif fault is not None:
            await faults.answer_refused(fault, send)

    def swap(self, fresh: Sandbox) -> None:
        """Serve new requests with `fresh`; the old sandbox is closed once its last request in flight ends."""
        with self._lock:
            old, self.serving = self.serving, _Serving(fresh)
            old.retired = True
        self._leave(old, request_ended=False)

    def _leave(self, serving: _Serving, *, request_ended: bool = True) -> None:
        """One request of `serving` ended (or it was retired): close it when retired and nothing is in flight.

        The close runs on a thread of its own, never on the event loop nor in `reset()`: it stops the
        old sandbox's background thread, which may be in the middle of a delivery. `close()` waits
        for those threads.
        """
        with self._lock:
            if request_ended:
                serving.in_flight -= 1
            if not serving.retired or serving.in_flight or serving.closed:
                return
            serving.closed = True
            closer = threading.Thread(target=serving.sandbox.close, name="dots-testing-close", daemon=True)
            closer.start()  # under the lock: close() never sees a closer not started yet
            self._closers = [each for each in self._closers if each.is_alive()]
            self._closers.append(closer)

    def close(self) -> None:
        """Close the sandbox of the moment and wait for the closing of those retired before it."""
        with self._lock:
            closers, self._closers = self._closers, []
        for closer in closers:
            closer.join()
        self.sandbox.close()

    def stop_waiting(self) -> None:
        """The server is stopping: the current sandbox ends its waits for request bodies."""
        self.sandbox.app.stop_waiting()


class TestSandbox:
    """A sandbox a test talks to over HTTP: `base_url` (ends in `/api`), `client_id`, `api_key`, and controls.

    Made by `dots_testing.running(...)` and the pytest fixtures; never construct one directly.
    Its repr never shows the API key. The controls are safe to call from the test's thread. Ids are
    taken as the client returns them (`uuid.UUID`) or as text (`str`, any case).
    """

    __test__ = False  # not a test class, whatever pytest's collection rules say

    def __init__(self, settings: Settings, base_url: str, current: _Current) -> None:
        self.settings = settings
        self.base_url = base_url
        self._current = current
        self._lock = threading.Lock()
        self._receivers: dict[str, Receiver] = {}  # added at run time; registered again by every reset()
        self.preparations = Preparations()

    def __repr__(self) -> str:
        return f"TestSandbox(base_url={self.base_url!r}, client_id={self.client_id!r})"

    @property
    def client_id(self) -> str:
        """The HTTP Basic user name the sandbox accepts (DOTS_CLIENT_ID)."""
        return self.settings.client_id

    @property
    def api_key(self) -> str:
        """The HTTP Basic password the sandbox accepts (DOTS_API_KEY)."""
        return self.settings.api_key

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox serving new requests now (its `store`, its background path)."""
        return self._current.sandbox

    def reset(self) -> None:
        """A fresh, empty state: a new sandbox over a new in-memory store, no journal, no pending fault or preparation.

        Returns once the new sandbox answers (a few milliseconds), without waiting for requests in
        flight: those finish on the old sandbox, which is closed (on a thread of its own) when the
        last of them ends; its deliveries still pending are dropped with it. Receivers added with
        `add_receiver` stay registered.
        """
        fresh = _build(self.settings)
        with self._lock:
            for receiver in self._receivers.values():
                fresh.add_receiver(receiver)
            self._current.journal.clear()
            self._current.pending.clear()
            self.preparations.clear()
            self._current.swap(fresh)

    def forget_pending(self) -> None:
        """Drop the faults (`fail_next`) and disturbances (`disturb_webhooks`) no request or delivery took yet.

        What a test prepared ends with it: the fixtures call this after each test, so that on
        `dots_sandbox_session`, whose state the tests share, one test's fault never hits the next.
        The state (intents, events, deliveries held) stays.
        """
        self._current.pending.clear()
        _disorder(self.sandbox).forget_queued()

    def prepare(self, description: str, *, optional: bool = False) -> Preparation:
        """Register something this test prepared for later (dots_testing/preparations.py); `use()` it when applied.

        `description` names it in the failure message (say `disturb_webhooks('duplicate')`). After
        each test the fixtures fail the test naming every preparation neither used nor `optional`;
        `reset()` forgets them. The controls that prepare (`fail_next`, `respond_with`) call this.
        """
        return self.preparations.add(description, optional=optional)

    def add_receiver(self, url: str, secret: str) -> None:
        """Send webhooks to `url` too, signed with `secret` (`whsec_` and base64), until `remove_receiver(url)`.

        Each event committed from now on gets a delivery to it (events before do not), and it stays
        registered across `reset()`. Deliveries follow the kit's retry schedule (WEBHOOK_RETRY_SECONDS,
        unless `running(webhook_retry_seconds=...)` chose another). Raises ValueError for a URL that is
        not http(s), a malformed secret (the message never quotes it) or a URL registered already.
        """
        receiver = Receiver(url, secret)
        with self._lock:
            if url in self._receivers:
                raise ValueError(f"webhook receiver {url} is registered already")
            self.sandbox.add_receiver(receiver)
            self._receivers[url] = receiver

    def remove_receiver(self, url: str) -> None:
        """Stop sending webhooks to `url` (added by `add_receiver`); its pending deliveries stay unsent.

        Raises LookupError when `add_receiver` did not register `url`.
        """
        with self._lock:
            if self._receivers.pop(url, None) is None:
                raise LookupError(f"no webhook receiver {url} was added")
            self.sandbox.remove_receiver(url)

    def settle(self, payment_intent_id: str | UUID) -> dict[str, Any]:
        """Settle a `processing` intent now, as its timer would (succeeded or failed, as its payment method says).

        The same as POST /api/sandbox/payment-intents/{id}/settle. Returns the PaymentIntent (a dict, as
        the API answers it). Raises LookupError for an unknown intent, ValueError when it has no
        settlement waiting (not `processing`, or settled already), TypeError for an id neither str nor UUID.
        """
        return self._control("settle_payment_intent", payment_intent_id, None)

    def complete_action(self, payment_intent_id: str | UUID, outcome: ActionOutcome) -> dict[str, Any]:
        """Complete (`outcome="succeeded"`) or fail (`"failed"`) a `requires_action` intent's authentication.

        Returns the PaymentIntent (a dict). Raises LookupError for an unknown intent, ValueError for
        another outcome or an intent in another status, TypeError for an id neither str nor UUID.
        """
        if outcome not in get_args(ActionOutcome):
            raise ValueError(f"outcome must be one of {', '.join(get_args(ActionOutcome))}, not {outcome!r}")
        return self._control("complete_payment_intent_action", payment_intent_id, {"outcome": outcome})

    @overload
    def fail_next(
        self,
        operation_id: OperationId,
        fault: Literal["refuse"],
        *,
        status: int = ...,
        retry_after: int = ...,
        optional: bool = ...,
    ) -> None: ...

    @overload
    def fail_next(
        self,
        operation_id: OperationId,
        fault: Literal["non-json"],
        *,
        status: int = ...,
        body: Literal["text", "html", "empty"] = ...,
        optional: bool = ...,
    ) -> None: ...

    @overload
    def fail_next(
        self, operation_id: OperationId, fault: Literal["delay"], *, seconds: float = ..., optional: bool = ...
    ) -> None: ...

    @overload
    def fail_next(self, operation_id: OperationId, fault: Literal["lose-answer"], *, optional: bool = ...) -> None: ...

    def fail_next(
        self, operation_id: OperationId, fault: faults.FaultKind, *, optional: bool = False, **options: Any
    ) -> None:
        """Make the next request of `operation_id` (the spec's operationId) fail as `fault` says.

        Faults (dots_testing/faults.py): "refuse" (status=503, 429 or another 5xx; retry_after= whole
        seconds), "delay" (seconds=, at most 30), "non-json" (status=502, body="text"|"html"|"empty") and
        "lose-answer" (committed, then the connection closed without an answer). Calls queue: each
        applies to one request, in order. A fault no request took fails the test after it (the
        fixtures check), unless `optional=True`. The overloads let mypy check each fault's options.
        Raises ValueError, in plain text naming the valid choices, for an unknown operation, fault or
        option, or a value out of range (never capped).
        """
        _check_operation(operation_id)
        planned = faults.fault(fault, **options)
        shown = "".join(f", {name}={value!r}" for name, value in options.items())
        preparation = self.prepare(f"fail_next({operation_id!r}, {fault!r}{shown})", optional=optional)
        self._current.pending.add(operation_id, fault, planned, preparation)

    def requests(self, operation_id: OperationId | None = None) -> list[Received]:
        """What the sandbox received since the reset (all, or `operation_id`'s), oldest first, and what it did.

        Raises ValueError naming the valid operation ids for one the spec does not have (a typo would
        otherwise list nothing, and an assertion of "confirmed once" would pass on nothing).
        """
        if operation_id is not None:
            _check_operation(operation_id)
        return self._current.journal.entries(operation_id)

    def webhook_events(self, payment_intent_id: str | UUID | None = None) -> list[dict[str, Any]]:
        """The webhook events (all, or one intent's), newest first, as GET /api/sandbox/webhook-events shows them.

        Raises TypeError for an id neither str nor UUID.
        """
        intent_id = None if payment_intent_id is None else intent_text(payment_intent_id)
        return [present_event(r) for r in self.sandbox.store.events(self.client_id, intent_id, RECENT_EVENTS)]

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock `seconds` (a finite number >= 0) ahead, without sleeping.

        The payment lifecycle keeps time with that clock: intents created and confirmed from now on,
        their events, settlement timers (a `processing` intent whose settlement came due is settled
        before this returns: `SETTLEMENT_SECONDS` after its confirm, unless `running(settlement_seconds=...)`
        chose another), the webhook redelivery schedule and `disturb_webhooks("delay", ...)` (what came
        due is sent at once, as the sandbox's worker sends: wait for it with `dots_webhooks.wait_for`).
        What was due before the move is sent (or held by a disturbance) and recorded first (waiting up
        to WEBHOOK_TIMEOUT_SECONDS), so a delay and a retry scheduled by an answer that just arrived
        count from before the move. `svix-timestamp`, attempt
        timeouts and leases stay on real time; `reset()` returns to it. The same as POST
        /api/sandbox/advance. Raises TypeError for a non-number, ValueError for a negative or non-finite one, or
        one that would take the clock more than `dots_testing.disorder.MAX_SECONDS` (a century) ahead.
        """
        sandbox = self.sandbox
        clock = _kit_clock(sandbox)
        clock.check_room(seconds_value(seconds))  # refused before anything waits
        _caught_up(sandbox)  # what was due, or answered a moment ago, is routed and recorded before the move
        clock.advance(seconds)
        sandbox.settler.tick()
        sandbox.changes.wake()

    def disturb_webhooks(self, kind: DisturbanceKind, *, optional: bool = False, **options: Any) -> None:
        """Make the next webhook delivery (of `payment_intent_id=`, when given) arrive as the real world may send it.

        Kinds (dots_testing/disorder.py): "duplicate" (sent twice at once, one `svix-id`), "reorder"
        (held until its intent's next event was delivered, so the two arrive in reverse order), "delay"
        (`seconds=`: held until `advance()` moved the clock that far) and "redeliver" (sent again after
        the receiver's 2xx). Every delivery is signed as a real one. Calls queue, each taken by the next
        delivery it applies to; one that no delivery took fails the test at teardown (the `dots_sandbox`
        fixture), naming it, unless `optional=True`. The same as POST /api/sandbox/disturb-webhooks.
        Raises ValueError naming the valid kinds or options, TypeError for a value of the wrong type.
        """
        planned = disturbance(kind, optional=optional, **options)
        # A preparation of the test, so the fixtures fail the test if no delivery takes it (preparations.py).
        planned.on_use = self.prepare(planned.describe(), optional=optional).use
        _disorder(self.sandbox).add(planned)

    def unused_disturbances(self) -> list[str]:
        """The `disturb_webhooks` calls (not optional) that no delivery took yet, each with why; [] when all did."""
        return _disorder(self.sandbox).unused()

    def resend_webhook(self, svix_id: str) -> None:
        """Send the event `svix_id` again (the same `svix-id`, signed afresh) to each receiver registered now.

        As Svix's "resend": a new attempt, whether the event was delivered, failed or still pending (one in
        flight now is left to that attempt); it arrives as the sandbox's worker sends it (wait for it with
        `dots_webhooks.wait_for`). The same as POST /api/sandbox/resend-webhook. Raises LookupError for
        an event id the sandbox does not know (among its newest RECENT_EVENTS), TypeError for a non-str.
        """
        if not isinstance(svix_id, str):
            raise TypeError(f"svix_id must be a str (the svix-id header), not {type(svix_id).__name__}")
        sandbox = self.sandbox
        _caught_up(sandbox)  # a delivery answered a moment ago is delivered, not in flight
        record = next(
            (r for r in sandbox.store.events(self.client_id, None, RECENT_EVENTS) if r.event.id == svix_id), None
        )
        if record is None:
            raise LookupError(f"no webhook event {svix_id!r} in this sandbox")
        now = sandbox.changes.clock()
        for delivery in record.deliveries:
            if delivery.receiver in sandbox.changes.receivers:
                sandbox.store.schedule_delivery(svix_id, delivery.receiver, now, None)
        sandbox.changes.wake()

    def _control(self, operation_id: str, payment_intent_id: str | UUID, body: Any) -> dict[str, Any]:
        """Run a control route's handler, as its HTTP route would: 404 is LookupError, another refusal ValueError."""
        handler = self.sandbox.operations[operation_id].handler
        try:
            return handler(self.client_id, {"payment_intent_id": intent_text(payment_intent_id)}, body)
        except errors.ApiError as error:
            raise (LookupError if error.status == 404 else ValueError)(error.body().decode()) from None


def _kit_clock(sandbox: Sandbox) -> KitClock:
    clock = sandbox.changes.clock
    assert isinstance(clock, KitClock), "a test sandbox keeps time with a KitClock (_build)"
    return clock


def _disorder(sandbox: Sandbox) -> Disorder:
    plan = sandbox.delivery_plan
    assert isinstance(plan, Disorder), "a test sandbox routes webhooks through a Disorder (_build)"
    return plan


def _caught_up(sandbox: Sandbox) -> None:
    """Start the webhook deliveries due now, then wait (up to WEBHOOK_TIMEOUT_SECONDS) until every attempt
    in flight is recorded: what the worker would do at its next ticks, done before the clock moves.

    So a delivery is routed (sent, or held by a disturbance) at the time it came due, whether or not
    the worker had claimed it yet; a claim from this thread beside the worker's may put a receiver one
    attempt over its slots for a moment, which a test sandbox's receivers do not notice.
    """
    worker = sandbox.worker
    dispatcher = None if worker is None else worker.dispatcher
    if dispatcher is not None:
        dispatcher.start_due(sandbox.changes.wake)
        dispatcher.drain(WEBHOOK_TIMEOUT_SECONDS)


def intent_text(payment_intent_id: str | UUID) -> str:
    """An intent id as the sandbox stores it (lower-case text) from a `UUID` or a `str`; TypeError for anything else."""
    if isinstance(payment_intent_id, UUID):
        return str(payment_intent_id)
    if isinstance(payment_intent_id, str):
        return payment_intent_id.lower()
    raise TypeError(f"a payment intent id must be a str or a UUID, not {type(payment_intent_id).__name__}")


def _check_operation(operation_id: object) -> None:
    if operation_id not in OPERATION_IDS:
        raise ValueError(f"operation_id must be one of {', '.join(OPERATION_IDS)}, not {operation_id!r}")


def _build(settings: Settings) -> Sandbox:
    # Each sandbox keeps time with a clock of its own (a reset is back to real time) and routes its
    # webhooks through a plan of its own (dots_testing/disorder.py).
    sandbox = build_sandbox(settings, RecordingStore(MEMORY_DB, settings.synchronous), KitClock())
    sandbox.delivery_plan = Disorder()
    sandbox.start_background()
    return sandbox


@contextlib.contextmanager
def serve(**settings: Any) -> Iterator[TestSandbox]:
    """Serve a sandbox for `settings` (Settings fields; the store is always in-memory) until the block ends.

    See `dots_testing.running`, which calls this. Raises TypeError for an unknown setting,
    ValueError for a bad value, RuntimeError when the server does not start or stop.
    """
    if "db" in settings:
        raise ValueError("a test sandbox's store is always a fresh in-memory one: `db` cannot be set")
    # Failures come from fail_next; the `Prefer: dots-fault` header stays off unless asked for (faults=True).
    defaults = {"host": "127.0.0.1", "port": 0, "db": MEMORY_DB}
    kit = {
        "settlement_seconds": SETTLEMENT_SECONDS,
        "webhook_retry_seconds": WEBHOOK_RETRY_SECONDS,
        "webhook_timeout_seconds": WEBHOOK_TIMEOUT_SECONDS,
    }
    chosen = Settings(**{**defaults, **kit, **settings})
    current = _Current(_build(chosen))
    try:
        with _serve(current, chosen) as base_url:
            current.kit = TestSandbox(chosen, base_url, current)
            yield current.kit
    finally:
        current.close()


@contextlib.contextmanager
def _serve(current: _Current, settings: Settings) -> Iterator[str]:
    from dots_sandbox.in_thread import serve_in_thread  # noqa: PLC0415 (the front's module, as Sandbox does)

    with serve_in_thread(current, settings, settings.host, settings.port) as served:
        yield served.base_url
