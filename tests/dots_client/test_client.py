"""dots_client.client: finite default timeouts, a hanging server abandoned, one client across event loops."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import dots_client.client
import httpx
import pytest
from dots_client import AuthenticatedClient, Client
from dots_client.api.payment_intents import confirm_payment_intent, retrieve_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, PaymentIntent, PaymentIntentStatus

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

AUTH = ("sandbox-client-id", "sandbox-api-key")
METHOD_ID = uuid.UUID("3c90c3cc-0d44-4b50-8888-8dd25736052a")
CONFIRM = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
# How long a test waits for a call that must give up on a silent server before calling it a hang.
HANG_GUARD_S = 20.0


def _finite(timeout: httpx.Timeout) -> dict[str, float | None]:
    return {"connect": timeout.connect, "read": timeout.read, "write": timeout.write, "pool": timeout.pool}


def test_default_timeouts_are_finite() -> None:
    """basic_auth(), AuthenticatedClient and Client bound connect, read, write and pool: 5, 30, 10, 5 s."""
    expected = {"connect": 5.0, "read": 30.0, "write": 10.0, "pool": 5.0}
    assert _finite(dots_client.client.DEFAULT_TIMEOUT) == expected
    clients: list[AuthenticatedClient | Client] = [
        AuthenticatedClient.basic_auth("http://127.0.0.1:9/api", *AUTH),
        AuthenticatedClient(base_url="http://127.0.0.1:9/api", token="t"),
        Client(base_url="http://127.0.0.1:9/api"),
    ]
    for client in clients:
        assert _finite(client.get_httpx_client().timeout) == expected

        async def async_timeout(client: AuthenticatedClient | Client = client) -> httpx.Timeout:
            return client.get_async_httpx_client().timeout

        assert _finite(asyncio.run(async_timeout())) == expected


def test_timeout_is_overridable_per_client() -> None:
    """timeout= on basic_auth() replaces the default for that client's sync and async httpx clients."""
    timeout = httpx.Timeout(2.0, read=60.0)
    client = AuthenticatedClient.basic_auth("http://127.0.0.1:9/api", *AUTH, timeout=timeout)
    assert client.get_httpx_client().timeout == timeout
    assert client.with_timeout(httpx.Timeout(1.0)).get_httpx_client().timeout == httpx.Timeout(1.0)


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections, reads what comes, and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api"
        self.received = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="silent-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed by close()
                return
            self._connections.append(connection)
            threading.Thread(target=self._swallow, args=(connection,), daemon=True).start()

    def _swallow(self, connection: socket.socket) -> None:
        try:
            while connection.recv(65536):
                self.received.set()
        except OSError:
            return

    def close(self) -> None:
        """Stop listening and drop every connection (which also ends any call still waiting)."""
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way (close() alone does not)
        self._listener.close()
        for connection in self._connections:
            connection.close()
        self._thread.join(timeout=5)


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A server that accepts and never answers; closed at teardown."""
    server = SilentServer()
    yield server
    server.close()


def _outcome_within_guard(call: Callable[[], Any]) -> BaseException | None:
    """Run `call` in a thread; what it raised (None if it returned); fails the test if it is still waiting."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # handed back to the test
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert outcome, f"the call was still waiting after {HANG_GUARD_S} s: it hangs"
    return outcome[0]


def test_silent_server_times_out_within_the_client_timeout(silent_server: SilentServer) -> None:
    """A confirm to a server that accepts and never answers raises httpx.ReadTimeout (client timeout 0.5 s)."""
    client = AuthenticatedClient.basic_auth(silent_server.url, *AUTH, timeout=httpx.Timeout(0.5))
    raised = _outcome_within_guard(lambda: confirm_payment_intent.sync(uuid.uuid4(), client=client, body=CONFIRM))
    assert isinstance(raised, httpx.ReadTimeout), raised
    assert silent_server.received.is_set()


def test_silent_server_times_out_within_a_per_call_timeout(silent_server: SilentServer) -> None:
    """timeout= on one call bounds that call, sync and async, on a client with the default timeouts."""
    client = AuthenticatedClient.basic_auth(silent_server.url, *AUTH)
    raised = _outcome_within_guard(
        lambda: confirm_payment_intent.sync_detailed(uuid.uuid4(), client=client, body=CONFIRM, timeout=0.5)
    )
    assert isinstance(raised, httpx.ReadTimeout), raised

    async def confirm() -> None:
        await confirm_payment_intent.asyncio(uuid.uuid4(), client=client, body=CONFIRM, timeout=httpx.Timeout(0.5))

    raised = _outcome_within_guard(lambda: asyncio.run(confirm()))
    assert isinstance(raised, httpx.ReadTimeout), raised


def _new_intent(sandbox: LiveSandbox) -> uuid.UUID:
    response = httpx.post(f"{sandbox.url}/v2/payment-intents", json={"amount": 1000, "currency": "usd"}, auth=AUTH)
    assert response.status_code == 200, response.text
    return uuid.UUID(response.json()["id"])


def _status(sandbox: LiveSandbox, intent_id: uuid.UUID) -> str:
    response = httpx.get(f"{sandbox.url}/v2/payment-intents/{intent_id}", auth=AUTH)
    status: str = response.json()["status"]
    return status


def test_one_client_serves_two_asyncio_runs(start_sandbox: Callable[..., LiveSandbox]) -> None:
    """The same client confirms in one asyncio.run() and again in a second: both succeed, nothing leaks."""
    sandbox = start_sandbox()
    client = AuthenticatedClient.basic_auth(sandbox.url, *AUTH)
    first, second = _new_intent(sandbox), _new_intent(sandbox)

    async def confirm(intent_id: uuid.UUID) -> object:
        return await confirm_payment_intent.asyncio(intent_id, client=client, body=CONFIRM)

    for intent_id in (first, second):
        confirmed = asyncio.run(confirm(intent_id))
        assert isinstance(confirmed, PaymentIntent), confirmed
        assert confirmed.status == PaymentIntentStatus.SUCCEEDED
    gc.collect()  # an unclosed connection of a finished loop would warn here (warnings are errors)


def test_async_with_works_in_two_loops(start_sandbox: Callable[..., LiveSandbox]) -> None:
    """`async with client:` in one asyncio.run() and again in another: the second builds a fresh AsyncClient."""
    sandbox = start_sandbox()
    client = AuthenticatedClient.basic_auth(sandbox.url, *AUTH)

    async def confirm(intent_id: uuid.UUID) -> object:
        async with client:
            return await confirm_payment_intent.asyncio(intent_id, client=client, body=CONFIRM)

    for _ in range(2):
        assert isinstance(asyncio.run(confirm(_new_intent(sandbox))), PaymentIntent)
    gc.collect()


def test_sync_after_async(start_sandbox: Callable[..., LiveSandbox]) -> None:
    """A client used in asyncio.run() then from plain sync code: the sync call works."""
    sandbox = start_sandbox()
    client = AuthenticatedClient.basic_auth(sandbox.url, *AUTH)
    intent_id = _new_intent(sandbox)

    async def confirm() -> object:
        return await confirm_payment_intent.asyncio(intent_id, client=client, body=CONFIRM)

    assert isinstance(asyncio.run(confirm()), PaymentIntent)
    with client:
        retrieved = retrieve_payment_intent.sync(intent_id, client=client)
    assert isinstance(retrieved, PaymentIntent)
    assert retrieved.status == PaymentIntentStatus.SUCCEEDED


def test_given_async_client_on_a_second_loop_raises_before_sending(start_sandbox: Callable[..., LiveSandbox]) -> None:
    """An AsyncClient set with set_async_httpx_client() used from a second loop raises; the intent stays unconfirmed."""
    sandbox = start_sandbox()
    client = AuthenticatedClient.basic_auth(sandbox.url, *AUTH)
    given = httpx.AsyncClient(base_url=sandbox.url, auth=AUTH)
    client.set_async_httpx_client(given)
    first, second = _new_intent(sandbox), _new_intent(sandbox)

    async def confirm(intent_id: uuid.UUID) -> object:
        return await confirm_payment_intent.asyncio(intent_id, client=client, body=CONFIRM)

    async def confirm_and_close(intent_id: uuid.UUID) -> object:
        try:
            return await confirm(intent_id)
        finally:
            await given.aclose()  # the caller's to close, on its loop

    assert isinstance(asyncio.run(confirm_and_close(first)), PaymentIntent)
    with pytest.raises(RuntimeError, match="another event loop"):
        asyncio.run(confirm(second))
    assert _status(sandbox, second) == "initialized"


PASSWORD = "s3cret-in-the-url"
INTENT: dict[str, Any] = {
    "id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5",
    "amount": 1000,
    "currency": "usd",
    "status": "initialized",
}


@pytest.mark.parametrize("client_class", [Client, AuthenticatedClient])
def test_repr_hides_the_password_of_a_base_url(client_class: type[Client | AuthenticatedClient]) -> None:
    """A base URL with credentials (`https://id:key@host`) shows in the repr with its password masked."""
    client = client_class(f"https://client-id:{PASSWORD}@api.dots.dev/api")
    text = repr(client) + str(client)
    assert PASSWORD not in text
    assert "api.dots.dev/api" in text


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_base_url_credentials_never_reach_httpx_logs(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs each request's URL: the base URL's userinfo is sent as Basic auth, never logged."""
    caplog.set_level(logging.DEBUG)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=INTENT)

    client = AuthenticatedClient.basic_auth(
        f"https://client-id:{PASSWORD}@api.dots.dev/api",
        "client-id",
        PASSWORD,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    intent_id = uuid.UUID(INTENT["id"])
    if mode == "sync":
        retrieve_payment_intent.sync(intent_id, client=client)
    else:
        asyncio.run(retrieve_payment_intent.asyncio(intent_id, client=client))
    (request,) = seen
    assert request.headers["authorization"] == httpx.BasicAuth("client-id", PASSWORD)._auth_header
    assert str(request.url) == f"https://api.dots.dev/api/v2/payment-intents/{intent_id}"
    assert any("HTTP Request" in record.getMessage() for record in caplog.records)  # httpx did log the request
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
