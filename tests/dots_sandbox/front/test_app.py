"""The front's interface to the app (dots_sandbox/front/app.py): `FrontApp` and closing without an answer."""

from __future__ import annotations

import logging
import socket
from typing import Any

import httpx
import pytest

from dots_sandbox.front.app import FrontApp, Receive, Scope, Send, close_without_answer
from dots_sandbox.front.protocol import SandboxConfig
from dots_sandbox.in_thread import serve_in_thread
from dots_sandbox.request.pipeline import SandboxApp
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

AUTH = ("sandbox-client-id", "sandbox-api-key")
BASIC = "Basic c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1hcGkta2V5"
SUCCEEDS = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
LOSE = b"x-test-lose-answer"


class LosesAnswers:
    """The sandbox's app, except that a request carrying LOSE is carried out and its answer never sent."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (LOSE, b"1") not in scope["headers"]:
            await self.app(scope, receive, send)
            return
        answered: list[Any] = []

        async def hold(message: Any) -> None:
            answered.append(message)

        await self.app(scope, receive, hold)  # carried out and committed: the answer is complete here
        assert [message["type"] for message in answered] == ["http.response.start", "http.response.body"]
        close_without_answer(scope)
        await send(answered[0])  # dropped: nothing is sent once the connection is being closed

    def stop_waiting(self) -> None:
        self.app.stop_waiting()


def test_a_committed_confirm_can_lose_its_answer(caplog: pytest.LogCaptureFixture) -> None:
    """The confirm commits, the client sees the connection closed without a byte, the intent is confirmed,
    and nothing is logged as an error (uvicorn neither answers 500 nor complains of an unfinished answer)."""
    sandbox = build_sandbox(Settings(db=":memory:"))
    with (
        serve_in_thread(LosesAnswers(sandbox.app), sandbox.settings) as served,
        httpx.Client(base_url=served.base_url, auth=AUTH, timeout=15) as client,
    ):
        intent_id = client.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"}).json()["id"]
        body = b'{"payment_method_id":"%s"}' % SUCCEEDS.encode()
        request = (
            b"POST /api/v2/payment-intents/%s/confirm HTTP/1.1\r\nHost: sandbox\r\nAuthorization: %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n%s: 1\r\n\r\n%s"
        ) % (intent_id.encode(), BASIC.encode(), len(body), LOSE, body)
        with socket.create_connection(("127.0.0.1", served.port), timeout=15) as connection:
            connection.sendall(request)
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
        assert received == b""  # closed, with no status line
        retrieved = client.get(f"/v2/payment-intents/{intent_id}").json()
        assert (retrieved["status"], retrieved["payment_method_id"]) == ("succeeded", SUCCEEDS)
        stored = sandbox.store.get(AUTH[0], intent_id)
        assert stored is not None
        assert stored.status == "succeeded"
        # requests that do not ask to lose their answer are answered as usual
        other = client.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"}).json()["id"]
        answered = client.post(f"/v2/payment-intents/{other}/confirm", json={"payment_method_id": SUCCEEDS})
        assert answered.status_code == 200
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_close_without_answer_needs_the_sandboxs_front() -> None:
    """A scope from another server (no such extension) cannot lose an answer: RuntimeError."""
    with pytest.raises(RuntimeError, match="front"):
        close_without_answer({"type": "http", "headers": []})


def test_the_front_serves_only_a_front_app() -> None:
    """SandboxConfig.load refuses an ASGI callable without stop_waiting; the sandbox's app is a FrontApp."""

    async def bare(scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI app and nothing more."""

    with pytest.raises(TypeError, match="FrontApp"):
        SandboxConfig(Settings(db=":memory:"), bare).load()
    sandbox = build_sandbox(Settings(db=":memory:"))
    try:
        assert isinstance(sandbox.app, FrontApp)
    finally:
        sandbox.store.close()
