"""The `Store` interface, one suite on every engine: SQLite (file and memory) and PostgreSQL.

Round trips, scoping, atomic confirms from threads and processes, reopening, rollback; the outbox
and timers (events written with their change only, settled once, deliveries leased to one owner). What only
one engine has (WAL and checkpoints; the pool and outages) is in test_sqlite.py / test_postgresql.py.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import multiprocessing
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest

from dots_sandbox import lifecycle
from dots_sandbox.background.changes import Changes
from dots_sandbox.store import (
    Attempt,
    Confirmation,
    Delivery,
    Event,
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
    open_store,
)

CLIENT = "sandbox-client-id"
ROUNDS = 20
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
T = TypeVar("T")


def _new(store: Store, **request: Any) -> Intent:
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd", **request})
    store.add_with(intent, None, None)
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
        store.add_with(intent, None, None)
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


@pytest.fixture(scope="module")
def process_pool() -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """4 spawned processes, shared by the engines' runs (each keeps a store per database it is given)."""
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def test_concurrent_confirms_from_processes_one_wins(
    shared_db: str, process_pool: concurrent.futures.ProcessPoolExecutor
) -> None:
    """Of 4 processes confirming one intent at the same instant (20 rounds), exactly one wins."""
    store = open_store(shared_db)
    list(process_pool.map(_open_in_process, [shared_db] * 8))  # start the workers and open their connections
    for _ in range(ROUNDS):
        intent = _new(store)
        start_at = time.time() + 0.05
        methods = [str(uuid.uuid4()) for _ in range(4)]
        results = list(process_pool.map(_confirm_at, [shared_db] * 4, [intent.id] * 4, methods, [start_at] * 4))
        winners = [result for result in results if result.startswith("won:")]
        assert len(winners) == 1, results
        assert results.count("already-confirmed") == 3
        stored = store.get(CLIENT, intent.id)
        assert stored is not None
        assert f"won:{stored.payment_method_id}" == winners[0]
    store.close()


# ---- Outbox and timers ----------------------------------------------------------------------

PROCESSING_PM = "00000000-0000-4000-8000-000000000004"
RECEIVERS = ("http://r.test/",)


def _event(intent_id: str, status: str, receivers: tuple[str, ...] = ("http://r.test/",)) -> Event:
    return Changes(receivers, 5.0).event(CLIENT, intent_id, status)


def test_a_refused_confirm_writes_no_event(store: Store) -> None:
    """The event is written with the change that happened; a refused confirm (409, 404) writes none."""
    intent = _new(store)
    first = dataclasses.replace(_confirmation(PM), event=_event(intent.id, "succeeded"))
    assert isinstance(store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, first), Intent)
    again = dataclasses.replace(_confirmation(PM), event=_event(intent.id, "succeeded"))
    assert store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, again) is Refusal.ALREADY_CONFIRMED
    unknown = dataclasses.replace(_confirmation(PM), event=_event(intent.id, "succeeded"))
    assert store.confirm(CLIENT, str(uuid.uuid4()), lifecycle.UNCONFIRMED, unknown) is Refusal.NOT_FOUND
    assert [record.event.id for record in store.events(CLIENT, intent.id, 10)] == [first.event.id]  # type: ignore[union-attr]


def test_the_change_and_its_outbox_rows_commit_or_roll_back_together(store: Store) -> None:
    """If writing the event fails (a duplicate event id), the confirm is rolled back too: all or nothing."""
    intent, other = _new(store), _new(store)
    event = _event(intent.id, "succeeded")
    store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, dataclasses.replace(_confirmation(PM), event=event))
    clash = dataclasses.replace(_confirmation(PM), event=dataclasses.replace(event, payment_intent_id=other.id))
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.confirm(CLIENT, other.id, lifecycle.UNCONFIRMED, clash)
    assert store.get(CLIENT, other.id) == other  # still unconfirmed
    assert store.events(CLIENT, other.id, 10) == []
    assert store.claim_deliveries(time.time() + 1, 30, "one", RECEIVERS, 10) == [
        Delivery(event.id, RECEIVERS[0], event.body, 0)
    ]


def test_transition_applies_only_from_the_given_statuses(store: Store) -> None:
    """transition moves requires_action on once, with its event; otherwise WRONG_STATUS or NOT_FOUND, no event."""
    intent = _new(store)
    challenge = _confirmation("00000000-0000-4000-8000-000000000003")
    store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, challenge)
    changes = Changes(("http://r.test/",), 5.0)
    action = frozenset({"requires_action"})
    done = store.transition(CLIENT, intent.id, action, changes.transition(CLIENT, intent.id, "succeeded"))
    assert isinstance(done, Intent)
    assert (done.status, done.transfer_id is not None) == ("succeeded", True)
    late = changes.transition(CLIENT, intent.id, "failed")
    assert store.transition(CLIENT, intent.id, action, late) is Refusal.WRONG_STATUS
    assert store.transition(CLIENT, str(uuid.uuid4()), action, late) is Refusal.NOT_FOUND
    assert [r.event.status for r in store.events(CLIENT, intent.id, 10)] == ["succeeded"]


def _race(pool: concurrent.futures.ThreadPoolExecutor, stores: list[Store], call: Callable[[Store], T]) -> list[T]:
    """`call` on each store, from one thread each, released at the same moment."""
    barrier = threading.Barrier(len(stores))

    def run(store: Store) -> T:
        barrier.wait()
        return call(store)

    return list(pool.map(run, stores))


def _settle(store: Store, settlement: Settlement, transition: Transition) -> bool:
    return store.settle(settlement, transition) is not None


def test_a_settlement_is_applied_once_by_whoever_claims_it(shared_db: str) -> None:
    """Two stores (instances) settle the same due rows at once (20 rounds): one moves each intent, one event each."""
    stores = [open_store(shared_db), open_store(shared_db)]
    changes = Changes(RECEIVERS, 0.0)
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for _ in range(ROUNDS):
                intent = _new(stores[0])
                event, settlement = changes.confirmed(CLIENT, intent.id, "processing", PROCESSING_PM)
                assert settlement is not None
                confirmation = dataclasses.replace(_confirmation(PROCESSING_PM), event=event, settlement=settlement)
                stores[0].confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, confirmation)
                assert [store.due_settlements(settlement.due_at, 10) for store in stores] == [[settlement]] * 2
                transition = changes.transition(CLIENT, intent.id, settlement.status)
                settle = functools.partial(_settle, settlement=settlement, transition=transition)
                assert sorted(_race(pool, stores, settle)) == [False, True]
                assert [r.event.status for r in stores[1].events(CLIENT, intent.id, 10)] == ["succeeded", "processing"]
                assert stores[1].due_settlements(settlement.due_at + 1000, 10) == []
    finally:
        for store in stores:
            store.close()


def test_a_due_settlement_is_kept_in_epoch_seconds(store: Store) -> None:
    """A settlement is due from its `due_at` (epoch seconds, fractions kept), not before."""
    intent = _new(store)
    event, settlement = Changes(RECEIVERS, 2.5).confirmed(CLIENT, intent.id, "processing", PROCESSING_PM)
    assert settlement is not None
    store.confirm(
        CLIENT,
        intent.id,
        lifecycle.UNCONFIRMED,
        dataclasses.replace(_confirmation(PROCESSING_PM), event=event, settlement=settlement),
    )
    assert store.due_settlements(settlement.due_at - 0.001, 10) == []
    assert store.due_settlements(settlement.due_at, 10) == [settlement]


def _pending(store: Store, count: int) -> set[str]:
    """`count` confirmed intents, each with one pending delivery per receiver; their event ids."""
    ids = set()
    for _ in range(count):
        intent = _new(store)
        event = _event(intent.id, "succeeded", RECEIVERS)
        store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, dataclasses.replace(_confirmation(PM), event=event))
        ids.add(event.id)
    return ids


def test_concurrent_claims_from_two_stores_are_disjoint(shared_db: str) -> None:
    """Two stores (instances) claiming at the same moment, over and over, never lease the same delivery."""
    stores = [open_store(shared_db), open_store(shared_db)]
    try:
        ids = _pending(stores[0], 40)
        now = time.time() + 1
        owners = iter(["a", "b"])

        def claim_all(store: Store) -> list[str]:
            owner, claimed = next(owners), []
            while batch := store.claim_deliveries(now, 30, owner, RECEIVERS, 3):
                claimed += [delivery.event_id for delivery in batch]
            return claimed

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            a, b = _race(pool, stores, claim_all)
        assert not set(a) & set(b)
        assert sorted(a + b) == sorted(ids)
    finally:
        for store in stores:
            store.close()


def test_a_lease_keeps_other_owners_off_until_it_ends(store: Store) -> None:
    """A leased delivery is claimed by no other owner before `lease_until`; from then on, by the next one."""
    (event_id,) = _pending(store, 1)
    now = time.time() + 1
    (first,) = store.claim_deliveries(now, 30, "one", RECEIVERS, 10)
    assert (first.event_id, first.receiver, first.attempts) == (event_id, RECEIVERS[0], 0)
    assert store.claim_deliveries(now + 29.9, 30, "two", RECEIVERS, 10) == []
    assert store.claim_deliveries(now + 30, 30, "two", RECEIVERS, 10) == [first]
    assert store.claim_deliveries(now + 30, 30, "one", ("http://other.test/",), 10) == []


def test_only_the_lease_owner_moves_a_delivery_on(store: Store) -> None:
    """An attempt is always recorded; only the lease's owner reschedules, delivers or fails the delivery."""
    (event_id,) = _pending(store, 1)
    now = time.time() + 1
    store.claim_deliveries(now, 30, "one", RECEIVERS, 10)
    late = Attempt(event_id, RECEIVERS[0], 1, now + 0.5, 500, "HTTP 500", delivered=False)
    store.record_attempt(late, "stale-owner", None)  # not the lease's owner: does not fail it
    store.record_attempt(dataclasses.replace(late, at=now + 1), "one", now + 5)
    assert store.claim_deliveries(now + 4, 30, "two", RECEIVERS, 10) == []  # rescheduled, lease released
    (again,) = store.claim_deliveries(now + 5, 30, "two", RECEIVERS, 10)
    assert again.attempts == 1
    store.record_attempt(Attempt(event_id, RECEIVERS[0], 2, now + 6, 204, None, delivered=True), "two", None)
    assert store.claim_deliveries(now + 1000, 30, "three", RECEIVERS, 10) == []
    (record,) = store.events(CLIENT, None, 10)
    (state,) = record.deliveries
    assert (state.receiver, state.state) == (RECEIVERS[0], "delivered")
    assert [(a.number, a.http_status, a.delivered) for a in state.attempts] == [
        (1, 500, False),
        (1, 500, False),
        (2, 204, True),
    ]


def test_events_are_newest_first_and_scoped(store: Store) -> None:
    """events() lists a client's events newest first, of one intent when asked, never another client's."""
    intent, later = _new(store), _new(store)
    for target in (intent, later):
        event = _event(target.id, "succeeded")
        store.confirm(CLIENT, target.id, lifecycle.UNCONFIRMED, dataclasses.replace(_confirmation(PM), event=event))
    assert [r.event.payment_intent_id for r in store.events(CLIENT, None, 10)] == [later.id, intent.id]
    assert [r.event.payment_intent_id for r in store.events(CLIENT, intent.id, 10)] == [intent.id]
    assert len(store.events(CLIENT, None, 1)) == 1
    assert store.events("someone-else", None, 10) == []


def test_the_store_refusals_are_siblings_under_one_base() -> None:
    """Unavailable, busy, storage fault and outcome unknown are each a StoreRefused, and none is another."""
    kinds = (StoreUnavailable, StoreBusy, StorageFault, OutcomeUnknown)
    assert all(issubclass(kind, StoreRefused) for kind in kinds)
    assert [(a.__name__, b.__name__) for a in kinds for b in kinds if a is not b and issubclass(a, b)] == []
    assert not issubclass(StoreCannotOpen, StoreRefused)  # a start that fails is no 503
