"""The database schema, described once for every engine: its version, its tables and their indexes.

`SCHEMA_VERSION` is the one version number; `TABLES` describes each table in the lifecycle's own
words (what a column holds, not how an engine spells it), and `statements(types)` writes the DDL
in an engine's `ColumnTypes`, the only place the engines differ: SQLite's TEXT, BLOB, REAL and
INTEGER for true/false, and its rowid for the order rows were written in; PostgreSQL's text,
bytea, double precision, boolean and a bigserial `seq` column. Each engine keeps only how it
stores the version (SQLite's `PRAGMA user_version`, PostgreSQL's `dots_sandbox_schema` table) and
runs the statements in one transaction under its own lock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from dots_sandbox.store.base import StoreCannotOpen

# 1: the intents; 2: the outbox and timer tables; 3: the same indexes on every engine (INDEXES).
SCHEMA_VERSION = 3
# The versions a start-up brings to SCHEMA_VERSION by running `statements` (every one is IF NOT
# EXISTS, so a version-1 database keeps its intents and gains the rest); any other is refused.
MIGRATES_FROM = (1, 2)

Kind = Literal["text", "bytes", "seconds", "integer", "boolean", "sequence"]


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnTypes:
    """An engine's SQL type for each kind of column: `seconds` are epoch seconds with a fraction.

    `sequence` numbers rows in the order they were written (None: the engine has such a number
    for every row already, SQLite's rowid, and the `sequence` column is left out); `keyed_only`
    follows a table that is reached only by its primary key (SQLite: WITHOUT ROWID).
    """

    text: str
    bytes: str
    seconds: str
    integer: str
    boolean: str
    sequence: str | None
    keyed_only: str


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    """One column: its `kind` (a ColumnTypes field) and what follows the type (`NOT NULL`, ...)."""

    name: str
    kind: Kind
    constraint: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    """One table: its columns, a primary key of several columns (`key`), whether only its key reaches it."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    keyed_only: bool = False


TABLES = (
    Table(
        "payment_intents",
        (
            Column("id", "text", "PRIMARY KEY"),  # lower-case hyphenated UUID
            Column("client_id", "text", "NOT NULL"),  # the Basic-auth user that created it
            Column("status", "text", "NOT NULL"),
            Column("payment_method_id", "text"),  # as sent, at create or (replacing it) at confirm
            Column("transfer_id", "text"),  # set when confirm succeeded
            Column("create_request", "text", "NOT NULL"),  # the create body, JSON, every field as validated
            Column("confirm_request", "text"),  # the confirm body, JSON
            Column("client_secret_sha256", "bytes", "NOT NULL"),
            Column("created_at", "text", "NOT NULL"),  # ISO 8601, UTC
            Column("confirmed_at", "text"),
        ),
        keyed_only=True,
    ),
    # The outbox and timers (version 2). Times are epoch seconds, so timers outlive restarts.
    Table(
        "webhook_events",
        (
            Column("id", "text", "PRIMARY KEY"),  # the svix-id (msg_...), the same on every attempt
            Column("seq", "sequence", "NOT NULL"),  # orders events as they were written
            Column("client_id", "text", "NOT NULL"),
            Column("payment_intent_id", "text", "NOT NULL"),
            Column("status", "text", "NOT NULL"),  # the status the change led to
            Column("body", "text", "NOT NULL"),  # the payload, exactly the bytes signed and sent
            Column("created_at", "seconds", "NOT NULL"),
        ),
    ),
    Table(
        "webhook_deliveries",
        (
            Column("event_id", "text", "NOT NULL REFERENCES webhook_events (id)"),
            Column("receiver", "text", "NOT NULL"),  # the receiver's URL (its secret is never stored)
            Column("state", "text", "NOT NULL"),  # pending | delivered | failed (retries exhausted)
            Column("attempts", "integer", "NOT NULL DEFAULT 0"),
            Column("next_attempt_at", "seconds", "NOT NULL"),
            Column("lease_owner", "text"),
            Column("lease_until", "seconds"),
        ),
        key=("event_id", "receiver"),
    ),
    Table(
        "webhook_attempts",
        (
            Column("seq", "sequence", "PRIMARY KEY"),  # orders attempts as they were written
            Column("event_id", "text", "NOT NULL"),
            Column("receiver", "text", "NOT NULL"),
            Column("number", "integer", "NOT NULL"),  # 1 for the first attempt
            Column("at", "seconds", "NOT NULL"),
            Column("http_status", "integer"),  # NULL when no answer came (timeout, refused, ...)
            Column("error", "text"),  # why it failed, NULL when delivered
            Column("delivered", "boolean", "NOT NULL"),
        ),
    ),
    Table(
        "settlements",
        (
            Column("payment_intent_id", "text", "PRIMARY KEY"),
            Column("client_id", "text", "NOT NULL"),
            Column("due_at", "seconds", "NOT NULL"),
            Column("status", "text", "NOT NULL"),  # succeeded | failed: where the intent goes from processing
        ),
    ),
)

# Every engine's indexes (IF NOT EXISTS: created at each migration). Events by client and age
# (the events view, pruning) and by intent (one intent's events); due pending deliveries (the
# claim); attempts by delivery; due settlements.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS webhook_events_client ON webhook_events (client_id, created_at)",
    "CREATE INDEX IF NOT EXISTS webhook_events_intent ON webhook_events (payment_intent_id)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS webhook_attempts_event ON webhook_attempts (event_id, receiver)",
    "CREATE INDEX IF NOT EXISTS settlements_due ON settlements (due_at)",
)
# Version 3 made the indexes the same on every engine: SQLite's due-delivery index was on
# (state, next_attempt_at); it is dropped and made again as above (PostgreSQL's, already that, too).
INDEXES_BEFORE_3 = ("DROP INDEX IF EXISTS webhook_deliveries_due",)


def create_table(table: Table, types: ColumnTypes) -> str:
    """`CREATE TABLE IF NOT EXISTS` for `table` in `types` (a `sequence` column only where `types` has one)."""
    lines = [
        f"{column.name} {getattr(types, column.kind)} {column.constraint}".rstrip()
        for column in table.columns
        if column.kind != "sequence" or types.sequence is not None
    ]
    if table.key:
        lines.append(f"PRIMARY KEY ({', '.join(table.key)})")
    suffix = f" {types.keyed_only}" if table.keyed_only and types.keyed_only else ""
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n    " + ",\n    ".join(lines) + f"\n){suffix}"


def statements(types: ColumnTypes) -> tuple[str, ...]:
    """Everything that makes the schema, or brings a version in MIGRATES_FROM to SCHEMA_VERSION, in order."""
    return (*(create_table(table, types) for table in TABLES), *INDEXES_BEFORE_3, *INDEXES)


class SchemaVersionError(StoreCannotOpen):
    """The database holds a schema version this sandbox cannot bring to SCHEMA_VERSION (a newer one, say).

    Raised when a store opens, before anything is changed; the message names the version found and
    the database (never its password).
    """

    def __init__(self, found: int, where: str) -> None:
        super().__init__(f"{where}: database schema version {found}, this sandbox knows {SCHEMA_VERSION}")
        self.found = found


class NotASandboxDatabase(StoreCannotOpen):
    """The database holds tables but no sandbox schema version: another program's, never the sandbox's.

    Every sandbox version recorded its schema version in the transaction that made its tables, so
    tables without one were made by something else; writing into them would fail on every request
    (a 500) or mix the sandbox's rows into that program's data. Raised when a store opens, before
    anything is changed; the message names the database (never its password) and up to
    NAMED_TABLES of the tables found.
    """

    NAMED_TABLES = 5

    def __init__(self, tables: Sequence[str], where: str) -> None:
        named = ", ".join(tables[: self.NAMED_TABLES]) + (", ..." if len(tables) > self.NAMED_TABLES else "")
        super().__init__(f"{where}: not a sandbox database: it holds tables ({named}) but no sandbox schema version")
        self.tables = tuple(tables)
