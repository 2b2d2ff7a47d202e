"""An asyncio event loop on a daemon thread, for code that runs on threads but awaits on a loop.

The webhook dispatcher sends on one (`httpx.AsyncClient`), so each attempt can be cancelled as a
whole: cancelling a task makes httpcore close its connection (see dots_sandbox/background/outbox.py).
The thread is a daemon, so a loop nobody closed never keeps the interpreter from exiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """Starts its loop and thread on first use; `close()` stops and closes them (then it starts afresh if used)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"LoopThread({self.name!r}, running={self._loop is not None})"

    @property
    def started(self) -> bool:
        """Whether the loop runs (it starts on the first `submit` or `run`)."""
        return self._loop is not None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule `coroutine` on the loop; its future's `cancel()` cancels the task (from any thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._running())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the loop and wait for its result (or exception). Never call it from the loop."""
        return self.submit(coroutine).result()

    def close(self) -> None:
        """Stop the loop (tasks still scheduled are dropped: cancel them first) and join the thread."""
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        # On the loop itself, so closing works from any thread, one running a loop of its own included.
        asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name=self.name, daemon=True)
                self._thread.start()
            return self._loop
