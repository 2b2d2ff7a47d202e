"""The SQLite `Store`: a file (the default, `.sandbox/sandbox.db`) or `:memory:`.

SQLite, by design:
- WAL journal, `synchronous` NORMAL by default (FULL on request): `COMMIT` returns only once the
  transaction is in the WAL file, and the sandbox answers only after `COMMIT`, so an answered
  change survives `kill -9` of the server (NORMAL) and also an OS crash or power loss (FULL).
- Every state change is one transaction. Confirm is one conditional `UPDATE ... WHERE id = ?
  AND status IN (<unconfirmed>)` inside `BEGIN IMMEDIATE`: of any number of concurrent confirms,
  from threads or processes sharing the file, exactly one changes the row.
- One connection per thread (so threads really race in SQLite); `:memory:` has one connection
  shared under a lock (each connection to `:memory:` would be a different database).
- WAL checkpoints (copying committed pages into the database file, with its fsync) run on a
  background thread every CHECKPOINT_INTERVAL_S, not inside the COMMIT of whichever request
  happened to cross SQLite's 1,000-page threshold: that stall was the sandbox's p99 under a write
  load (about 10 ms, against 3-4 ms without it; `make bench`). Serving connections keep an
  automatic checkpoint at CHECKPOINT_BACKSTOP_PAGES, so the WAL stays bounded should the thread
  ever stop. Durability is unchanged: a transaction is durable once in the WAL.
- The create request is stored whole, as JSON (every field, shown or not), and so is the
  confirm request. The client secret is stored only as its SHA-256 digest.
- Later outcomes and webhooks (the section "Outbox and timers" below): a status change writes,
  in its own transaction, the `payment_intent.updated` event and one delivery row per receiver
  (the transactional outbox), and a `processing` intent's settlement row (its timer). Deliveries
  are claimed with a lease (`lease_owner`, `lease_until`), so with several processes on one
  database each attempt is made by one of them.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from dots_sandbox.store.url import MEMORY_DB

SCHEMA_VERSION = 2  # 2: the outbox and timer tables (a version-1 file gains them)
BUSY_TIMEOUT_MS = 10_000
CHECKPOINT_INTERVAL_S = 0.1
CHECKPOINT_BACKSTOP_PAGES = 20_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_intents (
    id TEXT PRIMARY KEY,                    -- lower-case hyphenated UUID
    client_id TEXT NOT NULL,                -- the Basic-auth user that created it
    status TEXT NOT NULL,
    payment_method_id TEXT,                 -- as sent, at create or (replacing it) at confirm
    transfer_id TEXT,                       -- set when confirm succeeded
    create_request TEXT NOT NULL,           -- the create body, JSON, every field as validated
    confirm_request TEXT,                   -- the confirm body, JSON
    client_secret_sha256 BLOB NOT NULL,
    created_at TEXT NOT NULL,               -- ISO 8601, UTC
    confirmed_at TEXT
) WITHOUT ROWID
"""
# Outbox and timers (schema version 2). Times are epoch seconds (REAL), so timers outlive restarts.
_OUTBOX_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS webhook_events (
        id TEXT PRIMARY KEY,                -- the svix-id (msg_...), the same on every attempt
        client_id TEXT NOT NULL,
        payment_intent_id TEXT NOT NULL,
        status TEXT NOT NULL,               -- the status the change led to
        body TEXT NOT NULL,                 -- the payload, exactly the bytes signed and sent
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        event_id TEXT NOT NULL REFERENCES webhook_events (id),
        receiver TEXT NOT NULL,             -- the receiver's URL (its secret is never stored)
        state TEXT NOT NULL,                -- pending | delivered | failed (retries exhausted)
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        lease_owner TEXT,
        lease_until REAL,
        PRIMARY KEY (event_id, receiver)
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
    """CREATE TABLE IF NOT EXISTS webhook_attempts (
        event_id TEXT NOT NULL,
        receiver TEXT NOT NULL,
        number INTEGER NOT NULL,            -- 1 for the first attempt
        at REAL NOT NULL,
        http_status INTEGER,                -- None when no answer came (timeout, refused, ...)
        error TEXT,                         -- why it failed, None when delivered
        delivered INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_attempts_event ON webhook_attempts (event_id, receiver)",
    """CREATE TABLE IF NOT EXISTS settlements (
        payment_intent_id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        due_at REAL NOT NULL,
        status TEXT NOT NULL                -- succeeded | failed: where the intent goes from processing
    )""",
    "CREATE INDEX IF NOT EXISTS settlements_due ON settlements (due_at)",
)
_INSERT = f"INSERT INTO payment_intents ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_SELECT = f"SELECT {COLUMNS} FROM payment_intents WHERE id = ? AND client_id = ?"  # noqa: S608
_EXISTS = "SELECT 1 FROM payment_intents WHERE id = ? AND client_id = ?"


class SQLiteStore:
    """The SQLite `Store` (a file, or `:memory:`)."""

    concurrency = 0  # local and fast: called on the event loop

    def __init__(self, db: str, synchronous: str = "NORMAL") -> None:
        self._db = db
        self._synchronous = synchronous
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._shared: sqlite3.Connection | None = None
        # `:memory:` serialises every use of its one connection; a file needs no lock of ours.
        self._guard: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        self._stop_checkpoints = threading.Event()
        self._checkpointer: threading.Thread | None = None
        if db == MEMORY_DB:
            self._guard = threading.Lock()
            self._shared = self._connect()
        else:
            Path(db).parent.mkdir(parents=True, exist_ok=True)
            self._connection()  # create the schema now, so start-up fails loudly on a bad path
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="sqlite-checkpoint", daemon=True)
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        # Its own connection: PASSIVE never waits for readers or the writer, and the GIL is
        # released while SQLite copies and syncs, so requests go on meanwhile.
        connection = sqlite3.connect(self._db, isolation_level=None, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA synchronous = {self._synchronous}")
            while not self._stop_checkpoints.wait(CHECKPOINT_INTERVAL_S):
                with contextlib.suppress(sqlite3.OperationalError):  # busy: the next round does it
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    def add_with(self, intent: Intent, event: Event | None, settlement: Settlement | None) -> None:
        """Insert `intent`, its event (with its deliveries) and its settlement, in one transaction."""
        row = intent_row(intent)
        with self._guard:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(_INSERT, row)
                _write_outbox(connection, event, settlement)
                connection.execute("COMMIT")
            except BaseException:
                _rollback(connection)
                raise

    def get(self, client_id: str, intent_id: str) -> Intent | None:
        """Read one intent (a single SELECT needs no explicit transaction)."""
        with self._guard:
            row = self._connection().execute(_SELECT, (intent_id, client_id)).fetchone()
        return None if row is None else intent_from_row(row)

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """One conditional UPDATE in BEGIN IMMEDIATE; its RETURNING row says whether this call won."""
        statuses = sorted(unconfirmed)
        update = _confirm_statement(len(statuses))
        values = (*confirmation_values(confirmation), intent_id, client_id, *statuses)
        with self._guard:
            connection = self._connection()
            # BEGIN IMMEDIATE takes the write lock up front, so the transaction never has to upgrade
            # a read lock (which could fail with SQLITE_BUSY instead of waiting).
            connection.execute("BEGIN IMMEDIATE")
            try:
                rows = connection.execute(update, values).fetchall()  # all: finish the statement before COMMIT
                exists = bool(rows) or connection.execute(_EXISTS, (intent_id, client_id)).fetchone() is not None
                if rows:  # the event and timer of a change that happened, never of a refused one
                    _write_outbox(connection, confirmation.event, confirmation.settlement)
                connection.execute("COMMIT")
            except BaseException:
                _rollback(connection)
                raise
        if rows:
            return intent_from_row(rows[0])
        return Refusal.ALREADY_CONFIRMED if exists else Refusal.NOT_FOUND

    def close(self) -> None:
        """Stop the checkpoints and close every connection this store opened (in any thread)."""
        self._stop_checkpoints.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
            self._checkpointer = None
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
        self._shared = None

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; this module issues BEGIN/COMMIT itself.
        connection = sqlite3.connect(
            self._db, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        if self._db != MEMORY_DB:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_BACKSTOP_PAGES}")
        connection.execute(f"PRAGMA synchronous = {self._synchronous}")
        connection.execute("BEGIN IMMEDIATE")
        try:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version not in (0, 1, SCHEMA_VERSION):
                raise RuntimeError(f"{self._db}: schema version {version}, this sandbox knows {SCHEMA_VERSION}")
            connection.execute(_SCHEMA)
            for statement in _OUTBOX_SCHEMA:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            connection.close()
            raise
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    def _connection(self) -> sqlite3.Connection:
        if self._db == MEMORY_DB:
            if self._shared is None:
                raise sqlite3.ProgrammingError("the store is closed")
            return self._shared
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    # ---- Outbox and timers ------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: the write lock up front), committed or rolled back."""
        with self._guard:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                _rollback(connection)
                raise

    def transition(
        self, client_id: str, intent_id: str, from_statuses: frozenset[str], transition: Transition
    ) -> Intent | Refusal:
        """One conditional UPDATE (status in `from_statuses`) and, iff it changed the row, the event."""
        statuses = sorted(from_statuses)
        update = f"""UPDATE payment_intents SET status = ?, transfer_id = COALESCE(?, transfer_id)
            WHERE id = ? AND client_id = ? AND status IN ({", ".join("?" * len(statuses))})
            RETURNING {COLUMNS}"""  # noqa: S608
        with self._write() as connection:
            rows = connection.execute(
                update, (transition.status, transition.transfer_id, intent_id, client_id, *statuses)
            ).fetchall()
            if rows:
                _write_outbox(connection, transition.event, None)
                connection.execute("DELETE FROM settlements WHERE payment_intent_id = ?", (intent_id,))
                return intent_from_row(rows[0])
            exists = connection.execute(_EXISTS, (intent_id, client_id)).fetchone() is not None
        return Refusal.WRONG_STATUS if exists else Refusal.NOT_FOUND

    def due_settlements(self, now: float, limit: int) -> list[Settlement]:
        """Settlements whose `due_at` is at or before `now`, oldest first."""
        with self._guard:
            rows = (
                self._connection()
                .execute(
                    "SELECT payment_intent_id, client_id, due_at, status FROM settlements"
                    " WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                    (now, limit),
                )
                .fetchall()
            )
        return [Settlement(*row) for row in rows]

    def settle(self, settlement: Settlement, transition: Transition) -> Intent | None:
        """Delete the settlement row and, if this call deleted it, move the intent from processing, with its event.

        The DELETE is the claim: of several processes settling the same row, one deletes it and the
        others find nothing to do, so an intent settles once and announces it once.
        """
        with self._write() as connection:
            claimed = connection.execute(
                "DELETE FROM settlements WHERE payment_intent_id = ? AND due_at = ? RETURNING 1",
                (settlement.payment_intent_id, settlement.due_at),
            ).fetchall()
            if not claimed:
                return None
            rows = connection.execute(
                f"""UPDATE payment_intents SET status = ?, transfer_id = COALESCE(?, transfer_id)
                WHERE id = ? AND client_id = ? AND status = 'processing' RETURNING {COLUMNS}""",  # noqa: S608
                (transition.status, transition.transfer_id, settlement.payment_intent_id, settlement.client_id),
            ).fetchall()
            if not rows:
                return None
            _write_outbox(connection, transition.event, None)
        return intent_from_row(rows[0])

    def claim_deliveries(
        self, now: float, lease_seconds: float, owner: str, receivers: tuple[str, ...], limit: int
    ) -> list[Delivery]:
        """Lease due pending deliveries (none leased by another owner until `now`) to `owner`, oldest first."""
        if not receivers or limit <= 0:
            return []
        marks = ", ".join("?" * len(receivers))
        with self._write() as connection:
            rows = connection.execute(
                f"""UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
                WHERE rowid IN (
                    SELECT rowid FROM webhook_deliveries
                    WHERE state = 'pending' AND next_attempt_at <= ? AND receiver IN ({marks})
                      AND (lease_until IS NULL OR lease_until <= ?)
                    ORDER BY next_attempt_at LIMIT ?)
                RETURNING event_id, receiver, attempts""",  # noqa: S608
                (owner, now + lease_seconds, now, *receivers, now, limit),
            ).fetchall()
            if not rows:
                return []
            bodies = dict(
                connection.execute(
                    f"SELECT id, body FROM webhook_events WHERE id IN ({', '.join('?' * len(rows))})",  # noqa: S608
                    [row[0] for row in rows],
                ).fetchall()
            )
        return [Delivery(event_id, receiver, bodies[event_id], attempts) for event_id, receiver, attempts in rows]

    def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
        """Insert the attempt; the delivery becomes delivered, failed (no next attempt) or pending again.

        Only the lease's owner moves the delivery on: an attempt whose lease ran out is recorded
        in the history but changes nothing else (the new owner decides).
        """
        state = "delivered" if attempt.delivered else ("pending" if next_attempt_at is not None else "failed")
        with self._write() as connection:
            connection.execute(
                "INSERT INTO webhook_attempts (event_id, receiver, number, at, http_status, error, delivered)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt.event_id,
                    attempt.receiver,
                    attempt.number,
                    attempt.at,
                    attempt.http_status,
                    attempt.error,
                    attempt.delivered,
                ),
            )
            connection.execute(
                """UPDATE webhook_deliveries
                SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at),
                    lease_owner = NULL, lease_until = NULL
                WHERE event_id = ? AND receiver = ? AND lease_owner = ? AND state = 'pending'""",
                (state, attempt.number, next_attempt_at, attempt.event_id, attempt.receiver, owner),
            )

    def events(self, client_id: str, intent_id: str | None, limit: int) -> list[EventRecord]:
        """The newest `limit` events of `client_id` (of `intent_id` if given), each with its deliveries."""
        query = (
            "SELECT id, client_id, payment_intent_id, status, body, created_at FROM webhook_events WHERE client_id = ?"
        )
        params: list[Any] = [client_id]
        if intent_id is not None:
            query += " AND payment_intent_id = ?"
            params.append(intent_id)
        query += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        with self._guard:
            connection = self._connection()
            events = [Event(*row) for row in connection.execute(query, (*params, limit)).fetchall()]
            records = []
            for event in events:
                deliveries = connection.execute(
                    "SELECT receiver, state, next_attempt_at FROM webhook_deliveries WHERE event_id = ?"
                    " ORDER BY receiver",
                    (event.id,),
                ).fetchall()
                attempts = connection.execute(
                    "SELECT event_id, receiver, number, at, http_status, error, delivered FROM webhook_attempts"
                    " WHERE event_id = ? ORDER BY at, rowid",
                    (event.id,),
                ).fetchall()
                states = tuple(
                    DeliveryState(
                        receiver,
                        state,
                        next_at,
                        tuple(attempt_from_row(row) for row in attempts if row[1] == receiver),
                    )
                    for receiver, state, next_at in deliveries
                )
                records.append(EventRecord(event, states))
        return records


def _write_outbox(connection: sqlite3.Connection, event: Event | None, settlement: Settlement | None) -> None:
    """The outbox rows of a change, inside the caller's transaction: the event, its deliveries, the timer."""
    if event is not None:
        connection.execute(
            "INSERT INTO webhook_events (id, client_id, payment_intent_id, status, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (event.id, event.client_id, event.payment_intent_id, event.status, event.body, event.created_at),
        )
        connection.executemany(
            "INSERT INTO webhook_deliveries (event_id, receiver, state, next_attempt_at) VALUES (?, ?, 'pending', ?)",
            [(event.id, receiver, event.created_at) for receiver in event.receivers],
        )
    if settlement is not None:
        connection.execute(
            "INSERT OR REPLACE INTO settlements (payment_intent_id, client_id, due_at, status) VALUES (?, ?, ?, ?)",
            (settlement.payment_intent_id, settlement.client_id, settlement.due_at, settlement.status),
        )


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


@functools.cache
def _confirm_statement(count: int) -> str:
    return f"""UPDATE payment_intents
        SET status = ?, payment_method_id = ?, transfer_id = ?, confirm_request = ?, confirmed_at = ?
        WHERE id = ? AND client_id = ? AND status IN ({", ".join("?" * count)})
        RETURNING {COLUMNS}"""  # noqa: S608
