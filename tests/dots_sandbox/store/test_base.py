"""The `Store` interface, one suite on every engine: SQLite (file and memory) and PostgreSQL.

Round trips, scoping, atomic confirms from threads and processes, reopening, rollback. What only
one engine has (WAL and checkpoints; the pool and outages) is in test_sqlite.py / test_postgresql.py.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dots_sandbox import lifecycle
from dots_sandbox.store import Confirmation, Intent, Refusal, Store, open_store

CLIENT = "sandbox-client-id"
ROUNDS = 20


def _new(store: Store, **request: Any) -> Intent:
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd", **request})
    store.add(intent)
    return intent


def _confirmation(payment_method_id: str) -> Confirmation:
    return lifecycle.confirmation({"payment_method_id": payment_method_id})


def _fresh_db(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if engine == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "store.db") if engine == "sqlite" else ":memory:"


@pytest.fixture(params=["sqlite", "sqlite-memory", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database's `--db` value on each engine."""
    return _fresh_db(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database that several stores (and processes) can open: every engine but `:memory:`."""
    return _fresh_db(request.param, request, tmp_path)


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    """A store on a fresh database."""
    opened = open_store(db)
    yield opened
    opened.close()


def test_add_then_get_round_trips_everything(store: Store) -> None:
    """Every field of the create request, including NUL and astral characters, comes back as stored."""
    request = {
        "amount": 99_999_999,
        "currency": "usd",
        "description": "nul \u0000 emoji \U0001f600 \u00e9",
        "metadata": {"\u4e2d": "\u0000", "z": "1", "a": "2"},
        "application_fee_amount": 0,
        "customer_id": str(uuid.uuid4()),
        "transfer_data": {"destination_user_id": str(uuid.uuid4())},
    }
    intent = _new(store, **request)
    stored = store.get(CLIENT, intent.id)
    assert stored == intent
    assert dict(intent.create_request) == {"amount": 99_999_999, "currency": "usd", **request}
    assert list(stored.create_request["metadata"]) == ["\u4e2d", "z", "a"]  # key order kept


def test_get_is_scoped_to_the_client(store: Store) -> None:
    """Another client id does not see the intent; an unknown id is None."""
    intent = _new(store)
    assert store.get("someone-else", intent.id) is None
    assert store.get(CLIENT, str(uuid.uuid4())) is None


def test_confirm_once_then_refused(store: Store) -> None:
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


def test_confirm_of_unknown_or_foreign_intent_is_not_found(store: Store) -> None:
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


def test_a_failed_transaction_is_rolled_back(store: Store) -> None:
    """An insert that fails (duplicate id) leaves no transaction open and the store usable."""
    intent = _new(store)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.add(intent)
    assert store.get(CLIENT, intent.id) == intent
    _new(store)


def test_data_survives_reopening(shared_db: str) -> None:
    """What one store committed, a new store on the same database reads."""
    first = open_store(shared_db)
    intent = _new(first)
    confirmed = first.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, _confirmation(str(uuid.uuid4())))
    first.close()
    second = open_store(shared_db)
    assert second.get(CLIENT, intent.id) == confirmed
    second.close()


def _race_threads(store: Store, pool: concurrent.futures.ThreadPoolExecutor, contenders: int) -> None:
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


def test_concurrent_confirms_from_threads_one_wins(store: Store) -> None:
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


_STORES: dict[str, Store] = {}


def _process_store(db: str) -> Store:
    if db not in _STORES:
        _STORES[db] = open_store(db)
    return _STORES[db]


def _open_in_process(db: str) -> None:
    _process_store(db)


def test_concurrent_confirms_from_processes_one_wins(shared_db: str) -> None:
    """Of 4 processes confirming one intent at the same instant (20 rounds), exactly one wins."""
    store = open_store(shared_db)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as pool:
        list(pool.map(_open_in_process, [shared_db] * 8))  # start the workers and open their connections
        for _ in range(ROUNDS):
            intent = _new(store)
            start_at = time.time() + 0.05
            methods = [str(uuid.uuid4()) for _ in range(4)]
            results = list(pool.map(_confirm_at, [shared_db] * 4, [intent.id] * 4, methods, [start_at] * 4))
            winners = [result for result in results if result.startswith("won:")]
            assert len(winners) == 1, results
            assert results.count("already-confirmed") == 3
            stored = store.get(CLIENT, intent.id)
            assert stored is not None
            assert f"won:{stored.payment_method_id}" == winners[0]
    store.close()
