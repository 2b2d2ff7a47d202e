"""`fail_next`: the next request of an operation fails as the test asks.

The kinds and what the client sees (each answer carries `Preference-Applied: dots-fault=<kind>`, as
the sandbox's own failures on demand do, dots_sandbox/request/faults.py, whose answers these are):

- `refuse` (`status=503` or 429 or another 5xx, `retry_after=` whole seconds): a JSON error answer;
  the request is not carried out.
- `non-json` (`status=502` by default, `body="text"`, `"html"` or `"empty"`): a gateway's answer; not carried out.
- `delay` (`seconds=`, at most 30): carried out at once, its answer sent `seconds` later.
- `lose-answer`: carried out (the change committed), then the connection is closed without any byte
  of an answer, through the front's `close_without_answer` (dots_sandbox/front/app.py). No header:
  there is no answer to carry one.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Any

from dots_sandbox import errors
from dots_sandbox.front.app import Message, Scope, Send, close_without_answer
from dots_sandbox.request import faults as sandbox_faults

LOSE_ANSWER = "lose-answer"
KINDS = (*sandbox_faults.KINDS, LOSE_ANSWER)
_OPTIONS = {
    "refuse": {"status", "retry_after"},
    "non-json": {"status", "body"},
    "delay": {"seconds"},
    LOSE_ANSWER: set(),
}


def fault(kind: str, **options: Any) -> sandbox_faults.Fault | None:
    """The sandbox Fault for `kind` and `options` (None for lose-answer, which has none).

    Raises ValueError for an unknown kind or option, or a value the sandbox's faults refuse.
    """
    if kind not in _OPTIONS:
        raise ValueError(f"fault must be one of {', '.join(KINDS)}, not {kind!r}")
    unknown = set(options) - _OPTIONS[kind]
    if unknown:
        raise ValueError(f"{kind} takes {', '.join(sorted(_OPTIONS[kind])) or 'no options'}, not {sorted(unknown)}")
    if kind == LOSE_ANSWER:
        return None
    if kind == "non-json":
        options.setdefault("status", 502)
    preference = "; ".join(
        [f"{sandbox_faults.PREFERENCE}={kind}"]
        + [f"{name.replace('_', '-')}={value}" for name, value in options.items()]
    )
    try:
        parsed = sandbox_faults.parse(preference)
    except errors.ApiError as error:
        raise ValueError(error.body().decode()) from None
    assert parsed is not None  # the preference is always there
    return parsed


class Pending:
    """Faults waiting for their operation's next request, first asked first applied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, collections.deque[tuple[str, sandbox_faults.Fault | None]]] = {}

    def add(self, operation_id: str, kind: str, planned: sandbox_faults.Fault | None) -> None:
        """Queue `kind` (its Fault, None for lose-answer) for the next request of `operation_id`."""
        with self._lock:
            self._queued.setdefault(operation_id, collections.deque()).append((kind, planned))

    def take(self, operation_id: str | None) -> tuple[str, sandbox_faults.Fault | None] | None:
        """The fault for this request of `operation_id`, removed from the queue, or None."""
        with self._lock:
            queue = self._queued.get(operation_id or "")
            return queue.popleft() if queue else None

    def clear(self) -> None:
        """Forget every pending fault (a reset)."""
        with self._lock:
            self._queued.clear()


async def answer_refused(planned: sandbox_faults.Fault, send: Send) -> int:
    """Send a refuse or non-json answer without carrying the request out; the status sent."""
    status, headers, body = planned.answer()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status


def delayed(send: Send, seconds: float) -> Send:
    """`send`, holding the answer back `seconds` and marking it `Preference-Applied: dots-fault=delay`."""

    async def send_later(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
            message["headers"] = [*message["headers"], (b"preference-applied", b"dots-fault=delay")]
        await send(message)

    return send_later


def losing(scope: Scope, send: Send) -> Send:
    """`send` that closes the connection without an answer when the answer starts (after the commit)."""

    async def lose(message: Message) -> None:
        if message["type"] == "http.response.start":
            close_without_answer(scope)
        await send(message)  # dropped by the front after the close

    return lose
