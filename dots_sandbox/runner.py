"""The sandbox as a process: logging, the listening socket, worker processes, signals.

`serve(settings)` runs the sandbox on its HTTP front (dots_sandbox/front/): one process, or
`settings.workers` processes sharing one listening socket (uvicorn's supervisor restarts a
worker that dies; a worker whose supervisor is gone stops itself). Serving from a thread of
another process, with no signal handlers, is dots_sandbox/in_thread.py.

The database at start-up, with workers: the supervisor opens it once before it starts any worker
(and closes it again), so a database that is down then or refuses the credentials is one line
and exit 1, as with one process, and a SQLite file that cannot be made fails before any worker.
Every worker, the first ones and any replacement, opens its own store tolerating an outage
(`open_store(..., tolerate_outage=True)`): a worker that starts while the database is
unreachable (one replacing a worker killed during an outage) serves, answers 503 like the
running ones, logs the outage once and its end once, and recovers when the database is back,
rather than failing its start and being restarted in a loop (the loop of uvicorn#1115). The
supervisor's check is what a first start needs; the workers' tolerance is what a later start
needs, and no worker has to know which it is. A worker that cannot start for another reason (a
SQLite file made unusable, a schema of another version put in since the check) would fail the
same way on every restart: it prints one line and exits with uvicorn's STARTUP_FAILURE (3), on
which uvicorn's supervisor stops the server rather than restarting it in a loop (see
encode/uvicorn discussion #2440), and `serve` then returns 1.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from dots_sandbox.front.app import FrontApp
from dots_sandbox.front.protocol import SandboxConfig
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import StoreUnavailable, open_store

# How often a worker process checks that its supervisor is still there.
ORPHAN_CHECK_SECONDS = 0.5

# What uvicorn logs (on `uvicorn.error`, as warnings) for each request a client can make it log.
_PER_REQUEST_WARNINGS = (
    "Invalid HTTP request received.",
    "Unsupported upgrade request.",
    "No supported WebSocket library detected.",
)


def quiet_per_request_warnings(record: logging.LogRecord) -> bool:
    """A logging filter: drop uvicorn's per-request warnings about what a client sent; keep everything else."""
    message = record.msg
    return not (
        record.levelno == logging.WARNING and isinstance(message, str) and message.startswith(_PER_REQUEST_WARNINGS)
    )


def configure_logging() -> None:
    """Warnings and errors to stderr, without the ones any client could cause at will (no per-request lines)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    uvicorn_error = logging.getLogger("uvicorn.error")
    if quiet_per_request_warnings not in uvicorn_error.filters:
        uvicorn_error.addFilter(quiet_per_request_warnings)
    # psycopg_pool logs each failed reconnection (several lines each); the store logs one line
    # when the database becomes unreachable and one when it is back.
    logging.getLogger("psycopg").setLevel(logging.ERROR)


class _Server(uvicorn.Server):
    """uvicorn's server, printing the one startup line once it accepts connections (single process)."""

    def __init__(self, config: uvicorn.Config, startup_line: str) -> None:
        super().__init__(config)
        self._startup_line = startup_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self._startup_line, flush=True)


def load_app(settings: Settings, supervisor: int) -> FrontApp:
    """The app for one worker process: its logging set up, its own store opened (uvicorn's app factory).

    The store is opened tolerating an outage (see the module's docstring): an unreachable
    PostgreSQL database is an outage begun at once, never a failed start. The worker also stops
    (SIGTERM to itself: a graceful stop) once its parent is no longer `supervisor` (the
    supervisor's pid, given by it: a supervisor killed with `kill -9` before this worker got here
    is noticed too), so no orphan goes on serving the port. A start that fails otherwise prints
    one line and raises SystemExit(STARTUP_FAILURE): the supervisor then stops the server.
    """
    configure_logging()
    threading.Thread(target=_stop_when_orphaned, args=(supervisor,), name="orphan-watch", daemon=True).start()
    try:
        return build_sandbox(settings, open_store(settings.db, settings.synchronous, tolerate_outage=True)).app
    except Exception as error:  # any cause: a restart would meet it again
        # The message, never a traceback: store errors name the database with its password masked.
        print(f"dots sandbox: worker {os.getpid()} cannot start: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)


def _stop_when_orphaned(supervisor: int) -> None:
    while os.getppid() == supervisor:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (so the startup line can name the real port)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve(settings: Settings, notes: Sequence[str] = ()) -> int:
    """Serve until SIGINT or SIGTERM; 0 then, 1 if the address cannot be bound or a worker cannot start.

    Prints the one startup line, then each of `notes` on a line of its own (what `--forward-to` set up).

    With `settings.workers` > 1 the processes share one listening socket; the database is opened
    (and its schema made) once here first, so a bad path or a database down fails before any
    worker starts; the workers then tolerate an outage (see the module's docstring).
    """
    configure_logging()
    try:
        sandbox = build_sandbox(settings)  # opens the store: a bad database fails here, loudly
    except StoreUnavailable as error:  # the database is down or refuses the credentials: one line
        print(f"dots sandbox: {error}", file=sys.stderr)
        return 1
    if settings.workers > 1:
        sandbox.store.close()
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        sandbox.store.close()
        print(f"dots sandbox: cannot listen on {settings.host}:{settings.port}: {error}", file=sys.stderr)
        return 1
    line = f"dots sandbox listening on {settings.url(sock.getsockname()[1])} (db {settings.database.display}"
    if settings.workers > 1:
        config = SandboxConfig(settings, functools.partial(load_app, settings, os.getpid()), factory=True)
        supervisor = Multiprocess(config, sockets=[sock])  # handles SIGINT/SIGTERM: stops the workers
        print("\n".join([f"{line}, {settings.workers} workers)", *notes]), flush=True)
        supervisor.run()
        return 1 if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes) else 0
    server = _Server(SandboxConfig(settings, sandbox.app), "\n".join([f"{line})", *notes]))

    # While serving, uvicorn handles SIGINT/SIGTERM itself (graceful shutdown), then re-raises the
    # signal with the handlers that were there before it started: these, so the process exits 0.
    # A signal before uvicorn's handlers are in place stops the server as soon as it has started.
    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    server.run(sockets=[sock])
    return 0
