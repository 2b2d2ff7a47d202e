"""A scripted HTTP exchange for Dots and AsyncDots tests: each request gets the next reply (httpx.MockTransport)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from dots_client import AsyncDots, Dots

CLIENT_ID = "client-id-for-tests"
API_KEY = "sk_test_very_secret_key"
BASE = "https://api.dots.test/api"
METHOD = uuid.UUID("00000000-0000-4000-8000-000000000001")
Reply = httpx.Response | Exception


def intent_json(status: str = "initialized", **fields: Any) -> dict[str, Any]:
    """A PaymentIntent answer's JSON: a fresh id, 1000 cents of usd, `status`, and `fields`."""
    return {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": status, **fields}


class Script:
    """A MockTransport handler answering each request with the next reply (the last one repeats)."""

    def __init__(self, *replies: Reply | Callable[[httpx.Request], Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if callable(reply) and not isinstance(reply, httpx.Response):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        return self(request)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def sleep_async(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def lines(self) -> list[str]:
        """`METHOD /path` of each request received."""
        return [f"{request.method} {request.url.path}" for request in self.requests]


def scripted_dots(script: Script, **options: Any) -> Dots:
    """A Dots whose http_client (one that follows redirects, to prove Dots does not) answers from `script`."""
    http = httpx.Client(transport=httpx.MockTransport(script), follow_redirects=True)
    return Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http, sleep=script.sleep, **options)


def scripted_async_dots(script: Script, **options: Any) -> AsyncDots:
    """`scripted_dots` for AsyncDots."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(script.handle_async), follow_redirects=True)
    return AsyncDots(
        client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http, sleep=script.sleep_async, **options
    )
