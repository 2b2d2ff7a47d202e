"""`python -m dots_sandbox [--host H] [--port P] [--db PATH] [--synchronous LEVEL] [--faults]`.

Serves the sandbox with uvicorn (uvloop + httptools). Prints one line when it listens (its URL
and database; `--port 0` picks a free port and the line shows it), logs nothing per request, and
stops cleanly (exit 0) on SIGINT or SIGTERM. Credentials come only from the environment
(DOTS_CLIENT_ID, DOTS_API_KEY) and are never printed.

Stopping: requests still waiting for their body are answered at once (400, connection closed),
and answers in flight get GRACEFUL_SHUTDOWN_SECONDS to finish before uvicorn cancels them.
Requests that are not HTTP/1.1 never reach the app: httptools refuses them and uvicorn answers a
plain-text 400; the warning uvicorn logs for each of those (and for each unsupported `Upgrade`)
is filtered out, so no client can write to the log at will.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType

import uvicorn

from dots_sandbox.app import SandboxApp, create_app
from dots_sandbox.settings import SYNCHRONOUS_LEVELS, Settings
from dots_sandbox.store import StoreUnavailable

# How long answers in flight may take to finish once the server is stopping.
GRACEFUL_SHUTDOWN_SECONDS = 5

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


def parse_args(argv: Sequence[str], defaults: Settings) -> Settings:
    """Settings from the environment's `defaults`, overridden by the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m dots_sandbox",
        description="Serve the Dots payment-intents sandbox (credentials: DOTS_CLIENT_ID, DOTS_API_KEY).",
    )
    parser.add_argument("--host", default=defaults.host, help=f"address to bind (SANDBOX_HOST; {defaults.host})")
    parser.add_argument(
        "--port", type=int, default=defaults.port, help=f"port, 0 for any free one (SANDBOX_PORT; {defaults.port})"
    )
    parser.add_argument(
        "--db",
        default=defaults.db,
        help=f"SQLite file, :memory:, or postgresql://user:password@host:port/dbname (SANDBOX_DB; {defaults.database})",
    )
    parser.add_argument(
        "--synchronous",
        type=str.upper,
        choices=SYNCHRONOUS_LEVELS,
        default=defaults.synchronous,
        help=f"SQLite synchronous level (SANDBOX_SYNCHRONOUS; {defaults.synchronous})",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        default=defaults.faults,
        help="let requests ask for failures with Prefer: dots-fault=... (SANDBOX_FAULTS; off)",
    )
    args = parser.parse_args(argv)
    try:
        return dataclasses.replace(
            defaults, host=args.host, port=args.port, db=args.db, synchronous=args.synchronous, faults=args.faults
        )
    except ValueError as error:
        parser.error(str(error))


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (so the startup line can name the real port)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until SIGINT or SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("uvicorn.error").addFilter(quiet_per_request_warnings)
    # psycopg_pool logs each failed reconnection (several lines each); the store logs one line
    # when the database becomes unreachable and one when it is back.
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    try:
        defaults = Settings.from_env(os.environ)
    except ValueError as error:
        print(f"dots sandbox: {error}", file=sys.stderr)
        return 2
    settings = parse_args(sys.argv[1:] if argv is None else argv, defaults)
    try:
        app = create_app(settings)
    except StoreUnavailable as error:  # the database is down or refuses the credentials: one line
        print(f"dots sandbox: {error}", file=sys.stderr)
        return 1
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        print(f"dots sandbox: cannot listen on {settings.host}:{settings.port}: {error}", file=sys.stderr)
        return 1
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = _Server(
        config, app, f"dots sandbox listening on {settings.url(sock.getsockname()[1])} (db {settings.database.display})"
    )

    # While serving, uvicorn handles SIGINT/SIGTERM itself (graceful shutdown), then re-raises the
    # signal with the handlers that were there before it started: these, so the process exits 0.
    # A signal before uvicorn's handlers are in place stops the server as soon as it has started.
    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    server.run(sockets=[sock])
    return 0


class _Server(uvicorn.Server):
    """uvicorn's server, printing the one startup line once it accepts connections, and telling the app it stops."""

    def __init__(self, config: uvicorn.Config, app: SandboxApp, startup_line: str) -> None:
        super().__init__(config)
        self._app = app
        self._startup_line = startup_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self._startup_line, flush=True)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Requests waiting for a body would otherwise hold the shutdown until they time out.
        self._app.stop_waiting()
        await super().shutdown(sockets)


if __name__ == "__main__":
    sys.exit(main())
