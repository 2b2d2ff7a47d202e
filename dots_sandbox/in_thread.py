"""Serving a sandbox from a thread of another process: `serve_in_thread(app, settings)`.

For a process that has its own work to do on its main thread (a test run, say): the app is
served on a real TCP port through the sandbox's own front (dots_sandbox/front/: the same limits
and answers as `python -m dots_sandbox`), on an event loop of its own in a thread of its own.
No signal handler is installed: the process's own handling of SIGINT and SIGTERM is untouched.
Leaving the `with` block stops it cleanly: answers in flight get GRACEFUL_SHUTDOWN_SECONDS,
the app's lifespan shutdown runs (a `Sandbox` stops its background thread and closes its
store), the listening socket is closed and the thread joined.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from dots_sandbox.front.app import FrontApp
from dots_sandbox.front.listener import bind
from dots_sandbox.front.protocol import GRACEFUL_SHUTDOWN_SECONDS, SandboxConfig
from dots_sandbox.settings import Settings

# How long the server may take to start accepting connections before it is given up on.
START_TIMEOUT_SECONDS = 30.0
# How long the stop may take: the graceful shutdown, then the lifespan shutdown's own work.
STOP_TIMEOUT_SECONDS = GRACEFUL_SHUTDOWN_SECONDS + 30.0


@dataclasses.dataclass(frozen=True, slots=True)
class Served:
    """A sandbox being served on `port`: `base_url` is the one clients use (`http://127.0.0.1:PORT/api`)."""

    base_url: str
    port: int


class _ThreadServer(uvicorn.Server):
    """uvicorn's server without its signal handling (a thread must not take the process's signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def run_in_thread(self, sock: socket.socket) -> None:
        """`run`, without the `sys.exit` uvicorn makes when the app's startup fails (`started` stays False)."""
        with contextlib.suppress(SystemExit):
            self.run(sockets=[sock])


@contextlib.contextmanager
def serve_in_thread(app: FrontApp, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> Iterator[Served]:
    """Serve `app` on `host`:`port` (0: a free port) from a new thread until the block ends.

    Yields a `Served` with the real port and `base_url` once connections are accepted. Raises
    OSError when the address cannot be bound, RuntimeError when the server does not start (the
    app's lifespan startup failed: uvicorn logs why) or does not stop within STOP_TIMEOUT_SECONDS.
    """
    sock = bind(host, port)
    try:
        bound = sock.getsockname()[1]
        server = _ThreadServer(SandboxConfig(settings, app))
        thread = threading.Thread(target=server.run_in_thread, args=(sock,), name="dots-sandbox", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        try:
            if not server.started:
                raise RuntimeError(f"the sandbox did not start serving on {host}:{bound}")
            shown = f"[{host}]" if ":" in host else host
            yield Served(f"http://{shown}:{bound}/api", bound)
        finally:
            server.should_exit = True
            thread.join(STOP_TIMEOUT_SECONDS)
            if thread.is_alive():
                raise RuntimeError("the sandbox's thread did not stop")
    finally:
        sock.close()
