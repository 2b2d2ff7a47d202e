"""Where payment intents live: the `Store` interface (`base`) and one class per engine.

`open_store` picks the engine from the `--db` setting (`url`): SQLite for a path or `:memory:`,
PostgreSQL for a `postgresql://` URL. Only the engine modules know SQL.
"""

from __future__ import annotations

from dots_sandbox.store.base import (
    Attempt,
    Confirmation,
    Delivery,
    DeliveryState,
    Event,
    EventRecord,
    Intent,
    OutcomeUnknown,
    Refusal,
    Settlement,
    StorageFault,
    Store,
    StoreBusy,
    StoreCannotOpen,
    StoreRefused,
    StoreUnavailable,
    Transition,
)
from dots_sandbox.store.sqlite import SQLiteStore
from dots_sandbox.store.url import POSTGRESQL, parse_database

__all__ = [
    "Attempt",
    "Confirmation",
    "Delivery",
    "DeliveryState",
    "Event",
    "EventRecord",
    "Intent",
    "OutcomeUnknown",
    "Refusal",
    "SQLiteStore",
    "Settlement",
    "StorageFault",
    "Store",
    "StoreBusy",
    "StoreCannotOpen",
    "StoreRefused",
    "StoreUnavailable",
    "Transition",
    "open_store",
]


def open_store(db: str, synchronous: str = "NORMAL", tolerate_outage: bool = False) -> Store:
    """The store for a SANDBOX_DB value: a SQLite file path or `:memory:` (with `synchronous`), or a PostgreSQL URL.

    Raises ValueError for a URL it cannot honour, StoreCannotOpen when the database cannot be
    used at all (a SQLite folder that cannot be made, a file that cannot be opened or is not a
    database, a schema of another version: SchemaVersionError, another program's tables with no
    schema version: NotASandboxDatabase, PostgreSQL refusing to make the
    schema), StoreUnavailable when it cannot be reached at start-up (messages name the database,
    never a password). With `tolerate_outage`, a PostgreSQL
    database that cannot be reached is an outage begun at once (logged in one line, calls raise
    StoreUnavailable until it is back), not an error; a SQLite file is opened as without it.
    """
    database = parse_database(db)
    if database.engine == POSTGRESQL:
        from dots_sandbox.store.postgresql import PostgreSQLStore  # noqa: PLC0415 (psycopg only when used)

        return PostgreSQLStore(database.value, tolerate_outage=tolerate_outage)
    return SQLiteStore(db, synchronous)
