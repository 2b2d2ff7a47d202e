"""Fixtures shared by the sandbox's tests: real `python -m dots_sandbox` processes, PostgreSQL.

PostgreSQL: one throwaway cluster for the whole session (tools/postgres.py, from the machine's
binaries; password auth, so the tests see the password masked), and a fresh database for each
test that asks for `postgres_url`. With TEST_POSTGRES_URL set (an admin URL, e.g. a CI service
container's), the databases are made there instead. No binaries and no URL is an error, never a
skip. Tests that stop and restart the server get a cluster of their own (`postgres_cluster`).

(One conftest for all of tests/: mypy sees every conftest.py as the module `conftest`.)
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from contract_tests.target import SandboxProcess

if TYPE_CHECKING:
    # The sandbox and PostgreSQL's tools are imported where a fixture runs, not here: the client's tests
    # also run on environments that hold only the client (`make test-client`), and reach a sandbox only
    # as a process.
    from dots_sandbox.sandbox import Sandbox
    from tools.postgres import Cluster, ExistingServer

# The test kit's fixtures (dots_sandbox, dots_sandbox_session), as its pytest11 entry point gives them to an
# installed project's tests; loading the plugin imports nothing of ours (tests/dots_testing/test_plugin.py).
# pytester runs a user's test file in process, to see the kit fail it (tests/dots_testing/test_plugin.py).
pytest_plugins = ["dots_testing.plugin", "pytester"]

AUTH = ("sandbox-client-id", "sandbox-api-key")
POSTGRES_URL_VAR = "TEST_POSTGRES_URL"
# Characters a URL must escape, so the tests see both spellings of the password masked.
POSTGRES_PASSWORD = "pw/@:%-" + os.urandom(6).hex()


class InProcess:
    """A synchronous face on `httpx.AsyncClient` + `httpx.ASGITransport` (no server, no thread).

    Requests authenticate as the sandbox's default client unless `auth=None` is passed.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(sandbox.app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://sandbox/api", auth=AUTH)

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
        """Close the client, the loop and the sandbox's store."""
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
        self.sandbox.store.close()


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
    from dots_sandbox.sandbox import build_sandbox
    from dots_sandbox.settings import Settings

    client = InProcess(build_sandbox(Settings(db=":memory:")))
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Cluster | ExistingServer]:
    """The session's PostgreSQL: TEST_POSTGRES_URL's server, else a throwaway cluster started here."""
    from tools.postgres import ExistingServer, throwaway

    admin_url = os.environ.get(POSTGRES_URL_VAR)
    if admin_url:
        yield ExistingServer(admin_url)
        return
    with throwaway(password=POSTGRES_PASSWORD) as cluster:
        yield cluster


@pytest.fixture
def postgres_url(postgres_server: Cluster | ExistingServer) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL (it holds a password)."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database several stores or processes can share, on each engine: a SQLite file, a PostgreSQL database."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "shared.db")


@pytest.fixture
def postgres_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own, to stop and restart (password auth), removed afterwards."""
    from tools.postgres import throwaway

    with throwaway(password=POSTGRES_PASSWORD) as cluster:
        yield cluster
