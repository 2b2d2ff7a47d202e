"""The SQLite store: round trips, atomic confirms from threads and processes, durability settings."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from dots_sandbox import lifecycle
from dots_sandbox.store import Confirmation, Intent, Refusal, SQLiteStore, open_store
from dots_sandbox.store.sqlite import CHECKPOINT_BACKSTOP_PAGES

CLIENT = "sandbox-client-id"
ROUNDS = 20


def _new(store: SQLiteStore, **request: Any) -> Intent:
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd", **request})
    store.add(intent)
    return intent


def _confirmation(payment_method_id: str) -> Confirmation:
    return lifecycle.confirmation({"payment_method_id": payment_method_id})


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh store, on a file and in memory."""
    opened = SQLiteStore(str(tmp_path / "store.db") if request.param == "file" else ":memory:")
    yield opened
    opened.close()


def test_add_then_get_round_trips_everything(store: SQLiteStore) -> None:
    """Every field of the create request, including NUL and astral characters, comes back as stored."""
    request = {
        "amount": 99_999_999,
        "currency": "usd",
        "description": "nul \u0000 emoji \U0001f600 \u00e9",
        "metadata": {"\u4e2d": "\u0000"},
        "application_fee_amount": 0,
        "customer_id": str(uuid.uuid4()),
        "transfer_data": {"destination_user_id": str(uuid.uuid4())},
    }
    intent = _new(store, **request)
    assert store.get(CLIENT, intent.id) == intent
    assert dict(intent.create_request) == {"amount": 99_999_999, "currency": "usd", **request}


def test_get_is_scoped_to_the_client(store: SQLiteStore) -> None:
    """Another client id does not see the intent; an unknown id is None."""
    intent = _new(store)
    assert store.get("someone-else", intent.id) is None
    assert store.get(CLIENT, str(uuid.uuid4())) is None


def test_confirm_once_then_refused(store: SQLiteStore) -> None:
    """The first confirm returns the updated intent; the next is ALREADY_CONFIRMED and changes nothing."""
    intent = _new(store)
    confirmed = store.confirm(
        CLIENT, intent.id, lifecycle.UNCONFIRMED, _confirmation("3c90c3cc-0d44-4b50-8888-8dd25736052a")
    )
    assert isinstance(confirmed, Intent)
    assert confirmed.status == "succeeded"
    assert confirmed.transfer_id is not None
    assert confirmed.confirm_request == {"payment_method_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}
    again = store.confirm(
        CLIENT, intent.id, lifecycle.UNCONFIRMED, _confirmation("00000000-0000-4000-8000-000000000002")
    )
    assert again is Refusal.ALREADY_CONFIRMED
    assert store.get(CLIENT, intent.id) == confirmed


def test_confirm_of_unknown_or_foreign_intent_is_not_found(store: SQLiteStore) -> None:
    """Confirming an id nobody created, or another client's intent, is NOT_FOUND."""
    intent = _new(store)
    assert store.confirm(CLIENT, str(uuid.uuid4()), lifecycle.UNCONFIRMED, _confirmation(str(uuid.uuid4()))) is (
        Refusal.NOT_FOUND
    )
    assert store.confirm("other", intent.id, lifecycle.UNCONFIRMED, _confirmation(str(uuid.uuid4()))) is (
        Refusal.NOT_FOUND
    )
    stored = store.get(CLIENT, intent.id)
    assert stored is not None
    assert stored.status == "initialized"


def test_client_secret_is_not_stored_in_clear(tmp_path: Path) -> None:
    """Only the secret's SHA-256 digest is stored: the secret's text appears nowhere in the database files."""
    db = tmp_path / "secret.db"
    store = SQLiteStore(str(db))
    intent, secret = lifecycle.new_intent(CLIENT, {"amount": 1, "currency": "usd"})
    store.add(intent)
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


def test_data_survives_reopening(tmp_path: Path) -> None:
    """What one store committed, a new store on the same file reads."""
    db = str(tmp_path / "reopen.db")
    first = SQLiteStore(db)
    intent = _new(first)
    confirmed = first.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, _confirmation(str(uuid.uuid4())))
    first.close()
    second = SQLiteStore(db)
    assert second.get(CLIENT, intent.id) == confirmed
    second.close()


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    """A database written by a newer schema version is refused at open, not misread."""
    db = tmp_path / "future.db"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(RuntimeError, match="schema version 99"):
        SQLiteStore(str(db))


def test_a_failed_transaction_is_rolled_back(store: SQLiteStore) -> None:
    """An insert that fails (duplicate id) leaves no transaction open and the store usable."""
    intent = _new(store)
    with pytest.raises(sqlite3.IntegrityError):
        store.add(intent)
    assert store.get(CLIENT, intent.id) == intent
    _new(store)


def test_closed_memory_store_refuses_use() -> None:
    """After close, a memory store raises instead of silently using a new, empty database."""
    store = SQLiteStore(":memory:")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.get(CLIENT, str(uuid.uuid4()))


def _race_threads(store: SQLiteStore, pool: concurrent.futures.ThreadPoolExecutor, contenders: int) -> None:
    intent = _new(store)
    barrier = threading.Barrier(contenders)
    methods = [str(uuid.uuid4()) for _ in range(contenders)]

    def attempt(payment_method_id: str) -> Intent | Refusal:
        barrier.wait()
        return store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, _confirmation(payment_method_id))

    results = list(pool.map(attempt, methods))
    winners = [result for result in results if isinstance(result, Intent)]
    assert len(winners) == 1, results
    assert results.count(Refusal.ALREADY_CONFIRMED) == contenders - 1
    assert store.get(CLIENT, intent.id) == winners[0]


def test_concurrent_confirms_from_threads_one_wins(store: SQLiteStore) -> None:
    """Of 8 threads confirming one intent at once (20 rounds), exactly one wins and its write is what is stored."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in range(ROUNDS):
            _race_threads(store, pool, 8)


def _confirm_at(db: str, intent_id: str, payment_method_id: str, start_at: float) -> str:
    """In a child process: wait until `start_at`, confirm, and report the outcome."""
    store = _process_store(db)
    time.sleep(max(0.0, start_at - time.time()))
    result = store.confirm(CLIENT, intent_id, lifecycle.UNCONFIRMED, _confirmation(payment_method_id))
    return result.value if isinstance(result, Refusal) else f"won:{result.payment_method_id}"


_STORES: dict[str, SQLiteStore] = {}


def _process_store(db: str) -> SQLiteStore:
    if db not in _STORES:
        _STORES[db] = SQLiteStore(db)
    return _STORES[db]


def _open_in_process(db: str) -> None:
    _process_store(db)


def test_concurrent_confirms_from_processes_one_wins(tmp_path: Path) -> None:
    """Of 4 processes confirming one intent at the same instant (20 rounds), exactly one wins."""
    db = str(tmp_path / "processes.db")
    store = SQLiteStore(db)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as pool:
        list(pool.map(_open_in_process, [db] * 8))  # start the workers and open their connections
        for _ in range(ROUNDS):
            intent = _new(store)
            start_at = time.time() + 0.05
            methods = [str(uuid.uuid4()) for _ in range(4)]
            results = list(pool.map(_confirm_at, [db] * 4, [intent.id] * 4, methods, [start_at] * 4))
            winners = [result for result in results if result.startswith("won:")]
            assert len(winners) == 1, results
            assert results.count("already-confirmed") == 3
            stored = store.get(CLIENT, intent.id)
            assert stored is not None
            assert f"won:{stored.payment_method_id}" == winners[0]
    store.close()
