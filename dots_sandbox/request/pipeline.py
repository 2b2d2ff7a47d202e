"""The request path as a plain ASGI application, `SandboxApp` (dots_sandbox/sandbox.py builds it).

No framework router: the routes, the validators and the handlers are all fixed at start-up from
openapi.yaml, so a request costs one regex match (more only when its path has %-escapes), the
checks below and one store call, on the event loop or on a store thread as the operation's
declared store access says (dots_sandbox/request/operations.py).

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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from dots_sandbox import ascii_json, errors
from dots_sandbox.front.app import Receive, Scope, Send
from dots_sandbox.request import faults
from dots_sandbox.request.auth import BasicAuth
from dots_sandbox.request.deadlines import Deadlines
from dots_sandbox.request.operations import Handler, Operation
from dots_sandbox.request.routing import Route, Router
from dots_sandbox.request.validation import OperationRules
from dots_sandbox.settings import Settings
from dots_sandbox.store import OutcomeUnknown, StoreRefused

logger = logging.getLogger("dots_sandbox")

_JSON_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", b"application/json"),)


class _Disconnected(Exception):
    """The client went away before sending its whole body."""


class Lifespan(Protocol):
    """What the app starts and stops with the server (ASGI lifespan): the background path and the store."""

    def start_background(self) -> None:
        """Start settling and delivering (lifespan startup)."""

    def close(self) -> None:
        """Stop the background path and close the store (lifespan shutdown; blocks until done)."""


class SandboxApp:
    """The ASGI application: a `FrontApp` (dots_sandbox/front/app.py).

    `operations` maps each operationId to its handler and where it runs, `rules` to its
    validators; `store_threads` threads run the operations that do not run on the loop.
    Lifespan startup and shutdown call `lifespan`; without a lifespan (in-process tests) nothing
    runs in the background.
    """

    def __init__(
        self,
        settings: Settings,
        router: Router,
        rules: Mapping[str, OperationRules],
        operations: Mapping[str, Operation],
        *,
        store_threads: int,
        lifespan: Lifespan,
    ) -> None:
        self.settings = settings
        self._auth = BasicAuth(settings.client_id, settings.api_key)
        self._router = router
        self._rules = rules
        self._operations = operations
        self._lifespan_hooks = lifespan
        self._executor = (
            concurrent.futures.ThreadPoolExecutor(store_threads, thread_name_prefix="dots-store")
            if store_threads > 0
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
        operation = self._operations[operation_id]
        if operation.on_loop or self._executor is None:  # on the loop: no coroutine of its own
            return ascii_json.dumps(_operate(operation.handler, client_id, params, document))
        loop = asyncio.get_running_loop()
        return ascii_json.dumps(
            await loop.run_in_executor(self._executor, _operate, operation.handler, client_id, params, document)
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
                self._lifespan_hooks.start_background()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._executor is not None:
                    self._executor.shutdown()
                await asyncio.get_running_loop().run_in_executor(None, self._lifespan_hooks.close)
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
    except OutcomeUnknown:  # the change may have been made: the answer says so
        raise errors.outcome_unknown() from None
    except StoreRefused:  # unavailable, busy or a storage fault: nothing changed, 503
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
