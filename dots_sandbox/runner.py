"""The sandbox as a process: logging, start errors, worker processes, signals.

`serve(settings)` runs the sandbox on its HTTP front (dots_sandbox/front/): one process, or
`settings.workers` processes sharing one listening socket (uvicorn's supervisor restarts a
worker that dies; a worker whose supervisor is gone stops itself). Serving from a thread of
another process, with no signal handlers, is dots_sandbox/in_thread.py.

A start that fails (the database, the port, the schema) is one line on stderr naming what failed
and exit 1, never a traceback; usage errors stay `__main__`'s exit 2.

The database at start-up, with workers: the supervisor opens a store once before it starts any
worker (and closes it again; no whole sandbox is built), so a database that is down then or
refuses the credentials is one line and exit 1, as with one process, and a SQLite file that
cannot be made fails before any worker. Every worker, the first ones and any replacement, opens
its own store tolerating an outage (`open_store(..., tolerate_outage=True)`): a worker that
starts while the database is unreachable (one replacing a worker killed during an outage)
serves, answers 503 like the running ones, logs the outage once and its end once, and recovers
when the database is back, rather than failing its start and being restarted in a loop (the loop
of uvicorn#1115). The supervisor's check is what a first start needs; the workers' tolerance is
what a later start needs, and no worker has to know which it is. A worker that cannot start for
another reason (a SQLite file made unusable, a schema of another version put in since the check)
would fail the same way on every restart: it prints one line and exits with uvicorn's
STARTUP_FAILURE (3), on which uvicorn's supervisor stops the server rather than restarting it in
a loop (see encode/uvicorn discussion #2440), and `serve` then returns 1.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from dots_sandbox.front.app import FrontApp
from dots_sandbox.front.listener import AnnouncingServer, bind, listening_line
from dots_sandbox.front.protocol import SandboxConfig
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import StoreCannotOpen, StoreRefused, open_store

# The name the command gives itself on its lines (`dots sandbox listening on URL`, `dots sandbox: why`).
TOOL = "dots sandbox"

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
        print(f"{TOOL}: worker {os.getpid()} cannot start: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)


def _stop_when_orphaned(supervisor: int) -> None:
    while os.getppid() == supervisor:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def serve(settings: Settings, notes: Sequence[str] = ()) -> int:
    """Serve until SIGINT or SIGTERM; 0 then, 1 when it cannot start (one line on stderr, never a traceback).

    Prints `dots sandbox listening on URL` on stdout once it accepts connections, then the
    database and, with workers, their number, a line each (dots_sandbox/front/listener.py), then each
    of `notes` on a line of its own (what `--forward-to` set up).

    It cannot start when the database cannot be opened (StoreCannotOpen: a folder that cannot be
    made, a file that cannot be opened or is not a database, a schema of another version, another
    program's database; or a
    StoreRefused: PostgreSQL down or refusing the credentials), or the address cannot be bound
    (OSError: a port taken). With `settings.workers` > 1 the supervisor checks the database by
    opening and closing a store (its schema made once) before it starts any worker; the workers
    then open their own and tolerate an outage (see the module's docstring).
    """
    configure_logging()
    sandbox = None
    try:
        if settings.workers > 1:
            open_store(settings.db, settings.synchronous).close()
        else:
            sandbox = build_sandbox(settings)
    except (StoreCannotOpen, StoreRefused) as error:  # their messages name the database, password masked
        print(f"{TOOL}: {error}", file=sys.stderr)
        return 1
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        if sandbox is not None:
            sandbox.close()
        print(f"{TOOL}: cannot listen on {settings.host}:{settings.port}: {error}", file=sys.stderr)
        return 1
    lines = [listening_line(TOOL, settings.url(sock.getsockname()[1])), f"database: {settings.database.display}"]
    if sandbox is None:
        config = SandboxConfig(settings, functools.partial(load_app, settings, os.getpid()), factory=True)
        supervisor = Multiprocess(config, sockets=[sock])  # handles SIGINT/SIGTERM: stops the workers
        print("\n".join([*lines, f"workers: {settings.workers}", *notes]), flush=True)
        supervisor.run()
        return 1 if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes) else 0
    server = AnnouncingServer(SandboxConfig(settings, sandbox.app), [*lines, *notes])

    # While serving, uvicorn handles SIGINT/SIGTERM itself (graceful shutdown), then re-raises the
    # signal with the handlers that were there before it started: these, so the process exits 0.
    # A signal before uvicorn's handlers are in place stops the server as soon as it has started.
    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    server.run(sockets=[sock])
    return 0
