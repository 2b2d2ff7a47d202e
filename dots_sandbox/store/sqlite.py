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
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from pathlib import Path
from typing import Any

from dots_sandbox.store.base import (
    COLUMNS,
    Confirmation,
    Intent,
    Refusal,
    confirmation_values,
    intent_from_row,
    intent_row,
)
from dots_sandbox.store.url import MEMORY_DB

SCHEMA_VERSION = 1
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

    def add(self, intent: Intent) -> None:
        """Insert `intent` in one transaction."""
        row = intent_row(intent)
        with self._guard:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(_INSERT, row)
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
            if version not in (0, SCHEMA_VERSION):
                raise RuntimeError(f"{self._db}: schema version {version}, this sandbox knows {SCHEMA_VERSION}")
            connection.execute(_SCHEMA)
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


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


@functools.cache
def _confirm_statement(count: int) -> str:
    return f"""UPDATE payment_intents
        SET status = ?, payment_method_id = ?, transfer_id = ?, confirm_request = ?, confirmed_at = ?
        WHERE id = ? AND client_id = ? AND status IN ({", ".join("?" * count)})
        RETURNING {COLUMNS}"""  # noqa: S608
