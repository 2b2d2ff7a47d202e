"""The `Store` interface every engine implements, the records it stores, and its errors.

Handlers see only this module's types. An engine (`sqlite.py`, `postgresql.py`) is a class with
the methods of `Store`; `open_store` in the package picks one from the `--db` setting.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from dots_sandbox import ascii_json

# The stored columns, in the order every engine reads and writes them.
COLUMNS = (
    "id, client_id, status, payment_method_id, transfer_id, create_request, confirm_request, "
    "client_secret_sha256, created_at, confirmed_at"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Intent:
    """A stored payment intent."""

    id: str
    client_id: str
    status: str
    create_request: Mapping[str, Any]
    client_secret_sha256: bytes
    created_at: str
    payment_method_id: str | None = None
    transfer_id: str | None = None
    confirm_request: Mapping[str, Any] | None = None
    confirmed_at: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Confirmation:
    """What a confirm writes (with its event and, for `processing`, its settlement, in the same transaction)."""

    status: str
    payment_method_id: str
    transfer_id: str | None
    request: Mapping[str, Any]
    at: str
    event: Event | None = None
    settlement: Settlement | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """A `payment_intent.updated` event: written to the outbox in the transaction of the change it announces."""

    id: str  # the svix-id, `msg_...`
    client_id: str
    payment_intent_id: str
    status: str  # the status the change led to
    body: str  # the JSON payload, exactly the text that is signed and sent
    created_at: float  # epoch seconds
    receivers: tuple[str, ...] = ()  # receiver URLs: one delivery each, due at `created_at`


@dataclasses.dataclass(frozen=True, slots=True)
class Settlement:
    """A timer: at `due_at` (epoch seconds) the `processing` intent moves to `status` (succeeded or failed)."""

    payment_intent_id: str
    client_id: str
    due_at: float
    status: str


@dataclasses.dataclass(frozen=True, slots=True)
class Transition:
    """A status change after confirm (a settlement, a completed action): new status, transfer, event."""

    status: str
    transfer_id: str | None
    event: Event


@dataclasses.dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed delivery: send `body` as event `event_id` to `receiver`; `attempts` were made before."""

    event_id: str
    receiver: str
    body: str
    attempts: int


@dataclasses.dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt to deliver an event to a receiver, and what came of it."""

    event_id: str
    receiver: str
    number: int  # 1 for the first
    at: float  # epoch seconds
    http_status: int | None  # None when no answer came
    error: str | None  # why it failed; None when delivered
    delivered: bool


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryState:
    """Where one event stands with one receiver."""

    receiver: str
    state: str  # pending | delivered | failed
    next_attempt_at: float
    attempts: tuple[Attempt, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class EventRecord:
    """A stored event with its deliveries, for the debugging view."""

    event: Event
    deliveries: tuple[DeliveryState, ...]


class Refusal(enum.Enum):
    """Why a confirm changed nothing."""

    NOT_FOUND = "not-found"
    ALREADY_CONFIRMED = "already-confirmed"
    WRONG_STATUS = "wrong-status"  # a transition from a status the intent is not in


class StoreRefused(Exception):
    """The store did not do this call, or cannot say whether it did: the app answers 503.

    The base of four siblings, each a different meaning, so a caller names the ones it means:
    StoreUnavailable (the database cannot be reached: an outage), StoreBusy (up, but it did not do
    this call), StorageFault (its storage refuses writes) and OutcomeUnknown (the connection was
    lost while committing). Messages name the database (password masked) and why; never a secret.
    """


class StoreUnavailable(StoreRefused):
    """The database could not be reached: the call changed nothing (503); an outage.

    The engine logs one line when the outage begins and one when it ends (not one per call).
    """


class OutcomeUnknown(StoreRefused):
    """The connection was lost while committing: the change may or may not have been made (503).

    It happens during an outage, which the engine logs as for StoreUnavailable.
    """


class StoreBusy(StoreRefused):
    """The database is up but did not do this call: nothing changed (503), and it is not an outage.

    A conflict with concurrent transactions that kept recurring after the engine's bounded retries
    (PostgreSQL 40001, 40P01), a statement or lock timeout (57014, 55P03), SQLite's busy timeout.
    The engine logs nothing for it (the next call may well succeed): a caller that drops it logs it.
    """


class StorageFault(StoreRefused):
    """The database's storage refuses writes: nothing changed (503), and it is not an outage.

    Disk full (SQLite's SQLITE_FULL, PostgreSQL's class 53) or, on SQLite, the database file removed
    or replaced under the running sandbox. The engine logs one line when it starts and one when
    writes work again (per episode, not per call).
    """


class StoreCannotOpen(Exception):
    """The store cannot be opened at all (raised only at start-up): its path, its file, its permissions
    or its schema (SchemaVersionError) stand in the way; a restart meets the same.

    The message names the database (password masked) and what failed, on one line.
    """


class Episode:
    """A condition that begins and ends (an outage, a full disk): one log line when it begins, one when it ends.

    `begin(why)` logs `why` only if the condition was not already on; `end()` logs `ended` only if
    it was. Safe from any thread. Never give it text holding a secret.
    """

    def __init__(self, logger: logging.Logger, ended: str) -> None:
        self._logger = logger
        self._ended = ended
        self._on = False
        self._lock = threading.Lock()

    @property
    def on(self) -> bool:
        """Whether the condition holds now."""
        return self._on

    def begin(self, why: str) -> None:
        """The condition holds: log `why` if it did not already."""
        with self._lock:
            began, self._on = not self._on, True
        if began:
            self._logger.warning("%s", why)

    def end(self) -> None:
        """The condition is over: log it if it held."""
        if not self._on:  # the common case costs no lock
            return
        with self._lock:
            ended, self._on = self._on, False
        if ended:
            self._logger.warning("%s", self._ended)


class Store(Protocol):
    """The storage the handlers use. Implementations must make `confirm` atomic.

    `concurrency` says how the app calls the store: 0, on the event loop itself (an engine whose
    calls never wait on a network); N > 0, the operations that write (`add_with`, `confirm`, ...)
    or read many rows on up to N worker threads at once (the engine waits on a server's commit,
    and N in flight share its flushes) while those that read one row (`get`) stay on the event
    loop; each operation declares which it is (dots_sandbox/request/operations.py).
    """

    concurrency: int

    def get(self, client_id: str, intent_id: str) -> Intent | None:
        """The intent `intent_id` (lower case) of `client_id`, or None."""

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """Apply `confirmation` iff the intent's status is in `unconfirmed`, atomically; the intent after it."""

    def close(self) -> None:
        """Release connections."""

    # Outbox and timers. Every engine keeps these semantics (tests/dots_sandbox/store/test_base.py
    # runs one suite on each): a change and its outbox rows commit or roll back together; a
    # refused change writes none; a settlement is applied once, whoever else tries; a delivery
    # leased to one owner is claimed by no other until its lease ends.
    def add_with(self, intent: Intent, event: Event | None, settlement: Settlement | None) -> None:
        """Store a new intent with its event and settlement (one transaction)."""

    def transition(
        self, client_id: str, intent_id: str, from_statuses: frozenset[str], transition: Transition
    ) -> Intent | Refusal:
        """Apply `transition` iff the intent's status is in `from_statuses`, with its event, atomically."""

    def due_settlements(self, now: float, limit: int) -> list[Settlement]:
        """Settlements due at `now` (epoch seconds), oldest first."""

    def settle(self, settlement: Settlement, transition: Transition) -> Intent | None:
        """Apply a due settlement once (atomically, whoever else tries); the intent after it, or None."""

    def claim_deliveries(
        self,
        now: float,
        lease_seconds: float,
        owner: str,
        receivers: tuple[str, ...],
        limit: int,
        *,
        due_by: float | None = None,
    ) -> list[Delivery]:
        """Lease up to `limit` due pending deliveries to `receivers`; no other owner gets them until the lease ends.

        Leases are read and written at `now`; a delivery is due when its next attempt is at or before
        `due_by` (epoch seconds; None: `now`), which a test's clock may have moved ahead.
        """

    def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
        """Record `attempt`; end the delivery (delivered, or failed when `next_attempt_at` is None) or reschedule it."""

    def schedule_delivery(self, event_id: str, receiver: str, next_attempt_at: float, owner: str | None) -> bool:
        """Make a delivery pending again, due at `next_attempt_at`, unleased, with no attempt recorded.

        For a delivery leased by `owner` (None: one leased by no one), or one that ended (delivered or
        failed: sent again, as Svix's "resend"). False, changing nothing, when another owner holds its
        lease or there is no such delivery.
        """

    def events(self, client_id: str, intent_id: str | None, limit: int) -> list[EventRecord]:
        """The most recent events of `client_id` (of one intent if given), newest first, with their deliveries."""

    def prune_events(self, client_id: str, before: float, limit: int) -> int:
        """Delete up to `limit` of `client_id`'s events created before `before` with no delivery pending; how many."""


def dump_json(document: Any) -> str:
    """A stored request's column text: compact ASCII JSON (see dots_sandbox/ascii_json.py)."""
    return ascii_json.dumps(document).decode("ascii")


def intent_row(intent: Intent) -> tuple[Any, ...]:
    """The column values of `intent`, in COLUMNS order."""
    return (
        intent.id,
        intent.client_id,
        intent.status,
        intent.payment_method_id,
        intent.transfer_id,
        dump_json(intent.create_request),
        None if intent.confirm_request is None else dump_json(intent.confirm_request),
        intent.client_secret_sha256,
        intent.created_at,
        intent.confirmed_at,
    )


def confirmation_values(confirmation: Confirmation) -> tuple[Any, ...]:
    """The values a confirm sets: status, payment_method_id, transfer_id, confirm_request, confirmed_at."""
    return (
        confirmation.status,
        confirmation.payment_method_id,
        confirmation.transfer_id,
        dump_json(confirmation.request),
        confirmation.at,
    )


def attempt_from_row(row: tuple[Any, ...] | Any) -> Attempt:
    """The Attempt a row (event_id, receiver, number, at, http_status, error, delivered) holds."""
    event_id, receiver, number, at, http_status, error, delivered = row
    return Attempt(event_id, receiver, number, at, http_status, error, bool(delivered))


def intent_from_row(row: tuple[Any, ...] | Any) -> Intent:
    """The Intent a row in COLUMNS order holds."""
    (
        intent_id,
        client_id,
        status,
        payment_method_id,
        transfer_id,
        create_request,
        confirm_request,
        secret_digest,
        created_at,
        confirmed_at,
    ) = row
    return Intent(
        id=intent_id,
        client_id=client_id,
        status=status,
        create_request=ascii_json.loads(create_request),
        client_secret_sha256=bytes(secret_digest),
        created_at=created_at,
        payment_method_id=payment_method_id,
        transfer_id=transfer_id,
        confirm_request=None if confirm_request is None else ascii_json.loads(confirm_request),
        confirmed_at=confirmed_at,
    )
