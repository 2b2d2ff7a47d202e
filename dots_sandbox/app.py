"""The sandbox as a plain ASGI application: `create_app(settings)`.

No framework router: the routes, the validators and the handlers are all fixed at start-up from
openapi.yaml, so a request costs one regex match (more only when its path has %-escapes), the
checks below and one store call: on the event loop for SQLite (microseconds) and for a
PostgreSQL read; a PostgreSQL write runs on a worker thread (the loop goes on serving while it
waits for the commit).

A request is checked in this order, and the first failure answers:
route (404 JSON; on the raw path, split before decoding) → method (405 JSON with `Allow`)
→ credentials (401) → path parameters (400) → Content-Length over the limit (413)
→ Content-Type (415; two headers are none) → body read, counting bytes (413), within
`body_timeout_seconds` (else 400, and the connection is closed) → body JSON and schema (400)
→ the operation (404, 409 or 200; 503 when the database cannot be reached, went away while
committing, or refused the write: a conflict that kept recurring, a timeout, a full disk, a
SQLite file removed under it).
An answer sent before the body was read closes the connection when the client waits for a
`100 Continue` or the body is chunked or larger than the limit (see `_body_left_unread`).
Every answer is JSON; an unexpected exception is logged (never with the request's headers)
and answered 500 JSON.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from dots_sandbox import ascii_json, errors, faults
from dots_sandbox.auth import BasicAuth
from dots_sandbox.background import Worker
from dots_sandbox.changes import Changes
from dots_sandbox.control import ControlHandlers, with_control_routes
from dots_sandbox.deadlines import Deadlines
from dots_sandbox.handlers import Handlers
from dots_sandbox.outbox import Dispatcher, RetryPolicy
from dots_sandbox.retention import Pruner
from dots_sandbox.routing import Route, Router
from dots_sandbox.settings import Settings
from dots_sandbox.settlement import Settler
from dots_sandbox.store import OutcomeUnknown, Store, StoreUnavailable, open_store
from dots_sandbox.validation import compile_rules
from dots_spec.document import load_spec

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[str, Mapping[str, str], Any], dict[str, Any]]

logger = logging.getLogger("dots_sandbox")

_JSON_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", b"application/json"),)


class _Disconnected(Exception):
    """The client went away before sending its whole body."""


class SandboxApp:
    """The ASGI application. `store` is the storage it uses (closed at lifespan shutdown).

    Lifespan startup starts the background worker (settlements, webhook deliveries) and shutdown
    stops it; without a lifespan (in-process tests) nothing runs in the background and the tests
    drive `settler` and `dispatcher()` themselves. `clock` gives epoch seconds.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        spec: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        spec = with_control_routes(load_spec() if spec is None else spec)
        self.settings = settings
        self.store = open_store(settings.db, settings.synchronous) if store is None else store
        self._auth = BasicAuth(settings.client_id, settings.api_key)
        self._router = Router(spec)
        self._rules = compile_rules(spec)
        receivers = tuple(receiver.url for receiver in settings.webhooks)
        self.changes = Changes(receivers, settings.settlement_seconds, clock)
        self.settler = Settler(self.store, self.changes)
        self.worker: Worker | None = None
        handlers = Handlers(self.store, spec, self.changes)
        control = ControlHandlers(self.store, handlers, self.changes)
        self._handlers: dict[str, Handler] = {}
        for operation_id in self._rules:
            handler = getattr(handlers, operation_id, None) or getattr(control, operation_id, None)
            if handler is None:  # fail at start-up, like stripe-mock's "Missing fixture"
                raise NotImplementedError(f"openapi.yaml has operation {operation_id!r}; the sandbox does not")
            self._handlers[operation_id] = handler
        self._executor = (
            concurrent.futures.ThreadPoolExecutor(self.store.concurrency, thread_name_prefix="dots-store")
            if self.store.concurrency > 0
            else None
        )
        self._stopping = False
        self._deadlines: Deadlines | None = None  # of the requests waiting for their body (made on the loop)
        # Failures on demand wrap the HTTP path only when enabled: off, a request pays nothing for them.
        self._serve_http: Callable[[Scope, Receive, Send], Awaitable[None]] = self._http
        if settings.faults:
            self._serve_http = functools.partial(faults.handle, app=self._http)
            logger.warning("failures on demand are enabled: requests may ask for one with Prefer: dots-fault=...")

    def __repr__(self) -> str:
        return f"SandboxApp({self.settings!r})"

    def dispatcher(self, **options: Any) -> Dispatcher | None:
        """A webhook dispatcher for the configured receivers (None when there are none); `options` for tests."""
        if not self.settings.webhooks:
            return None
        options.setdefault("policy", RetryPolicy(self.settings.webhook_retry_seconds))
        options.setdefault("timeout", self.settings.webhook_timeout_seconds)
        options.setdefault("clock", self.changes.clock)
        return Dispatcher(self.store, self.settings.webhooks, **options)

    def start_background(self) -> None:
        """Start settling and delivering on a background thread (lifespan startup does it)."""
        settings = self.settings
        pruner = Pruner(self.store, settings.client_id, settings.webhook_retention_seconds, self.changes.clock)
        self.worker = Worker(self.settler, self.dispatcher(), pruner=pruner)
        self.changes.wake = self.worker.wake
        self.worker.start()

    def stop_background(self) -> None:
        """Stop the background thread (lifespan shutdown does it, before closing the store)."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: HTTP and lifespan (anything else is refused)."""
        if scope["type"] == "http":
            await self._serve_http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self._answer(scope, receive)
            status, headers = 200, _JSON_HEADERS
        except errors.ApiError as error:
            status, headers, body = error.status, _JSON_HEADERS + error.headers, error.body()
        except _Disconnected:
            return
        except Exception:
            # The route template, not the path or headers: no credentials or ids in logs.
            logger.exception("unhandled error answering %s %s", scope.get("method"), self._template(scope))
            internal = errors.internal_error()
            status, headers, body = internal.status, _JSON_HEADERS, internal.body()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def stop_waiting(self) -> None:
        """The server is stopping: end every wait for a request body now, and any later one at once.

        Those requests are answered 400 (the body did not arrive) and their connections closed, so
        a client holding a half-sent body cannot hold up the shutdown. Call it from the app's loop.
        """
        self._stopping = True
        if self._deadlines is not None:
            self._deadlines.expire_all()

    async def _answer(self, scope: Scope, receive: Receive) -> bytes:
        try:
            operation_id, client_id, params, raw = await self._receive_request(scope, receive)
        except errors.ApiError as error:
            if _body_left_unread(scope["headers"], self.settings.max_body_bytes):
                raise _closing(error) from None
            raise
        rules = self._rules[operation_id]
        document = None if raw is None else rules.check_body(raw)
        handler = self._handlers[operation_id]
        if self._executor is None or scope["method"] == "GET":  # on the loop: no coroutine of its own
            return ascii_json.dumps(_operate(handler, client_id, params, document))
        loop = asyncio.get_running_loop()
        return ascii_json.dumps(
            await loop.run_in_executor(self._executor, _operate, handler, client_id, params, document)
        )

    async def _receive_request(self, scope: Scope, receive: Receive) -> tuple[str, str, dict[str, str], bytes | None]:
        """Operation, client id, path parameters and body (None if the operation has none), checked so far."""
        found = self._route(scope)
        if found is None:
            raise errors.not_found("No such route")
        route, params = found
        method: str = scope["method"]
        operation_id = route.operations.get(method)
        if operation_id is None:
            raise errors.method_not_allowed(method, route.allowed)

        authorization = content_type = content_length = None
        authorization_count = content_type_count = 0
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization, authorization_count = value, authorization_count + 1
            elif name == b"content-type":
                content_type, content_type_count = value, content_type_count + 1
            elif name == b"content-length":
                content_length = value
        client_id = self._auth.check(authorization if authorization_count == 1 else None)

        rules = self._rules[operation_id]
        rules.check_path(params)
        if rules.body is None:
            return operation_id, client_id, params, None
        limit = self.settings.max_body_bytes
        if content_length is not None and content_length.isdigit() and int(content_length) > limit:
            raise errors.payload_too_large(limit)
        if content_type_count != 1 or not rules.accepts_media_type(content_type):
            raise errors.unsupported_media_type()  # two Content-Types: neither is believed
        return operation_id, client_id, params, await self._read_body(receive, limit)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start_background()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, self.stop_background)
                if self._executor is not None:
                    self._executor.shutdown()
                self.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        """The whole body, if it arrives within `body_timeout_seconds` (at once when stopping); else 400."""
        loop = asyncio.get_running_loop()
        deadlines = self._deadlines
        if deadlines is None or deadlines.loop is not loop:
            deadlines = self._deadlines = Deadlines(loop)
        task: asyncio.Task[Any] | None = asyncio.current_task()
        assert task is not None  # an ASGI call runs in a task
        deadlines.start(task, loop.time() + (0.0 if self._stopping else self.settings.body_timeout_seconds))
        try:
            return await _receive_body(receive, limit)
        except asyncio.CancelledError:
            if not deadlines.expired(task):
                raise
        finally:
            deadlines.finish(task)
        if self._stopping:
            raise errors.incomplete_body("The server is stopping; the body did not arrive in full")
        seconds = self.settings.body_timeout_seconds
        raise errors.incomplete_body(f"The body did not arrive in full within {seconds:g} seconds")

    def _route(self, scope: Scope) -> tuple[Route, dict[str, str]] | None:
        raw_path: bytes | None = scope.get("raw_path")  # optional in ASGI
        return self._router.match(scope.get("path", "")) if raw_path is None else self._router.match_raw(raw_path)

    def _template(self, scope: Scope) -> str:
        found = self._route(scope)
        return "(no route)" if found is None else found[0].template


async def _receive_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.payload_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _operate(handler: Handler, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
    """Run the operation (a write on PostgreSQL: on a store thread); 503 when the database fails it."""
    try:
        return handler(client_id, params, body)
    except OutcomeUnknown:
        raise errors.outcome_unknown() from None
    except StoreUnavailable:
        raise errors.service_unavailable() from None


def _body_left_unread(headers: list[tuple[bytes, bytes]], discard_limit: int) -> bool:
    """Whether an answer sent before the body was read must close the connection (RFC 9110 §10.1.1).

    A client that sent `Expect: 100-continue` was never told to send its body, and a chunked or
    oversized body has no bound the server wants to read: the connection is closed after the
    answer. A body with a Content-Length up to `discard_limit` is read and discarded by the server
    (as Go's net/http does), so the connection can serve the next request.
    """
    for name, value in headers:
        if name == b"expect" and value.strip().lower() == b"100-continue":
            return True
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and (not value.strip().isdigit() or int(value) > discard_limit):
            return True
    return False


def _closing(error: errors.ApiError) -> errors.ApiError:
    """The same answer with `Connection: close`."""
    if (b"connection", b"close") in error.headers:
        return error
    headers = (*error.headers, (b"connection", b"close"))
    return errors.ApiError(error.status, error.code, error.message, error.details, headers)


def create_app(settings: Settings, store: Store | None = None, clock: Callable[[], float] = time.time) -> SandboxApp:
    """The sandbox ASGI app for `settings` (opens the store unless one is given)."""
    return SandboxApp(settings, store, clock=clock)
