"""The lifecycle written once (`store/sql.py`): every engine has the same indexes, and its statements.

The lifecycle's behaviour is tested on every engine in test_base.py; here, what makes the engines
the same by construction.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import psycopg

from dots_sandbox.store import open_store
from dots_sandbox.store.postgresql import PostgreSQLStore
from dots_sandbox.store.sql import INDEXES
from dots_sandbox.store.sqlite import SQLiteStore


def _names(statements: tuple[str, ...]) -> set[str]:
    return {re.search(r"IF NOT EXISTS (\w+) ON", statement).group(1) for statement in statements}  # type: ignore[union-attr]


def _normal(definition: str) -> str:
    """An index definition without quoting, schema or method, for comparing the engines' own renderings."""
    definition = re.sub(r"USING btree |public\.|\"", "", definition)
    definition = re.sub(r"\((state\)?) = 'pending'::text\)?", "state = 'pending'", definition)
    return re.sub(r"^CREATE INDEX (IF NOT EXISTS )?", "", " ".join(definition.split()))


def test_both_engines_have_the_same_indexes(tmp_path: Path, postgres_url: str) -> None:
    """SQLite and PostgreSQL databases hold exactly the indexes of `INDEXES` (besides primary keys), alike."""
    SQLiteStore(str(tmp_path / "indexes.db")).close()
    with sqlite3.connect(tmp_path / "indexes.db") as connection:
        sqlite = dict(
            connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        )
    connection.close()
    PostgreSQLStore(postgres_url, pool_size=1).close()
    with psycopg.connect(postgres_url) as pg:
        postgresql: dict[str, str] = dict(
            pg.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'").fetchall()
        )
    postgresql = {name: definition for name, definition in postgresql.items() if not name.endswith("_pkey")}
    assert set(sqlite) == set(postgresql) == _names(INDEXES)
    expected = {
        name: _normal(statement) for name, statement in zip(sorted(_names(INDEXES)), sorted(INDEXES), strict=True)
    }
    assert {name: _normal(definition) for name, definition in sqlite.items()} == expected
    assert {name: _normal(definition) for name, definition in postgresql.items()} == expected


def test_a_version_2_sqlite_file_gets_the_shared_indexes(tmp_path: Path) -> None:
    """A schema-2 file (its due-delivery index on (state, next_attempt_at), no event indexes) is brought to 3."""
    db = tmp_path / "v2.db"
    SQLiteStore(str(db)).close()
    with sqlite3.connect(db) as connection:
        for name in (
            "webhook_deliveries_due",
            "webhook_events_client",
            "webhook_events_intent",
            "webhook_events_created",
        ):
            connection.execute(f"DROP INDEX {name}")
        connection.execute("CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)")
        connection.execute("PRAGMA user_version = 2")
    connection.close()
    open_store(str(db)).close()
    with sqlite3.connect(db) as connection:
        indexes = dict(
            connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        )
        assert connection.execute("PRAGMA user_version").fetchone() == (3,)
    connection.close()
    assert set(indexes) == _names(INDEXES)
    assert "WHERE state = 'pending'" in indexes["webhook_deliveries_due"]
