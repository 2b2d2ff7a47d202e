"""The kit's own routes, for tests in any language: the controls of `TestSandbox` over HTTP.

Served by a test sandbox (`dots_testing.running()`, the fixtures, `python -m dots_testing`) beside the
sandbox's control routes (`/api/sandbox/...`: complete-action, settle, webhook-events), behind the same
HTTP Basic credentials; every answer is JSON:

- `POST /api/sandbox/fail-next` `{"operation_id": ..., "fault": ..., "options": {...}}` → `204`;
  `400 invalid-input` for an operation, fault or option `fail_next` refuses.
- `GET /api/sandbox/requests[?operation_id=...]` → `{"data": [request, ...]}`, oldest first, each with
  `operation_id`, `method`, `path`, `status`, `committed` and `fault` as `requests()` gives them;
  `400 invalid-input` for an operation id the spec does not have.
- `POST /api/sandbox/reset` → `204`: a fresh, empty state; requests in flight finish on the old state.
- `POST /api/sandbox/advance` `{"seconds": N}` → `204` once the clock moved (`advance`); `400
  invalid-input` for seconds that are not a number from 0 to a century (in all, since the last reset).
- `POST /api/sandbox/disturb-webhooks` `{"kind": ..., "options": {...}, "optional": false}` → `204`
  (`disturb_webhooks`); `400 invalid-input` for a kind or option it refuses. Over HTTP no fixture
  checks for unused disturbances: `reset` forgets them.
- `POST /api/sandbox/resend-webhook` `{"svix_id": "msg_..."}` → `204` (`resend_webhook`); `404
  not-found` for an event the sandbox does not know.

`reset`, `advance` and `resend-webhook` run on a thread of their own, never on the server's event
loop, where they would hold up other requests: building a fresh sandbox takes milliseconds, and the
other two wait for webhook attempts in flight to be recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from dots_sandbox import errors
from dots_sandbox.front.app import Receive, Scope, Send
from dots_sandbox.request.auth import BasicAuth
from dots_testing.journal import Received

PREFIX = "/api/sandbox/"
MAX_BODY_BYTES = 64 * 1024
_ROUTES = {
    ("POST", "fail-next"),
    ("GET", "requests"),
    ("POST", "reset"),
    ("POST", "advance"),
    ("POST", "disturb-webhooks"),
    ("POST", "resend-webhook"),
}
# Routes whose control takes milliseconds or waits (a fresh sandbox; webhook attempts in flight): on a
# thread, off the event loop, where other requests would wait for it.
_OFF_LOOP = {"reset", "advance", "resend-webhook"}


class Controls(Protocol):
    """What the routes need of a test sandbox (`dots_testing.kit.TestSandbox` is one): its credentials and
    the controls they serve, so the routes depend on these names, not on the kit."""

    @property
    def client_id(self) -> str:
        """The HTTP Basic user name the routes accept."""
        ...

    @property
    def api_key(self) -> str:
        """The HTTP Basic password the routes accept."""
        ...

    @property
    def fail_next(self) -> Callable[..., None]:
        """Queue a fault: (operation_id, fault, **options); ValueError for an unknown operation, fault or option.
        (Typed loosely: the kit types each fault's options with overloads, and the routes pass on JSON.)"""
        ...

    def requests(self, operation_id: Any = None) -> Sequence[Received]:
        """What was received since the reset, oldest first."""
        ...

    def reset(self) -> None:
        """A fresh, empty state."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the lifecycle's clock; TypeError or ValueError for seconds that are not a finite number >= 0."""
        ...

    @property
    def disturb_webhooks(self) -> Callable[..., None]:
        """Plan a disturbance: (kind, *, optional=False, **options); ValueError or TypeError for what it refuses.
        (Typed loosely: the kit types `kind` as a Literal, and the routes pass on JSON.)"""
        ...

    def resend_webhook(self, svix_id: str) -> None:
        """Send an event again; LookupError for an unknown one, TypeError for a non-str."""
        ...


def is_kit_route(scope: Scope) -> bool:
    """Whether this HTTP request is for one of the kit's routes (any other goes to the sandbox)."""
    path: str = scope["path"]
    return path.startswith(PREFIX) and (scope["method"], path[len(PREFIX) :]) in _ROUTES


async def serve(kit: Controls, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one request for a kit route (is_kit_route is true)."""
    try:
        BasicAuth(kit.client_id, kit.api_key).check(
            next((value for name, value in scope["headers"] if name == b"authorization"), None)
        )
        body = await _body(receive)
        if scope["path"][len(PREFIX) :] in _OFF_LOOP:
            status, answer = await asyncio.to_thread(_dispatch, kit, scope, body)
        else:
            status, answer = _dispatch(kit, scope, body)
        await _send(send, status, answer, ())
    except errors.ApiError as error:
        await _send(send, error.status, error.body(), error.headers)


def _dispatch(kit: Controls, scope: Scope, body: bytes) -> tuple[int, bytes]:
    route = scope["path"][len(PREFIX) :]
    if route == "requests":
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        operation_id: Any = query.get("operation_id", [None])[0]
        try:
            entries = kit.requests(operation_id)
        except ValueError as error:
            raise errors.invalid_input([("query.operation_id", str(error))]) from None
        data = [dataclasses.asdict(entry) for entry in entries]
        return 200, json.dumps({"data": data}).encode()
    if route == "reset":
        kit.reset()
        return 204, b""
    if route == "advance":
        document = _object(body, ("seconds",))
        seconds: Any = document.get("seconds")  # checked by advance
        _refusing(lambda: kit.advance(seconds))
        return 204, b""
    if route == "disturb-webhooks":
        document = _object(body, ("kind", "options", "optional"))
        options = document.get("options", {})
        if not isinstance(options, dict):
            raise errors.invalid_input([("body.options", "must be an object")])
        optional = document.get("optional", False)
        if not isinstance(optional, bool):
            raise errors.invalid_input([("body.optional", "must be true or false")])
        _refusing(lambda: kit.disturb_webhooks(str(document.get("kind")), optional=optional, **options))
        return 204, b""
    if route == "resend-webhook":
        document = _object(body, ("svix_id",))
        svix_id: Any = document.get("svix_id")  # checked by resend_webhook
        try:
            _refusing(lambda: kit.resend_webhook(svix_id))
        except LookupError as error:
            raise errors.not_found(str(error)) from None
        return 204, b""
    return _fail_next(kit.fail_next, body)


def _object(body: bytes, names: tuple[str, ...]) -> dict[str, Any]:
    """The body as a JSON object of (some of) `names`; 400 invalid-input otherwise."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise errors.invalid_input([("body", "must be JSON")]) from None
    if not isinstance(document, dict) or set(document) - set(names):
        raise errors.invalid_input([("body", f"must be an object of {', '.join(names)}")])
    return document


def _refusing(control: Callable[[], None]) -> None:
    """Run a control; its ValueError or TypeError (a value it refuses) is 400 invalid-input."""
    try:
        control()
    except (ValueError, TypeError) as error:
        raise errors.invalid_input([("body", str(error))]) from None


def _fail_next(fail_next: Callable[..., None], body: bytes) -> tuple[int, bytes]:
    try:
        document = json.loads(body)
    except ValueError:
        raise errors.invalid_input([("body", "must be JSON")]) from None
    if not isinstance(document, dict) or set(document) - {"operation_id", "fault", "options"}:
        raise errors.invalid_input([("body", "must be an object of operation_id, fault and options")])
    options: Any = document.get("options", {})
    if not isinstance(options, dict):
        raise errors.invalid_input([("body.options", "must be an object")])
    try:
        fail_next(str(document.get("operation_id")), str(document.get("fault")), **options)
    except ValueError as error:
        raise errors.invalid_input([("body", str(error))]) from None
    return 204, b""


async def _body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise errors.payload_too_large(MAX_BODY_BYTES)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, headers: tuple[tuple[bytes, bytes], ...]) -> None:
    head = [*headers, (b"content-length", str(len(body)).encode())]
    if body:
        head.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
