"""dots_sandbox/request/deadlines.py: many deadlines on one loop timer, on asyncio's loop and on uvloop's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from dots_sandbox.request.deadlines import Deadlines

Run = Callable[[Coroutine[Any, Any, Any]], Any]
CLOCK = 0.002  # uvloop's clock counts whole milliseconds: differences of its times can read a hair short


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """Runs a coroutine to its end on a new event loop of either kind."""
    runner: Run = asyncio.run if request.param == "asyncio" else uvloop.run
    return runner


async def _wait(deadlines: Deadlines, seconds: float, done: asyncio.Event) -> str:
    """Wait for `done` under a deadline `seconds` from now: 'done', 'expired', or CancelledError from elsewhere."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    deadlines.start(task, loop.time() + seconds)
    try:
        await done.wait()
    except asyncio.CancelledError:
        if deadlines.expired(task):
            return "expired"
        raise
    finally:
        deadlines.finish(task)
    return "done"


def test_a_wait_that_ends_in_time_is_left_alone(run: Run) -> None:
    """A wait that ends before its deadline is not cancelled, and its deadline is forgotten."""

    async def scenario() -> tuple[str, int, bool]:
        deadlines = Deadlines(asyncio.get_running_loop())
        done = asyncio.Event()
        task = asyncio.create_task(_wait(deadlines, 0.1, done))
        await asyncio.sleep(0.01)
        done.set()
        outcome = await task
        await asyncio.sleep(0.15)  # past the deadline: nothing happens to a finished wait
        return outcome, len(deadlines), task.cancelled()

    assert run(scenario()) == ("done", 0, False)


def test_a_wait_past_its_deadline_is_cancelled_and_uncancelled(run: Run) -> None:
    """At its deadline a waiting task is cancelled; `expired` says so and withdraws the cancellation."""

    async def scenario() -> tuple[str, int, float]:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(loop)
        started = loop.time()
        outcome = await _wait(deadlines, 0.1, asyncio.Event())
        task = asyncio.current_task()
        assert task is not None
        return outcome, task.cancelling(), loop.time() - started

    outcome, cancelling, waited = run(scenario())
    assert (outcome, cancelling) == ("expired", 0)
    assert 0.1 - CLOCK <= waited < 1


def test_deadlines_expire_each_at_its_own_time(run: Run) -> None:
    """One timer serves every wait: a later deadline is not cut short by an earlier one, nor missed."""

    async def scenario() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(loop)
        started = loop.time()

        async def timed(seconds: float) -> tuple[str, float]:
            outcome = await _wait(deadlines, seconds, asyncio.Event())
            return outcome, loop.time() - started

        late = asyncio.create_task(timed(0.3))
        await asyncio.sleep(0.01)
        early = asyncio.create_task(timed(0.05))  # set after, due before: the timer is re-armed
        return [await early, await late]

    (early, early_at), (late, late_at) = run(scenario())
    assert (early, late) == ("expired", "expired")
    assert 0.05 - CLOCK <= early_at < 0.25
    assert 0.3 - CLOCK <= late_at < 1


def test_a_cancellation_from_elsewhere_is_not_taken_for_the_deadline(run: Run) -> None:
    """A task cancelled by someone else before its deadline sees CancelledError, not an expiry."""

    async def scenario() -> bool:
        deadlines = Deadlines(asyncio.get_running_loop())
        task = asyncio.create_task(_wait(deadlines, 5, asyncio.Event()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return len(deadlines) == 0

    assert run(scenario())


def test_expire_all_ends_every_wait_now(run: Run) -> None:
    """expire_all (the server stopping) ends every wait at once, long before its deadline."""

    async def scenario() -> tuple[list[str], float]:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(loop)
        tasks = [asyncio.create_task(_wait(deadlines, 30, asyncio.Event())) for _ in range(5)]
        await asyncio.sleep(0.01)
        started = loop.time()
        deadlines.expire_all()
        outcomes = [await task for task in tasks]
        return outcomes, loop.time() - started

    outcomes, waited = run(scenario())
    assert outcomes == ["expired"] * 5
    assert waited < 1


def test_a_deadline_already_past_expires_at_the_next_wait(run: Run) -> None:
    """A deadline set in the past (as when stopping) cancels the task once it waits, not before."""

    async def scenario() -> str:
        return await _wait(Deadlines(asyncio.get_running_loop()), -1, asyncio.Event())

    assert run(scenario()) == "expired"


def test_several_deadlines_already_past_in_one_step() -> None:
    """Waits that all start past their deadline in one loop step (a stopping server) all expire, none fails.

    uvloop answers `call_at` for a time under a millisecond away with a handle that has no `when()`.
    """

    async def scenario() -> list[str]:
        deadlines = Deadlines(asyncio.get_running_loop())
        tasks = [asyncio.create_task(_wait(deadlines, -1, asyncio.Event())) for _ in range(3)]
        return [await task for task in tasks]

    assert uvloop.run(scenario()) == ["expired"] * 3
