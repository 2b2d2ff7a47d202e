"""The ceiling: an ASGI app that answers every request with one constant JSON body.

`python -m dots_sandbox.ceiling PORT` serves it on 127.0.0.1 on the sandbox's own HTTP front
(dots_sandbox/front/: the same uvicorn settings and protocol), so the difference between the
two is the sandbox's work, not the server stack's. `make bench` runs it as a process, beside the
sandbox, WireMock and Prism; it lives here because it is built from the sandbox's front, which
nothing outside the sandbox imports (ARCHITECTURE.md).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from dots_sandbox.front.protocol import SandboxConfig
from dots_sandbox.settings import Settings

BODY = b'{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","amount":1,"currency":"usd"}'
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


def serve(port: int) -> None:
    """Serve `app` on 127.0.0.1:`port` until SIGINT or SIGTERM."""
    config = SandboxConfig(Settings(), app, host="127.0.0.1", port=port)
    config.lifespan = "off"
    uvicorn.Server(config).run()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
