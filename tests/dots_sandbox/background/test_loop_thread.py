"""dots_sandbox/background/loop_thread.py: an event loop on a daemon thread, started on first use."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

from dots_sandbox.background.loop_thread import LoopThread


async def _thread_name() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_run_returns_the_result_from_the_loops_own_daemon_thread() -> None:
    """`run` waits for the coroutine, which ran on the named daemon thread; errors come back as raised."""
    loop = LoopThread("test-loop")
    started = [loop.started]  # a list, so mypy does not take each assert as the property's type
    try:
        assert loop.run(_thread_name()) == "test-loop"
        started.append(loop.started)
        assert [thread.daemon for thread in threading.enumerate() if thread.name == "test-loop"] == [True]

        async def fails() -> None:
            raise LookupError("from the loop")

        with pytest.raises(LookupError, match="from the loop"):
            loop.run(fails())
    finally:
        loop.close()
    started.append(loop.started)
    assert started == [False, True, False]
    assert "test-loop" not in {thread.name for thread in threading.enumerate()}


def test_cancelling_a_submitted_future_cancels_its_task() -> None:
    """`submit(...).cancel()` from another thread cancels the task on the loop (it sees CancelledError)."""
    loop = LoopThread("test-loop")
    started, saw_cancel = threading.Event(), threading.Event()

    async def waits() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            saw_cancel.set()
            raise

    try:
        future = loop.submit(waits())
        assert started.wait(30)
        future.cancel()
        assert saw_cancel.wait(30)
        with pytest.raises(concurrent.futures.CancelledError):
            future.result()
    finally:
        loop.close()


def test_a_closed_loop_starts_afresh_when_used_again() -> None:
    """After `close()`, the next `run` starts a new loop and thread."""
    loop = LoopThread("test-loop")
    try:
        loop.run(_thread_name())
        loop.close()
        assert loop.run(_thread_name()) == "test-loop"
    finally:
        loop.close()


def test_close_works_from_a_thread_that_runs_a_loop_of_its_own() -> None:
    """`close()` called from a coroutine (a lifespan hook, say) stops the loop thread without needing its own loop."""
    loop = LoopThread("test-loop")
    loop.run(_thread_name())

    async def closes() -> None:
        loop.close()

    asyncio.run(closes())
    assert not loop.started
