"""The PostgreSQL `Store`: several sandbox instances, on one or many hosts, share one database.

By design:
- psycopg 3 with one psycopg_pool connection pool per sandbox process: POOL_SIZE + 1
  connections, growing by up to BACKGROUND_CONNECTIONS for the background worker. The app runs
  writes and many-query reads on POOL_SIZE store threads (`concurrency`: commits wait on the WAL
  flush, and several in flight share one flush) and one-row reads (one indexed SELECT) on its
  event loop (dots_sandbox/request/operations.py). No connection is set aside for any of them:
  all draw from the one pool, which is as large as the most that can ask at once (the threads,
  the loop and the background worker), so no call waits for a connection while the database is
  up. Why reads run on the loop, not on threads: docs/performance.md.
- Every state change is one transaction, committed before the answer is sent, with the server's
  default `synchronous_commit = on`: an answered change is in PostgreSQL's WAL, on disk, and
  survives the sandbox's `kill -9` and PostgreSQL's own crash.
- Confirm is one conditional `UPDATE ... WHERE id = %s AND client_id = %s AND status IN
  (<unconfirmed>) RETURNING ...` (sql.py, like every step of the lifecycle): at READ COMMITTED
  PostgreSQL locks the row, and a concurrent UPDATE re-checks the WHERE against the row the first
  one committed, so of any number of confirms, from any number of instances, exactly one returns
  a row (at REPEATABLE READ the others fail with 40001 and run again; see Failures).
- The schema is created (or its version checked) in one transaction holding the advisory lock
  SCHEMA_LOCK_KEY, so instances starting together neither race on CREATE TABLE nor see a half
  made schema (store/schema.py's tables in this engine's TYPES). A database whose
  `dots_sandbox_schema` says another version is refused (SchemaVersionError), and so is one on
  which the schema cannot be made (StoreCannotOpen: a privilege missing, say).
- Failures, by cause (SQLSTATE class and the connection's state; `_attempt`): a database that
  cannot be reached at start-up raises StoreUnavailable naming host and port (the URL's password
  masked); opened with `tolerate_outage` (a worker process, after its supervisor's own check), the
  store starts in an outage instead, and makes or checks the schema on first use. While running,
  only a lost or refused connection is an outage: a call that cannot reach the database before
  its COMMIT was sent changed nothing and raises StoreUnavailable (a connection from before a
  database restart, broken on first use, is replaced and the call tried once more), logged once
  per outage; a connection lost during COMMIT raises OutcomeUnknown. A
  serialization failure or deadlock (a database whose default isolation is REPEATABLE READ or
  SERIALIZABLE, say) runs the transaction again, up to TRANSACTION_ATTEMPTS times, then raises
  StoreBusy; a statement or lock timeout raises StoreBusy at once; disk full raises StorageFault,
  logged once per episode. The app answers each with 503; only outages are logged as such.
- JSON is stored as TEXT, exactly as the SQLite store keeps it (not JSONB: that would reorder
  keys and refuses `\\u0000`); the client secret only as its SHA-256 digest (BYTEA).
- Outbox and timers (schema version 2; a version-1 database gains the tables at start-up, under
  the advisory lock): a change writes its event, one delivery row per receiver and a
  `processing` intent's settlement in the change's own transaction, inside the same write path
  (so a lost COMMIT is OutcomeUnknown for the change and its outbox alike). Times are epoch
  seconds in `double precision`. Several instances share the work safely: a delivery is claimed
  by `SELECT ... FOR UPDATE SKIP LOCKED` plus a lease (`lease_owner`, `lease_until`), so each
  attempt is made by one instance and an instance that dies mid-attempt only delays it until the
  lease ends; a settlement is applied by whichever instance's `DELETE ... RETURNING` removes its
  row, followed in the same transaction by the conditional UPDATE of the intent, so it happens
  once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
import psycopg.conninfo
import psycopg_pool
import tenacity

from dots_sandbox.store.base import (
    Delivery,
    Episode,
    OutcomeUnknown,
    StorageFault,
    StoreBusy,
    StoreCannotOpen,
    StoreUnavailable,
)
from dots_sandbox.store.schema import (
    MIGRATES_FROM,
    SCHEMA_VERSION,
    TABLES,
    ColumnTypes,
    NotASandboxDatabase,
    SchemaVersionError,
)
from dots_sandbox.store.schema import statements as schema_statements
from dots_sandbox.store.sql import Dialect, SQLStore, statements
from dots_sandbox.store.url import POSTGRESQL, parse_database

# pg_advisory_xact_lock key for schema changes: any fixed bigint; this one spells "dotssbx1".
SCHEMA_LOCK_KEY = 0x646F747373627831
POOL_SIZE = 8
# Connections the pool may add for the background worker (dots_sandbox.background.worker: its ticking
# thread, and the dispatcher's RECORDERS = 4 threads that record webhook attempts), so webhooks and
# settlements never wait for, or hold up, a request's connection.
BACKGROUND_CONNECTIONS = 5
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

# Errors by cause (SQLSTATE: PostgreSQL docs, Appendix A "PostgreSQL Error Codes"). Run the
# transaction again: serialization failure (a concurrent update under REPEATABLE READ or
# SERIALIZABLE, which a database's default_transaction_isolation may impose), deadlock.
_RETRY_STATES = frozenset({"40001", "40P01"})
# A timeout of the database's own settings: query canceled (statement_timeout), lock not available (lock_timeout).
_BUSY_STATES = frozenset({"57014", "55P03"})
# The server is going or gone: admin shutdown (pg_terminate_backend), crash shutdown, cannot connect now.
_GONE_STATES = frozenset({"57P01", "57P02", "57P03"})
# Storage: class 53 insufficient resources (53100 disk full, 53200 out of memory), class 58 system error (I/O).
_STORAGE_CLASSES = ("53", "58")
_GONE, _RETRY, _BUSY, _STORAGE = "gone", "retry", "busy", "storage"
# Runs of a transaction that meets a serialization failure or deadlock, the first included, and
# the random exponential wait between them (seconds): contention among a handful of requests
# clears within milliseconds.
TRANSACTION_ATTEMPTS = 5
RETRY_WAIT_S = 0.002
RETRY_WAIT_MAX_S = 0.05

_SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS dots_sandbox_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
)"""
# Which of the sandbox's table names (one text[] parameter) already name a table on the search path.
_TAKEN = "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NOT NULL ORDER BY name"
# The schema's column types here (dots_sandbox/store/schema.py): `seq` orders events and
# attempts as they were written (SQLite's rowid does it there).
TYPES = ColumnTypes(
    text="text", bytes="bytea", seconds="double precision", integer="integer", boolean="boolean",
    sequence="bigserial", keyed_only="",
)  # fmt: skip
# A list parameter is a PostgreSQL array, unnested into rows; `seq` orders rows as written.
DIALECT = Dialect(placeholder="%s", each="unnest(%s::text[]) AS value", order="seq", as_list=list)
_CLAIM = """UPDATE webhook_deliveries AS d SET lease_owner = %s, lease_until = %s
    FROM (
        SELECT event_id, receiver FROM webhook_deliveries
        WHERE state = 'pending' AND next_attempt_at <= %s AND receiver = ANY(%s)
          AND (lease_until IS NULL OR lease_until <= %s)
        ORDER BY next_attempt_at LIMIT %s
        FOR UPDATE SKIP LOCKED
    ) AS due, webhook_events AS e
    WHERE d.event_id = due.event_id AND d.receiver = due.receiver AND e.id = d.event_id
    RETURNING d.next_attempt_at, e.seq, d.event_id, d.receiver, e.body, d.attempts"""

logger = logging.getLogger("dots_sandbox")
T = TypeVar("T")


class PostgreSQLStore(SQLStore):
    """The PostgreSQL `Store` for a `postgresql://` (or `postgres://`) URL.

    Opening it connects, creates or checks the schema, and fills the pool; StoreUnavailable (one
    line: host, port, why) when the database cannot be reached or refuses the credentials, and
    RuntimeError for a schema of another version. With `tolerate_outage` (dots_sandbox/runner.py's
    workers), a database that cannot be reached is an outage begun at once (its one line logged,
    StoreUnavailable from each call until the pool connects), and the schema is made on first use.
    """

    concurrency = POOL_SIZE
    dialect = DIALECT
    sql = statements(DIALECT)

    def __init__(
        self, url: str, pool_size: int = POOL_SIZE, pool_timeout: float = POOL_TIMEOUT_S, tolerate_outage: bool = False
    ) -> None:
        self._database = parse_database(url)
        if self._database.engine != POSTGRESQL:
            raise ValueError(f"not a PostgreSQL URL: {self._database.display}")
        self.concurrency = pool_size
        self._pool_timeout = pool_timeout
        self._reachable = True
        self._reachable_lock = threading.Lock()
        self._migrated = False  # the schema made or checked (at opening, or on first use after an outage)
        self._full = Episode(logger, f"PostgreSQL at {self._database.endpoint} accepts writes again")
        options: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in psycopg.conninfo.conninfo_to_dict(url):
            options["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            with psycopg.connect(url, **options) as connection:
                _migrate(connection, self.endpoint)
            self._migrated = True
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            if not tolerate_outage:
                raise StoreUnavailable(self._why(error)) from None
            self._unavailable(self._why(error))  # the outage's one line; the pool goes on trying
        except psycopg.Error as error:  # answered, but the schema cannot be made: a privilege missing, say
            raise StoreCannotOpen(self._why(error)) from None
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=pool_size + 1,  # one for the reads on the event loop
            max_size=pool_size + 1 + BACKGROUND_CONNECTIONS,
            kwargs=options,
            open=False,
            timeout=pool_timeout,
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            name="dots-sandbox",
        )
        try:  # tolerating an outage, never wait: a database gone meanwhile is an outage, not a failed start
            self._pool.open(wait=not tolerate_outage, timeout=CONNECT_TIMEOUT_S * 2)
        except psycopg_pool.PoolTimeout:
            self._pool.close()
            raise StoreUnavailable(f"cannot fill the connection pool for PostgreSQL at {self.endpoint}") from None

    def __repr__(self) -> str:
        return f"PostgreSQLStore({self._database.display!r})"

    @property
    def endpoint(self) -> str:
        """`host:port` of the database."""
        return self._database.endpoint

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
        values = (owner, now + lease_seconds, now if due_by is None else due_by, list(receivers), now, limit)
        rows = self._run(lambda connection: connection.execute(_CLAIM, values).fetchall(), write=True)
        return [Delivery(event_id, receiver, body, attempts) for *_, event_id, receiver, body, attempts in sorted(rows)]

    @contextlib.contextmanager
    def _snapshot(self, connection: psycopg.Connection[Any]) -> Iterator[None]:
        with connection.transaction():  # read only: a COMMIT lost here changed nothing
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield

    def close(self) -> None:
        """Close the pool and its connections."""
        self._pool.close()

    def _run(self, work: Callable[[psycopg.Connection[Any]], T], write: bool = False) -> T:
        """`work` on a pooled connection (in a transaction when `write`), its errors mapped by cause.

        A serialization failure or deadlock (the transaction was rolled back) runs `work` again, up
        to TRANSACTION_ATTEMPTS times in all, then raises StoreBusy; see `_attempt` for the rest.
        """
        try:
            return self._attempt(work, write)  # nearly every call: no retry machinery
        except _Conflict:
            pass
        retrying: tenacity.Retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(TRANSACTION_ATTEMPTS - 1),
            wait=tenacity.wait_random_exponential(multiplier=RETRY_WAIT_S, max=RETRY_WAIT_MAX_S),
            retry=tenacity.retry_if_exception_type(_Conflict),
            reraise=True,
        )
        try:
            result: T = retrying(self._attempt, work, write)
        except _Conflict as conflict:
            raise StoreBusy(self._why(conflict.error)) from None
        return result

    def _attempt(self, work: Callable[[psycopg.Connection[Any]], T], write: bool) -> T:
        """One run of `work`. Errors by cause (SQLSTATE class and the connection's state):

        - connection lost or refused (class 08, 57P01-57P03, a broken connection): an outage,
          StoreUnavailable (logged once); during COMMIT, OutcomeUnknown. A connection that broke on
          first use (one from before a database restart) is replaced and the call tried once more.
        - 40001, 40P01: _Conflict (the caller runs the transaction again).
        - 57014, 55P03 (a statement or lock timeout): StoreBusy.
        - class 53 and 58 (disk full, out of memory, I/O error): StorageFault, logged once per episode.
        """
        for fresh in (False, True):
            try:
                connection = self._pool.getconn(self._pool_timeout if self._reachable else UNREACHABLE_POOL_TIMEOUT_S)
            except psycopg_pool.PoolTimeout:
                raise self._unavailable(f"no connection to PostgreSQL at {self.endpoint}") from None
            committing = False
            try:
                if not self._migrated:  # opened during an outage; the advisory lock makes a race harmless
                    _migrate(connection, self.endpoint)
                    self._migrated = True
                if write:
                    with connection.transaction():
                        result = work(connection)
                        committing = True  # the block's end sends COMMIT
                else:
                    result = work(connection)
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                cause = _cause(error, connection)
                if cause is not _GONE:
                    raise self._refused(error, cause) from None
                if committing:
                    raise self._unavailable(self._why(error), OutcomeUnknown) from None
                if fresh or not connection.broken:
                    raise self._unavailable(self._why(error)) from None
            else:
                self._mark_reachable()
                if write:
                    self._full.end()
                return result
            finally:
                self._pool.putconn(connection)  # a broken one is discarded and replaced
            # Nothing was committed. A connection that broke on first use is most likely one from
            # before a database restart: drop every such one, then try once more.
            self._pool.check()
        raise AssertionError("unreachable")  # pragma: no cover

    def _refused(self, error: psycopg.Error, cause: str) -> Exception:
        """The error for a call the server answered but did not do (a conflict, a timeout, no room)."""
        self._mark_reachable()
        if cause is _RETRY:
            return _Conflict(error)
        if cause is _BUSY:
            return StoreBusy(self._why(error))
        self._full.begin(f"{self._why(error)}; answering writes 503 until they work again")
        return StorageFault(self._why(error))

    def _unavailable(
        self, why: str, kind: type[StoreUnavailable | OutcomeUnknown] = StoreUnavailable
    ) -> StoreUnavailable | OutcomeUnknown:
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


class _Conflict(Exception):
    """A serialization failure or deadlock: the transaction was rolled back and may simply run again."""

    def __init__(self, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.error = error


def _cause(error: psycopg.Error, connection: psycopg.Connection[Any]) -> str:
    """What `error` means for the call: _GONE (an outage), _RETRY, _BUSY or _STORAGE."""
    state = error.sqlstate or ""
    if connection.broken or isinstance(error, psycopg.InterfaceError) or state.startswith("08"):
        return _GONE
    if state in _GONE_STATES:
        return _GONE
    if state in _RETRY_STATES:
        return _RETRY
    if state in _BUSY_STATES:
        return _BUSY
    if state.startswith(_STORAGE_CLASSES):
        return _STORAGE
    return _GONE  # an OperationalError of no known cause: as before, taken for the database going away


def _migrate(connection: psycopg.Connection[Any], endpoint: str) -> None:
    """Create the schema, or check its version, under an advisory lock (one instance at a time).

    Raises SchemaVersionError naming `endpoint` for a version it cannot migrate from, and
    NotASandboxDatabase when no version is recorded but tables of the sandbox's names exist (a
    database is shared with other programs, so only those names are checked).
    """
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
        connection.execute(_SCHEMA_TABLE)
        row = connection.execute("SELECT version FROM dots_sandbox_schema").fetchone()
        if row is not None and row[0] not in (*MIGRATES_FROM, SCHEMA_VERSION):
            raise SchemaVersionError(row[0], f"PostgreSQL at {endpoint}")
        if row is None:  # a new schema, unless another program's tables have the sandbox's names
            names = [table.name for table in TABLES]
            found = [name for (name,) in connection.execute(_TAKEN, (names,))]
            if found:
                raise NotASandboxDatabase(found, f"PostgreSQL at {endpoint}")
        if row is None or row[0] != SCHEMA_VERSION:
            for statement in schema_statements(TYPES):  # IF NOT EXISTS: a version-1 database keeps its intents
                connection.execute(statement)
            connection.execute(
                "INSERT INTO dots_sandbox_schema (version) VALUES (%s)"
                " ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version",
                (SCHEMA_VERSION,),
            )
