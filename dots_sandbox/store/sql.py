"""The lifecycle's SQL, written once for every engine: `SQLStore` over a dialect's `Statements`.

An engine (`sqlite.py`, `postgresql.py`) subclasses `SQLStore` and gives only what truly differs:
its `Dialect` (placeholder, how one list parameter becomes rows, which column orders rows as
written), `_run(work, write=...)` (its connection model, transactions and errors by cause),
`_snapshot` (a consistent read of several statements), the delivery claim (its locking), and its
DDL and migration. Every step of the lifecycle (create, confirm, transition, settle, the outbox,
attempts, the events view, pruning) is here once, so the engines cannot drift apart; so are the
tables and indexes (`schema.py`), which every engine creates in its own column types.
"""

# Every statement is built from this module's constants, never from input (values are parameters):
# ruff: noqa: S608
from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from dots_sandbox.store.base import (
    COLUMNS,
    Attempt,
    Confirmation,
    Delivery,
    DeliveryState,
    Event,
    EventRecord,
    Intent,
    Refusal,
    Settlement,
    Transition,
    attempt_from_row,
    confirmation_values,
    intent_from_row,
    intent_row,
)

T = TypeVar("T")
PROCESSING = frozenset({"processing"})


class Connection(Protocol):
    """The one method the lifecycle needs of an engine's connection."""

    def execute(self, query: Any, params: Any = ..., /) -> Any:
        """Run one statement with its parameters; the cursor."""


@dataclasses.dataclass(frozen=True, slots=True)
class Dialect:
    """How an engine's SQL differs from the statements below, which are written with `?` placeholders.

    `placeholder` replaces each `?`; `each` is a FROM item that turns one list parameter (`?`,
    passed through `as_list`) into rows with the column `value`; `order` is the column that orders
    rows as they were written.
    """

    placeholder: str
    each: str
    order: str
    as_list: Callable[[Sequence[str]], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Statements:
    """The lifecycle's statements in one dialect."""

    insert: str
    select: str
    exists: str
    confirm: str
    transition: str
    drop_settlement: str
    claim_settlement: str
    due_settlements: str
    insert_event: str
    insert_delivery: str
    insert_deliveries: str
    upsert_settlement: str
    insert_attempt: str
    end_attempt: str
    events: str
    events_of_intent: str
    schedule_delivery: str
    deliveries_of: str
    attempts_of: str
    prunable: str
    prune: tuple[str, ...]


def statements(dialect: Dialect) -> Statements:
    """The lifecycle's statements written in `dialect`."""
    is_in = f"IN (SELECT value FROM {dialect.each})"
    events = "SELECT id, client_id, payment_intent_id, status, body, created_at FROM webhook_events WHERE client_id = ?"
    order = f" ORDER BY created_at DESC, {dialect.order} DESC LIMIT ?"
    texts = {
        "insert": f"INSERT INTO payment_intents ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "select": f"SELECT {COLUMNS} FROM payment_intents WHERE id = ? AND client_id = ?",
        "exists": "SELECT 1 FROM payment_intents WHERE id = ? AND client_id = ?",
        "confirm": "UPDATE payment_intents"
        " SET status = ?, payment_method_id = ?, transfer_id = ?, confirm_request = ?, confirmed_at = ?"
        f" WHERE id = ? AND client_id = ? AND status {is_in} RETURNING {COLUMNS}",
        "transition": "UPDATE payment_intents SET status = ?, transfer_id = COALESCE(?, transfer_id)"
        f" WHERE id = ? AND client_id = ? AND status {is_in} RETURNING {COLUMNS}",
        "drop_settlement": "DELETE FROM settlements WHERE payment_intent_id = ?",
        "claim_settlement": "DELETE FROM settlements WHERE payment_intent_id = ? AND due_at = ? RETURNING 1",
        "due_settlements": "SELECT payment_intent_id, client_id, due_at, status FROM settlements"
        " WHERE due_at <= ? ORDER BY due_at LIMIT ?",
        "insert_event": "INSERT INTO webhook_events (id, client_id, payment_intent_id, status, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        "insert_delivery": "INSERT INTO webhook_deliveries (event_id, receiver, state, next_attempt_at)"
        " VALUES (?, ?, 'pending', ?)",
        "insert_deliveries": "INSERT INTO webhook_deliveries (event_id, receiver, state, next_attempt_at)"
        f" SELECT ?, value, 'pending', ? FROM {dialect.each}",
        "upsert_settlement": "INSERT INTO settlements (payment_intent_id, client_id, due_at, status)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (payment_intent_id) DO UPDATE"
        " SET client_id = excluded.client_id, due_at = excluded.due_at, status = excluded.status",
        "insert_attempt": "INSERT INTO webhook_attempts (event_id, receiver, number, at, http_status, error, delivered)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        "end_attempt": "UPDATE webhook_deliveries"
        " SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at),"
        " lease_owner = NULL, lease_until = NULL"
        " WHERE event_id = ? AND receiver = ? AND lease_owner = ? AND state = 'pending'",
        "schedule_delivery": "UPDATE webhook_deliveries"
        " SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL"
        " WHERE event_id = ? AND receiver = ? AND (state <> 'pending' OR lease_owner IS NULL OR lease_owner = ?)",
        "events": events + order,
        "events_of_intent": events + " AND payment_intent_id = ?" + order,
        "deliveries_of": "SELECT event_id, receiver, state, next_attempt_at FROM webhook_deliveries"
        f" WHERE event_id {is_in} ORDER BY event_id, receiver",
        "attempts_of": "SELECT event_id, receiver, number, at, http_status, error, delivered FROM webhook_attempts"
        f" WHERE event_id {is_in} ORDER BY at, {dialect.order}",
        # A client's finished events (no delivery pending) created before a time, oldest first.
        "prunable": "SELECT id FROM webhook_events AS e WHERE client_id = ? AND created_at < ? AND NOT EXISTS ("
        "SELECT 1 FROM webhook_deliveries AS d WHERE d.event_id = e.id AND d.state = 'pending')"
        " ORDER BY created_at LIMIT ?",
    }
    pruned = (("webhook_attempts", "event_id"), ("webhook_deliveries", "event_id"), ("webhook_events", "id"))
    prune = tuple(
        f"DELETE FROM {table} WHERE {column} {is_in}".replace("?", dialect.placeholder) for table, column in pruned
    )
    return Statements(**{name: text.replace("?", dialect.placeholder) for name, text in texts.items()}, prune=prune)


class SQLStore:
    """The `Store` methods, once, over `_run` and the dialect's `Statements` (see the module docstring).

    Subclasses set `sql` and implement `_run`, `_snapshot` and `claim_deliveries`.
    """

    sql: Statements
    dialect: Dialect

    def _run(self, work: Callable[[Any], T], write: bool = False) -> T:
        """`work(connection)`: in one write transaction when `write` (committed, or rolled back on any error)."""
        raise NotImplementedError

    def _snapshot(self, connection: Any) -> contextlib.AbstractContextManager[Any]:
        """A read-only transaction on `connection`: its statements all see one state of the database."""
        raise NotImplementedError

    def add_with(self, intent: Intent, event: Event | None, settlement: Settlement | None) -> None:
        """Insert `intent`, its event (with its deliveries) and its settlement, in one transaction."""
        row = intent_row(intent)

        def insert(connection: Connection) -> None:
            connection.execute(self.sql.insert, row)
            self._write_outbox(connection, event, settlement)

        self._run(insert, write=True)

    def get(self, client_id: str, intent_id: str) -> Intent | None:
        """Read one intent (one SELECT, no explicit transaction)."""
        row = self._run(lambda connection: connection.execute(self.sql.select, (intent_id, client_id)).fetchone())
        return None if row is None else intent_from_row(row)

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """One conditional UPDATE; its RETURNING row says whether this call won (then the event and timer)."""
        values = (*confirmation_values(confirmation), intent_id, client_id, self._statuses(unconfirmed))

        def attempt(connection: Connection) -> Intent | Refusal:
            rows = connection.execute(self.sql.confirm, values).fetchall()  # all: the statement ends here
            if rows:  # the event and timer of a change that happened, never of a refused one
                self._write_outbox(connection, confirmation.event, confirmation.settlement)
                return intent_from_row(rows[0])
            exists = connection.execute(self.sql.exists, (intent_id, client_id)).fetchone() is not None
            return Refusal.ALREADY_CONFIRMED if exists else Refusal.NOT_FOUND

        return self._run(attempt, write=True)

    def transition(
        self, client_id: str, intent_id: str, from_statuses: frozenset[str], transition: Transition
    ) -> Intent | Refusal:
        """One conditional UPDATE (status in `from_statuses`) and, iff it changed the row, the event."""
        values = (transition.status, transition.transfer_id, intent_id, client_id, self._statuses(from_statuses))

        def attempt(connection: Connection) -> Intent | Refusal:
            rows = connection.execute(self.sql.transition, values).fetchall()
            if rows:
                self._write_outbox(connection, transition.event, None)
                connection.execute(self.sql.drop_settlement, (intent_id,))
                return intent_from_row(rows[0])
            exists = connection.execute(self.sql.exists, (intent_id, client_id)).fetchone() is not None
            return Refusal.WRONG_STATUS if exists else Refusal.NOT_FOUND

        return self._run(attempt, write=True)

    def due_settlements(self, now: float, limit: int) -> list[Settlement]:
        """Settlements whose `due_at` is at or before `now`, oldest first (one SELECT)."""
        rows = self._run(lambda connection: connection.execute(self.sql.due_settlements, (now, limit)).fetchall())
        return [Settlement(*row) for row in rows]

    def settle(self, settlement: Settlement, transition: Transition) -> Intent | None:
        """Delete the settlement row and, if this call deleted it, move the intent from processing, with its event.

        The DELETE is the claim: of several instances settling the same row, one deletes it (the
        others wait for its commit, then find nothing), so an intent settles once and announces it once.
        """
        processing = self._statuses(PROCESSING)
        values = (transition.status, transition.transfer_id, settlement.payment_intent_id, settlement.client_id)

        def attempt(connection: Connection) -> Intent | None:
            claim = (settlement.payment_intent_id, settlement.due_at)
            if not connection.execute(self.sql.claim_settlement, claim).fetchall():
                return None
            rows = connection.execute(self.sql.transition, (*values, processing)).fetchall()
            if not rows:
                return None
            self._write_outbox(connection, transition.event, None)
            return intent_from_row(rows[0])

        return self._run(attempt, write=True)

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
        raise NotImplementedError

    def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
        """Insert the attempt; the delivery becomes delivered, failed (no next attempt) or pending again.

        Only the lease's owner moves the delivery on: an attempt whose lease ran out is recorded
        in the history but changes nothing else (the new owner decides).
        """
        state = "delivered" if attempt.delivered else ("pending" if next_attempt_at is not None else "failed")
        row = (
            attempt.event_id,
            attempt.receiver,
            attempt.number,
            attempt.at,
            attempt.http_status,
            attempt.error,
            attempt.delivered,
        )
        end = (state, attempt.number, next_attempt_at, attempt.event_id, attempt.receiver, owner)

        def write(connection: Connection) -> None:
            connection.execute(self.sql.insert_attempt, row)
            connection.execute(self.sql.end_attempt, end)

        self._run(write, write=True)

    def schedule_delivery(self, event_id: str, receiver: str, next_attempt_at: float, owner: str | None) -> bool:
        """Make a delivery pending, due at `next_attempt_at` and unleased (see `Store.schedule_delivery`)."""
        values = (next_attempt_at, event_id, receiver, owner)

        def write(connection: Connection) -> bool:
            return bool(connection.execute(self.sql.schedule_delivery, values).rowcount)

        return self._run(write, write=True)

    def events(self, client_id: str, intent_id: str | None, limit: int) -> list[EventRecord]:
        """The newest `limit` events of `client_id` (of `intent_id` if given), each with its deliveries.

        Three SELECTs in one snapshot: the events, then all their deliveries and attempts at once.
        """
        params: tuple[str | int, ...] = (client_id, limit)
        query = self.sql.events
        if intent_id is not None:
            query, params = self.sql.events_of_intent, (client_id, intent_id, limit)

        def read(connection: Connection) -> list[EventRecord]:
            with self._snapshot(connection):
                events = [Event(*row) for row in connection.execute(query, params).fetchall()]
                ids = (self.dialect.as_list([event.id for event in events]),)
                deliveries = connection.execute(self.sql.deliveries_of, ids).fetchall()
                attempts = connection.execute(self.sql.attempts_of, ids).fetchall()
            return _event_records(events, deliveries, attempts)

        return self._run(read)

    def prune_events(self, client_id: str, before: float, limit: int) -> int:
        """Delete up to `limit` of `client_id`'s events created before `before` (epoch seconds), none pending.

        Their deliveries and attempts go with them, oldest events first, in one short transaction
        (on the client's index, which the events view uses too); the number of events deleted
        (fewer than `limit`: nothing more to prune now).
        """

        def prune(connection: Connection) -> int:
            ids = [row[0] for row in connection.execute(self.sql.prunable, (client_id, before, limit)).fetchall()]
            if ids:
                for statement in self.sql.prune:
                    connection.execute(statement, (self.dialect.as_list(ids),))
            return len(ids)

        return self._run(prune, write=True)

    def _statuses(self, statuses: frozenset[str]) -> Any:
        """`statuses` as the dialect's list parameter (made once per set: the lifecycle uses a few)."""
        return _status_list(self.dialect, statuses)

    def _write_outbox(self, connection: Connection, event: Event | None, settlement: Settlement | None) -> None:
        """The outbox rows of a change, inside the caller's transaction: the event, its deliveries, the timer."""
        if event is not None:
            connection.execute(
                self.sql.insert_event,
                (event.id, event.client_id, event.payment_intent_id, event.status, event.body, event.created_at),
            )
            if len(event.receivers) == 1:  # the common case: one plain INSERT
                connection.execute(self.sql.insert_delivery, (event.id, event.receivers[0], event.created_at))
            elif event.receivers:
                connection.execute(
                    self.sql.insert_deliveries, (event.id, event.created_at, self.dialect.as_list(event.receivers))
                )
        if settlement is not None:
            connection.execute(
                self.sql.upsert_settlement,
                (settlement.payment_intent_id, settlement.client_id, settlement.due_at, settlement.status),
            )


@functools.cache
def _status_list(dialect: Dialect, statuses: frozenset[str]) -> Any:
    return dialect.as_list(sorted(statuses))


def _event_records(
    events: list[Event], deliveries: Sequence[tuple[Any, ...]], attempts: Sequence[tuple[Any, ...]]
) -> list[EventRecord]:
    """Each event with its deliveries (by receiver) and each delivery with its attempts (in order)."""
    history: dict[tuple[str, str], list[Attempt]] = {}
    for row in attempts:
        history.setdefault((row[0], row[1]), []).append(attempt_from_row(row))
    states: dict[str, list[DeliveryState]] = {}
    for event_id, receiver, state, next_at in deliveries:
        states.setdefault(event_id, []).append(
            DeliveryState(receiver, state, next_at, tuple(history.get((event_id, receiver), ())))
        )
    return [EventRecord(event, tuple(states.get(event.id, ()))) for event in events]
