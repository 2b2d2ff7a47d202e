"""What only the PostgreSQL store has: schema creation under a lock, outages, lost commits, masking.

The `Store` interface itself is tested on every engine in test_base.py. Outages stop a cluster of
the test's own (`pg_ctl stop -m immediate`, PostgreSQL's crash) and start it again.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import re
import threading
import time
import uuid
from typing import Any

import psycopg
import pytest

from dots_sandbox import lifecycle
from dots_sandbox.background.changes import Changes
from dots_sandbox.store import Intent, OutcomeUnknown, Refusal, StoreCannotOpen, StoreUnavailable, open_store
from dots_sandbox.store.postgresql import PostgreSQLStore
from dots_sandbox.store.schema import SCHEMA_VERSION, NotASandboxDatabase, SchemaVersionError
from dots_sandbox.store.url import parse_database
from tools.postgres import Cluster, ExistingServer, free_port

CLIENT = "sandbox-client-id"
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def _new(store: PostgreSQLStore) -> Intent:
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd"})
    store.add_with(intent, None, None)
    return intent


def _password(url: str) -> str:
    password = psycopg.conninfo.conninfo_to_dict(url).get("password")
    assert password, "the tests' PostgreSQL URLs carry a password"
    return str(password)


def test_instances_starting_together_create_the_schema_once(postgres_url: str) -> None:
    """8 stores opened at the same instant on an empty database all start, and the schema is made once."""
    barrier = threading.Barrier(8)

    def start(_: int) -> PostgreSQLStore:
        barrier.wait()
        return PostgreSQLStore(postgres_url, pool_size=1)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        stores = list(pool.map(start, range(8)))
    intent = _new(stores[0])
    assert all(store.get(CLIENT, intent.id) == intent for store in stores)
    for store in stores:
        store.close()
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT version FROM dots_sandbox_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_another_schema_version_is_refused(postgres_url: str) -> None:
    """A database whose schema table says another version is refused at open, not misread."""
    PostgreSQLStore(postgres_url, pool_size=1).close()
    with psycopg.connect(postgres_url) as connection:
        connection.execute("UPDATE dots_sandbox_schema SET version = 99")
    with pytest.raises(SchemaVersionError, match="schema version 99, this sandbox knows 3"):
        PostgreSQLStore(postgres_url, pool_size=1)


def test_tables_of_the_sandboxs_names_without_a_schema_version_are_refused(postgres_url: str) -> None:
    """Another program's `payment_intents` in a database with no sandbox schema version: refused, nothing made."""
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE payment_intents (reference text)")
        connection.execute("CREATE TABLE users (name text)")  # another program's own table: not named
    with pytest.raises(
        NotASandboxDatabase, match=r"not a sandbox database: it holds tables \(payment_intents\) but"
    ) as refused:
        PostgreSQLStore(postgres_url, pool_size=1)
    assert _password(postgres_url) not in str(refused.value)
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT to_regclass('dots_sandbox_schema')").fetchone() == (None,)


def test_a_schema_that_cannot_be_made_is_store_cannot_open(postgres_url: str) -> None:
    """PostgreSQL answers but refuses the schema (here a version table of another shape): StoreCannotOpen, one line."""
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE dots_sandbox_schema (singleton boolean PRIMARY KEY)")
    with pytest.raises(StoreCannotOpen, match=r'cannot use PostgreSQL at .*column "version" does not exist') as refused:
        PostgreSQLStore(postgres_url, pool_size=1)
    assert "\n" not in str(refused.value)
    assert _password(postgres_url) not in str(refused.value)


def test_a_version_1_database_gains_the_outbox_tables(postgres_url: str) -> None:
    """Instances starting together on a version-1 database (before the outbox) migrate it once, keeping intents."""
    store = PostgreSQLStore(postgres_url, pool_size=1)
    intent = _new(store)
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for table in ("webhook_attempts", "webhook_deliveries", "webhook_events", "settlements"):
            connection.execute(f"DROP TABLE {table}")
        connection.execute("UPDATE dots_sandbox_schema SET version = 1")
    barrier = threading.Barrier(4)

    def start(_: int) -> PostgreSQLStore:
        barrier.wait()
        return PostgreSQLStore(postgres_url, pool_size=1)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(start, range(4)))
    try:
        assert all(store.get(CLIENT, intent.id) == intent for store in stores)
        assert stores[0].events(CLIENT, None, 10) == []
        assert stores[0].due_settlements(time.time(), 10) == []
    finally:
        for store in stores:
            store.close()
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT version FROM dots_sandbox_schema").fetchall() == [(SCHEMA_VERSION,)]
    assert SCHEMA_VERSION == 3


def test_client_secret_is_not_stored_in_clear(postgres_url: str) -> None:
    """Only the secret's SHA-256 digest is stored: no column of the row holds the secret's text."""
    store = PostgreSQLStore(postgres_url, pool_size=1)
    intent, secret = lifecycle.new_intent(CLIENT, {"amount": 1, "currency": "usd"})
    store.add_with(intent, None, None)
    store.close()
    with psycopg.connect(postgres_url) as connection:
        (row,) = connection.execute("SELECT payment_intents::text FROM payment_intents").fetchall()
    assert intent.id in row[0]
    assert secret.removeprefix("pi_secret_") not in row[0]


def test_repr_never_shows_the_password(postgres_url: str) -> None:
    """The store's repr names the database with the password masked."""
    store = open_store(postgres_url)
    assert _password(postgres_url) not in repr(store)
    assert ":***@" in repr(store)
    store.close()


def test_wrong_password_at_start_is_one_line_naming_host_and_port(postgres_url: str) -> None:
    """Credentials refused: StoreUnavailable, one line, host and port named, neither password shown."""
    right = _password(postgres_url)
    wrong_password = "wrong-" + uuid.uuid4().hex
    url = re.sub(r"(://[^:/@]+:)[^@]*@", rf"\g<1>{wrong_password}@", postgres_url, count=1)
    assert url != postgres_url
    with pytest.raises(StoreUnavailable) as refused:
        open_store(url)
    message = str(refused.value)
    params = psycopg.conninfo.conninfo_to_dict(url)
    assert f"{params['host']}:{params['port']}" in message
    assert "password authentication failed" in message
    assert "\n" not in message
    assert wrong_password not in message
    assert right not in message


def test_database_down_at_start_is_one_line_naming_host_and_port() -> None:
    """Nothing listening: StoreUnavailable naming host and port, on one line, password masked."""
    port = free_port()
    with pytest.raises(StoreUnavailable) as refused:
        open_store(f"postgresql://sandbox:hunter2@127.0.0.1:{port}/sandbox")
    message = str(refused.value)
    assert message.startswith(f"cannot use PostgreSQL at 127.0.0.1:{port} (postgresql://sandbox:***@127.0.0.1:")
    assert "hunter2" not in message
    assert "\n" not in message


def test_a_store_tolerating_an_outage_opens_without_its_database_and_recovers(
    postgres_server: Cluster | ExistingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """tolerate_outage (a worker's open): no database is an outage, one line; once there, the schema is made."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = postgres_server.url(name)  # not created yet: every connection is refused
    endpoint = parse_database(url).endpoint
    with caplog.at_level(logging.WARNING, logger="dots_sandbox"):
        store = PostgreSQLStore(url, pool_size=1, tolerate_outage=True)
        try:
            for _ in range(3):
                with pytest.raises(StoreUnavailable):
                    store.get(CLIENT, str(uuid.uuid4()))
            postgres_server.create_database(name)
            deadline = time.monotonic() + 30  # liveness bound: the pool retries within seconds
            while True:
                try:
                    intent = _new(store)
                    break
                except StoreUnavailable:
                    assert time.monotonic() < deadline, "the store did not connect once the database existed"
                    time.sleep(0.1)
            assert store.get(CLIENT, intent.id) == intent
        finally:
            store.close()
    outage, *rest = [record.getMessage() for record in caplog.records if record.name.startswith("dots_sandbox")]
    assert outage.startswith(f"cannot use PostgreSQL at {endpoint} (postgresql://postgres:***@{endpoint}/{name}): ")
    assert outage.endswith("; answering 503 until it is back")
    assert rest == [f"PostgreSQL at {endpoint} is reachable again"]
    assert _password(url) not in caplog.text
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT version FROM dots_sandbox_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_an_outage_changes_nothing_and_the_pool_recovers(postgres_cluster: Cluster) -> None:
    """With PostgreSQL crashed, every call raises StoreUnavailable (never a partial write); restarted, all works."""
    store = PostgreSQLStore(postgres_cluster.create_database("outage"), pool_timeout=0.5)
    before = _new(store)
    postgres_cluster.stop("immediate")
    attempted, _ = lifecycle.new_intent(CLIENT, {"amount": 1, "currency": "usd"})
    calls: list[Any] = [
        lambda: store.add_with(attempted, None, None),
        lambda: store.get(CLIENT, before.id),
        lambda: store.confirm(
            CLIENT, before.id, lifecycle.UNCONFIRMED, lifecycle.confirmation({"payment_method_id": PM})
        ),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable) as failed:
            call()
        assert not isinstance(failed.value, OutcomeUnknown)
        assert _password(postgres_cluster.url()) not in str(failed.value)
    postgres_cluster.start()
    deadline = time.monotonic() + 30  # liveness bound: the pool reconnects within seconds
    while True:
        try:
            assert store.get(CLIENT, before.id) == before
            break
        except StoreUnavailable:
            assert time.monotonic() < deadline, "the pool did not reconnect"
            time.sleep(0.2)
    assert store.get(CLIENT, attempted.id) is None
    confirmed = store.confirm(
        CLIENT, before.id, lifecycle.UNCONFIRMED, lifecycle.confirmation({"payment_method_id": PM})
    )
    assert isinstance(confirmed, Intent)
    _new(store)
    store.close()


def test_a_connection_lost_during_commit_is_outcome_unknown(postgres_url: str) -> None:
    """When the server ends the session inside COMMIT, the store raises OutcomeUnknown (not 'changed nothing')."""
    store = PostgreSQLStore(postgres_url, pool_size=1)
    intent = _new(store)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        # A deferred constraint trigger runs inside COMMIT: this one ends its own session there.
        connection.execute(
            """CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1); RETURN NULL; END $$"""
        )
        connection.execute(
            "CREATE CONSTRAINT TRIGGER die_on_commit AFTER UPDATE ON payment_intents "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die()"
        )
    event = Changes(("http://r.test/",), 5.0).event(CLIENT, intent.id, "succeeded")
    with pytest.raises(OutcomeUnknown):
        store.confirm(
            CLIENT,
            intent.id,
            lifecycle.UNCONFIRMED,
            dataclasses.replace(lifecycle.confirmation({"payment_method_id": PM}), event=event),
        )
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP TRIGGER die_on_commit ON payment_intents")
    # Here the commit did not happen (the session died first): a retrieve tells, and a confirm works.
    assert store.get(CLIENT, intent.id) == intent
    assert store.events(CLIENT, intent.id, 10) == []  # the event was in the same lost transaction
    assert isinstance(
        store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, lifecycle.confirmation({"payment_method_id": PM})),
        Intent,
    )
    assert (
        store.confirm(CLIENT, intent.id, lifecycle.UNCONFIRMED, lifecycle.confirmation({"payment_method_id": PM}))
        is Refusal.ALREADY_CONFIRMED
    )
    store.close()
