"""`TestSandbox`: a sandbox served from a thread of the test's process, whose state a test can make fresh.

One server (dots_sandbox's own front, through `Sandbox.serve_in_thread`) serves a `_Current` app
that hands each request to the sandbox of the moment; `reset()` builds a new sandbox over a new,
empty in-memory SQLite store and swaps it in, then closes the old one. A server start and stop
costs a quarter of a second (uvicorn's shutdown polls every 0.1 s); a swap costs milliseconds, so
the per-test fixture swaps and only the session starts a server.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from dots_sandbox.front.app import Receive, Scope, Send
from dots_sandbox.sandbox import Sandbox, build_sandbox
from dots_sandbox.settings import MEMORY_DB, Settings


class _Current:
    """A FrontApp serving every HTTP request with the current sandbox's app (swapped by `TestSandbox.reset`).

    The lifespan is answered here, not passed on: each sandbox's background path is started and
    stopped by `TestSandbox` as it is swapped in and out.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: HTTP goes to the current sandbox; lifespan startup and shutdown complete at once."""
        if scope["type"] != "lifespan":
            await self.sandbox.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def stop_waiting(self) -> None:
        """The server is stopping: the current sandbox ends its waits for request bodies."""
        self.sandbox.app.stop_waiting()


class TestSandbox:
    """A sandbox a test talks to over HTTP: `base_url` (ends in `/api`), `client_id`, `api_key`.

    Made by `dots_testing.running(...)` and the pytest fixtures; never construct one directly.
    Its repr never shows the API key.
    """

    __test__ = False  # not a test class, whatever pytest's collection rules say

    def __init__(self, settings: Settings, base_url: str, current: _Current) -> None:
        self.settings = settings
        self.base_url = base_url
        self._current = current
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TestSandbox(base_url={self.base_url!r}, client_id={self.client_id!r})"

    @property
    def client_id(self) -> str:
        """The HTTP Basic user name the sandbox accepts (DOTS_CLIENT_ID)."""
        return self.settings.client_id

    @property
    def api_key(self) -> str:
        """The HTTP Basic password the sandbox accepts (DOTS_API_KEY)."""
        return self.settings.api_key

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox serving requests now (its `store`, its background path)."""
        return self._current.sandbox

    def reset(self) -> None:
        """Swap in a new sandbox over a fresh, empty in-memory store; close the old one (its background path too).

        Requests already being answered finish on the old sandbox's store, which is closed after the swap.
        """
        fresh = _build(self.settings)
        with self._lock:
            old, self._current.sandbox = self._current.sandbox, fresh
        old.close()


def _build(settings: Settings) -> Sandbox:
    sandbox = build_sandbox(settings)
    sandbox.start_background()
    return sandbox


@contextlib.contextmanager
def serve(**settings: Any) -> Iterator[TestSandbox]:
    """Serve a sandbox for `settings` (Settings fields; the store is always in-memory) until the block ends.

    See `dots_testing.running`, which calls this. Raises TypeError for an unknown setting,
    ValueError for a bad value, RuntimeError when the server does not start or stop.
    """
    if "db" in settings:
        raise ValueError("a test sandbox's store is always a fresh in-memory one: `db` cannot be set")
    chosen = Settings(**{"host": "127.0.0.1", "port": 0, "db": MEMORY_DB, "faults": True, **settings})
    current = _Current(_build(chosen))
    try:
        with _serve(current, chosen) as base_url:
            yield TestSandbox(chosen, base_url, current)
    finally:
        current.sandbox.close()


@contextlib.contextmanager
def _serve(current: _Current, settings: Settings) -> Iterator[str]:
    from dots_sandbox.in_thread import serve_in_thread  # noqa: PLC0415 (the front's module, as Sandbox does)

    with serve_in_thread(current, settings, settings.host, settings.port) as served:
        yield served.base_url
