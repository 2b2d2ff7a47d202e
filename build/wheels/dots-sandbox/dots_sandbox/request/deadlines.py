"""Deadlines for many waiting tasks on one event-loop timer: the request bodies' deadline.

`asyncio.timeout()` arms and cancels a timer of its own each time, which every request with a
body paid even though its body had nearly always arrived with its head (what it cost:
docs/performance.md). Here a wait costs a dict
entry: one timer, armed for the earliest deadline, serves every task waiting, and when it fires
it cancels the tasks whose deadline has passed, then re-arms for the next one.

Use it like this, on the loop's thread:

    deadlines.start(task, when)
    try:
        await ...                        # what must finish by `when`
    except asyncio.CancelledError:
        if deadlines.expired(task):      # the deadline, not someone else, cancelled it
            raise TimeoutError from None
        raise
    finally:
        deadlines.finish(task)

A cancellation that is not the deadline's (the server stopping a task, say) is left alone: the
task is uncancelled only for its own deadline's (as `asyncio.timeout()` does).
"""

from __future__ import annotations

import asyncio


class Deadlines:
    """The deadlines (event-loop time, seconds) of tasks waiting on one loop."""

    __slots__ = ("_expired", "_timer", "_timer_when", "_waiting", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._waiting: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        # The armed timer and when it fires. Its `when()` is not used: uvloop's `call_at` returns a
        # plain Handle, without `when()`, for a time less than a millisecond away.
        self._timer: asyncio.Handle | None = None
        self._timer_when = 0.0

    def __len__(self) -> int:
        """How many tasks are waiting with a deadline now."""
        return len(self._waiting)

    def start(self, task: asyncio.Task[object], when: float) -> None:
        """`task` must finish its wait by `when` (loop time); one already past is cancelled at the next loop step."""
        self._waiting[task] = when
        if self._timer is None or when < self._timer_when:
            self._arm(when)

    def finish(self, task: asyncio.Task[object]) -> None:
        """`task`'s wait is over (in time or not): forget its deadline."""
        self._waiting.pop(task, None)
        self._expired.discard(task)

    def expired(self, task: asyncio.Task[object]) -> bool:
        """Whether `task` was cancelled by its deadline; if so, the cancellation is withdrawn (`uncancel`)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        task.uncancel()
        return True

    def expire_all(self) -> None:
        """Every waiting task's deadline is now: cancel them all (the server is stopping)."""
        for task in list(self._waiting):
            self._expire(task)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(when, self._fire)
        self._timer_when = when

    def _fire(self) -> None:
        self._timer = None
        now = self.loop.time()
        upcoming = None
        for task, when in list(self._waiting.items()):
            if when <= now:
                self._expire(task)
            elif upcoming is None or when < upcoming:
                upcoming = when
        if upcoming is not None:
            self._arm(upcoming)

    def _expire(self, task: asyncio.Task[object]) -> None:
        del self._waiting[task]
        if not task.done():
            self._expired.add(task)
            task.cancel()
