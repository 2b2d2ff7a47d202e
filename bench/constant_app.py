"""The floor of the suite bench: an ASGI app that answers every request with one constant JSON body.

`python -m bench.constant_app PORT` serves it on 127.0.0.1 with the same uvicorn settings as the
sandbox, so the difference between the two is the sandbox's work, not the server stack's.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

BODY = b'{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","amount":1,"currency":"usd"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """Drain the request body, then answer 200 with BODY."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
        lifespan="off", access_log=False, log_level="warning",
    )  # fmt: skip
