"""PostgreSQL errors by their cause, each produced by a real server on the test's own database.

Only a lost or refused connection is an outage (StoreUnavailable, logged); a serialization failure
or deadlock is retried, then StoreBusy; a statement or lock timeout is StoreBusy at once; a
connection the server closed is replaced without failing the call. Settings go on the test's own
database (`ALTER DATABASE ... SET`, read by new sessions), and only its own backends are ended.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import urllib.parse
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from psycopg import sql

from dots_sandbox import lifecycle
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import Intent, Refusal, StoreBusy
from dots_sandbox.store.postgresql import TRANSACTION_ATTEMPTS, PostgreSQLStore

CLIENT = "sandbox-client-id"
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
CONTENDERS = 16
AUTH = ("sandbox-client-id", "sandbox-api-key")


def _database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def _set_on_database(url: str, **settings: str) -> None:
    """`ALTER DATABASE <the url's own> SET name = value` for each setting (new sessions read them)."""
    with psycopg.connect(url, autocommit=True) as connection:
        for name, value in settings.items():
            connection.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(_database_name(url)), sql.Identifier(name), sql.Literal(value)
                )
            )


class SandboxLog:
    """The sandbox's own log records of WARNING and above (where outages are logged)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    @property
    def records(self) -> list[str]:
        """The messages logged so far by `dots_sandbox` loggers (psycopg_pool's own are left out)."""
        return [record.getMessage() for record in self._caplog.records if record.name.startswith("dots_sandbox")]


@pytest.fixture
def outage_log(caplog: pytest.LogCaptureFixture) -> Iterator[SandboxLog]:
    """The sandbox's log lines of WARNING and above, from this test."""
    with caplog.at_level(logging.WARNING, logger="dots_sandbox"):
        yield SandboxLog(caplog)


def _new(store: PostgreSQLStore) -> Intent:
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd"})
    store.add_with(intent, None, None)
    return intent


def _confirm(store: PostgreSQLStore, intent: Intent) -> Intent | Refusal:
    return store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, lifecycle.confirmation({"payment_method_id": PM}))


async def _confirm_at_once(url: str, count: int) -> list[httpx.Response]:
    sandbox = build_sandbox(Settings(db=url))
    transport = httpx.ASGITransport(sandbox.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/api", auth=AUTH) as client:
            created = await client.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
            confirm = f"/v2/payment-intents/{created.json()['id']}/confirm"
            return list(
                await asyncio.gather(*(client.post(confirm, json={"payment_method_id": PM}) for _ in range(count)))
            )
    finally:
        sandbox.store.close()


def test_concurrent_confirms_on_a_repeatable_read_database_give_one_200_and_409s(
    postgres_url: str, outage_log: SandboxLog
) -> None:
    """16 confirms of one intent at once, database default REPEATABLE READ: one 200, 15 409s, no 503, nothing logged."""
    _set_on_database(postgres_url, default_transaction_isolation="repeatable read")
    for _ in range(3):
        statuses = sorted(response.status_code for response in asyncio.run(_confirm_at_once(postgres_url, CONTENDERS)))
        assert statuses == [200] + [409] * (CONTENDERS - 1)
    assert outage_log.records == []


def test_serialization_failures_from_threads_are_retried(postgres_url: str, outage_log: SandboxLog) -> None:
    """Store level, 16 threads, REPEATABLE READ (5 rounds): exactly one confirm wins, the rest are ALREADY_CONFIRMED."""
    _set_on_database(postgres_url, default_transaction_isolation="repeatable read")
    store = PostgreSQLStore(postgres_url, pool_size=CONTENDERS)
    try:
        with concurrent.futures.ThreadPoolExecutor(CONTENDERS) as pool:
            for _ in range(5):
                intent = _new(store)
                barrier = threading.Barrier(CONTENDERS)

                def attempt(_: int, intent: Intent = intent, barrier: threading.Barrier = barrier) -> Intent | Refusal:
                    barrier.wait()
                    return _confirm(store, intent)

                results = list(pool.map(attempt, range(CONTENDERS)))
                assert sum(isinstance(result, Intent) for result in results) == 1
                assert results.count(Refusal.ALREADY_CONFIRMED) == CONTENDERS - 1
    finally:
        store.close()
    assert outage_log.records == []


_DEADLOCK_TRIGGER = """
CREATE SEQUENCE deadlocks;
CREATE FUNCTION deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('deadlocks') <= current_setting('dots.deadlocks')::bigint THEN
        RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = 'deadlock_detected';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER deadlock BEFORE UPDATE ON payment_intents FOR EACH ROW EXECUTE FUNCTION deadlock();
"""


def _deadlocks_seen(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT last_value FROM deadlocks").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(("deadlocks", "answered"), [(TRANSACTION_ATTEMPTS - 1, True), (1000, False)])
def test_a_deadlock_is_retried_a_bounded_number_of_times(
    postgres_url: str, outage_log: SandboxLog, deadlocks: int, answered: bool
) -> None:
    """The server reports 40P01: the confirm runs again, TRANSACTION_ATTEMPTS times in all, then StoreBusy."""
    _set_on_database(postgres_url, **{"dots.deadlocks": str(deadlocks)})
    store = PostgreSQLStore(postgres_url, pool_size=1)
    try:
        intent = _new(store)
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(_DEADLOCK_TRIGGER)
        if answered:
            assert isinstance(_confirm(store, intent), Intent)
        else:
            with pytest.raises(StoreBusy, match="deadlock detected"):
                _confirm(store, intent)
            assert store.get(CLIENT, intent.id) == intent  # nothing half-written
        assert _deadlocks_seen(postgres_url) == TRANSACTION_ATTEMPTS
    finally:
        store.close()
    assert outage_log.records == []


@pytest.mark.parametrize("setting", ["lock_timeout", "statement_timeout"])
def test_a_lock_or_statement_timeout_is_busy_not_an_outage(
    postgres_url: str, outage_log: SandboxLog, setting: str
) -> None:
    """A row held by another session past lock_timeout (55P03) or statement_timeout (57014): StoreBusy, no outage."""
    _set_on_database(postgres_url, **{setting: "100ms"})
    store = PostgreSQLStore(postgres_url, pool_size=1)
    try:
        intent = _new(store)
        with psycopg.connect(postgres_url) as holder:
            holder.execute("SET lock_timeout = 0; SET statement_timeout = 0")
            holder.execute("SELECT 1 FROM payment_intents WHERE id = %s FOR UPDATE", (intent.id,))
            with pytest.raises(StoreBusy):
                _confirm(store, intent)
            assert store.get(CLIENT, intent.id) == intent  # reads go on meanwhile
        assert isinstance(_confirm(store, intent), Intent)  # the lock released, the next call works
    finally:
        store.close()
    assert outage_log.records == []


def test_connections_the_server_closed_are_replaced_without_failing_a_call(
    postgres_url: str, outage_log: SandboxLog
) -> None:
    """Every pooled session of this test's database ended by the server (57P01): the next calls all succeed."""
    store = PostgreSQLStore(postgres_url, pool_size=3)
    try:
        intents = [_new(store) for _ in range(3)]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert ended is not None
        assert ended[0] >= 3
        assert [store.get(CLIENT, intent.id) for intent in intents] == intents
        assert all(isinstance(_confirm(store, intent), Intent) for intent in intents)
        _new(store)
    finally:
        store.close()
    assert outage_log.records == []
