"""The outbox dispatcher: sends due deliveries, Svix-signed, and records every attempt.

At least once: a delivery stays `pending` until an attempt is answered 2xx (or the retry
schedule runs out: `failed`). A delivery is leased before it is sent (`lease_seconds`, longer
than the request timeout), so with several processes each attempt is made by one of them; a
process that dies between the receiver's 2xx and recording it leaves the lease to expire, and
the event is sent once more (its `svix-id` unchanged, which is what receivers de-duplicate on).

The retry policy is data (`RetryPolicy`: the delays after each failed attempt) and two small
functions, in the manner of stripe-python's `_should_retry` / `_sleep_time_seconds`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Sequence

import httpx

from dots_sandbox.background.webhooks import Receiver, Signer
from dots_sandbox.store import Attempt, Delivery, Store

# Svix's production schedule after the first attempt (its docs): 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 10 h. The sandbox compresses it by default; SANDBOX_WEBHOOK_RETRY_SECONDS sets it.
DEFAULT_RETRY_SECONDS = (5.0, 30.0, 120.0, 600.0, 1800.0)
# Dots: "receivers answer 2xx within 15 s".
DEFAULT_TIMEOUT_SECONDS = 15.0
# A lease outlasts the request it covers by this much (or by the request timeout itself, when that
# is shorter), so a slow attempt is never sent twice at once. Scaling with a short timeout keeps a
# test's or a fast receiver's lease short: a process killed mid-attempt delays that delivery by
# about twice the timeout, not by 10 s more.
LEASE_MARGIN_SECONDS = 10.0
USER_AGENT = "dots-sandbox-webhooks"


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retry_seconds[n]`: the delay after failed attempt n+1; when they run out, the delivery fails."""

    retry_seconds: tuple[float, ...] = DEFAULT_RETRY_SECONDS

    def next_attempt_at(self, attempts_made: int, now: float) -> float | None:
        """When to try again after `attempts_made` failed attempts (epoch seconds), or None: give up."""
        if attempts_made > len(self.retry_seconds):
            return None
        return now + self.retry_seconds[attempts_made - 1]


def delivered(response: httpx.Response) -> bool:
    """Svix's rule: any 2xx is a delivery; everything else (3xx included: no redirects) is retried."""
    return 200 <= response.status_code < 300


def failure(error: Exception) -> str:
    """A short, secret-free reason for an attempt that got no answer."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connection failed"
    return f"{type(error).__name__}"


class Dispatcher:
    """Claims due deliveries from the store, sends them and records the attempts.

    `clock` gives epoch seconds for schedules and leases (tests pass their own); `svix-timestamp`
    is always the real time (`wall_clock`), since receivers check it against theirs. `transport`
    is an httpx transport (tests pass a MockTransport). Thread-safe: `deliver` may run on a pool.
    """

    def __init__(
        self,
        store: Store,
        receivers: Sequence[Receiver],
        *,
        policy: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        owner: str | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = RetryPolicy() if policy is None else policy
        self.clock = clock
        self.wall_clock = wall_clock
        self.owner = owner or f"dispatcher-{uuid.uuid4().hex[:12]}"
        self.lease_seconds = timeout + min(LEASE_MARGIN_SECONDS, timeout)
        # Both replaced whole under `_lock` (never mutated), so a sender reads a consistent pair.
        self.receivers = tuple(receiver.url for receiver in receivers)
        self._signers = {receiver.url: Signer(receiver.secret) for receiver in receivers}
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )

    def __repr__(self) -> str:
        return f"Dispatcher(owner={self.owner!r}, receivers={self.receivers!r})"

    def add_receiver(self, receiver: Receiver) -> None:
        """Deliver to `receiver` too from now on (its pending deliveries included). ValueError if its URL is known."""
        signer = Signer(receiver.secret)
        with self._lock:
            if receiver.url in self._signers:
                raise ValueError(f"webhook receiver {receiver.url} is registered already")
            self._signers = {**self._signers, receiver.url: signer}
            self.receivers = (*self.receivers, receiver.url)

    def remove_receiver(self, url: str) -> None:
        """Stop delivering to `url`: its deliveries stay pending, unclaimed, until it is added again."""
        with self._lock:
            self._signers = {known: signer for known, signer in self._signers.items() if known != url}
            self.receivers = tuple(known for known in self.receivers if known != url)

    def claim(self, limit: int) -> list[Delivery]:
        """Lease up to `limit` due deliveries to this dispatcher."""
        return self.store.claim_deliveries(self.clock(), self.lease_seconds, self.owner, self.receivers, limit)

    def send(self, delivery: Delivery) -> Attempt | None:
        """One attempt: POST the body, signed; what came of it (nothing is recorded yet).

        None when the receiver was removed after the claim: nothing is sent, and the delivery is
        due again once its lease ends (claimed only if the receiver is added again).
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
        try:
            response = self._client.post(delivery.receiver, content=delivery.body.encode(), headers=headers)
        except httpx.HTTPError as error:
            return Attempt(delivery.event_id, delivery.receiver, number, at, None, failure(error), delivered=False)
        if delivered(response):
            return Attempt(delivery.event_id, delivery.receiver, number, at, response.status_code, None, delivered=True)
        reason = f"HTTP {response.status_code}"
        return Attempt(delivery.event_id, delivery.receiver, number, at, response.status_code, reason, delivered=False)

    def record(self, attempt: Attempt) -> None:
        """Store the attempt and move the delivery on: done, failed, or due again per the policy."""
        next_at = None if attempt.delivered else self.policy.next_attempt_at(attempt.number, self.clock())
        self.store.record_attempt(attempt, self.owner, next_at)

    def deliver(self, delivery: Delivery) -> Attempt | None:
        """Send and record one claimed delivery (None: its receiver was removed; nothing sent or recorded)."""
        attempt = self.send(delivery)
        if attempt is not None:
            self.record(attempt)
        return attempt

    def dispatch(self, limit: int = 100) -> list[Attempt]:
        """Claim and deliver, one after another, up to `limit` due deliveries (the tests' synchronous pass)."""
        return [attempt for delivery in self.claim(limit) if (attempt := self.deliver(delivery)) is not None]

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
