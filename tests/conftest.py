"""Fixtures shared by the sandbox's tests: real `python -m dots_sandbox` processes.

(One conftest for all of tests/: mypy sees every conftest.py as the module `conftest`.)
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from contract_tests.target import SandboxProcess
from dots_sandbox.app import SandboxApp, create_app
from dots_sandbox.settings import Settings

AUTH = ("sandbox-client-id", "sandbox-api-key")


class InProcess:
    """A synchronous face on `httpx.AsyncClient` + `httpx.ASGITransport` (no server, no thread).

    Requests authenticate as the sandbox's default client unless `auth=None` is passed.
    """

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox/api", auth=AUTH)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app and return the whole response."""
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def create(self, **body: object) -> httpx.Response:
        """POST /v2/payment-intents with `body` as JSON."""
        return self.request("POST", "/v2/payment-intents", json=body)

    def confirm(self, intent_id: str, payment_method_id: str) -> httpx.Response:
        """POST /v2/payment-intents/{id}/confirm."""
        body = {"payment_method_id": payment_method_id}
        return self.request("POST", f"/v2/payment-intents/{intent_id}/confirm", json=body)

    def retrieve(self, intent_id: str) -> httpx.Response:
        """GET /v2/payment-intents/{id}."""
        return self.request("GET", f"/v2/payment-intents/{intent_id}")

    def close(self) -> None:
        """Close the client, the loop and the app's store."""
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
        self.app.store.close()


class Clock:
    """A clock the test moves (epoch seconds; starts at the real time so Svix timestamps stay fresh)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    """A fresh test clock."""
    return Clock()


@pytest.fixture
def sandbox() -> Iterator[InProcess]:
    """The sandbox app in process, on a fresh `:memory:` database, default credentials."""
    client = InProcess(create_app(Settings(db=":memory:")))
    yield client
    client.close()


class LiveSandbox(SandboxProcess):
    """A running `python -m dots_sandbox --port 0` with the environment's DOTS_/SANDBOX_ variables cleared."""

    def __init__(self, db: str, env: Mapping[str, str], args: tuple[str, ...] = ()) -> None:
        super().__init__(db, {**_clean_env(), **env}, args)


def _clean_env() -> dict[str, str]:
    names = ("DOTS_", "SANDBOX_")
    return {name: value for name, value in os.environ.items() if not name.startswith(names)}


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., LiveSandbox]]:
    """Start sandboxes (`start_sandbox(db, env={...}, args=(...))`); any still running are killed at teardown."""
    started: list[LiveSandbox] = []

    def start(db: str = ":memory:", env: Mapping[str, str] | None = None, args: tuple[str, ...] = ()) -> LiveSandbox:
        sandbox = LiveSandbox(db, env or {}, args)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.kill()
