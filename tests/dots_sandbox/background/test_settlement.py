"""The settlement timer: processing intents settle after the delay, once, as their payment method says."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from dots_sandbox.errors import ApiError
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import Clock, InProcess

SETTLES = "00000000-0000-4000-8000-000000000004"
DECLINED_LATER = "00000000-0000-4000-8000-000000000005"
DELAY = 10.0


@pytest.fixture
def app(clock: Clock) -> Iterator[InProcess]:
    """The sandbox in process with a 10 s settlement delay on the test clock."""
    from tests.conftest import InProcess

    client = InProcess(build_sandbox(Settings(db=":memory:", settlement_seconds=DELAY), clock=clock))
    yield client
    client.close()


def _processing(app: InProcess, payment_method_id: str) -> dict[str, Any]:
    intent = app.create(amount=700, currency="usd").json()
    answer: dict[str, Any] = app.confirm(intent["id"], payment_method_id).json()
    assert answer["status"] == "processing"
    assert "transfer_id" not in answer
    return answer


@pytest.mark.parametrize(("payment_method_id", "final"), [(SETTLES, "succeeded"), (DECLINED_LATER, "failed")])
def test_processing_settles_after_the_delay(app: InProcess, clock: Clock, payment_method_id: str, final: str) -> None:
    """Nothing happens before the delay; at it the intent is succeeded (with a transfer_id) or failed."""
    answer = _processing(app, payment_method_id)
    clock.advance(DELAY - 0.01)
    assert app.sandbox.settler.tick() == []
    assert app.retrieve(answer["id"]).json() == answer
    clock.advance(0.01)
    (settled,) = app.sandbox.settler.tick()
    after = app.retrieve(answer["id"]).json()
    assert after["status"] == settled.status == final
    assert ("transfer_id" in after) == (final == "succeeded")
    assert {k: v for k, v in after.items() if k not in ("status", "transfer_id")} == {
        k: v for k, v in answer.items() if k != "status"
    }
    clock.advance(1000)
    assert app.sandbox.settler.tick() == []  # once
    events = app.request("GET", f"/sandbox/payment-intents/{answer['id']}/webhook-events").json()["data"]
    assert [event["status"] for event in events] == [final, "processing"]


def test_create_with_confirm_true_settles_too(app: InProcess, clock: Clock) -> None:
    """An intent created `processing` (confirm: true) gets its settlement like a confirmed one."""
    created = app.create(amount=5, currency="usd", confirm=True, payment_method_id=SETTLES).json()
    assert created["status"] == "processing"
    clock.advance(DELAY)
    app.sandbox.settler.tick()
    assert app.retrieve(created["id"]).json()["status"] == "succeeded"


def test_a_settlement_due_across_a_restart_happens_after_it(shared_db: str, clock: Clock) -> None:
    """The timer is a row: close the app before the delay, reopen the database after it, and the intent settles."""
    from tests.conftest import InProcess

    settings = Settings(db=shared_db, settlement_seconds=DELAY)
    first = InProcess(build_sandbox(settings, clock=clock))
    answer = _processing(first, SETTLES)
    first.close()
    clock.advance(DELAY * 3)
    second = InProcess(build_sandbox(settings, clock=clock))
    try:
        assert second.retrieve(answer["id"]).json()["status"] == "processing"
        second.sandbox.settler.tick()
        assert second.retrieve(answer["id"]).json()["status"] == "succeeded"
    finally:
        second.close()


def test_a_settlement_racing_retrieves_and_confirms_loses_nothing(shared_db: str, clock: Clock) -> None:
    """While intents settle on another thread, retrieves see processing or succeeded whole, confirms stay 409."""
    settings = Settings(db=shared_db, settlement_seconds=DELAY)
    app = build_sandbox(settings, clock=clock)
    from tests.conftest import InProcess

    client = InProcess(app)
    try:
        answers = [_processing(client, SETTLES) for _ in range(30)]
        clock.advance(DELAY)
        operations = app.operations
        stop = threading.Event()
        problems: list[str] = []

        def read_and_confirm(answer: dict[str, Any]) -> None:
            params = {"payment_intent_id": answer["id"]}
            while not stop.is_set():
                seen = operations["retrieve_payment_intent"].handler(settings.client_id, params, None)
                if seen["status"] == "processing" and seen != answer:
                    problems.append(f"changed while processing: {seen}")
                if seen["status"] == "succeeded" and (
                    "transfer_id" not in seen or seen["payment_method_id"] != answer["payment_method_id"]
                ):
                    problems.append(f"settled without its fields: {seen}")
                try:
                    operations["confirm_payment_intent"].handler(
                        settings.client_id, params, {"payment_method_id": SETTLES}
                    )
                    problems.append("a confirm of a confirmed intent was accepted")
                except ApiError as error:
                    if error.status != 409:
                        problems.append(repr(error))

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(read_and_confirm, answer) for answer in answers[:4]]
            settled = app.settler.tick()
            stop.set()
            for future in futures:
                future.result()
        assert problems == []
        assert len(settled) == 30
        assert {client.retrieve(a["id"]).json()["status"] for a in answers} == {"succeeded"}
    finally:
        client.close()
