"""The listening socket every server on the front is given (`bind`), and the line a command prints on it.

The socket is made before the server starts, so a command can print the real port (port 0
picks a free one) and so a port already taken is an OSError at once, before any server or
worker process exists. `python -m dots_sandbox` (dots_sandbox/runner.py) shares it between its
worker processes; `serve_in_thread` (dots_sandbox/in_thread.py) serves on it from a thread.

Every server command of this repository follows one convention: its first line on stdout is
`<tool> listening on URL` (`listening_line`), flushed once connections are accepted, so a
process that starts it can wait for that line and read the URL from it (`url_of`); any other
facts (the database, the workers) follow on lines of their own. `AnnouncingServer` prints them.
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Sequence

import uvicorn

# The kernel's queue of connections not yet accepted (uvicorn's own default backlog).
BACKLOG = 2048


def bind(host: str, port: int) -> socket.socket:
    """A listening, non-blocking TCP socket on `host`:`port` (0: a free port; `getsockname()` tells which).

    Raises OSError when the address cannot be resolved or bound (a port taken, an address not
    this machine's); nothing is left open then.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def port_number(text: str) -> int:
    """argparse's `type` for a port: `text` as an int from 0 to 65535, else ArgumentTypeError (a usage error).

    Checked here because the socket layer would take 99999 round to port 34463 without a word.
    """
    if not (text.isascii() and text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, not {text!r}")
    return int(text)


def listening_line(tool: str, url: str) -> str:
    """The first line a server command prints: `<tool> listening on <url>`."""
    return f"{tool} listening on {url}"


def url_of(line: str) -> str | None:
    """The URL a `listening_line` names (None: `line` is not one)."""
    _, found, rest = line.partition(" listening on ")
    return rest.split()[0] if found and rest.split() else None


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server that prints `lines` to stdout, flushed, once it accepts connections.

    `lines[0]` is the command's `listening_line`; facts follow it. Nothing is printed when the
    start fails (the app's lifespan startup refused, say).
    """

    def __init__(self, config: uvicorn.Config, lines: Sequence[str]) -> None:
        super().__init__(config)
        self._lines = tuple(lines)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup, then the lines once `started`."""
        await super().startup(sockets)
        if self.started:
            print("\n".join(self._lines), flush=True)
