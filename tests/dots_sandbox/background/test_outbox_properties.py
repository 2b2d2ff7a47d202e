"""Properties of the whole webhook path over random operations, clock moves and receiver failures.

A Hypothesis state machine drives the sandbox in process (create, confirm, complete-action), the
settlement timer and the dispatcher (on a test clock), against a receiver that answers as told
(2xx, 500, a timeout, a refused connection) and a dispatcher that may die between the receiver's
2xx and recording it. It holds that:
- every committed status change yields exactly one event id, announcing the status it led to;
- each event id is sent until a 2xx and, after a 2xx, never again, unless the dispatcher died
  between that 2xx and recording it: then it is sent until one more 2xx (at most two in all);
- every delivery verifies with `svix` and its payload validates against the spec's webhook schema;
- a retrieve when an event arrives shows the current status, which is the announced one when the
  event is the intent's latest.
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
from collections import defaultdict
from typing import Any, cast

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from svix.webhooks import Webhook, WebhookVerificationError

from dots_sandbox import lifecycle
from dots_sandbox.background.outbox import Dispatcher
from dots_sandbox.background.schedule import RetryPolicy
from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import Attempt, Store, StoreUnavailable
from dots_spec.document import load_spec
from dots_spec.validators import compile_schema

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
URL = "http://receiver.test/hook"
DELAY = 10.0
TIMEOUT = 1.0
# Retries never run out within a run, so every event is delivered in the end.
POLICY = RetryPolicy((1.0,) * 500)
PAYMENT_METHODS = [
    "3c90c3cc-0d44-4b50-8888-8dd25736052a",  # succeeds
    "00000000-0000-4000-8000-000000000002",  # declined
    "00000000-0000-4000-8000-000000000003",  # requires_action
    "00000000-0000-4000-8000-000000000004",  # processing, then succeeded
    "00000000-0000-4000-8000-000000000005",  # processing, then failed
]
MODES = ["ok", "500", "timeout", "refused"]
_WEBHOOK = load_spec()["webhooks"]["payment_intent.updated"]["post"]
PAYLOAD = compile_schema(_WEBHOOK["requestBody"]["content"]["application/json"]["schema"], load_spec())


class Clock:
    """The test's clock (epoch seconds), moved by the `advance` rule."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class DiesAfterA2xx:
    """The store as a dispatcher that dies between a receiver's 2xx and its record sees it: the record never lands.

    One death per event (the property allows one extra send): an event in `crashed` records as usual.
    """

    def __init__(self, store: Store, crashed: set[str]) -> None:
        self._store = store
        self._crashed = crashed

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def record_attempt(self, attempt: Attempt, owner: str, next_attempt_at: float | None) -> None:
        """Lose a first 2xx of an event (the process died), record anything else."""
        if attempt.delivered and attempt.event_id not in self._crashed:
            self._crashed.add(attempt.event_id)
            raise StoreUnavailable("the process died before recording the 2xx")
        self._store.record_attempt(attempt, owner, next_attempt_at)


def _send_due(dispatcher: Dispatcher) -> int:
    """Start what is due as the worker does (`start_due`) and wait until each attempt is recorded; how many."""
    ended = threading.Semaphore(0)
    started = dispatcher.start_due(ended.release)
    for _ in range(started):
        assert ended.acquire(timeout=30), "an attempt did not end"  # a bound, never a timing assertion
    return started


class WebhookMachine(RuleBasedStateMachine):
    """The sandbox, its timer and its dispatcher, against a scripted receiver."""

    intents = Bundle("intents")

    def __init__(self) -> None:
        super().__init__()
        import time

        from tests.conftest import InProcess

        self.clock = Clock(time.time())
        settings_ = Settings(
            db=":memory:",
            settlement_seconds=DELAY,
            webhooks=(Receiver(URL, SECRET),),
            webhook_timeout_seconds=TIMEOUT,
        )
        self.client = InProcess(build_sandbox(settings_, clock=self.clock))
        self.sandbox = self.client.sandbox
        self.mode = "ok"
        self._off_loop = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="receiver-retrieve")
        self.dispatcher = self._new_dispatcher()
        # The model: each intent's statuses so far (its changes after creation), and where it settles.
        self.history: dict[str, list[str]] = {}
        self.settles: dict[str, tuple[float, str]] = {}
        # What the receiver saw: per svix-id, the answers it gave, in order.
        self.answers: dict[str, list[str]] = defaultdict(list)
        self.crashed_after_2xx: set[str] = set()
        self.problems: list[str] = []

    def teardown(self) -> None:
        """Close the dispatcher and the app."""
        self.dispatcher.close()
        self._off_loop.shutdown()
        self.client.close()

    def _new_dispatcher(self, store: Store | None = None) -> Dispatcher:
        transport = httpx.MockTransport(self._receive)
        return Dispatcher(
            self.sandbox.store if store is None else store,
            self.sandbox.settings.webhooks,
            policy=POLICY,
            timeout=TIMEOUT,
            clock=self.clock,
            transport=transport,
        )

    def _receive(self, request: httpx.Request) -> httpx.Response:
        """The receiver: verify, validate, look at the intent, then answer as the mode says."""
        try:
            Webhook(SECRET).verify(request.content, dict(request.headers))
        except WebhookVerificationError as error:  # collected: the invariant reports it
            self.problems.append(f"signature: {error}")
        body = json.loads(request.content)
        if not PAYLOAD.is_valid(body):
            self.problems.append(f"payload not of the schema: {body}")
        event_id = request.headers["svix-id"]
        intent_id = body["payment_intent_id"]
        # The dispatcher calls this on its event loop; the in-process client runs a loop of its own,
        # which a thread with a running loop cannot: retrieve from another thread.
        current = self._off_loop.submit(self.client.retrieve, intent_id).result().json()["status"]
        if current != self.history[intent_id][-1]:
            self.problems.append(f"retrieve shows {current}, the model {self.history[intent_id][-1]}")
        events = self.sandbox.store.events(self.sandbox.settings.client_id, intent_id, 1000)
        if events[0].event.id == event_id and events[0].event.status != current:
            self.problems.append(f"the latest event announced {events[0].event.status}, retrieve shows {current}")
        answer = self.mode
        self.answers[event_id].append(answer)
        if answer == "timeout":
            raise httpx.ReadTimeout("the receiver is slow", request=request)
        if answer == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(204 if answer == "ok" else 500)

    def _changed(self, intent_id: str, status: str) -> None:
        self.history[intent_id].append(status)
        if status == lifecycle.PROCESSING:
            self.settles[intent_id] = (self.clock() + DELAY, lifecycle.settlement(self._method[intent_id]))

    _method: dict[str, str]

    @initialize()
    def start(self) -> None:
        """Nothing confirmed yet."""
        self._method = {}

    @rule(target=intents, confirm=st.booleans(), method=st.none() | st.sampled_from(PAYMENT_METHODS))
    def create(self, confirm: bool, method: str | None) -> str:
        """Create an intent, maybe confirming it at once."""
        body: dict[str, Any] = {"amount": 100, "currency": "usd", "confirm": confirm}
        if method is not None:
            body["payment_method_id"] = method
        answer = self.client.create(**body).json()
        self.history[answer["id"]] = []
        if confirm and method is not None:
            self._method[answer["id"]] = method
            self._changed(answer["id"], answer["status"])
        return str(answer["id"])

    @rule(intent=intents, method=st.sampled_from(PAYMENT_METHODS))
    def confirm(self, intent: str, method: str) -> None:
        """Confirm: 200 and one change if unconfirmed, else 409 and none."""
        response = self.client.confirm(intent, method)
        if self.history[intent]:
            assert response.status_code == 409
            return
        assert response.status_code == 200
        self._method[intent] = method
        self._changed(intent, response.json()["status"])

    @rule(intent=intents, outcome=st.sampled_from(["succeeded", "failed"]))
    def complete_action(self, intent: str, outcome: str) -> None:
        """Complete or fail an action: 200 and one change from requires_action, else 409."""
        response = self.client.request(
            "POST", f"/sandbox/payment-intents/{intent}/complete-action", json={"outcome": outcome}
        )
        if self.history[intent][-1:] != [lifecycle.REQUIRES_ACTION]:
            assert response.status_code == 409
            return
        assert response.status_code == 200
        self._changed(intent, outcome)

    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0, 10.0, 12.0]))
    def advance(self, seconds: float) -> None:
        """Time passes; the timer settles exactly the settlements now due."""
        self._advance(seconds)

    def _advance(self, seconds: float) -> None:
        self.clock.now += seconds
        due = {intent for intent, (at, _) in self.settles.items() if at <= self.clock.now}
        settled = self.sandbox.settler.tick()
        assert {intent.id for intent in settled} == due
        for intent_id in sorted(due):
            _, status = self.settles.pop(intent_id)
            self._changed(intent_id, status)

    @rule(mode=st.sampled_from(MODES))
    def receiver_answers(self, mode: str) -> None:
        """From now on the receiver answers 2xx, 500, times out or refuses connections."""
        self.mode = mode

    @rule()
    def dispatch(self) -> None:
        """The dispatcher sends what is due and records each attempt."""
        _send_due(self.dispatcher)

    @rule()
    def die_after_sending(self) -> None:
        """The dispatcher sends what is due and dies before recording; a new one takes over."""
        self.dispatcher.close()
        dying = self._new_dispatcher(cast("Store", DiesAfterA2xx(self.sandbox.store, self.crashed_after_2xx)))
        try:
            _send_due(dying)
        finally:
            dying.close()
        self.dispatcher = self._new_dispatcher()

    @invariant()
    def deliveries_follow_the_rules(self) -> None:
        """Signatures and payloads hold; an event is delivered once (twice after a death), then never sent again."""
        assert self.problems == []
        for event_id, answers in self.answers.items():
            oks = [index for index, answer in enumerate(answers) if answer == "ok"]
            # Delivered at most twice (a second time only after a death that lost the first 2xx's
            # record), and never sent after the last delivery.
            assert len(oks) <= (2 if event_id in self.crashed_after_2xx else 1), (event_id, answers)
            if oks:
                assert oks[-1] == len(answers) - 1 or (len(oks) == 1 and event_id in self.crashed_after_2xx), (
                    event_id,
                    answers,
                )

    @invariant()
    def one_event_per_committed_change(self) -> None:
        """Each intent's events announce exactly its changes, in order, one event id each."""
        records = self.sandbox.store.events(self.sandbox.settings.client_id, None, 100_000)
        by_intent: dict[str, list[str]] = defaultdict(list)
        for record in reversed(records):  # oldest first
            by_intent[record.event.payment_intent_id].append(record.event.status)
        assert len({record.event.id for record in records}) == len(records)
        assert {intent: statuses for intent, statuses in self.history.items() if statuses} == dict(by_intent)

    @rule()
    def drain(self) -> None:
        """With the receiver answering 2xx and time passing, every event is delivered (a 2xx for each id)."""
        self.mode = "ok"
        for _ in range(3):
            self._advance(TIMEOUT + 20)  # past every lease, retry delay and settlement
            _send_due(self.dispatcher)
        records = self.sandbox.store.events(self.sandbox.settings.client_id, None, 100_000)
        for record in records:
            assert "ok" in self.answers[record.event.id], record.event.id
        assert set(self.answers) == {record.event.id for record in records}


WebhookMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_webhook_properties = WebhookMachine.TestCase
