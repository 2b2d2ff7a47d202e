"""`fail_next`: the next request of an operation fails as the test asks.

The kinds and what the client sees (each answer carries `Preference-Applied: dots-fault=<kind>`, as
the sandbox's own failures on demand do, dots_sandbox/request/faults.py, whose answers these are):

- `refuse` (`status=503` or 429 or another 5xx, `retry_after=` whole seconds): a JSON error answer;
  the request is not carried out.
- `non-json` (`status=502` by default, `body="text"`, `"html"` or `"empty"`): a gateway's answer; not carried out.
- `delay` (`seconds=`, at most MAX_DELAY_SECONDS, 30: refused beyond, never capped): carried out at
  once, its answer sent `seconds` later.
- `lose-answer`: carried out (the change committed), then the connection is closed without any byte
  of an answer, through the front's `close_without_answer` (dots_sandbox/front/app.py). No header:
  there is no answer to carry one.

The Fault values are built by the sandbox's own constructor (`dots_sandbox.request.faults.build`,
which its `Prefer` parser calls too) from the test's Python values: nothing is encoded into the
header's grammar and read back.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Literal, get_args

from dots_sandbox.front.app import Message, Scope, Send, close_without_answer
from dots_sandbox.request import faults as sandbox_faults
from dots_testing.preparations import Preparation

MAX_DELAY_SECONDS = sandbox_faults.MAX_DELAY_SECONDS
LOSE_ANSWER = "lose-answer"
FaultKind = Literal["refuse", "non-json", "delay", "lose-answer"]
KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
# The kit's one default of its own: a gateway's non-JSON answer is most often a 502.
NON_JSON_STATUS = 502


def fault(kind: str, **options: object) -> sandbox_faults.Fault | None:
    """The sandbox Fault for `kind` and `options` (None for lose-answer, which has none).

    Raises ValueError (plain text, naming the valid kinds or options) for an unknown kind or
    option, or a value the sandbox's faults refuse (a delay beyond MAX_DELAY_SECONDS among them).
    """
    if kind == LOSE_ANSWER:
        if options:
            raise ValueError(f"lose-answer takes no options, not {', '.join(sorted(options))}")
        return None
    if kind not in KINDS:
        raise ValueError(f"fault must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "non-json":
        options.setdefault("status", NON_JSON_STATUS)
    return sandbox_faults.build(kind, **options)


class Pending:
    """Faults waiting for their operation's next request, first asked first applied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, collections.deque[tuple[str, sandbox_faults.Fault | None, Preparation]]] = {}

    def add(self, operation_id: str, kind: str, planned: sandbox_faults.Fault | None, preparation: Preparation) -> None:
        """Queue `kind` (its Fault, None for lose-answer) for the next request of `operation_id`;
        `preparation` is marked used when a request takes it."""
        with self._lock:
            self._queued.setdefault(operation_id, collections.deque()).append((kind, planned, preparation))

    def take(self, operation_id: str | None) -> tuple[str, sandbox_faults.Fault | None] | None:
        """The fault for this request of `operation_id`, removed from the queue (its preparation used), or None."""
        with self._lock:
            queue = self._queued.get(operation_id or "")
            if not queue:
                return None
            kind, planned, preparation = queue.popleft()
        preparation.use()
        return kind, planned

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
