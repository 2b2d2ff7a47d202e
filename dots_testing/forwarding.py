"""Forwarding: each delivery `dots_webhooks` receives is also sent to the service's real webhook endpoint.

What `stripe listen --forward-to` does for Stripe, in a test: the endpoint gets the delivery exactly
as the sandbox sent it (body, `svix-*` headers, signed with the receiver's `secret`), so the
service's own route, framework and verification run. The target is a URL, or an ASGI app (FastAPI,
Starlette, ...) that the kit serves on 127.0.0.1 (a free port, uvicorn on a thread of this process,
its lifespan run) for as long as the receiver lives. The endpoint's status becomes the receiver's
answer to the sandbox, so an endpoint that fails gets the event again, as with Dots itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import httpx
import uvicorn

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[MutableMapping[str, Any]]], Callable[..., Awaitable[None]]],
    Awaitable[None],
]
# What the kit answers the sandbox when the endpoint could not be reached or did not answer in time:
# a gateway's answer, so the sandbox delivers the event again.
UNREACHABLE_STATUS = 502
TIMEOUT_SECONDS = 5.0  # the kit's receiver timeout (dots_testing/kit.py WEBHOOK_TIMEOUT_SECONDS)
START_TIMEOUT_SECONDS = 10.0
_FORWARDED = ("content-type", "user-agent")


class _ThreadServer(uvicorn.Server):
    """uvicorn without its signal handling: a thread must not take the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) from a thread until the block ends; yields its `http://` root URL.

    `app` is an ASGI 3 app (a callable of scope, receive, send: a bound method too). Its lifespan runs
    ("auto": an app without one is served anyway). Raises RuntimeError when
    it does not start within START_TIMEOUT_SECONDS (uvicorn logs why).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # ASGI 3 said outright: uvicorn's guess takes a bound method (`forward_to(service.endpoint)`) for ASGI 2.
    config = uvicorn.Config(app, interface="asgi3", lifespan="auto", log_level="warning", access_log=False)
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="dots-forward-app", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            raise RuntimeError("the app given to forward_to did not start serving")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_SECONDS)
        sock.close()


class Forwarder:
    """Sends deliveries on to one URL; `send` answers its status. Never through an environment proxy."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"forward_to takes an http(s) URL or an ASGI app, not {url!r}")
        self.url = url
        self._client = httpx.Client(trust_env=False, timeout=TIMEOUT_SECONDS, follow_redirects=False)

    def __repr__(self) -> str:
        return f"Forwarder({self.url!r})"

    def send(self, body: bytes, headers: dict[str, str]) -> int:
        """POST the delivery (`body` as received; its `svix-*`/`webhook-*` headers, content type and user
        agent); the endpoint's status, or UNREACHABLE_STATUS when it could not be reached or timed out."""
        chosen = {n: v for n, v in headers.items() if n.startswith(("svix-", "webhook-")) or n in _FORWARDED}
        try:
            return self._client.post(self.url, content=body, headers=chosen).status_code
        except httpx.HTTPError:
            return UNREACHABLE_STATUS

    def close(self) -> None:
        """Close its connections."""
        self._client.close()
