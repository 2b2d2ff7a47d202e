"""The PostgreSQL `Store`: several sandbox instances, on one or many hosts, share one database.

By design:
- psycopg 3 with a psycopg_pool connection pool of POOL_SIZE + 1 connections. The app runs
  writes on POOL_SIZE worker threads (`concurrency`: commits wait on the WAL flush, and several
  in flight share one flush) and reads (one indexed SELECT) on its event loop, which keeps the
  one extra connection to itself: so no call waits for a connection while the database is up.
  Reads on worker threads were slower, and stalled for 1-2 s at p99 with two instances on two
  busy cores (threads handing the GIL back and forth); see docs/performance.md.
- Every state change is one transaction, committed before the answer is sent, with the server's
  default `synchronous_commit = on`: an answered change is in PostgreSQL's WAL, on disk, and
  survives the sandbox's `kill -9` and PostgreSQL's own crash.
- Confirm is one conditional `UPDATE ... WHERE id = %s AND client_id = %s AND status =
  ANY(<unconfirmed>) RETURNING ...` (READ COMMITTED): PostgreSQL locks the row, and a concurrent
  UPDATE re-checks the WHERE against the row the first one committed, so of any number of
  confirms, from any number of instances, exactly one returns a row.
- The schema is created (or its version checked) in one transaction holding the advisory lock
  SCHEMA_LOCK_KEY, so instances starting together neither race on CREATE TABLE nor see a half
  made schema. A database whose `dots_sandbox_schema` says another version is refused.
- Failures: a database that cannot be reached at start-up raises StoreUnavailable naming host
  and port (the URL's password masked). While running, a call that cannot reach the database
  before its COMMIT was sent changed nothing: it is retried once on a fresh connection (a
  connection left from before a database restart fails on first use) and then raises
  StoreUnavailable; a connection lost during COMMIT raises OutcomeUnknown. The app answers both
  with 503.
- JSON is stored as TEXT, exactly as the SQLite store keeps it (not JSONB: that would reorder
  keys and refuses `\\u0000`); the client secret only as its SHA-256 digest (BYTEA).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import psycopg.conninfo
import psycopg_pool

from dots_sandbox.store.base import (
    COLUMNS,
    Confirmation,
    Intent,
    OutcomeUnknown,
    Refusal,
    StoreUnavailable,
    confirmation_values,
    intent_from_row,
    intent_row,
)
from dots_sandbox.store.url import POSTGRESQL, parse_database

SCHEMA_VERSION = 1
# pg_advisory_xact_lock key for schema changes: any fixed bigint; this one spells "dotssbx1".
SCHEMA_LOCK_KEY = 0x646F747373627831
POOL_SIZE = 8
# Seconds to wait for a connection from the pool before answering 503: reached only while the
# database is down, since the app never runs more calls at once than the pool has connections.
POOL_TIMEOUT_S = 2.0
# Once the database is known to be unreachable, how long a call waits for a connection: short,
# because reads wait on the event loop; long enough to let the pool start a new attempt.
UNREACHABLE_POOL_TIMEOUT_S = 0.05
# Seconds libpq waits for a connection to be made (unless the URL sets connect_timeout).
CONNECT_TIMEOUT_S = 5
# After a database outage, how long the pool keeps retrying a lost connection (backing off)
# before it lets a new request start a fresh attempt: short, so a restarted database is used again
# within seconds.
RECONNECT_TIMEOUT_S = 3.0

# Errors that mean "the database could not be reached or went away", as opposed to a bug.
_UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError)

_SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS dots_sandbox_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
)"""
_INTENTS_TABLE = """CREATE TABLE IF NOT EXISTS payment_intents (
        id text PRIMARY KEY,                    -- lower-case hyphenated UUID
        client_id text NOT NULL,                -- the Basic-auth user that created it
        status text NOT NULL,
        payment_method_id text,                 -- as sent, at create or (replacing it) at confirm
        transfer_id text,                       -- set when confirm succeeded
        create_request text NOT NULL,           -- the create body, JSON, every field as validated
        confirm_request text,                   -- the confirm body, JSON
        client_secret_sha256 bytea NOT NULL,
        created_at text NOT NULL,               -- ISO 8601, UTC
        confirmed_at text
    )"""
_INSERT = f"INSERT INTO payment_intents ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
_SELECT = f"SELECT {COLUMNS} FROM payment_intents WHERE id = %s AND client_id = %s"  # noqa: S608
_EXISTS = "SELECT 1 FROM payment_intents WHERE id = %s AND client_id = %s"
_CONFIRM = f"""UPDATE payment_intents
    SET status = %s, payment_method_id = %s, transfer_id = %s, confirm_request = %s, confirmed_at = %s
    WHERE id = %s AND client_id = %s AND status = ANY(%s)
    RETURNING {COLUMNS}"""  # noqa: S608

logger = logging.getLogger("dots_sandbox")
T = TypeVar("T")


class PostgreSQLStore:
    """The PostgreSQL `Store` for a `postgresql://` (or `postgres://`) URL.

    Opening it connects, creates or checks the schema, and fills the pool; StoreUnavailable (one
    line: host, port, why) when the database cannot be reached or refuses the credentials, and
    RuntimeError for a schema of another version.
    """

    concurrency = POOL_SIZE

    def __init__(self, url: str, pool_size: int = POOL_SIZE, pool_timeout: float = POOL_TIMEOUT_S) -> None:
        self._database = parse_database(url)
        if self._database.engine != POSTGRESQL:
            raise ValueError(f"not a PostgreSQL URL: {self._database.display}")
        self.concurrency = pool_size
        self._pool_timeout = pool_timeout
        self._reachable = True
        self._reachable_lock = threading.Lock()
        options: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in psycopg.conninfo.conninfo_to_dict(url):
            options["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            with psycopg.connect(url, **options) as connection:
                _migrate(connection)
        except _UNREACHABLE as error:
            raise StoreUnavailable(self._why(error)) from None
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=pool_size + 1,  # one for the reads on the event loop
            max_size=pool_size + 1,
            kwargs=options,
            open=False,
            timeout=pool_timeout,
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            name="dots-sandbox",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)
        except psycopg_pool.PoolTimeout:
            self._pool.close()
            raise StoreUnavailable(f"cannot fill the connection pool for PostgreSQL at {self.endpoint}") from None

    def __repr__(self) -> str:
        return f"PostgreSQLStore({self._database.display!r})"

    @property
    def endpoint(self) -> str:
        """`host:port` of the database."""
        return self._database.endpoint

    def add(self, intent: Intent) -> None:
        """Insert `intent` in one transaction."""
        row = intent_row(intent)
        self._run(lambda connection: connection.execute(_INSERT, row), write=True)

    def get(self, client_id: str, intent_id: str) -> Intent | None:
        """Read one intent (one SELECT, no explicit transaction)."""
        row = self._run(lambda connection: connection.execute(_SELECT, (intent_id, client_id)).fetchone())
        return None if row is None else intent_from_row(row)

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """One conditional UPDATE; its RETURNING row says whether this call won."""
        values = (*confirmation_values(confirmation), intent_id, client_id, sorted(unconfirmed))

        def attempt(connection: psycopg.Connection[Any]) -> Intent | Refusal:
            row = connection.execute(_CONFIRM, values).fetchone()
            if row is not None:
                return intent_from_row(row)
            exists = connection.execute(_EXISTS, (intent_id, client_id)).fetchone() is not None
            return Refusal.ALREADY_CONFIRMED if exists else Refusal.NOT_FOUND

        return self._run(attempt, write=True)

    def close(self) -> None:
        """Close the pool and its connections."""
        self._pool.close()

    def _run(self, work: Callable[[psycopg.Connection[Any]], T], write: bool = False) -> T:
        """`work` on a pooled connection (in a transaction when `write`), mapping lost connections to errors."""
        for attempt in (1, 2):
            try:
                connection = self._pool.getconn(self._pool_timeout if self._reachable else UNREACHABLE_POOL_TIMEOUT_S)
            except psycopg_pool.PoolTimeout:
                raise self._unavailable(f"no connection to PostgreSQL at {self.endpoint}") from None
            committing = False
            try:
                if write:
                    with connection.transaction():
                        result = work(connection)
                        committing = True  # the block's end sends COMMIT
                else:
                    result = work(connection)
            except _UNREACHABLE as error:
                if committing:
                    raise self._unavailable(self._why(error), OutcomeUnknown) from None
                if not (connection.broken and attempt == 1):
                    raise self._unavailable(self._why(error)) from None
            else:
                self._mark_reachable()
                return result
            finally:
                self._pool.putconn(connection)  # a broken one is discarded and replaced
            # Nothing was committed. A connection that broke on first use is most likely one from
            # before a database restart: drop every such one, then retry once.
            self._pool.check()
        raise AssertionError("unreachable")  # pragma: no cover

    def _unavailable(self, why: str, kind: type[StoreUnavailable] = StoreUnavailable) -> StoreUnavailable:
        with self._reachable_lock:
            was_reachable, self._reachable = self._reachable, False
        if was_reachable:  # one line per outage, not one per request
            logger.warning("%s; answering 503 until it is back", why)
        return kind(why)

    def _mark_reachable(self) -> None:
        if not self._reachable:
            with self._reachable_lock:
                was_reachable, self._reachable = self._reachable, True
            if not was_reachable:
                logger.warning("PostgreSQL at %s is reachable again", self.endpoint)

    def _why(self, error: BaseException) -> str:
        reason = " ".join(self._database.scrub(str(error)).split()) or type(error).__name__
        return f"cannot use PostgreSQL at {self.endpoint} ({self._database.display}): {reason}"


def _migrate(connection: psycopg.Connection[Any]) -> None:
    """Create the schema, or check its version, under an advisory lock (one instance at a time)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
        connection.execute(_SCHEMA_TABLE)
        row = connection.execute("SELECT version FROM dots_sandbox_schema").fetchone()
        if row is None:
            connection.execute(_INTENTS_TABLE)
            connection.execute("INSERT INTO dots_sandbox_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise RuntimeError(f"database schema version {row[0]}, this sandbox knows {SCHEMA_VERSION}")
