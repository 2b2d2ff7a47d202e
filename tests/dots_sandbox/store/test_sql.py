"""The lifecycle written once (`store/sql.py`): every engine has the same indexes, and its statements.

The lifecycle's behaviour is tested on every engine in test_base.py; here, what makes the engines
the same by construction.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dots_sandbox import lifecycle
from dots_sandbox.background.changes import Changes
from dots_sandbox.store import Attempt, Intent, Store, open_store
from dots_sandbox.store.postgresql import PostgreSQLStore
from dots_sandbox.store.schema import INDEXES
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
        for name in ("webhook_deliveries_due", "webhook_events_client", "webhook_events_intent"):
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


# ---- Pruning: one statement list, both engines ------------------------------------------------

CLIENT = "sandbox-client-id"
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
RECEIVER = "http://r.test/"


@pytest.fixture
def store(shared_db: str) -> Iterator[Store]:
    """A store on a fresh database of each engine."""
    opened = open_store(shared_db)
    yield opened
    opened.close()


def _confirmed(store: Store, created_at: float, receivers: tuple[str, ...] = (RECEIVER,)) -> str:
    """A confirmed intent whose event (created at `created_at`) has one delivery per receiver; the event id."""
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1, "currency": "usd"})
    store.add_with(intent, None, None)
    event = Changes(receivers, 5.0).event(CLIENT, intent.id, "succeeded", now=created_at)
    confirmation = dataclasses.replace(lifecycle.confirmation({"payment_method_id": PM}), event=event)
    assert isinstance(store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, confirmation), Intent)
    return event.id


def _finish(store: Store, at: float, outcomes: dict[str, bool]) -> None:
    """Claim what is due at `at`, then end each event's delivery in `outcomes`: delivered (True) or failed (False)."""
    claimed = {delivery.event_id for delivery in store.claim_deliveries(at, 30, "owner", (RECEIVER,), 100)}
    assert set(outcomes) <= claimed
    for event_id, delivered in outcomes.items():
        status, error = (204, None) if delivered else (500, "HTTP 500")
        store.record_attempt(Attempt(event_id, RECEIVER, 1, at, status, error, delivered), "owner", None)


def test_prune_deletes_only_old_events_with_nothing_pending(store: Store) -> None:
    """Old delivered, failed and receiver-less events go with their attempts; pending and recent ones stay."""
    now = time.time()
    old = now - 3600
    delivered, failed, pending = (_confirmed(store, old) for _ in range(3))
    no_receivers = _confirmed(store, old, receivers=())
    recent = _confirmed(store, now)
    _finish(store, old + 1, {delivered: True, failed: False})
    _finish(store, now, {recent: True})
    assert store.prune_events(CLIENT, now - 60, 100) == 3
    kept = {record.event.id: record for record in store.events(CLIENT, None, 100)}
    assert set(kept) == {pending, recent}
    assert [state.state for state in kept[pending].deliveries] == ["pending"]
    assert [len(state.attempts) for state in kept[recent].deliveries] == [1]
    assert store.prune_events(CLIENT, now - 60, 100) == 0
    assert {delivered, failed, no_receivers}.isdisjoint(
        d.event_id for d in store.claim_deliveries(now, 30, "x", (RECEIVER,), 100)
    )


def test_prune_goes_a_batch_at_a_time_oldest_first(store: Store) -> None:
    """Five prunable events, batches of two: 2, 2, 1, 0 deleted, the oldest first."""
    now = time.time()
    ids = [_confirmed(store, now - 1000 + index, receivers=()) for index in range(5)]
    assert store.prune_events("someone-else", now, 2) == 0
    assert store.prune_events(CLIENT, now, 2) == 2
    assert [record.event.id for record in store.events(CLIENT, None, 10)] == ids[:1:-1]
    assert [store.prune_events(CLIENT, now, 2) for _ in range(3)] == [2, 1, 0]
    assert store.events(CLIENT, None, 10) == []
