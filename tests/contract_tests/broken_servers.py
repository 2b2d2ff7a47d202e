"""Deliberately broken servers, for proving the contract suite's teeth. Test-only: nothing imports this but tests.

Each `Fault` wraps the real sandbox app (fresh `:memory:` database) in a small ASGI middleware
that injects one bug a real server could have, and names the contract tests that must catch it.
`LiveServer` serves any ASGI app with uvicorn on a free port in a background thread, so the
suite can be aimed at it over HTTP exactly as at a remote server.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any

import uvicorn

from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

SERVER_CONTRACT = "contract_tests/test_server_contract.py::test_operation_conforms"
# One operation's fuzzing catches a fault that every answer of a kind shows, and each operation costs seconds of
# a teeth run: create answers 200s, 400s and 401s; retrieve answers errors for the least work.
CREATE = "POST and not confirm"
RETRIEVE = "GET"
BEHAVIOUR = "contract_tests/test_behaviour.py::"
_CONFIRM = re.compile(r"/api/v2/payment-intents/(?P<id>[^/]+)/confirm$")
_CREATE = "/api/v2/payment-intents"


@dataclasses.dataclass
class Exchange:
    """One request through a broken server, and the answer it is about to send."""

    method: str
    path: str
    request_headers: Headers
    request_body: bytes
    status: int = 0
    headers: Headers = dataclasses.field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        """The answer's body as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def answer(self, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
        """Replace the answer."""
        self.status, self.body = status, body
        self.headers = [(name, value) for name, value in self.headers if name.lower() != b"content-type"]
        self.headers.append((b"content-type", content_type))


Rewrite = Callable[[ASGIApp, Exchange], Awaitable[None]]


async def _call(app: ASGIApp, exchange: Exchange) -> None:
    """Run `exchange`'s request through `app`, filling in its answer."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": exchange.method,
        "scheme": "http",
        "path": exchange.path,
        "raw_path": exchange.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": exchange.request_headers,
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no disconnect: the app reads the body once
        sent = True
        return {"type": "http.request", "body": exchange.request_body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.status, exchange.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"")

    await app(scope, receive, send)


class Faulty:
    """An ASGI middleware: buffer each request, let the app answer, then let `rewrite` change the exchange."""

    def __init__(self, app: ASGIApp, before: Rewrite | None = None, after: Rewrite | None = None) -> None:
        self.app = app
        self.before = before
        self.after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        exchange = Exchange(scope["method"], scope["path"], list(scope["headers"]), body)
        if self.before is not None:
            await self.before(self.app, exchange)
        if not exchange.status:
            await _call(self.app, exchange)
        if self.after is not None:
            await self.after(self.app, exchange)
        headers = [(name, value) for name, value in exchange.headers if name.lower() != b"content-length"]
        headers.append((b"content-length", str(len(exchange.body)).encode()))
        await send({"type": "http.response.start", "status": exchange.status, "headers": headers})
        await send({"type": "http.response.body", "body": exchange.body})


def _rewrite_json(exchange: Exchange, change: Callable[[dict[str, Any]], None]) -> None:
    data = exchange.json()
    if isinstance(data, dict):
        change(data)
        exchange.body = json.dumps(data).encode()


# --- the faults -------------------------------------------------------------------------------------


async def _amount_as_string(app: ASGIApp, exchange: Exchange) -> None:
    if exchange.status == 200:
        _rewrite_json(exchange, lambda intent: intent.update(amount=str(intent.get("amount"))))


def _skip_auth(authorization: bytes) -> Rewrite:
    async def rewrite(app: ASGIApp, exchange: Exchange) -> None:
        # The "auth check" is skipped: whatever the client sent, the app sees valid credentials.
        headers = [(name, value) for name, value in exchange.request_headers if name.lower() != b"authorization"]
        exchange.request_headers = [*headers, (b"authorization", authorization)]

    return rewrite


async def _double_confirm(app: ASGIApp, exchange: Exchange) -> None:
    match = _CONFIRM.match(exchange.path)
    if exchange.method == "POST" and match and exchange.status == 409:
        # "Confirm again": answer 200 with the intent as it is, as if the second confirm had worked.
        retrieve = Exchange("GET", exchange.path.removesuffix("/confirm"), exchange.request_headers, b"")
        await _call(app, retrieve)
        exchange.status, exchange.body = retrieve.status, retrieve.body


async def _drop_currency(app: ASGIApp, exchange: Exchange) -> None:
    if exchange.status == 200:
        _rewrite_json(exchange, lambda intent: intent.pop("currency", None))


async def _crash_on_description(app: ASGIApp, exchange: Exchange) -> None:
    try:
        body = json.loads(exchange.request_body)
    except ValueError:
        return
    if exchange.method == "POST" and exchange.path == _CREATE and isinstance(body, dict) and "description" in body:
        exchange.answer(500, b'{"error": "Internal server error", "code": "internal-error"}')


async def _422_for_invalid_input(app: ASGIApp, exchange: Exchange) -> None:
    if exchange.status == 400:
        exchange.status = 422


async def _text_errors(app: ASGIApp, exchange: Exchange) -> None:
    if exchange.status >= 400:
        error = exchange.json()
        message = error.get("error", "error") if isinstance(error, dict) else "error"
        exchange.answer(exchange.status, str(message).encode(), b"text/plain; charset=utf-8")


async def _confirm_changes_amount(app: ASGIApp, exchange: Exchange) -> None:
    if exchange.method == "POST" and _CONFIRM.match(exchange.path) and exchange.status == 200:
        _rewrite_json(exchange, lambda intent: intent.update(amount=intent["amount"] + 1))


def _confirm_latest() -> Rewrite:
    latest: list[str] = []

    async def rewrite(app: ASGIApp, exchange: Exchange) -> None:
        if exchange.method == "POST" and exchange.path == _CREATE:
            await _call(app, exchange)
            intent = exchange.json()
            if exchange.status == 200 and isinstance(intent, dict):
                latest[:] = [intent["id"]]
        elif exchange.method == "POST" and (match := _CONFIRM.match(exchange.path)) and latest:
            # Confirms the intent created last, whatever the path names.
            exchange.path = exchange.path.replace(match["id"], latest[0])

    return rewrite


@dataclasses.dataclass(frozen=True)
class Fault:
    """One injected bug and the contract tests that must fail because of it."""

    name: str
    description: str
    build: Callable[[ASGIApp, bytes], ASGIApp]
    """(the sandbox app, a valid Authorization header) → the broken app."""
    caught_by: tuple[str, ...]
    """Node ids of the tests that must fail (a test function's stands for all its cases): the teeth tests aim
    the suite's run at the broken server with these alone."""
    evidence: str
    """What the suite's summary must say about it (a schemathesis check's code and title, or an assertion)."""
    cases: str = ""
    """A `pytest -k` expression that narrows `caught_by` to the cases that meet the fault (all of them if empty):
    schemathesis' cases cannot be named by node id."""


FAULTS = (
    Fault(
        "amount-as-string",
        "every 200 answers amount as a JSON string",
        lambda app, _: Faulty(app, after=_amount_as_string),
        (SERVER_CONTRACT,),
        "ST108 Response violates schema",
        CREATE,
    ),
    Fault(
        "auth-skipped",
        "the credentials are never checked",
        lambda app, auth: Faulty(app, before=_skip_auth(auth)),
        (SERVER_CONTRACT,),
        "ST401 API accepts requests without authentication",
        CREATE,
    ),
    Fault(
        "double-confirm-allowed",
        "confirming a confirmed intent answers 200 instead of 409",
        lambda app, _: Faulty(app, after=_double_confirm),
        (BEHAVIOUR + "test_second_confirm_is_rejected_as_already_confirmed",),
        "a second confirm answered 200, not 409",
    ),
    Fault(
        "required-field-missing",
        "200 answers lack the required currency",
        lambda app, _: Faulty(app, after=_drop_currency),
        (SERVER_CONTRACT,),
        "ST108 Response violates schema",
        CREATE,
    ),
    Fault(
        "server-error",
        "create answers 500 when the body has a description",
        lambda app, _: Faulty(app, before=_crash_on_description),
        (SERVER_CONTRACT,),
        "ST101 Server error",
        CREATE,
    ),
    Fault(
        "undocumented-status",
        "invalid input answers 422 (undocumented) instead of 400",
        lambda app, _: Faulty(app, after=_422_for_invalid_input),
        (SERVER_CONTRACT,),
        "ST103 Undocumented status code",
        CREATE,
    ),
    Fault(
        "text-plain-errors",
        "error answers are text/plain, not JSON",
        lambda app, _: Faulty(app, after=_text_errors),
        (SERVER_CONTRACT,),
        "ST105 Undocumented Content-Type",
        RETRIEVE,
    ),
    Fault(
        "confirm-changes-amount",
        "confirm answers amount + 1",
        lambda app, _: Faulty(app, after=_confirm_changes_amount),
        (BEHAVIOUR + "test_confirm_keeps_amount_currency_and_metadata",),
        "confirm changed amount",
    ),
    Fault(
        "confirm-latest-intent",
        "confirm acts on the intent created last, not the one in the path",
        lambda app, _: Faulty(app, before=_confirm_latest()),
        (BEHAVIOUR + "test_confirm_acts_on_the_intent_named_in_the_path",),
        "confirm answered another intent",
    ),
)


def sandbox_app(client_id: str, api_key: str, fault: Fault | None = None) -> ASGIApp:
    """The sandbox on a fresh `:memory:` database with these credentials, with `fault` injected."""
    app: ASGIApp = build_sandbox(Settings(db=":memory:", client_id=client_id, api_key=api_key)).app
    if fault is None:
        return app
    authorization = b"Basic " + base64.b64encode(f"{client_id}:{api_key}".encode())
    return fault.build(app, authorization)


class LiveServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, lifespan="on", access_log=False, log_config=None, log_level="critical")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/api`."""
        return f"http://127.0.0.1:{self.port}/api"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return self
            if not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        self.__exit__(None, None, None)
        raise RuntimeError("the broken server did not start")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()
