"""What only the SQLite store has: WAL, synchronous levels, background checkpoints, files, `:memory:`.

The `Store` interface itself is tested on every engine in test_base.py.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from dots_sandbox import lifecycle
from dots_sandbox.store import Intent, SQLiteStore, StoreBusy, open_store
from dots_sandbox.store import sqlite as sqlite_store
from dots_sandbox.store.schema import NotASandboxDatabase, SchemaVersionError
from dots_sandbox.store.sqlite import CHECKPOINT_BACKSTOP_PAGES

CLIENT = "sandbox-client-id"


def _new(store: SQLiteStore, **request: Any) -> Intent:
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd", **request})
    store.add_with(intent, None, None)
    return intent


def test_client_secret_is_not_stored_in_clear(tmp_path: Path) -> None:
    """Only the secret's SHA-256 digest is stored: the secret's text appears nowhere in the database files."""
    db = tmp_path / "secret.db"
    store = SQLiteStore(str(db))
    intent, secret = lifecycle.new_intent(CLIENT, {"amount": 1, "currency": "usd"})
    store.add_with(intent, None, None)
    store.close()
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert intent.id.encode() in raw
    assert secret.encode() not in raw
    assert secret.removeprefix("pi_secret_").encode() not in raw


def test_file_database_uses_wal_and_the_synchronous_level(tmp_path: Path) -> None:
    """A file store runs in WAL mode with synchronous NORMAL by default, FULL when asked."""
    for level, number in (("NORMAL", 1), ("FULL", 2)):
        store = SQLiteStore(str(tmp_path / f"{level}.db"), synchronous=level)
        connection = store._connection()
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA synchronous").fetchone() == (number,)
        store.close()


def test_checkpoints_run_in_the_background(tmp_path: Path) -> None:
    """Committed pages reach the database file with no request running (not in some request's COMMIT)."""
    db = tmp_path / "sandbox.db"
    store = SQLiteStore(str(db))
    assert store._connection().execute("PRAGMA wal_autocheckpoint").fetchone() == (CHECKPOINT_BACKSTOP_PAGES,)
    before = db.stat().st_size
    for _ in range(300):
        _new(store, metadata={"k": "v" * 400})
    deadline = time.monotonic() + 10  # liveness bound only: the checkpoint runs every 0.1 s
    while db.stat().st_size <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db.stat().st_size > before
    checkpointer = store._checkpointer
    assert checkpointer is not None
    assert checkpointer.is_alive()
    store.close()
    assert not checkpointer.is_alive()


def test_memory_store_has_no_checkpointer() -> None:
    """`:memory:` has no WAL, so no checkpoint thread."""
    store = SQLiteStore(":memory:")
    assert store._checkpointer is None
    store.close()


def test_the_database_directory_is_created(tmp_path: Path) -> None:
    """A db path in a directory that does not exist yet creates the directory."""
    store = open_store(str(tmp_path / "a" / "b" / "sandbox.db"))
    assert (tmp_path / "a" / "b" / "sandbox.db").exists()
    store.close()


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    """A database written by a newer schema version is refused at open, not misread."""
    db = tmp_path / "future.db"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(SchemaVersionError, match="schema version 99, this sandbox knows 3"):
        SQLiteStore(str(db))


def test_a_file_with_tables_but_no_schema_version_is_refused(tmp_path: Path) -> None:
    """Another program's SQLite file (tables, user_version 0) is refused at open and left as it was."""
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE payment_intents (reference TEXT)")
        connection.execute("CREATE TABLE users (name TEXT)")
    connection.close()
    with pytest.raises(
        NotASandboxDatabase, match=r"other\.db: not a sandbox database: it holds tables \(payment_intents, users\)"
    ):
        SQLiteStore(str(db))
    with sqlite3.connect(db) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        assert (tables, connection.execute("PRAGMA user_version").fetchone()) == (
            [("payment_intents",), ("users",)],
            (0,),
        )
    connection.close()


def test_closed_memory_store_refuses_use() -> None:
    """After close, a memory store raises instead of silently using a new, empty database."""
    store = SQLiteStore(":memory:")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.get(CLIENT, str(uuid.uuid4()))


def test_a_version_1_database_gains_the_outbox_tables(tmp_path: Path) -> None:
    """A file written before the outbox (schema 1) opens, keeps its intents and gets the new tables."""
    db = tmp_path / "old.db"
    store = SQLiteStore(str(db))
    intent = _new(store)
    store.close()
    connection = sqlite3.connect(db)
    for table in ("webhook_attempts", "webhook_deliveries", "webhook_events", "settlements"):
        connection.execute(f"DROP TABLE {table}")
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()
    store = SQLiteStore(str(db))
    try:
        assert store.get(CLIENT, intent.id) == intent
        assert store.events(CLIENT, None, 10) == []
        assert store._connection().execute("PRAGMA user_version").fetchone() == (3,)
    finally:
        store.close()


def test_a_write_lock_held_past_the_busy_timeout_is_busy_not_a_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another connection holding the write lock past BUSY_TIMEOUT_MS: StoreBusy (503), nothing logged."""
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 100)
    db = tmp_path / "busy.db"
    store = SQLiteStore(str(db))
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with caplog.at_level(logging.WARNING), pytest.raises(StoreBusy, match="database is locked"):
            _new(store)
        holder.execute("ROLLBACK")
        _new(store)
        assert [record for record in caplog.records if record.name.startswith("dots_sandbox")] == []
    finally:
        holder.close()
        store.close()


@pytest.mark.parametrize("db", ["memory", "file"])
def test_close_waits_for_a_use_in_progress_and_later_uses_are_refused(db: str, tmp_path: Path) -> None:
    """close() from another thread while a write runs waits for it (closing a connection in use crashed the
    process); once closed, a use raises sqlite3.ProgrammingError instead of reopening or crashing."""
    store = SQLiteStore(":memory:" if db == "memory" else str(tmp_path / "sandbox.db"))
    inside, release = threading.Event(), threading.Event()

    def slow(connection: sqlite3.Connection) -> int:
        inside.set()
        assert release.wait(5)
        return int(connection.execute("SELECT 1").fetchone()[0])

    results: list[int] = []
    writer = threading.Thread(target=lambda: results.append(store._run(slow, write=True)))
    writer.start()
    assert inside.wait(5)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # still waiting for the write
    release.set()
    writer.join(5)
    closer.join(5)
    assert not closer.is_alive()
    assert results == [1]
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        store._run(lambda connection: connection.execute("SELECT 1").fetchone())
