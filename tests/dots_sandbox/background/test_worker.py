"""The background worker: settlements and deliveries off the request path, in process and across `kill -9`.

The process tests run on each engine several processes can share (a SQLite file, a PostgreSQL
database): the outbox and timers must hold on both.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.background.worker import Worker
from dots_sandbox.receiver import LocalReceiver
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import OutcomeUnknown, SQLiteStore, StoreBusy, StoreRefused, StoreUnavailable

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

    StartSandbox = Callable[..., LiveSandbox]

AUTH = ("sandbox-client-id", "sandbox-api-key")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUCCEEDS = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
SETTLES = "00000000-0000-4000-8000-000000000004"
CHALLENGE = "00000000-0000-4000-8000-000000000003"
LIVENESS_SECONDS = 30  # a bound for waits that end as soon as the condition holds; never a timing assert


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + LIVENESS_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.02)


def _verified(receiver: LocalReceiver) -> list[dict[str, Any]]:
    return [entry for entry in list(receiver.received) if entry["verified"]]


def test_the_worker_settles_and_delivers_while_a_receiver_blocks_nothing(tmp_path: Path) -> None:
    """With a receiver that holds its answer, confirms are still answered; then both events arrive, verified."""
    from tests.conftest import InProcess

    release = threading.Event()
    receiver = LocalReceiver(SECRET, on_line=lambda line: release.wait(LIVENESS_SECONDS)).start()
    settings = Settings(
        db=str(tmp_path / "sandbox.db"), settlement_seconds=0.2, webhooks=(Receiver(receiver.url, SECRET),)
    )
    app = build_sandbox(settings)
    client = InProcess(app)
    app.start_background()
    try:
        intent = client.create(amount=10, currency="usd").json()
        assert client.confirm(intent["id"], SETTLES).json()["status"] == "processing"
        _wait_for(lambda: len(receiver.received) >= 1)  # the receiver now holds the first delivery
        for _ in range(5):  # ... and the API goes on answering
            other = client.create(amount=10, currency="usd").json()
            assert client.confirm(other["id"], SUCCEEDS).status_code == 200
        release.set()
        _wait_for(lambda: client.retrieve(intent["id"]).json()["status"] == "succeeded")
        _wait_for(lambda: len(_verified(receiver)) == 7)
        ids = [entry["svix-id"] for entry in _verified(receiver)]
        assert len(set(ids)) == 7
        mine = [entry for entry in _verified(receiver) if entry["body"]["payment_intent_id"] == intent["id"]]
        assert len(mine) == 2
    finally:
        app.stop_background()
        client.close()
        receiver.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_events_committed_before_kill_9_are_delivered_after_restart(
    start_sandbox: StartSandbox, shared_db: str
) -> None:
    """Changes committed while the receiver was down, then SIGKILL: after a restart every event arrives, and a
    settlement that fell due while the server was dead happens and is announced."""
    port = _free_port()  # nothing listens there yet: every delivery is refused
    env = {
        "SANDBOX_WEBHOOKS": f"http://127.0.0.1:{port}/hook={SECRET}",
        "SANDBOX_SETTLEMENT_SECONDS": "1",
        "SANDBOX_WEBHOOK_RETRY_SECONDS": " ".join(["0.2"] * 200),
        "SANDBOX_WEBHOOK_TIMEOUT_SECONDS": "1",  # a lease the killed process held ends 2 s on
    }
    db = shared_db
    sandbox = start_sandbox(db, env=env)
    changed: list[str] = []
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as client:
        for method in (SUCCEEDS, SUCCEEDS, SETTLES, CHALLENGE):
            intent = client.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"}).json()
            confirmed = client.post(f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": method})
            assert confirmed.status_code == 200
            changed.append(intent["id"])
            confirmed_at = time.monotonic()
        processing = changed[2]
        events = client.get("/sandbox/webhook-events").json()["data"]
    sandbox.kill()  # SIGKILL: no shutdown code runs
    assert len(events) == 4
    assert all(event["deliveries"][0]["state"] == "pending" for event in events)

    receiver = LocalReceiver(SECRET, port=port, on_line=lambda line: None).start()
    try:
        _wait_for(lambda: time.monotonic() > confirmed_at + 1.0)  # the settlement falls due while the server is dead
        restarted = start_sandbox(db, env=env)
        with httpx.Client(base_url=restarted.url, auth=AUTH) as client:
            _wait_for(lambda: client.get(f"/v2/payment-intents/{processing}").json()["status"] == "succeeded")
            _wait_for(lambda: len({entry["svix-id"] for entry in _verified(receiver)}) == 5)
            stored = client.get("/sandbox/webhook-events").json()["data"]
            _wait_for(
                lambda: all(
                    e["deliveries"][0]["state"] == "delivered"
                    for e in client.get("/sandbox/webhook-events").json()["data"]
                )
            )
        assert {entry["svix-id"] for entry in _verified(receiver)} == {event["id"] for event in stored}
        assert [e["status"] for e in stored if e["payment_intent_id"] == processing] == ["succeeded", "processing"]
        assert {entry["body"]["payment_intent_id"] for entry in _verified(receiver)} == set(changed)
        assert [entry for entry in receiver.received if not entry["verified"]] == []
        assert restarted.stop() == 0
        assert SECRET.removeprefix("whsec_") not in restarted.output + sandbox.output
    finally:
        receiver.stop()


def test_two_servers_on_one_database_send_each_event_once(start_sandbox: StartSandbox, shared_db: str) -> None:
    """Two processes share a database and a receiver: every change (settlements too) arrives exactly once."""
    receiver = LocalReceiver(SECRET, on_line=lambda line: None).start()
    try:
        env = {
            "SANDBOX_WEBHOOKS": f"{receiver.url}={SECRET}",
            "SANDBOX_SETTLEMENT_SECONDS": "0.5",
            "SANDBOX_WEBHOOK_TIMEOUT_SECONDS": "3",  # a 6 s lease; room for a slow answer on a busy machine
        }
        servers = [start_sandbox(shared_db, env=env), start_sandbox(shared_db, env=env)]
        intents = []
        for index in range(20):
            with httpx.Client(base_url=servers[index % 2].url, auth=AUTH) as client:
                intent = client.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"}).json()
                method = SETTLES if index % 2 else SUCCEEDS
                assert (
                    client.post(
                        f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": method}
                    ).status_code
                    == 200
                )
                intents.append(intent["id"])
        _wait_for(lambda: len(_verified(receiver)) >= 30)  # 20 confirms + 10 settlements
        quiet_until = time.monotonic() + 1.0  # room for a duplicate to show up, were there one
        while time.monotonic() < quiet_until:
            assert len(_verified(receiver)) == 30, "a duplicate arrived"
            time.sleep(0.05)
        ids = [entry["svix-id"] for entry in _verified(receiver)]
        assert len(ids) == 30
        assert len(set(ids)) == 30
        with httpx.Client(base_url=servers[0].url, auth=AUTH) as client:
            statuses = {client.get(f"/v2/payment-intents/{i}").json()["status"] for i in intents}
        assert statuses == {"succeeded"}
        for server in servers:
            assert server.stop() == 0
    finally:
        receiver.stop()


class _RefusedThenDone:
    """A settler whose first three ticks raise `refusal`."""

    def __init__(self, refusal: StoreRefused) -> None:
        self.refusal = refusal
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks <= 3:
            raise self.refusal


@pytest.mark.parametrize(
    "refusal",
    [StoreUnavailable("cannot use PostgreSQL at db.test:5432"), OutcomeUnknown("connection lost during COMMIT")],
)
def test_a_database_outage_is_retried_each_tick_without_a_traceback(
    caplog: pytest.LogCaptureFixture, refusal: StoreRefused
) -> None:
    """While the store raises StoreUnavailable or OutcomeUnknown (the store logs the outage once), the worker
    keeps ticking quietly."""
    settler = _RefusedThenDone(refusal)
    worker = Worker(settler, None, poll_seconds=0.01)  # type: ignore[arg-type]  # only tick() is used
    with caplog.at_level(logging.ERROR, logger="dots_sandbox.background.worker"):
        worker.start()
        try:
            _wait_for(lambda: settler.ticks > 4)
        finally:
            worker.stop()
    assert caplog.records == []


def test_a_busy_store_is_one_warning_per_tick_it_stopped(caplog: pytest.LogCaptureFixture) -> None:
    """StoreBusy (which the store never logs) is one warning naming it for each tick it stopped, then ticks go on."""
    settler = _RefusedThenDone(StoreBusy("the SQLite database x.db cannot be written: database is locked"))
    worker = Worker(settler, None, poll_seconds=0.01)  # type: ignore[arg-type]  # only tick() is used
    with caplog.at_level(logging.WARNING, logger="dots_sandbox.background.worker"):
        worker.start()
        try:
            _wait_for(lambda: settler.ticks > 4)
        finally:
            worker.stop()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == 3 * [
        ("WARNING", f"background tick not done, retrying at the next one: {settler.refusal}")
    ]


def test_a_storage_fault_in_the_background_is_logged_once_by_the_store(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The database file replaced under the worker: every tick's write is a StorageFault, logged in one line."""
    db = tmp_path / "sandbox.db"
    store = SQLiteStore(str(db))

    class Writing:
        def __init__(self) -> None:
            self.ticks = 0

        def tick(self) -> None:
            self.ticks += 1
            store.claim_deliveries(time.time(), 1.0, "owner", ("http://receiver.test/",), 1)  # a write transaction

    os.replace(tmp_path / "sandbox.db", tmp_path / "moved.db")
    db.write_bytes(b"")
    settler = Writing()
    worker = Worker(settler, None, poll_seconds=0.01)  # type: ignore[arg-type]  # only tick() is used
    try:
        with caplog.at_level(logging.WARNING):
            worker.start()
            try:
                _wait_for(lambda: settler.ticks > 4)
            finally:
                worker.stop()
    finally:
        store.close()
    assert [(r.levelname, "removed or replaced" in r.getMessage()) for r in caplog.records] == [("WARNING", True)]
