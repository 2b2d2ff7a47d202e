"""The SQLite `Store`: a file (the default, `.sandbox/sandbox.db`) or `:memory:`.

SQLite, by design:
- WAL journal, `synchronous` NORMAL by default (FULL on request): `COMMIT` returns only once the
  transaction is in the WAL file, and the sandbox answers only after `COMMIT`, so an answered
  change survives `kill -9` of the server (NORMAL) and also an OS crash or power loss (FULL).
- Every state change is one transaction (`_run(work, write=True)`: `BEGIN IMMEDIATE`, so the
  write lock is taken up front and never upgraded from a read lock). Confirm is one conditional
  `UPDATE ... WHERE id = ? AND status IN (<unconfirmed>)`: of any number of concurrent confirms,
  from threads or processes sharing the file, exactly one changes the row. The statements
  themselves are the lifecycle's, written once for every engine (`sql.py`).
- One connection per thread (so threads really race in SQLite); `:memory:` has one connection
  shared under a lock (each connection to `:memory:` would be a different database). The schema
  (store/schema.py's tables in this engine's TYPES) is made or migrated once, by the store's first
  connection; a file that cannot be made, opened or migrated is StoreCannotOpen.
- Storage faults: a full disk (SQLITE_FULL) or an I/O error is StorageFault (503), logged once
  until writes work again; SQLITE_BUSY past BUSY_TIMEOUT_MS is StoreBusy (503). Every write
  first checks that the path still names the file the store opened (device and inode): one
  removed or replaced under the running sandbox (`rm -rf .sandbox`) refuses every write with
  StorageFault and one log line, rather than acknowledge changes to a file no longer on disk,
  which a restart would lose. Later connections open the file read-write only, never create it.
- WAL checkpoints (copying committed pages into the database file, with its fsync) run on a
  background thread every CHECKPOINT_INTERVAL_S, not inside the COMMIT of whichever request
  happened to cross SQLite's 1,000-page threshold: that stall was the sandbox's p99 under a write
  load (about 10 ms, against 3-4 ms without it; `make bench`). Serving connections keep an
  automatic checkpoint at CHECKPOINT_BACKSTOP_PAGES, so the WAL stays bounded should the thread
  ever stop. Durability is unchanged: a transaction is durable once in the WAL.
- The create request is stored whole, as JSON (every field, shown or not), and so is the
  confirm request. The client secret is stored only as its SHA-256 digest.
- Later outcomes and webhooks (their statements in sql.py): a status change writes,
  in its own transaction, the `payment_intent.updated` event and one delivery row per receiver
  (the transactional outbox), and a `processing` intent's settlement row (its timer). Deliveries
  are claimed with a lease (`lease_owner`, `lease_until`), so with several processes on one
  database each attempt is made by one of them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from dots_sandbox.store.base import Delivery, Episode, StorageFault, StoreBusy, StoreCannotOpen
from dots_sandbox.store.schema import (
    MIGRATES_FROM,
    SCHEMA_VERSION,
    ColumnTypes,
    NotASandboxDatabase,
    SchemaVersionError,
)
from dots_sandbox.store.schema import statements as schema_statements
from dots_sandbox.store.sql import Dialect, SQLStore, statements
from dots_sandbox.store.url import MEMORY_DB

BUSY_TIMEOUT_MS = 10_000
CHECKPOINT_INTERVAL_S = 0.1
CHECKPOINT_BACKSTOP_PAGES = 20_000

# The schema's column types here (dots_sandbox/store/schema.py): rowid orders rows as written.
TYPES = ColumnTypes(
    text="TEXT", bytes="BLOB", seconds="REAL", integer="INTEGER", boolean="INTEGER", sequence=None,
    keyed_only="WITHOUT ROWID",
)  # fmt: skip


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))


# A list parameter is one JSON array, read back as rows by json_each; rowid orders rows as written.
DIALECT = Dialect(placeholder="?", each="json_each(?)", order="rowid", as_list=_json_list)
# The claim: lease due, unleased pending deliveries to one owner, in one UPDATE (the write lock
# orders claims, so two never lease one row).
_CLAIM = """UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
    WHERE rowid IN (
        SELECT rowid FROM webhook_deliveries
        WHERE state = 'pending' AND next_attempt_at <= ? AND receiver IN (SELECT value FROM json_each(?))
          AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at LIMIT ?)
    RETURNING event_id, receiver, attempts"""
_BODIES = "SELECT id, body FROM webhook_events WHERE id IN (SELECT value FROM json_each(?))"
# The file's own tables (not SQLite's internal ones): a file of schema version 0 holding any is another program's.
_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
# SQLite result codes (https://www.sqlite.org/rescode.html; the primary code is the low byte).
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_STORAGE_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    }
)
T = TypeVar("T")
logger = logging.getLogger("dots_sandbox")


class SQLiteStore(SQLStore):
    """The SQLite `Store` (a file, or `:memory:`)."""

    concurrency = 0  # local and fast: called on the event loop
    dialect = DIALECT
    sql = statements(DIALECT)

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
        # Uses in progress: close() waits for them, as closing a connection another thread is using crashes
        # the process (a segmentation fault in the sqlite3 module, seen when a reset closed a test sandbox
        # while its dispatcher recorded an attempt).
        self._busy = 0
        self._idle = threading.Condition()
        self._closed = False
        self._identity: tuple[int, int] | None = None  # the file's (device, inode), once opened
        self._full = Episode(logger, f"the SQLite database {db} accepts writes again")
        self._replaced = Episode(logger, "")  # never ends: only a restart opens the new file
        if db == MEMORY_DB:
            self._guard = threading.Lock()
            self._shared = self._connect()
        else:
            self._local.connection = _opening(db, self._connect)  # the schema now: a bad path fails the start
            self._identity = _identity(db)
            # The checkpoints' own connection, opened here: a file removed later never fails the thread.
            checkpoints = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, args=(checkpoints,), name="sqlite-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def _checkpoint_loop(self, connection: sqlite3.Connection) -> None:
        # PASSIVE never waits for readers or the writer, and the GIL is released while SQLite
        # copies and syncs, so requests go on meanwhile.
        try:
            with contextlib.suppress(sqlite3.DatabaseError):
                connection.execute(f"PRAGMA synchronous = {self._synchronous}")
            while not self._stop_checkpoints.wait(CHECKPOINT_INTERVAL_S):
                # Busy, no room, the file gone (writes refuse that themselves): the next round tries again.
                with contextlib.suppress(sqlite3.DatabaseError):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    def close(self) -> None:
        """Stop the checkpoints and close every connection this store opened (in any thread), once every use
        in progress has ended (each is bounded by the busy timeout); later uses raise sqlite3.ProgrammingError."""
        with self._idle:
            self._closed = True
            self._idle.wait_for(lambda: self._busy == 0, timeout=BUSY_TIMEOUT_MS / 1000 + 5)
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

    def _run(self, work: Callable[[sqlite3.Connection], T], write: bool = False) -> T:
        """`work` on this thread's connection; when `write`, in BEGIN IMMEDIATE ... COMMIT on the file the store opened.

        Raises StorageFault (disk full, I/O error, the file removed or replaced) or StoreBusy
        (the write lock not had within BUSY_TIMEOUT_MS); nothing was changed then. Other errors
        (a duplicate id, a bug, sqlite3.ProgrammingError once the store is closed) propagate as sqlite3's.
        """
        with self._idle:
            if self._closed:
                raise sqlite3.ProgrammingError("the store is closed")
            self._busy += 1
        try:
            return self._run_now(work, write)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _run_now(self, work: Callable[[sqlite3.Connection], T], write: bool) -> T:
        with self._guard:
            try:
                connection = self._connection()
                if not write:
                    return work(connection)
                connection.execute("BEGIN IMMEDIATE")
                try:
                    self._check_file()
                    result = work(connection)
                    connection.execute("COMMIT")
                except BaseException:
                    _rollback(connection)
                    raise
            except sqlite3.DatabaseError as error:
                refused = self._refused(error)
                if refused is None:
                    raise
                raise refused from None
        self._full.end()
        return result

    @contextlib.contextmanager
    def _snapshot(self, connection: sqlite3.Connection) -> Iterator[None]:
        connection.execute("BEGIN")  # deferred: a read transaction, one snapshot for every SELECT in it
        try:
            yield
        except BaseException:
            _rollback(connection)
            raise
        connection.execute("COMMIT")

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
        """Lease due pending deliveries (none leased by another owner until `now`) to `owner`, oldest first."""
        if not receivers or limit <= 0:
            return []
        values = (owner, now + lease_seconds, now if due_by is None else due_by, _json_list(receivers), now, limit)

        def claim(connection: sqlite3.Connection) -> list[Delivery]:
            rows = connection.execute(_CLAIM, values).fetchall()
            if not rows:
                return []
            bodies = dict(connection.execute(_BODIES, (_json_list([row[0] for row in rows]),)).fetchall())
            return [Delivery(event_id, receiver, bodies[event_id], attempts) for event_id, receiver, attempts in rows]

        return self._run(claim, write=True)

    def _check_file(self) -> None:
        """StorageFault unless the path still names the file this store opened."""
        if self._identity is None:
            return
        try:
            same = _identity(self._db) == self._identity
        except OSError:
            same = False
        if not same:
            why = f"the SQLite database {self._db} was removed or replaced while the sandbox ran"
            self._replaced.begin(
                f"{why}: refusing every write (503) rather than acknowledge what a restart would lose; "
                "restart the sandbox to use the file now at that path"
            )
            raise StorageFault(why)

    def _refused(self, error: sqlite3.DatabaseError) -> StorageFault | StoreBusy | None:
        """The store's error for SQLite's `error` (by its result code), or None for one of another kind."""
        code = getattr(error, "sqlite_errorcode", None)
        if code is None:
            return None
        why = f"the SQLite database {self._db} cannot be written: {error}"
        if code & 0xFF in _BUSY_CODES:
            return StoreBusy(why)
        if code & 0xFF in _STORAGE_CODES:
            self._full.begin(f"{why}; answering writes 503 until they work again")
            return StorageFault(why)
        return None

    def _connect(self) -> sqlite3.Connection:
        """A new connection; the first one makes or migrates the schema, later ones only open the file read-write."""
        first = self._identity is None
        target, uri = self._db, False
        if not first:  # never a file other than the store's, and never create one where it was removed
            self._check_file()
            target, uri = f"file:{urllib.parse.quote(self._db)}?mode=rw", True
        # isolation_level=None: no implicit transactions; this module issues BEGIN/COMMIT itself.
        connection = sqlite3.connect(
            target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000, uri=uri
        )
        try:
            if self._db != MEMORY_DB:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_BACKSTOP_PAGES}")
            connection.execute(f"PRAGMA synchronous = {self._synchronous}")
            if first:
                _migrate(connection, self._db)
        except BaseException:
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


def _opening(db: str, connect: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    """The store's first connection to the file `db` (its folder made first), from `connect`.

    Raises StoreCannotOpen naming `db` and what failed: the folder cannot be made (OSError), the
    file cannot be opened or written or is not a database (sqlite3.Error), or SchemaVersionError.
    """
    try:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreCannotOpen(f"cannot make the folder of the SQLite database {db}: {error.strerror}") from None
    try:
        return connect()
    except sqlite3.Error as error:  # unable to open, read-only, not a database, disk I/O, ...
        raise StoreCannotOpen(f"cannot open the SQLite database {db}: {error}") from None


def _migrate(connection: sqlite3.Connection, db: str) -> None:
    """Make the schema, or bring an older one to SCHEMA_VERSION, in one write transaction.

    Raises SchemaVersionError for a version it cannot migrate from, NotASandboxDatabase for a file
    of version 0 that already holds tables (another program's); nothing is changed then.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version not in (0, *MIGRATES_FROM, SCHEMA_VERSION):  # 0: a new file
            raise SchemaVersionError(version, db)
        if version == 0:  # a new file, unless another program made tables in it
            tables = [name for (name,) in connection.execute(_TABLES)]
            if tables:
                raise NotASandboxDatabase(tables, db)
        if version != SCHEMA_VERSION:
            for statement in schema_statements(TYPES):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise


def _identity(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the error being raised says more than this one would
            connection.execute("ROLLBACK")
