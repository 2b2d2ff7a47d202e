"""Where payment intents live: the `Store` interface (`base`) and one class per engine.

`open_store` picks the engine from the `--db` setting. Only the engine modules know SQL.
"""

from __future__ import annotations

from dots_sandbox.store.base import Confirmation, Intent, OutcomeUnknown, Refusal, Store, StoreUnavailable
from dots_sandbox.store.sqlite import SQLiteStore

__all__ = [
    "Confirmation",
    "Intent",
    "OutcomeUnknown",
    "Refusal",
    "SQLiteStore",
    "Store",
    "StoreUnavailable",
    "open_store",
]


def open_store(db: str, synchronous: str = "NORMAL") -> Store:
    """The store for a SANDBOX_DB value (a file path or `:memory:`)."""
    return SQLiteStore(db, synchronous)
