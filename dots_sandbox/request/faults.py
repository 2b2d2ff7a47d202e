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
test of a refusal into a real create; so is a delay beyond MAX_DELAY_SECONDS, refused rather than
capped (a capped delay would silently test something else than the test asked for). Applied faults
are echoed in `Preference-Applied`.

Faults are values: `build(kind, **options)` is the one constructor, called by this header's parser
with the options it read (text turned into numbers) and by the test kit's `fail_next`
(dots_testing/faults.py) with the test's own Python values, so no option is encoded into the
header's grammar and read back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal, get_args

from dots_sandbox import errors

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFERENCE = "dots-fault"
MAX_DELAY_SECONDS = 30.0
MAX_RETRY_AFTER_DIGITS = 6  # up to 999999 seconds: any sane Retry-After, never an unbounded header
FaultKind = Literal["refuse", "non-json", "delay"]
FaultBody = Literal["text", "html", "empty"]
KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
BODIES: tuple[FaultBody, ...] = get_args(FaultBody)
# What each kind takes, as Python keyword names (the header spells `retry_after` as `retry-after`).
OPTIONS: dict[str, tuple[str, ...]] = {
    "refuse": ("retry_after", "status"),
    "non-json": ("body", "status"),
    "delay": ("seconds",),
}
DEFAULT_STATUS = 503
DEFAULT_DELAY_SECONDS = 1.0
_NO_BODY_STATUSES = frozenset({204, 205, 304})


class FaultError(ValueError):
    """A fault that cannot be built: the message is plain text naming what is accepted."""


@dataclasses.dataclass(frozen=True, slots=True)
class Fault:
    """One failure asked for: `kind` is refuse, non-json or delay."""

    kind: FaultKind
    status: int = DEFAULT_STATUS
    retry_after: int | None = None
    body: FaultBody = "text"
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
                headers.append((b"retry-after", str(self.retry_after).encode()))
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


def build(kind: str, **options: object) -> Fault:
    """The Fault of `kind` (one of KINDS) with `options`, each checked; the one constructor of a Fault.

    Options by kind (OPTIONS): refuse takes `status` (int: 429 or 500-599; default 503) and
    `retry_after` (int: whole seconds, 0 to 999999; default none: no `Retry-After`); non-json takes
    `status` (int: 200-599 but 204, 205, 304; default 503) and `body` ("text", "html" or "empty");
    delay takes `seconds` (a number from 0 to MAX_DELAY_SECONDS; default 1). Raises FaultError (a
    ValueError) for an unknown kind or option, or a value out of range: never capped, never ignored.
    """
    if kind not in OPTIONS:
        raise FaultError(f"fault must be one of {', '.join(KINDS)}, not {kind!r}")
    unknown = sorted(set(options) - set(OPTIONS[kind]))
    if unknown:
        raise FaultError(f"{kind} takes {', '.join(OPTIONS[kind])}, not {', '.join(unknown)}")
    if kind == "delay":
        return Fault("delay", seconds=_seconds(options.get("seconds", DEFAULT_DELAY_SECONDS)))
    status = _status(options.get("status", DEFAULT_STATUS), refuse=kind == "refuse")
    if kind == "refuse":
        return Fault("refuse", status=status, retry_after=_retry_after(options.get("retry_after")))
    body = options.get("body", "text")
    if body not in BODIES:
        raise FaultError(f"body must be one of {', '.join(BODIES)}, not {body!r}")
    return Fault("non-json", status=status, body=body)


def parse(value: str) -> Fault | None:
    """The `dots-fault` preference of one `Prefer` header value, or None if it has none.

    Raises `errors.ApiError` (400 invalid-input on `header.Prefer`) for a `dots-fault` that cannot be
    read, or that `build` refuses (a delay beyond MAX_DELAY_SECONDS among them).
    """
    for preference in value.split(","):
        name, _, rest = preference.partition("=")
        if name.strip().lower() != PREFERENCE:
            continue
        kind, *params = rest.split(";")
        try:
            return build(_unquote(kind), **_read_params(_unquote(kind), params))
        except FaultError as error:
            raise _invalid(f"{PREFERENCE}: {error}") from None
    return None


def _read_params(kind: str, params: list[str]) -> dict[str, object]:
    """The header's parameters as `build`'s options: names in Python's spelling, numbers as numbers."""
    accepted = {name.replace("_", "-") for name in OPTIONS.get(kind, ())}
    options: dict[str, object] = {}
    for param in params:
        name, equals, text = param.partition("=")
        name, text = name.strip().lower(), _unquote(text)
        if not equals or (kind in OPTIONS and name not in accepted):
            raise FaultError(f"{kind} takes {', '.join(sorted(accepted))}, not {param.strip()!r}")
        options[name.replace("-", "_")] = _number(name, text)
    return options


def _number(name: str, text: str) -> object:
    """A header parameter's value: status and retry-after as whole numbers, seconds as a float, body as text."""
    if name in ("status", "retry-after"):
        return int(text) if text.isdigit() and len(text) <= MAX_RETRY_AFTER_DIGITS else text
    if name == "seconds":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _status(value: object, *, refuse: bool) -> int:
    status = value if isinstance(value, int) and not isinstance(value, bool) else 0
    if refuse and not (status == 429 or 500 <= status <= 599):
        raise FaultError(f"refuse takes status 429 or 500-599, not {value!r}")
    if not refuse and not (200 <= status <= 599 and status not in _NO_BODY_STATUSES):
        raise FaultError(f"non-json takes a status 200-599 that has a body (not 204, 205, 304), not {value!r}")
    return status


def _retry_after(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**MAX_RETRY_AFTER_DIGITS:
        raise FaultError(f"retry-after must be whole seconds (at most {MAX_RETRY_AFTER_DIGITS} digits), not {value!r}")
    return value


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):  # NaN too
        raise FaultError(f"seconds must be a number >= 0, not {value!r}")
    if value > MAX_DELAY_SECONDS:
        raise FaultError(
            f"seconds must be at most {MAX_DELAY_SECONDS:g} (the sandbox's bound on a delay), not {value!r}"
        )
    return float(value)


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
