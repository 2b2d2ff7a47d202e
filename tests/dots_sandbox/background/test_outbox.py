"""The dispatcher: signed sends, at least once, retries on the schedule, leases between processes.

On each engine several processes can share (a SQLite file, PostgreSQL): the dispatcher's behaviour
rests on the store's claims and leases. Every send goes the worker's way (`start_due`, each attempt
then its record on the dispatcher's loop); what came of it is read back from the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from svix.webhooks import Webhook

from dots_sandbox import lifecycle
from dots_sandbox.background.changes import Changes
from dots_sandbox.background.outbox import MAX_ANSWER_BYTES, SEND_ONCE, Dispatcher, Route, delivered, failure
from dots_sandbox.background.schedule import RetryPolicy
from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.receiver import ReceiverServer
from dots_sandbox.store import (
    Attempt,
    Delivery,
    SQLiteStore,
    StorageFault,
    Store,
    StoreBusy,
    StoreRefused,
    StoreUnavailable,
    open_store,
)
from tests.conftest import Clock

CLIENT = "sandbox-client-id"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
URL = "http://receiver.test/hook"
RECEIVER = Receiver(URL, SECRET)
POLICY = RetryPolicy((1.0, 2.0, 4.0))
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on a SQLite file, or on a fresh PostgreSQL database."""
    db = request.getfixturevalue("postgres_url") if request.param == "postgresql" else str(tmp_path / "outbox.db")
    opened = open_store(db)
    yield opened
    opened.close()


class Recorder:
    """A MockTransport handler: verifies each request with svix, records it, answers from a script."""

    def __init__(self, answers: list[int | Exception] | None = None) -> None:
        self.answers = list(answers or [])
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        Webhook(SECRET).verify(request.content, dict(request.headers))
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else 204
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)

    def ids(self) -> list[str]:
        """The svix-id of each request, in order."""
        return [request.headers["svix-id"] for request in self.requests]


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30  # a bound for a wait that ends as soon as the condition holds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.01)


@pytest.fixture
def dispatchers() -> Iterator[list[Dispatcher]]:
    """Dispatchers a test made, closed after it (each runs a loop thread once it sends)."""
    made: list[Dispatcher] = []
    yield made
    for dispatcher in made:
        dispatcher.close()


def _dispatcher(
    dispatchers: list[Dispatcher], store: Store, clock: Clock, recorder: Recorder, owner: str = "one"
) -> Dispatcher:
    made = Dispatcher(
        store, [RECEIVER], policy=POLICY, timeout=5, clock=clock, transport=httpx.MockTransport(recorder), owner=owner
    )
    dispatchers.append(made)
    return made


def _send_due(dispatcher: Dispatcher) -> int:
    """Start what is due as the worker does (`start_due`) and wait until each attempt is recorded; how many."""
    ended = threading.Semaphore(0)
    started = dispatcher.start_due(ended.release)
    for _ in range(started):
        assert ended.acquire(timeout=30), "an attempt did not end"  # a bound, never a timing assertion
    return started


def _attempts(store: Store) -> list[Attempt]:
    """Every recorded attempt, oldest event first, each delivery's in order."""
    records = reversed(store.events(CLIENT, None, 100))
    return [attempt for record in records for state in record.deliveries for attempt in state.attempts]


def _change(store: Store, clock: Clock, receivers: tuple[str, ...] = (URL,)) -> str:
    """Create an intent confirmed at once (succeeded), with its event; the event id."""
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 5, "currency": "usd", "confirm": True, "payment_method_id": PM})
    event, settlement = Changes(receivers, 1.0, clock).confirmed(CLIENT, intent.id, intent.status, "pm")
    store.add_with(intent, event, settlement)
    return event.id


def test_a_2xx_delivers_once_with_the_headers_and_body(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """A due event is sent once, signed, as application/json, and recorded delivered; nothing is sent again."""
    recorder = Recorder([200])
    dispatcher = _dispatcher(dispatchers, store, clock, recorder)
    event_id = _change(store, clock)
    assert _send_due(dispatcher) == 1
    (attempt,) = _attempts(store)
    assert (attempt.delivered, attempt.http_status, attempt.number) == (True, 200, 1)
    (request,) = recorder.requests
    assert request.url == URL
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["svix-id"] == event_id
    assert json.loads(request.content)["event"] == "payment_intent.updated"
    clock.advance(1000)
    assert _send_due(dispatcher) == 0
    (record,) = store.events(CLIENT, None, 10)
    (state,) = record.deliveries
    assert (state.state, len(state.attempts)) == ("delivered", 1)


@pytest.mark.parametrize(
    "failing",
    [500, 404, 301, httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow"), httpx.ConnectError("refused")],
    ids=["500", "404", "301", "connect-timeout", "read-timeout", "refused"],
)
def test_failures_are_retried_on_the_schedule_with_the_same_svix_id(
    store: Store, clock: Clock, dispatchers: list[Dispatcher], failing: int | Exception
) -> None:
    """Non-2xx answers, timeouts and refused connections are retried after 1, 2 and 4 s; svix-id never changes."""
    recorder = Recorder([failing, failing, 202])
    dispatcher = _dispatcher(dispatchers, store, clock, recorder)
    event_id = _change(store, clock)
    assert _send_due(dispatcher) == 1
    clock.advance(0.99)
    assert _send_due(dispatcher) == 0  # not due yet
    clock.advance(0.01)
    assert _send_due(dispatcher) == 1
    clock.advance(1.99)
    assert _send_due(dispatcher) == 0
    clock.advance(0.01)
    assert _send_due(dispatcher) == 1
    assert [attempt.delivered for attempt in _attempts(store)] == [False, False, True]
    assert recorder.ids() == [event_id] * 3
    timestamps = [int(request.headers["svix-timestamp"]) for request in recorder.requests]
    assert timestamps == sorted(timestamps)  # each attempt signed afresh


def test_the_delivery_fails_when_the_schedule_runs_out(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """After 1 + len(schedule) failed attempts the delivery is `failed` and never sent again."""
    recorder = Recorder([500] * 10)
    dispatcher = _dispatcher(dispatchers, store, clock, recorder)
    _change(store, clock)
    for _ in range(10):
        _send_due(dispatcher)
        clock.advance(10)
    assert len(recorder.requests) == 4
    (record,) = store.events(CLIENT, None, 10)
    assert record.deliveries[0].state == "failed"
    assert [a.error for a in record.deliveries[0].attempts] == ["HTTP 500"] * 4


def test_each_receiver_gets_each_event_with_its_own_secret(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """Two receivers each get the event (one svix-id), signed with their own secret; one failing holds nothing."""
    other_secret = "whsec_ZG90cy1zYW5kYm94LXdlYmhvb2stc2VjcmV0IQ=="
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.host.split(".")[0]
        Webhook(SECRET if name == "a" else other_secret).verify(request.content, dict(request.headers))
        seen[name].append(request.headers["svix-id"])
        return httpx.Response(500 if name == "b" else 204)

    receivers = [Receiver("http://a.test/", SECRET), Receiver("http://b.test/", other_secret)]
    dispatcher = Dispatcher(store, receivers, policy=POLICY, clock=clock, transport=httpx.MockTransport(handler))
    dispatchers.append(dispatcher)
    event_id = _change(store, clock, tuple(r.url for r in receivers))
    assert _send_due(dispatcher) == 2
    assert seen == {"a": [event_id], "b": [event_id]}


def test_a_lease_is_the_timeout_plus_ten_seconds_or_twice_a_short_timeout(store: Store) -> None:
    """The lease outlasts an attempt by 10 s, or by the timeout itself when that is shorter (a short timeout)."""
    assert Dispatcher(store, [RECEIVER], timeout=15).lease_seconds == 25
    assert Dispatcher(store, [RECEIVER], timeout=10).lease_seconds == 20
    assert Dispatcher(store, [RECEIVER], timeout=0.5).lease_seconds == 1


def test_an_attempt_past_its_deadline_is_abandoned_and_recorded_as_a_timeout(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """A receiver that never answers: the attempt ends at its deadline, recorded "timeout", due again per the policy."""
    cancelled: list[str] = []

    async def never_answers(request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(request.headers["svix-id"])
            raise
        raise AssertionError("not reached")

    transport = httpx.MockTransport(never_answers)
    dispatcher = Dispatcher(store, [RECEIVER], policy=POLICY, timeout=0.05, clock=clock, transport=transport)
    dispatchers.append(dispatcher)
    event_id = _change(store, clock)
    assert _send_due(dispatcher) == 1
    (attempt,) = _attempts(store)
    assert (attempt.delivered, attempt.http_status, attempt.error) == (False, None, "timeout")
    assert cancelled == [event_id]
    clock.advance(POLICY.retry_seconds[0])  # the retry's delay, well short of a lease (released by the record)
    assert [claimed.event_id for claimed in dispatcher.claim(10)] == [event_id]


def test_a_body_is_read_up_to_the_limit_and_the_status_decides(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """A 2xx whose body never ends is a delivery once MAX_ANSWER_BYTES came; a 500 with a short body is not."""
    pulled: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            pulled.append(8192)
            yield b"x" * 8192

    answers = [httpx.Response(200, content=endless()), httpx.Response(500, content=b"no")]
    transport = httpx.MockTransport(lambda request: answers.pop(0))
    dispatcher = Dispatcher(store, [RECEIVER], policy=POLICY, clock=clock, transport=transport)
    dispatchers.append(dispatcher)
    _change(store, clock)
    assert _send_due(dispatcher) == 1
    _change(store, clock)
    assert _send_due(dispatcher) == 1
    first, second = _attempts(store)
    assert (first.delivered, first.http_status) == (True, 200)
    assert MAX_ANSWER_BYTES <= sum(pulled) < MAX_ANSWER_BYTES + 8192
    assert (second.delivered, second.error) == (False, "HTTP 500")


class DiesBeforeRecording:
    """A store whose process dies between the receiver's answer and the record: the record never happens."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
        raise StoreUnavailable("the process died")


def test_a_lease_keeps_other_dispatchers_off_until_it_ends(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """A sent but unrecorded delivery is invisible to another owner until its lease ends; then sent again (same id)."""
    recorder = Recorder()
    dying = Dispatcher(
        cast("Store", DiesBeforeRecording(store)),
        [RECEIVER],
        policy=POLICY,
        timeout=5,
        clock=clock,
        transport=httpx.MockTransport(recorder),
        owner="one",
    )
    dispatchers.append(dying)
    second = _dispatcher(dispatchers, store, clock, recorder, "two")
    event_id = _change(store, clock)
    assert _send_due(dying) == 1  # answered 2xx, and the process dies before recording it
    assert second.claim(10) == []
    clock.advance(dying.lease_seconds)
    assert _send_due(second) == 1
    (attempt,) = _attempts(store)
    assert (attempt.delivered, attempt.number) == (True, 1)
    assert recorder.ids() == [event_id, event_id]  # after the 2xx, once more: never more
    # The first owner's late record (its lease ended) does not reopen the delivered delivery.
    store.record_attempt(Attempt(event_id, URL, 1, clock(), 500, "HTTP 500", delivered=False), "one", clock() + 1)
    clock.advance(1000)
    assert _send_due(second) == 0


def test_leases_follow_the_lease_clock_and_the_schedule_the_clock(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """With a schedule clock ahead of the real one, a due delivery is claimed, and its lease still runs on real time."""
    real = Clock()
    recorder = Recorder()
    ahead = Dispatcher(store, [RECEIVER], policy=POLICY, clock=clock, lease_clock=real, owner="ahead")
    other = Dispatcher(store, [RECEIVER], policy=POLICY, clock=clock, lease_clock=real, owner="other")
    dispatchers.extend([ahead, other])
    event_id = _change(store, clock)
    clock.advance(-100)  # the event was written at a time still to come
    assert ahead.claim(10) == []
    clock.advance(100 + ahead.lease_seconds * 10)  # the schedule's clock runs far ahead: due, and far past a lease
    assert [claimed.event_id for claimed in ahead.claim(10)] == [event_id]
    assert other.claim(10) == []  # the lease is on real time, which has not moved
    real.advance(ahead.lease_seconds)
    assert [claimed.event_id for claimed in other.claim(10)] == [event_id]
    assert recorder.requests == []


def test_a_receiver_no_longer_configured_is_not_sent_to(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """Deliveries are kept per receiver URL: one removed from the settings gets no attempt."""
    recorder = Recorder()
    _change(store, clock, ("http://gone.test/",))
    assert _send_due(_dispatcher(dispatchers, store, clock, recorder)) == 0
    assert recorder.requests == []


def test_outcomes_only_2xx_delivers_and_failures_are_named() -> None:
    """Only 2xx counts; failures are named without details."""
    assert [delivered(httpx.Response(code)) for code in (199, 200, 204, 299, 300, 500)] == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]
    assert failure(httpx.ReadTimeout("x")) == "timeout"
    assert failure(httpx.ConnectError("[Errno 111] Connection refused")) == "connection failed"
    assert failure(httpx.RemoteProtocolError("x")) == "RemoteProtocolError"
    assert failure(TimeoutError()) == "timeout"  # the whole attempt's deadline (asyncio.timeout)


def test_dispatcher_repr_has_no_secret(store: Store, clock: Clock, dispatchers: list[Dispatcher]) -> None:
    """The dispatcher's repr names its receivers' URLs, not their secrets."""
    text = repr(_dispatcher(dispatchers, store, clock, Recorder()))
    assert URL in text
    assert "MfKQ9r8" not in text


def test_a_record_after_its_lease_cannot_end_a_later_claim_of_the_same_dispatcher(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """A late record under claim 1's token leaves claim 2's lease alone: the delivery is not claimable again."""
    dispatcher = _dispatcher(dispatchers, store, clock, Recorder())
    event_id = _change(store, clock)
    first = dispatcher.lease_token()
    assert [d.event_id for d in dispatcher.claim(10, owner=first)] == [event_id]
    clock.advance(dispatcher.lease_seconds)  # the database stalled: claim 1's lease ran out unrecorded
    second = dispatcher.lease_token()
    assert second != first
    assert [d.event_id for d in dispatcher.claim(10, owner=second)] == [event_id]
    late = Attempt(event_id, URL, 1, clock(), None, "timeout", delivered=False)
    dispatcher.record(late, first)
    clock.advance(POLICY.retry_seconds[0])  # the late record's "due again", still inside claim 2's lease
    assert dispatcher.claim(10) == []
    (record,) = store.events(CLIENT, None, 10)
    assert (record.deliveries[0].state, len(record.deliveries[0].attempts)) == ("pending", 1)


def test_a_delivery_in_flight_is_not_started_again_when_the_clock_jumps(store: Store, clock: Clock) -> None:
    """Moving the dispatcher's clock past the lease while an attempt is out: start_due re-claims but sends nothing."""
    arrived: list[str] = []
    release = asyncio.Event()

    async def holds(request: httpx.Request) -> httpx.Response:
        arrived.append(request.headers["svix-id"])
        await release.wait()
        return httpx.Response(204)

    transport = httpx.MockTransport(holds)
    dispatcher = Dispatcher(store, [RECEIVER], policy=POLICY, timeout=30, clock=clock, transport=transport)
    try:
        event_id = _change(store, clock)
        assert dispatcher.start_due(lambda: None) == 1
        _wait_until(lambda: arrived == [event_id])
        clock.advance(dispatcher.lease_seconds + 1)
        assert dispatcher.start_due(lambda: None) == 0
        assert arrived == [event_id]
    finally:
        dispatcher.close()


class ScriptedPlan:
    """A DeliveryPlan that gives each delivery the next scripted route (then sends as is), recording each question."""

    def __init__(self, *routes: Route) -> None:
        self.routes = list(routes)
        self.asked: list[str] = []

    def route(self, delivery: Delivery, now: float) -> Route:
        """The next scripted route."""
        self.asked.append(delivery.event_id)
        return self.routes.pop(0) if self.routes else SEND_ONCE


def test_a_plan_holds_duplicates_and_makes_deliveries_due_again(
    store: Store, clock: Clock, dispatchers: list[Dispatcher]
) -> None:
    """Held: unsent and unrecorded until its time; copies: sent twice, recorded once; due_after and
    again_if_delivered: sent again once the attempt is recorded; a delivered one is resent with its svix-id."""
    recorder = Recorder()
    first, second = _change(store, clock), _change(store, clock)
    plan = ScriptedPlan(
        Route(hold_until=clock() + 60),
        Route(copies=2, due_after=((first, URL),), again_if_delivered=True),
    )
    dispatcher = Dispatcher(store, [RECEIVER], policy=POLICY, clock=clock, transport=httpx.MockTransport(recorder))
    dispatcher.plan = plan
    dispatchers.append(dispatcher)
    assert _send_due(dispatcher) == 1  # the first held (not started), the second sent
    assert recorder.ids() == [second, second]
    assert [(a.event_id, a.number) for a in _attempts(store)] == [(second, 1)]
    # Both made due at once by the second's record: sent as they are now.
    assert _send_due(dispatcher) == 2
    assert sorted(recorder.ids()[2:]) == sorted([first, second])
    assert plan.asked == [first, second, *plan.asked[2:]]
    assert _send_due(dispatcher) == 0
    assert store.schedule_delivery(first, URL, clock(), None)  # delivered: sent again (a resend)
    assert _send_due(dispatcher) == 1
    assert recorder.ids()[-1] == first
    assert [a.number for a in _attempts(store) if a.event_id == first] == [1, 2]


@pytest.mark.parametrize("refusal", [StoreBusy("database is locked"), StorageFault("database or disk is full")])
def test_an_attempt_the_store_refuses_to_record_is_logged(
    clock: Clock, caplog: pytest.LogCaptureFixture, dispatchers: list[Dispatcher], refusal: StoreRefused
) -> None:
    """A busy store or a storage fault while recording an attempt is one warning naming it, never silence."""

    class Refusing(SQLiteStore):
        def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
            raise refusal

    store = Refusing(":memory:")
    recorder = Recorder()
    dispatcher = _dispatcher(dispatchers, store, clock, recorder)
    try:
        _change(store, clock)
        with caplog.at_level(logging.WARNING, logger="dots_sandbox.background.outbox"):
            assert _send_due(dispatcher) == 1  # returns once the attempt ended (its record refused)
    finally:
        store.close()
    assert len(recorder.requests) == 1
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"webhook attempt to {URL} not recorded, sent again once its lease ends: {refusal}")
    ]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ALL_PROXY", "socks5://user:hunter2@proxy.example:1080"), ("HTTPS_PROXY", "ftp://user:hunter2@proxy.example")],
)
def test_a_proxy_httpx_cannot_use_leaves_loopback_deliveries_working(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    dispatchers: list[Dispatcher],
    variable: str,
    value: str,
) -> None:
    """A SOCKS proxy without socksio or an unknown scheme: 127.0.0.1 is still reached, another host fails, logged."""
    monkeypatch.setitem(sys.modules, "socksio", None)  # as when httpx[socks] is not installed
    monkeypatch.setenv(variable, value)
    got: list[str] = []

    def on_post(body: bytes, headers: dict[str, str]) -> int:
        got.append(headers["svix-id"])
        return 204

    clock, server, store = Clock(), ReceiverServer().start(), SQLiteStore(":memory:")
    try:
        local = server.mount("/hook", on_post)
        with caplog.at_level(logging.WARNING, logger="dots_sandbox.background.outbox"):
            dispatcher = Dispatcher(store, [RECEIVER, Receiver(local, SECRET)], policy=POLICY, clock=clock)
        dispatchers.append(dispatcher)
        event_id = _change(store, clock, (URL, local))
        assert _send_due(dispatcher) == 2
        outcomes = {a.receiver: (a.delivered, a.error) for a in _attempts(store)}
    finally:
        store.close()
        server.stop()
    assert got == [event_id]
    assert outcomes == {local: (True, None), URL: (False, "ProxyError")}
    (warning,) = caplog.records
    assert "*_PROXY" in warning.getMessage()
    assert "hunter2" not in warning.getMessage()
    assert "proxy.example" not in warning.getMessage()
