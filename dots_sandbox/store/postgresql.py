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
- Failures, by cause (SQLSTATE class and the connection's state; `_attempt`): a database that
  cannot be reached at start-up raises StoreUnavailable naming host and port (the URL's password
  masked). While running, only a lost or refused connection is an outage: a call that cannot
  reach the database before its COMMIT was sent changed nothing and raises StoreUnavailable (a
  connection from before a database restart, broken on first use, is replaced and the call tried
  once more), logged once per outage; a connection lost during COMMIT raises OutcomeUnknown. A
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

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
import psycopg.conninfo
import psycopg_pool
import tenacity

from dots_sandbox.store.base import (
    COLUMNS,
    Attempt,
    Confirmation,
    Delivery,
    DeliveryState,
    Episode,
    Event,
    EventRecord,
    Intent,
    OutcomeUnknown,
    Refusal,
    Settlement,
    StorageFault,
    StoreBusy,
    StoreUnavailable,
    Transition,
    attempt_from_row,
    confirmation_values,
    intent_from_row,
    intent_row,
)
from dots_sandbox.store.url import POSTGRESQL, parse_database

SCHEMA_VERSION = 2  # 2: the outbox and timer tables (a version-1 database gains them)
# Schema versions a start-up brings to SCHEMA_VERSION (1: before the outbox; it gains its tables).
MIGRATES_FROM = (1, SCHEMA_VERSION)
# pg_advisory_xact_lock key for schema changes: any fixed bigint; this one spells "dotssbx1".
SCHEMA_LOCK_KEY = 0x646F747373627831
POOL_SIZE = 8
# Connections the pool may add for the background worker (dots_sandbox.background: its ticking
# thread and its SENDERS = 4 sender threads), so webhooks and settlements never wait for, or hold
# up, a request's connection.
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
# Outbox and timers (schema version 2), the SQLite store's tables with PostgreSQL's types. `seq`
# orders events and attempts as they were written (SQLite's rowid does it there).
_OUTBOX_TABLES = (
    """CREATE TABLE IF NOT EXISTS webhook_events (
        id text PRIMARY KEY,                    -- the svix-id (msg_...), the same on every attempt
        seq bigserial NOT NULL,
        client_id text NOT NULL,
        payment_intent_id text NOT NULL,
        status text NOT NULL,                   -- the status the change led to
        body text NOT NULL,                     -- the payload, exactly the bytes signed and sent
        created_at double precision NOT NULL    -- epoch seconds
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_events_client ON webhook_events (client_id, created_at)",
    "CREATE INDEX IF NOT EXISTS webhook_events_intent ON webhook_events (payment_intent_id)",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        event_id text NOT NULL REFERENCES webhook_events (id),
        receiver text NOT NULL,                 -- the receiver's URL (its secret is never stored)
        state text NOT NULL,                    -- pending | delivered | failed (retries exhausted)
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at double precision NOT NULL,
        lease_owner text,
        lease_until double precision,
        PRIMARY KEY (event_id, receiver)
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'",
    """CREATE TABLE IF NOT EXISTS webhook_attempts (
        seq bigserial PRIMARY KEY,
        event_id text NOT NULL,
        receiver text NOT NULL,
        number integer NOT NULL,                -- 1 for the first attempt
        at double precision NOT NULL,
        http_status integer,                    -- NULL when no answer came (timeout, refused, ...)
        error text,                             -- why it failed, NULL when delivered
        delivered boolean NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_attempts_event ON webhook_attempts (event_id, receiver)",
    """CREATE TABLE IF NOT EXISTS settlements (
        payment_intent_id text PRIMARY KEY,
        client_id text NOT NULL,
        due_at double precision NOT NULL,       -- epoch seconds
        status text NOT NULL                    -- succeeded | failed: where the intent goes from processing
    )""",
    "CREATE INDEX IF NOT EXISTS settlements_due ON settlements (due_at)",
)
_INSERT = f"INSERT INTO payment_intents ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
_SELECT = f"SELECT {COLUMNS} FROM payment_intents WHERE id = %s AND client_id = %s"  # noqa: S608
_EXISTS = "SELECT 1 FROM payment_intents WHERE id = %s AND client_id = %s"
_CONFIRM = f"""UPDATE payment_intents
    SET status = %s, payment_method_id = %s, transfer_id = %s, confirm_request = %s, confirmed_at = %s
    WHERE id = %s AND client_id = %s AND status = ANY(%s)
    RETURNING {COLUMNS}"""  # noqa: S608
_TRANSITION = f"""UPDATE payment_intents SET status = %s, transfer_id = COALESCE(%s, transfer_id)
    WHERE id = %s AND client_id = %s AND status = ANY(%s)
    RETURNING {COLUMNS}"""  # noqa: S608
# The claim: lock due, unleased rows no other transaction holds (SKIP LOCKED: instances claiming
# at once take disjoint rows instead of queueing), then lease them. A row another instance leased
# and committed meanwhile is re-checked against the WHERE and left out.
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
        self._full = Episode(logger, f"PostgreSQL at {self._database.endpoint} accepts writes again")
        options: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in psycopg.conninfo.conninfo_to_dict(url):
            options["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            with psycopg.connect(url, **options) as connection:
                _migrate(connection)
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise StoreUnavailable(self._why(error)) from None
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
        self.add_with(intent, None, None)

    def add_with(self, intent: Intent, event: Event | None, settlement: Settlement | None) -> None:
        """Insert `intent`, its event (with its deliveries) and its settlement, in one transaction."""
        row = intent_row(intent)

        def insert(connection: psycopg.Connection[Any]) -> None:
            connection.execute(_INSERT, row)
            _write_outbox(connection, event, settlement)

        self._run(insert, write=True)

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
            if row is not None:  # the event and timer of a change that happened, never of a refused one
                _write_outbox(connection, confirmation.event, confirmation.settlement)
                return intent_from_row(row)
            exists = connection.execute(_EXISTS, (intent_id, client_id)).fetchone() is not None
            return Refusal.ALREADY_CONFIRMED if exists else Refusal.NOT_FOUND

        return self._run(attempt, write=True)

    # ---- Outbox and timers ------------------------------------------------------------------

    def transition(
        self, client_id: str, intent_id: str, from_statuses: frozenset[str], transition: Transition
    ) -> Intent | Refusal:
        """One conditional UPDATE (status in `from_statuses`) and, iff it changed the row, the event."""
        values = (transition.status, transition.transfer_id, intent_id, client_id, sorted(from_statuses))

        def attempt(connection: psycopg.Connection[Any]) -> Intent | Refusal:
            row = connection.execute(_TRANSITION, values).fetchone()
            if row is not None:
                _write_outbox(connection, transition.event, None)
                connection.execute("DELETE FROM settlements WHERE payment_intent_id = %s", (intent_id,))
                return intent_from_row(row)
            exists = connection.execute(_EXISTS, (intent_id, client_id)).fetchone() is not None
            return Refusal.WRONG_STATUS if exists else Refusal.NOT_FOUND

        return self._run(attempt, write=True)

    def due_settlements(self, now: float, limit: int) -> list[Settlement]:
        """Settlements whose `due_at` is at or before `now`, oldest first (one SELECT)."""
        rows = self._run(
            lambda connection: connection.execute(
                "SELECT payment_intent_id, client_id, due_at, status FROM settlements"
                " WHERE due_at <= %s ORDER BY due_at LIMIT %s",
                (now, limit),
            ).fetchall()
        )
        return [Settlement(*row) for row in rows]

    def settle(self, settlement: Settlement, transition: Transition) -> Intent | None:
        """Delete the settlement row and, if this call deleted it, move the intent from processing, with its event.

        The DELETE is the claim: of several instances settling the same row, one deletes it (the
        others wait for its commit, then find nothing), so an intent settles once and announces it once.
        """

        def attempt(connection: psycopg.Connection[Any]) -> Intent | None:
            claimed = connection.execute(
                "DELETE FROM settlements WHERE payment_intent_id = %s AND due_at = %s RETURNING 1",
                (settlement.payment_intent_id, settlement.due_at),
            ).fetchone()
            if claimed is None:
                return None
            row = connection.execute(
                _TRANSITION,
                (
                    transition.status,
                    transition.transfer_id,
                    settlement.payment_intent_id,
                    settlement.client_id,
                    ["processing"],
                ),
            ).fetchone()
            if row is None:
                return None
            _write_outbox(connection, transition.event, None)
            return intent_from_row(row)

        return self._run(attempt, write=True)

    def claim_deliveries(
        self, now: float, lease_seconds: float, owner: str, receivers: tuple[str, ...], limit: int
    ) -> list[Delivery]:
        """Lease due pending deliveries (none leased by another owner until `now`) to `owner`, oldest first."""
        if not receivers or limit <= 0:
            return []
        values = (owner, now + lease_seconds, now, list(receivers), now, limit)
        rows = self._run(lambda connection: connection.execute(_CLAIM, values).fetchall(), write=True)
        return [Delivery(event_id, receiver, body, attempts) for *_, event_id, receiver, body, attempts in sorted(rows)]

    def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
        """Insert the attempt; the delivery becomes delivered, failed (no next attempt) or pending again.

        Only the lease's owner moves the delivery on: an attempt whose lease ran out is recorded
        in the history but changes nothing else (the new owner decides).
        """
        state = "delivered" if attempt.delivered else ("pending" if next_attempt_at is not None else "failed")

        def write(connection: psycopg.Connection[Any]) -> None:
            connection.execute(
                "INSERT INTO webhook_attempts (event_id, receiver, number, at, http_status, error, delivered)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
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
                SET state = %s, attempts = %s, next_attempt_at = COALESCE(%s, next_attempt_at),
                    lease_owner = NULL, lease_until = NULL
                WHERE event_id = %s AND receiver = %s AND lease_owner = %s AND state = 'pending'""",
                (state, attempt.number, next_attempt_at, attempt.event_id, attempt.receiver, owner),
            )

        self._run(write, write=True)

    def events(self, client_id: str, intent_id: str | None, limit: int) -> list[EventRecord]:
        """The newest `limit` events of `client_id` (of `intent_id` if given), each with its deliveries.

        Three SELECTs in one REPEATABLE READ transaction (one snapshot): events, then all their
        deliveries and attempts at once.
        """
        query = (
            "SELECT id, client_id, payment_intent_id, status, body, created_at FROM webhook_events WHERE client_id = %s"
        )
        params: list[Any] = [client_id]
        if intent_id is not None:
            query += " AND payment_intent_id = %s"
            params.append(intent_id)
        query += " ORDER BY created_at DESC, seq DESC LIMIT %s"

        def read(connection: psycopg.Connection[Any]) -> list[EventRecord]:
            with connection.transaction():  # read only: a COMMIT lost here changed nothing
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                events = [Event(*row) for row in connection.execute(query, (*params, limit)).fetchall()]
                ids = [event.id for event in events]
                deliveries = connection.execute(
                    "SELECT event_id, receiver, state, next_attempt_at FROM webhook_deliveries"
                    " WHERE event_id = ANY(%s) ORDER BY event_id, receiver",
                    (ids,),
                ).fetchall()
                attempts = connection.execute(
                    "SELECT event_id, receiver, number, at, http_status, error, delivered FROM webhook_attempts"
                    " WHERE event_id = ANY(%s) ORDER BY at, seq",
                    (ids,),
                ).fetchall()
            return _event_records(events, deliveries, attempts)

        return self._run(read)

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
        self._full.begin(f"{self._why(error)}; answering writes 503 until it has room")
        return StorageFault(self._why(error))

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


def _migrate(connection: psycopg.Connection[Any]) -> None:
    """Create the schema, or check its version, under an advisory lock (one instance at a time)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
        connection.execute(_SCHEMA_TABLE)
        row = connection.execute("SELECT version FROM dots_sandbox_schema").fetchone()
        if row is not None and row[0] not in MIGRATES_FROM:
            raise RuntimeError(f"database schema version {row[0]}, this sandbox knows {SCHEMA_VERSION}")
        if row is None or row[0] != SCHEMA_VERSION:
            connection.execute(_INTENTS_TABLE)  # IF NOT EXISTS: a version-1 database keeps its intents
            for statement in _OUTBOX_TABLES:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO dots_sandbox_schema (version) VALUES (%s)"
                " ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version",
                (SCHEMA_VERSION,),
            )


def _write_outbox(connection: psycopg.Connection[Any], event: Event | None, settlement: Settlement | None) -> None:
    """The outbox rows of a change, inside the caller's transaction: the event, its deliveries, the timer."""
    if event is not None:
        connection.execute(
            "INSERT INTO webhook_events (id, client_id, payment_intent_id, status, body, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (event.id, event.client_id, event.payment_intent_id, event.status, event.body, event.created_at),
        )
        if event.receivers:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO webhook_deliveries (event_id, receiver, state, next_attempt_at)"
                    " VALUES (%s, %s, 'pending', %s)",
                    [(event.id, receiver, event.created_at) for receiver in event.receivers],
                )
    if settlement is not None:
        connection.execute(
            "INSERT INTO settlements (payment_intent_id, client_id, due_at, status) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (payment_intent_id) DO UPDATE"
            " SET client_id = EXCLUDED.client_id, due_at = EXCLUDED.due_at, status = EXCLUDED.status",
            (settlement.payment_intent_id, settlement.client_id, settlement.due_at, settlement.status),
        )


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
