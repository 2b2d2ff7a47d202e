"""Failures on demand: a request asks the sandbox to fail, through a `Prefer: dots-fault=...` header.

Only while `Settings.faults` is on (`SANDBOX_FAULTS=1` or `--faults`; off by default, so a shared
sandbox cannot be held up or made to break its every-answer-is-JSON rule by its clients). Off,
the header is ignored like any preference the server does not know (RFC 7240 §2). The grammar is
RFC 7240's preference syntax, in the spirit of Prism's `Prefer: code=...`:

    Prefer: dots-fault=refuse; status=503; retry-after=2   # 429 or 5xx, JSON Error body; not carried out
    Prefer: dots-fault=non-json; status=409; body=html     # any status 200-599 but 204/205/304,
                                                           # body text (default), html or empty; not carried out
    Prefer: dots-fault=delay; seconds=1.5                  # carried out at once, answered 1.5 s later (max 30)

A refused or non-JSON answer plays a gateway in front of the API: it is sent before routing and
authentication, and the request is never carried out. A delayed one is carried out normally and
its answer held back, so a client whose read timeout is shorter loses the answer of a request
that took effect (the worst case a payments client must survive). A `dots-fault` the sandbox
cannot read is `400 invalid-input` naming the header, never ignored: a typo must not turn a
test of a refusal into a real create. Applied faults are echoed in `Preference-Applied`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from dots_sandbox import errors

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFERENCE = "dots-fault"
MAX_DELAY_SECONDS = 30.0
MAX_RETRY_AFTER_DIGITS = 6  # up to 999999 seconds: any sane Retry-After, never an unbounded header
KINDS = ("refuse", "non-json", "delay")
BODIES = ("text", "html", "empty")
_NO_BODY_STATUSES = frozenset({204, 205, 304})
_PARAMS = {"refuse": {"status", "retry-after"}, "non-json": {"status", "body"}, "delay": {"seconds"}}


@dataclasses.dataclass(frozen=True, slots=True)
class Fault:
    """One failure asked for: `kind` is refuse, non-json or delay."""

    kind: str
    status: int = 503
    retry_after: str | None = None
    body: str = "text"
    seconds: float = 0.0

    def answer(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, headers and body of a refuse or non-json answer."""
        phrase = _phrase(self.status)
        headers = [(b"preference-applied", f"{PREFERENCE}={self.kind}".encode())]
        if self.kind == "refuse":
            code = phrase.lower().replace(" ", "-").replace("'", "")
            content = json.dumps({"error": f"{phrase} (failure on demand)", "code": code}).encode()
            headers.append((b"content-type", b"application/json"))
            if self.retry_after is not None:
                headers.append((b"retry-after", self.retry_after.encode()))
        elif self.body == "html":
            content = f"<html><body><h1>{self.status} {phrase}</h1><p>failure on demand</p></body></html>\n".encode()
            headers.append((b"content-type", b"text/html; charset=utf-8"))
        elif self.body == "text":
            content = f"{self.status} {phrase} (failure on demand)\n".encode()
            headers.append((b"content-type", b"text/plain; charset=utf-8"))
        else:
            content = b""
        headers.append((b"content-length", str(len(content)).encode()))
        return self.status, headers, content


def parse(value: str) -> Fault | None:
    """The `dots-fault` preference of one `Prefer` header value, or None if it has none.

    Raises `errors.ApiError` (400 invalid-input) for a `dots-fault` that cannot be read.
    """
    for preference in value.split(","):
        name, _, rest = preference.partition("=")
        if name.strip().lower() != PREFERENCE:
            continue
        kind, *params = rest.split(";")
        return _fault(_unquote(kind), params)
    return None


def _fault(kind: str, params: list[str]) -> Fault:
    if kind not in KINDS:
        raise _invalid(f"{PREFERENCE} must be one of {', '.join(KINDS)}, not {kind!r}")
    values: dict[str, str] = {}
    for param in params:
        name, equals, value = param.partition("=")
        name = name.strip().lower()
        if not equals or name not in _PARAMS[kind]:
            raise _invalid(f"{PREFERENCE}={kind} takes {', '.join(sorted(_PARAMS[kind]))}, not {param.strip()!r}")
        values[name] = _unquote(value)
    if kind == "delay":
        return Fault(kind, seconds=_seconds(values.get("seconds", "1")))
    status = _status(values.get("status", "503"), refuse=kind == "refuse")
    if kind == "refuse":
        retry_after = values.get("retry-after")
        if retry_after is not None and not (retry_after.isdigit() and len(retry_after) <= MAX_RETRY_AFTER_DIGITS):
            raise _invalid(f"retry-after must be whole seconds (at most {MAX_RETRY_AFTER_DIGITS} digits)")
        return Fault(kind, status=status, retry_after=retry_after)
    body = values.get("body", "text")
    if body not in BODIES:
        raise _invalid(f"body must be one of {', '.join(BODIES)}, not {body!r}")
    return Fault(kind, status=status, body=body)


def _status(value: str, *, refuse: bool) -> int:
    status = int(value) if value.isdigit() and len(value) == 3 else 0
    if refuse and not (status == 429 or 500 <= status <= 599):
        raise _invalid(f"refuse takes status 429 or 500-599, not {value!r}")
    if not refuse and not (200 <= status <= 599 and status not in _NO_BODY_STATUSES):
        raise _invalid(f"non-json takes a status 200-599 that has a body (not 204, 205, 304), not {value!r}")
    return status


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):  # NaN fails too
        raise _invalid(f"seconds must be a number >= 0, not {value!r}")
    return min(seconds, MAX_DELAY_SECONDS)


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _invalid(message: str) -> errors.ApiError:
    return errors.invalid_input([("header.Prefer", message)])


def _find(scope: Scope) -> Fault | None:
    for name, value in scope["headers"]:
        if name == b"prefer":
            fault = parse(value.decode("latin-1"))
            if fault is not None:  # RFC 7240 §2: the first instance of a preference counts
                return fault
    return None


async def handle(scope: Scope, receive: Receive, send: Send, app: App) -> None:
    """Serve one HTTP request: as its `dots-fault` asks, or by `app` when it asks for none."""
    try:
        fault = _find(scope)
    except errors.ApiError as error:
        await _send(send, error.status, [(b"content-type", b"application/json")], error.body())
        return
    if fault is None:
        await app(scope, receive, send)
    elif fault.kind == "delay":
        await app(scope, receive, _delayed(send, fault.seconds))
    else:
        await _send(send, *fault.answer())


def _delayed(send: Send, seconds: float) -> Send:
    async def send_later(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
            message["headers"] = [*message["headers"], (b"preference-applied", f"{PREFERENCE}=delay".encode())]
        await send(message)

    return send_later


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    if not any(name == b"content-length" for name, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
