"""The ceiling: an ASGI app that answers every request with one constant JSON body.

`python -m dots_sandbox.ceiling PORT` (0: a free one) serves it on 127.0.0.1 on the sandbox's
own HTTP front (dots_sandbox/front/: the same uvicorn settings and protocol), so the difference
between the two is the sandbox's work, not the server stack's. `make bench` runs it as a
process, beside the sandbox, WireMock and Prism; it lives here because it is built from the
sandbox's front, which nothing outside the sandbox imports (ARCHITECTURE.md).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from dots_sandbox.front.listener import AnnouncingServer, bind, listening_line, port_number
from dots_sandbox.front.protocol import SandboxConfig
from dots_sandbox.settings import Settings

BODY = b'{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","amount":1,"currency":"usd"}'
TOOL = "dots sandbox ceiling"
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Ceiling:
    """The constant answer as a `FrontApp` (dots_sandbox/front/app.py)."""

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        """Drain the request body, then answer 200 with BODY."""
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})

    def stop_waiting(self) -> None:
        """Nothing waits for long here: a body is read as it comes."""


app = Ceiling()


def serve(port: int) -> int:
    """Serve `app` on 127.0.0.1:`port` (0: a free one) until SIGINT or SIGTERM; 0 then, 1 if it cannot listen.

    Prints `dots sandbox ceiling listening on http://127.0.0.1:PORT` once it accepts connections
    (the front's convention, dots_sandbox/front/listener.py); a port taken is one line on stderr.
    """
    try:
        sock = bind("127.0.0.1", port)
    except OSError as error:
        print(f"{TOOL}: cannot listen on 127.0.0.1:{port}: {error}", file=sys.stderr)
        return 1
    config = SandboxConfig(Settings(), app, host="127.0.0.1", port=port)
    config.lifespan = "off"
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = AnnouncingServer(config, [listening_line(TOOL, url)])
    # uvicorn re-raises the signal it stopped on with the handlers from before it started: these
    # (as dots_sandbox/runner.py does), so a stop is exit 0, not death by the signal.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: setattr(server, "should_exit", True))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m dots_sandbox.ceiling PORT`: `serve(PORT)`'s code; a PORT that is not 0 to 65535 is
    argparse's usage error (SystemExit(2), the usage and why on stderr), never a traceback and
    never another port (the socket layer would wrap 99999 round to 34463)."""
    parser = argparse.ArgumentParser(prog="python -m dots_sandbox.ceiling", description=__doc__.splitlines()[0])
    parser.add_argument("port", type=port_number, help="port on 127.0.0.1, 0 for any free one")
    return serve(parser.parse_args(argv).port)


if __name__ == "__main__":
    sys.exit(main())
