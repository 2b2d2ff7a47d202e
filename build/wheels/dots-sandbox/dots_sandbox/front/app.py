"""What the sandbox's HTTP front and the application it serves know of each other.

The front (dots_sandbox/front/protocol.py) serves any `FrontApp`: an ASGI 3 application that
can also be told the server is stopping (`stop_waiting`). It gives each HTTP request's scope one
extension of its own, under `scope["extensions"][CLOSE_WITHOUT_ANSWER]`: the app calls
`close_without_answer(scope)` to have the front close the request's connection without sending
any byte of an answer, even after the request took effect (a client then sees what it sees when
an answer is lost on the way: a closed connection, no status line).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol, runtime_checkable

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The scope extension's key (ASGI: server-specific extensions live in `scope["extensions"]`).
CLOSE_WITHOUT_ANSWER = "dots.close_without_answer"


@runtime_checkable
class FrontApp(Protocol):
    """An ASGI 3 application the sandbox's front can serve."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point (`http` and `lifespan` scopes)."""

    def stop_waiting(self) -> None:
        """The server is stopping: end any wait for a request body now (called on the app's loop)."""


def close_without_answer(scope: Scope) -> None:
    """Have the front close this request's connection with no answer; anything sent later is dropped.

    `scope` is an HTTP scope the sandbox's front made. Raises RuntimeError when it is not (another
    server, an in-process ASGI client): those have no way to lose an answer on purpose.
    """
    close: Callable[[], None] | None = scope.get("extensions", {}).get(CLOSE_WITHOUT_ANSWER)
    if close is None:
        raise RuntimeError("only the sandbox's own front can close a connection without answering")
    close()
