"""Fixtures shared by the sandbox's tests: real `python -m dots_sandbox` processes.

(One conftest for all of tests/: mypy sees every conftest.py as the module `conftest`.)
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from dots_sandbox.app import SandboxApp, create_app
from dots_sandbox.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
_URL = re.compile(r"http://\S+")
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


@pytest.fixture
def sandbox() -> Iterator[InProcess]:
    """The sandbox app in process, on a fresh `:memory:` database, default credentials."""
    client = InProcess(create_app(Settings(db=":memory:")))
    yield client
    client.close()


class LiveSandbox:
    """A running `python -m dots_sandbox --port 0`; `url` is what its startup line names."""

    def __init__(self, db: str, env: Mapping[str, str], args: tuple[str, ...] = ()) -> None:
        self.db = db
        self.lines: list[str] = []
        self._url_seen = threading.Event()
        self.url = ""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dots_sandbox", "--host", "127.0.0.1", "--port", "0", "--db", db, *args],
            cwd=REPO_ROOT,
            env={**_clean_env(), "PYTHONUNBUFFERED": "1", **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()
        if not self._url_seen.wait(30) or not self.url:
            self.kill()
            raise RuntimeError("the sandbox printed no URL:\n" + self.output)

    @property
    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return "\n".join(self.lines)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if not self.url and (found := _URL.search(line)):
                self.url = found.group(0)
                self._url_seen.set()
        self._url_seen.set()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Send `signum`, wait for the exit and the last output; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self._finish()
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs at all."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)
        self._finish()

    def _finish(self) -> None:
        self._drain.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


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
