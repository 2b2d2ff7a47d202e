"""`dots_webhooks`: a webhook receiver a test runs and registers with its sandbox, keeping every delivery verified.

`WebhookReceiver` is a path of its own (`/webhooks/<token>`, fresh and random) on a
`dots_sandbox.receiver.ReceiverServer` (the one receiver shell: a `ThreadingHTTPServer` on
127.0.0.1, a free port, in the test's own process), with a fresh `whsec_` secret. The pytest
plugin runs one server for the whole session and mounts a receiver per test, so a test's receiver
costs a mount, not a server start; the random path keeps a later receiver from being sent an
earlier one's pending redeliveries, which the sandbox keeps for that receiver's URL: a request to
an unmounted path is answered `404` and kept by no one. Each `POST` is a delivery: verified with
that secret through `dots_client`'s `dots.webhooks.unwrap` (the `svix`
library: signature, and a timestamp within 5 minutes), kept with its raw body and headers (to call
the service's own webhook handler with) and its typed `PaymentIntentUpdatedEvent`, and answered
`204`, or what `respond_with` queued. `wait_for` hands the test the next delivery it has not
returned yet, woken by the arrival itself (a condition variable: no test sleeps). `receiving(sandbox)`
registers one with a `TestSandbox` for the length of a block; the `dots_webhooks` fixture is that block
on the session's server.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import dataclasses
import functools
import math
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal, get_args
from uuid import UUID

import anyio.to_thread
from dots_client import Dots
from dots_client.errors import UnreadableWebhook, WebhookVerificationError
from dots_client.models import PaymentIntentUpdatedEvent

from dots_sandbox.receiver import ReceiverServer
from dots_testing import forwarding
from dots_testing.forwarding import ASGIApp, Forwarder
from dots_testing.preparations import Preparation, Preparations

if TYPE_CHECKING:
    from dots_testing.kit import TestSandbox

# openapi.yaml's PaymentIntent statuses, for `wait_for(intent_status=...)`; an event announces the status a
# change led to (requires_action, processing, succeeded or failed). tests/dots_testing checks them against the spec.
IntentStatus = Literal[
    "initialized",
    "created",
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
    "succeeded",
    "requires_capture",
    "canceled",
    "failed",
]
INTENT_STATUSES: tuple[IntentStatus, ...] = get_args(IntentStatus)

# What the receiver answers a verified delivery unless `respond_with` queued another status.
DEFAULT_STATUS = 204
# A delivery that fails verification is answered 400, as docs/client.md tells a receiver to.
REFUSED_STATUS = 400
WAIT_SECONDS = 5.0


@dataclasses.dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook request the receiver got: a first delivery or a redelivery (same `svix_id`).

    `body` (bytes, exactly as received) and `headers` (names in lower case) are what your own
    webhook handler takes; `event` is the verified `PaymentIntentUpdatedEvent` (None when the
    delivery failed verification, and `error` then says why, never quoting the secret); `attempt`
    counts this `svix-id`'s arrivals at this receiver (1, then 2 for its first redelivery, ...);
    `status` is what the receiver answered; `intent_status` is the status the event announces (the
    sandbox's record of it, since the body is only a pointer; None when the sandbox had no such
    event, as for a delivery from before a `reset()`).
    """

    body: bytes = dataclasses.field(repr=False)
    headers: dict[str, str] = dataclasses.field(repr=False)
    event: PaymentIntentUpdatedEvent | None
    error: str | None
    attempt: int
    status: int
    intent_status: str | None = None
    forwarded: int | None = None

    @property
    def svix_id(self) -> str:
        """The `svix-id` header: the event's id, the same on every redelivery ("" when missing)."""
        return self.headers.get("svix-id", "")

    @property
    def payment_intent_id(self) -> str | None:
        """The event's `payment_intent_id` as a lower-case string (None for an unverified delivery)."""
        return None if self.event is None else str(self.event.payment_intent_id)

    @property
    def verified(self) -> bool:
        """Whether the delivery was signed with this receiver's secret, recently, and held the event."""
        return self.event is not None

    def describe(self) -> str:
        """One line for a failure message: the id, the attempt, the event and intent or why it was refused."""
        event = self.event
        what = f"refused: {self.error}" if event is None else f"{event.event} for {event.payment_intent_id}"
        return f"{self.svix_id or '(no svix-id)'} attempt {self.attempt}: {what}, answered {self.status}"


class WebhookReceiver:
    """A webhook receiver at a path of its own on `server`, keeping every delivery it gets, until `close()`.

    `url` (`http://127.0.0.1:<port>/webhooks/<token>`, unique to this receiver), `secret` (a fresh
    `whsec_` one), `deliveries`, `wait_for`, `respond_with`. Made by `receiving(sandbox)` and the
    `dots_webhooks` fixture; `dots` verifies each delivery (`dots.webhooks.unwrap`, which sends no
    request). Its repr never shows the secret, and no message of it does. Every method is safe to
    call from the test's thread while deliveries arrive.
    """

    def __init__(
        self,
        dots: Dots,
        server: ReceiverServer,
        *,
        preparations: Preparations | None = None,
        intent_status: Callable[[str], str | None] | None = None,
    ) -> None:
        self.secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")
        self.path = f"/webhooks/{secrets.token_urlsafe(12)}"
        self._dots = dots
        self._preparations = Preparations() if preparations is None else preparations
        self._intent_status = intent_status  # svix-id -> the status its event announced (None: unknown)
        self._deliveries: list[Delivery] = []
        self._handed: set[int] = set()  # indexes of the deliveries wait_for returned
        self._answers: collections.deque[tuple[int, Preparation]] = collections.deque()
        self._arrived = threading.Condition()
        self._forwarder: Forwarder | None = None
        self._forwarding = contextlib.ExitStack()
        self._server = server
        self.url = server.mount(self.path, self._receive)

    def __repr__(self) -> str:
        return f"WebhookReceiver(url={self.url!r}, deliveries={len(self.deliveries)})"

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery received so far, oldest first, verified or not, whether `wait_for` returned it or not."""
        with self._arrived:
            return list(self._deliveries)

    def respond_with(self, status: int, *, optional: bool = False) -> None:
        """Answer the next verified delivery with `status` (200 to 599) instead of 204; calls queue, one delivery each.

        A non-2xx answer makes the sandbox deliver the event again (same `svix-id`) after its retry
        delay (a fraction of a second in the kit: dots_testing/kit.py). An answer no delivery took
        fails the test after it (dots_testing/preparations.py), unless `optional=True`. Raises
        ValueError for another status.
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError(f"status must be an HTTP status from 200 to 599, not {status!r}")
        preparation = self._preparations.add(f"respond_with({status}) at {self.url}", optional=optional)
        with self._arrived:
            self._answers.append((status, preparation))

    def wait_for(
        self,
        payment_intent_id: str | UUID | None = None,
        timeout: float = WAIT_SECONDS,
        *,
        svix_id: str | None = None,
        intent_status: IntentStatus | None = None,
    ) -> Delivery:
        """The oldest verified delivery not returned before that matches every filter given, waiting for it.

        Filters (None: any): `payment_intent_id` (a str or UUID), `svix_id` (the event's id, the same
        on each of its redeliveries) and `intent_status` (the status the event announced, e.g.
        "succeeded": `Delivery.intent_status`). Redeliveries are deliveries too: each arrival of an
        event is returned once, so a test sees the redelivery that follows a `respond_with(500)`.
        Waits up to `timeout` seconds (woken by the arrival, never polling). Raises AssertionError
        (the test fails) when none arrives in time, listing what did arrive (ids, attempts, events,
        intents, answers; never the secret), or at once when a delivery failed verification;
        ValueError for a negative or non-finite timeout or an unknown intent status, TypeError for a
        timeout that is not a number or an id of another type.
        """
        if payment_intent_id is not None and not isinstance(payment_intent_id, (str, UUID)):
            raise TypeError(f"payment_intent_id must be a str, a UUID or None, not {type(payment_intent_id).__name__}")
        if svix_id is not None and not isinstance(svix_id, str):
            raise TypeError(f"svix_id must be a str or None, not {type(svix_id).__name__}")
        if intent_status is not None and intent_status not in INTENT_STATUSES:
            raise ValueError(f"intent_status must be one of {', '.join(INTENT_STATUSES)}, not {intent_status!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
        if not (timeout >= 0 and math.isfinite(timeout)):
            raise ValueError(f"timeout must be 0 or more seconds, not {timeout!r}")
        wanted = _Wanted(None if payment_intent_id is None else str(payment_intent_id).lower(), svix_id, intent_status)
        with self._arrived:
            found = self._arrived.wait_for(lambda: self._refused() or self._next(wanted) is not None, timeout)
            refused = self._refused()
            if refused is not None:
                raise AssertionError(f"webhook delivery failed verification at {self.url}: {refused.describe()}")
            index = self._next(wanted) if found else None
            if index is None:
                raise AssertionError(self._nothing_message(wanted, timeout))
            self._handed.add(index)
            return self._deliveries[index]

    async def wait_for_async(
        self,
        payment_intent_id: str | UUID | None = None,
        timeout: float = WAIT_SECONDS,
        *,
        svix_id: str | None = None,
        intent_status: IntentStatus | None = None,
    ) -> Delivery:
        """`wait_for` for an async test (`@pytest.mark.anyio`): the same filters, answers and errors.

        The wait runs on a worker thread (anyio's `to_thread`), so the test's event loop, and the
        requests an `AsyncDots` makes on it, go on meanwhile.
        """
        wait = functools.partial(
            self.wait_for, payment_intent_id, timeout, svix_id=svix_id, intent_status=intent_status
        )
        return await anyio.to_thread.run_sync(wait)

    def forward_to(self, target: str | ASGIApp, *, path: str = "/") -> str:
        """Also send each verified delivery to the service's real endpoint (as `stripe listen --forward-to` does).

        `target` is a URL (`http(s)://...`), or an ASGI app (FastAPI, Starlette, ...) that the kit
        serves on 127.0.0.1 until this receiver stops, its endpoint at `path`. The endpoint gets the
        delivery as the sandbox sent it, signed with this receiver's `secret` (give the service
        that secret), before `wait_for` returns it; its status is what the receiver answers the
        sandbox (a queued `respond_with` still wins; an endpoint not reached is a 502), so a
        failing endpoint gets the event again, and `Delivery.forwarded` shows the status. Returns
        the URL forwarded to. Raises ValueError for another kind of target or a second `forward_to`,
        RuntimeError when the app does not start.
        """
        if self._forwarder is not None:
            raise ValueError(f"this receiver forwards to {self._forwarder.url} already")
        if isinstance(target, str):
            url = target
        elif callable(target):
            url = self._forwarding.enter_context(forwarding.serving(target)) + "/" + path.lstrip("/")
        else:
            raise ValueError(f"forward_to takes an http(s) URL or an ASGI app, not {type(target).__name__}")
        forwarder = forwarding.Forwarder(url)
        self._forwarding.callback(forwarder.close)
        self._forwarder = forwarder
        return url

    def unused_answers(self) -> list[int]:
        """The `respond_with` statuses queued that no verified delivery has taken yet, oldest first."""
        with self._arrived:
            return [status for status, _ in self._answers]

    def _next(self, wanted: _Wanted) -> int | None:
        for index, delivery in enumerate(self._deliveries):
            if index not in self._handed and delivery.verified and wanted.matches(delivery):
                return index
        return None

    def _refused(self) -> Delivery | None:
        return next((delivery for delivery in self._deliveries if not delivery.verified), None)

    def _nothing_message(self, wanted: _Wanted, timeout: float) -> str:
        lines = [f"no new webhook delivery for {wanted.describe()} at {self.url} within {timeout:g} s"]
        if not self._deliveries:
            lines.append("nothing was delivered to this receiver")
        for index, delivery in enumerate(self._deliveries):
            returned = " (returned by wait_for already)" if index in self._handed else ""
            lines.append(f"  {delivery.describe()}{returned}")
        return "\n".join(lines)

    def _receive(self, body: bytes, headers: dict[str, str]) -> int:
        """Verify, keep and answer one delivery (called on the server's request thread)."""
        try:
            event: PaymentIntentUpdatedEvent | None = self._dots.webhooks.unwrap(body, headers, secret=self.secret)
            error = None
        except (WebhookVerificationError, UnreadableWebhook) as problem:
            event, error = None, str(problem)
        svix_id = headers.get("svix-id", "")
        announced = None if event is None or self._intent_status is None else self._intent_status(svix_id)
        forwarder = self._forwarder
        forwarded = None if event is None or forwarder is None else forwarder.send(body, headers)
        with self._arrived:
            status = self._answer(verified=event is not None, forwarded=forwarded)
            attempt = 1 + sum(1 for each in self._deliveries if each.svix_id == svix_id)
            self._deliveries.append(Delivery(body, headers, event, error, attempt, status, announced, forwarded))
            self._arrived.notify_all()
        return status

    def _answer(self, *, verified: bool, forwarded: int | None) -> int:
        """The status for a delivery: 400 when refused (a queued answer waits for a verified one), else the
        queue's, else the forwarded endpoint's, else 204."""
        if not verified:
            return REFUSED_STATUS
        if not self._answers:
            return DEFAULT_STATUS if forwarded is None else forwarded
        status, preparation = self._answers.popleft()
        preparation.use()
        return status

    def close(self) -> None:
        """Unmount (a delivery arriving later is answered 404 and not kept; the server serves on), then stop
        forwarding (and the app served for `forward_to`)."""
        self._server.unmount(self.path)
        self._forwarding.close()


@dataclasses.dataclass(frozen=True, slots=True)
class _Wanted:
    """What `wait_for` looks for: each None matches any delivery."""

    payment_intent_id: str | None
    svix_id: str | None
    intent_status: str | None

    def matches(self, delivery: Delivery) -> bool:
        return (
            self.payment_intent_id in (None, delivery.payment_intent_id)
            and self.svix_id in (None, delivery.svix_id)
            and self.intent_status in (None, delivery.intent_status)
        )

    def describe(self) -> str:
        which = "any payment intent" if self.payment_intent_id is None else f"payment intent {self.payment_intent_id}"
        if self.svix_id is not None:
            which += f", svix-id {self.svix_id}"
        if self.intent_status is not None:
            which += f", intent status {self.intent_status}"
        return which


@contextlib.contextmanager
def receiving(
    sandbox: TestSandbox, server: ReceiverServer | None = None, dots: Dots | None = None, *, check: bool = True
) -> Iterator[WebhookReceiver]:
    """A `WebhookReceiver` on `server` registered with `sandbox` (and kept across its `reset()`s) for the block.

    `server` None: a server of the block's own, on a free port, stopped on leaving; `dots` None: a
    client for `sandbox` made and closed for the block (it only verifies). Its `respond_with` answers
    are preparations of `sandbox` (dots_testing/preparations.py). On leaving, the receiver is
    unregistered (no new deliveries to it) and unmounted; then, with `check` and when the block ended
    without an exception, AssertionError naming each preparation of the sandbox never used (as
    pytest-httpx fails a test whose mocked response was never requested: the test did not test the
    redelivery it set up). Raises OSError when no port can be bound.
    """
    with contextlib.ExitStack() as stack:
        if server is None:
            server = ReceiverServer().start()
            stack.callback(server.stop)
        if dots is None:
            dots = stack.enter_context(
                Dots(client_id=sandbox.client_id, api_key=sandbox.api_key, base_url=sandbox.base_url)
            )
        receiver = WebhookReceiver(
            dots, server, preparations=sandbox.preparations, intent_status=functools.partial(_announced, sandbox)
        )
        stack.callback(receiver.close)
        sandbox.add_receiver(receiver.url, receiver.secret)
        try:
            yield receiver
        finally:
            sandbox.remove_receiver(receiver.url)
    if check:
        sandbox.preparations.check()


def _announced(sandbox: TestSandbox, svix_id: str) -> str | None:
    """The status the sandbox's event `svix_id` announced (None: no such event in its store now)."""
    for shown in sandbox.webhook_events():
        if shown["id"] == svix_id:
            status: str = shown["status"]
            return status
    return None
