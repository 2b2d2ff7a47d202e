"""Time and webhook disorder under the test's control: the test sandbox's clock and its delivery plan.

Payment code meets webhooks as Svix and Stripe send them: at least once and in no particular order
(duplicated, reordered, late, redelivered after a 2xx), and time it does not wait for (settlement
timers, the redelivery schedule). A test gets both on demand, without sleeping:

- `KitClock` is the test sandbox's clock: the real time plus what `advance(seconds)` added. The
  sandbox keeps the payment lifecycle's time with it (intent and event times, settlement timers,
  the webhook redelivery schedule); `svix-timestamp`, each attempt's timeout and the delivery
  leases stay on real time, so a signature still verifies and no lease ends early. Each `reset()`
  builds a sandbox with a fresh clock: back to real time.
- `Disorder` is the sandbox's `DeliveryPlan` (dots_sandbox/background/outbox.py: the dispatcher asks
  it how to route each delivery it claimed). `disturb_webhooks(kind, ...)` queues one disturbance;
  the next delivery it applies to takes it. Every send is a real attempt of the dispatcher, signed
  as any other; held deliveries wait in the store, due again when their time comes.

Kinds (`DisturbanceKind`), each for the next delivery (of `payment_intent_id`, when given):
- "duplicate": sent twice at once, one `svix-id` (the receiver's handler races itself);
- "reorder": held until the intent's next event was delivered to the same receiver, then sent: the
  two events arrive in reverse order;
- "delay": held until `advance()` moved the clock `seconds` on (a number > 0);
- "redeliver": once answered 2xx, sent again (the same `svix-id`; if it is not answered 2xx, the
  ordinary retry is its redelivery).
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, get_args
from uuid import UUID

from dots_sandbox.background.outbox import SEND_ONCE, Route
from dots_sandbox.store import Delivery

DisturbanceKind = Literal["duplicate", "reorder", "delay", "redeliver"]
KINDS: tuple[DisturbanceKind, ...] = get_args(DisturbanceKind)
# What each kind takes besides `payment_intent_id` (every kind's): its required options.
_REQUIRED: dict[str, tuple[str, ...]] = {"duplicate": (), "reorder": (), "delay": ("seconds",), "redeliver": ()}
# A delivery held for a reorder waits this long at most (sandbox seconds): "until the next event", in effect.
HOLD_SECONDS = 10 * 365 * 86_400.0
# The most seconds one `advance` or delay takes, and how far ahead the clock may go in all: a century,
# far past any schedule a test plays (a day's settlement, a week's retention), and far inside the
# dates the sandbox writes (`datetime`'s year 9999; a clock past it fails every request).
MAX_SECONDS = 100 * 365 * 86_400.0


def seconds_value(seconds: object, name: str = "seconds") -> float:
    """`seconds` as a float when it is a number from 0 to MAX_SECONDS; TypeError for a non-number, else ValueError."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise ValueError(f"{name} must be a finite number of seconds, 0 or more, not {seconds!r}")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{name} must be at most {MAX_SECONDS:.0f} (a century), not {seconds!r}")
    return float(seconds)


class KitClock:
    """Epoch seconds: the real time (`time.time()`) plus the seconds `advance` added; safe from any thread."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KitClock(ahead={self.ahead:g} s)"

    def __call__(self) -> float:
        """Now, on this clock (epoch seconds)."""
        return time.time() + self._offset

    @property
    def ahead(self) -> float:
        """How far ahead of the real time this clock is (seconds)."""
        return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock `seconds` (0 to MAX_SECONDS) ahead; TypeError or ValueError for anything else.

        ValueError too when the clock would then be more than MAX_SECONDS ahead in all (it does not move).
        """
        checked = seconds_value(seconds)
        with self._lock:
            self.check_room(checked)
            self._offset += checked

    def check_room(self, seconds: float) -> None:
        """Raise ValueError if moving `seconds` more would take the clock more than MAX_SECONDS ahead."""
        if self._offset + seconds > MAX_SECONDS:
            raise ValueError(
                f"the clock is {self._offset:.0f} s ahead: {seconds:g} more would take it past"
                f" {MAX_SECONDS:.0f} s (a century) ahead; reset() returns to real time"
            )


@dataclasses.dataclass(slots=True)
class Disturbance:
    """One planned disturbance: its `kind`, `seconds` (a delay's), the intent it waits for (None: any), `optional`
    (no failure when unused), whether a delivery has taken it (`used`), and `on_use`, called once then
    (a hook for whoever tracks the test's preparations)."""

    kind: DisturbanceKind
    seconds: float | None = None
    payment_intent_id: str | None = None
    optional: bool = False
    used: bool = False
    on_use: Callable[[], object] | None = dataclasses.field(default=None, repr=False)

    def use(self) -> None:
        """A delivery took it: mark it used and call `on_use`."""
        self.used = True
        if self.on_use is not None:
            self.on_use()

    def describe(self) -> str:
        """How a failure message names it: the call that planned it."""
        options = [repr(self.kind)]
        if self.seconds is not None:
            options.append(f"seconds={self.seconds:g}")
        if self.payment_intent_id is not None:
            options.append(f"payment_intent_id={self.payment_intent_id!r}")
        return f"disturb_webhooks({', '.join(options)})"

    def applies_to(self, intent_id: str) -> bool:
        """Whether a delivery for `intent_id` may take it."""
        return self.payment_intent_id is None or self.payment_intent_id == intent_id


def disturbance(kind: str, *, optional: bool = False, **options: Any) -> Disturbance:
    """A checked `Disturbance` of `kind` with `options` (`seconds` for "delay"; `payment_intent_id`, a str or UUID,
    for any kind). Raises ValueError naming the valid kinds or options, TypeError for a value of the wrong type."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    allowed = (*_REQUIRED[kind], "payment_intent_id")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"disturb_webhooks({kind!r}) takes the options {', '.join(allowed)}, not {', '.join(unknown)}")
    missing = [name for name in _REQUIRED[kind] if name not in options]
    if missing:
        raise ValueError(f"disturb_webhooks({kind!r}) needs {', '.join(missing)}=")
    seconds = None
    if kind == "delay":
        seconds = seconds_value(options["seconds"])
        if seconds == 0:
            raise ValueError("a delay's seconds must be more than 0")
    intent = options.get("payment_intent_id")
    if intent is not None and not isinstance(intent, (str, UUID)):
        raise TypeError(f"payment_intent_id must be a str, a UUID or None, not {type(intent).__name__}")
    intent_id = None if intent is None else str(intent).lower()
    return Disturbance(kind, seconds, intent_id, optional)


class Disorder:
    """The test sandbox's `DeliveryPlan`: routes each claimed delivery as the queued disturbances say.

    `add` queues one (oldest first; each taken by the next delivery it applies to); `route` is the
    dispatcher's question; `unused` names what no delivery took yet, and a reorder still holding
    its first event. Safe from any thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[Disturbance] = []
        # A reorder's held event, per (intent, receiver), waiting for that intent's next event there.
        self._waiting: dict[tuple[str, str], tuple[str, Disturbance]] = {}
        # Deliveries held once (delay, reorder): sent as they are when due again.
        self._held: set[tuple[str, str]] = set()

    def add(self, planned: Disturbance) -> Disturbance:
        """Queue `planned`; returns it."""
        with self._lock:
            self._queued.append(planned)
        return planned

    def forget_queued(self) -> None:
        """Drop the disturbances no delivery took yet (a test's, ending with it); what is held stays held."""
        with self._lock:
            self._queued.clear()

    def unused(self) -> list[str]:
        """The disturbances (not optional) that did nothing yet, oldest first, each as its call and why."""
        with self._lock:
            queued = [f"{each.describe()}: no delivery took it" for each in self._queued if not each.optional]
            waiting = [
                f"{each.describe()}: holds {event_id}, and no later event of its intent came"
                for event_id, each in self._waiting.values()
                if not each.optional
            ]
        return queued + waiting

    def route(self, delivery: Delivery, now: float) -> Route:
        """The dispatcher's question for one claimed delivery (see dots_sandbox.background.outbox.Route)."""
        key = (delivery.event_id, delivery.receiver)
        intent_id = _intent_of(delivery)
        with self._lock:
            if key in self._held:  # held once (a delay, a reorder): sent as it is now that it is due
                self._held.discard(key)
                return SEND_ONCE
            waiting = self._waiting.get((intent_id, delivery.receiver))
            if waiting is not None and waiting[0] != delivery.event_id:
                del self._waiting[(intent_id, delivery.receiver)]
                waiting[1].use()
                return Route(due_after=((waiting[0], delivery.receiver),))
            planned = next((each for each in self._queued if each.applies_to(intent_id)), None)
            if planned is None:
                return SEND_ONCE
            self._queued.remove(planned)
            return self._apply(planned, delivery, intent_id, now)

    def _apply(self, planned: Disturbance, delivery: Delivery, intent_id: str, now: float) -> Route:
        key = (delivery.event_id, delivery.receiver)
        if planned.kind == "reorder":  # used when the intent's next event comes
            self._waiting[(intent_id, delivery.receiver)] = (delivery.event_id, planned)
            self._held.add(key)
            return Route(hold_until=now + HOLD_SECONDS)
        planned.use()
        if planned.kind == "delay":
            self._held.add(key)
            return Route(hold_until=now + (planned.seconds or 0.0))
        if planned.kind == "duplicate":
            return Route(copies=2)
        return Route(again_if_delivered=True)


def _intent_of(delivery: Delivery) -> str:
    """The delivery's intent id, lower case ("" for a body without one: the sandbox writes none such)."""
    try:
        document = json.loads(delivery.body)
    except ValueError:
        return ""
    intent = document.get("payment_intent_id") if isinstance(document, dict) else None
    return intent.lower() if isinstance(intent, str) else ""
