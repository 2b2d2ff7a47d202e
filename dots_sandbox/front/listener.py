"""The listening socket every server on the front is given: `bind(host, port)`.

The socket is made before the server starts, so a command can print the real port (port 0
picks a free one) and so a port already taken is an OSError at once, before any server or
worker process exists. `python -m dots_sandbox` (dots_sandbox/runner.py) shares it between its
worker processes; `serve_in_thread` (dots_sandbox/in_thread.py) serves on it from a thread.
"""

from __future__ import annotations

import socket

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
