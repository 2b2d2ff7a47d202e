"""Where payment intents live: the `Store` interface and its SQLite implementation.

This is the only module that knows SQL. Handlers see `Store`; another engine is another class
with the same four methods.

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
import dataclasses
import enum
import functools
import json
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from dots_sandbox.settings import MEMORY_DB

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
_COLUMNS = (
    "id, client_id, status, payment_method_id, transfer_id, create_request, confirm_request, "
    "client_secret_sha256, created_at, confirmed_at"
)
_INSERT = f"INSERT INTO payment_intents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_SELECT = f"SELECT {_COLUMNS} FROM payment_intents WHERE id = ? AND client_id = ?"  # noqa: S608
_EXISTS = "SELECT 1 FROM payment_intents WHERE id = ? AND client_id = ?"


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
    """What a confirm writes."""

    status: str
    payment_method_id: str
    transfer_id: str | None
    request: Mapping[str, Any]
    at: str


class Refusal(enum.Enum):
    """Why a confirm changed nothing."""

    NOT_FOUND = "not-found"
    ALREADY_CONFIRMED = "already-confirmed"


class Store(Protocol):
    """The storage the handlers use. Implementations must make `confirm` atomic."""

    def add(self, intent: Intent) -> None:
        """Store a new intent (one transaction)."""

    def get(self, client_id: str, intent_id: str) -> Intent | None:
        """The intent `intent_id` (lower case) of `client_id`, or None."""

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """Apply `confirmation` iff the intent's status is in `unconfirmed`, atomically; the intent after it."""

    def close(self) -> None:
        """Release connections."""


class SQLiteStore:
    """The SQLite `Store` (a file, or `:memory:`)."""

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
        row = (
            intent.id,
            intent.client_id,
            intent.status,
            intent.payment_method_id,
            intent.transfer_id,
            _dump(intent.create_request),
            None if intent.confirm_request is None else _dump(intent.confirm_request),
            intent.client_secret_sha256,
            intent.created_at,
            intent.confirmed_at,
        )
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
        return None if row is None else _intent(row)

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """One conditional UPDATE in BEGIN IMMEDIATE; its RETURNING row says whether this call won."""
        statuses = sorted(unconfirmed)
        update = _confirm_statement(len(statuses))
        values = (
            confirmation.status,
            confirmation.payment_method_id,
            confirmation.transfer_id,
            _dump(confirmation.request),
            confirmation.at,
            intent_id,
            client_id,
            *statuses,
        )
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
            return _intent(rows[0])
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


def open_store(db: str, synchronous: str = "NORMAL") -> Store:
    """The store for a SANDBOX_DB value (a file path or `:memory:`)."""
    return SQLiteStore(db, synchronous)


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


@functools.cache
def _confirm_statement(count: int) -> str:
    return f"""UPDATE payment_intents
        SET status = ?, payment_method_id = ?, transfer_id = ?, confirm_request = ?, confirmed_at = ?
        WHERE id = ? AND client_id = ? AND status IN ({", ".join("?" * count)})
        RETURNING {_COLUMNS}"""  # noqa: S608


# ASCII JSON: NUL and every other character round-trip through SQLite TEXT unchanged.
_dump = json.JSONEncoder(separators=(",", ":")).encode


def _intent(row: tuple[Any, ...]) -> Intent:
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
        create_request=json.loads(create_request),
        client_secret_sha256=secret_digest,
        created_at=created_at,
        payment_method_id=payment_method_id,
        transfer_id=transfer_id,
        confirm_request=None if confirm_request is None else json.loads(confirm_request),
        confirmed_at=confirmed_at,
    )
