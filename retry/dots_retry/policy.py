"""The retry policy: which failures are retried for which operation, and how long to wait.

Data (`RetryPolicy`) plus two functions (`should_retry`, `sleep_seconds`), in the manner of
stripe-python's `_should_retry` / `_sleep_time_seconds`; tenacity does the looping
(`dots_retry.operations`). An attempt ends in an *outcome*: the `Response` the server sent, or
the exception httpx raised.

The one question behind every rule: may the server have acted on the request?
- never sent (connect error, connect or pool timeout): no, so every operation is retried;
- refused (`429`, or `503` with `Retry-After`): no, the server says it did not act (RFC 9110
  §15.6.4, RFC 6585 §4), so every operation is retried, create included;
- ambiguous (read or write timeout, connection closed or reset after sending, any other `5xx`):
  maybe. Retrieve is safe to repeat; confirm is repeated and a `409` that follows is reconciled;
  create is never repeated, as Dots has no idempotency key for payment intents and a second
  create can be a second charge.
"""

from __future__ import annotations

import dataclasses
import email.utils
import enum
import random
import time
from typing import Any

import httpx
from dots_client.errors import UnexpectedStatus
from dots_client.types import Response, status_of

Outcome = Response[Any] | BaseException

# Raised before a byte of the request left this process.
_NEVER_SENT: tuple[type[httpx.TransportError], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Raised once the request was (perhaps partly) written and before its answer was read in full.
_AFTER_SENDING: tuple[type[httpx.TransportError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
    httpx.RemoteProtocolError,
)


class Operation(enum.Enum):
    """The Dots operations, by what repeating them does."""

    CREATE = "create"  # not idempotent: a repeat is a second intent, perhaps a second charge
    RETRIEVE = "retrieve"  # safe
    CONFIRM = "confirm"  # a repeat is answered 409 once the first one acted: reconciled by a retrieve


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and how long, one call may take.

    - `max_attempts`: requests sent for one call, the first included (1: no retries).
    - `max_elapsed_seconds`: no retry starts, and no wait ends, later than this many seconds after
      the first attempt started; the attempt in flight then is bounded by the client's timeouts, so
      a call takes at most about `max_elapsed_seconds` + one request's timeouts (a confirm's
      reconciling retrieve shares that budget and is sent at least once: + two requests' timeouts).
    - `backoff_initial_seconds`, `backoff_max_seconds`: the wait before retry n (n = 1, 2, ...) is
      drawn uniformly from 0 to min(max, initial * 2^(n-1)) ("full jitter", AWS Architecture Blog,
      "Exponential Backoff And Jitter").
    - `retry_after_max_seconds`: a `Retry-After` answer (seconds or an HTTP date, RFC 9110 §10.2.3)
      is honoured up to this many seconds, and replaces the backoff.
    """

    max_attempts: int = 4
    max_elapsed_seconds: float = 20.0
    backoff_initial_seconds: float = 0.25
    backoff_max_seconds: float = 4.0
    retry_after_max_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        seconds = ("max_elapsed_seconds", "backoff_initial_seconds", "backoff_max_seconds", "retry_after_max_seconds")
        for name in seconds:
            if not getattr(self, name) >= 0:  # NaN fails too
                raise ValueError(f"{name} must be a number of seconds >= 0, not {getattr(self, name)!r}")


DEFAULT_POLICY = RetryPolicy()


def answer_of(outcome: Outcome) -> Outcome:
    """`outcome`, or for an `UnexpectedStatus` (a client made with `raise_on_unexpected_status=True`)
    the answer it was raised for: every rule judges that answer, so the client's setting never turns
    a refusal into a final error or a 5xx into one that is not reconciled."""
    if isinstance(outcome, UnexpectedStatus):
        return Response(
            status_code=status_of(outcome.status_code), content=outcome.content, headers=outcome.headers, parsed=None
        )
    return outcome


def should_retry(operation: Operation, outcome: Outcome) -> bool:
    """Whether an attempt of `operation` that ended in `outcome` is worth another (budget permitting)."""
    outcome = answer_of(outcome)
    if isinstance(outcome, _NEVER_SENT) or refused(outcome):
        return True
    return operation is not Operation.CREATE and may_have_acted(outcome)


def sleep_seconds(policy: RetryPolicy, retry_number: int, outcome: Outcome) -> float:
    """Seconds to wait before retry `retry_number` (1 for the first retry) after `outcome`."""
    retry_after = retry_after_seconds(outcome)
    if retry_after is not None:
        return min(retry_after, policy.retry_after_max_seconds)
    # The exponent is capped: 2.0 ** 1024 overflows a float, and 2 ** 64 times any initial wait is past any cap.
    ceiling = min(policy.backoff_max_seconds, policy.backoff_initial_seconds * 2.0 ** min(retry_number - 1, 64))
    return random.uniform(0.0, ceiling)  # noqa: S311 - jitter spreads clients out; it guards no secret


def refused(outcome: Outcome) -> bool:
    """`429`, or `503` with `Retry-After`: the server says it did not act on the request."""
    outcome = answer_of(outcome)
    if not isinstance(outcome, Response):
        return False
    return outcome.status_code == 429 or (outcome.status_code == 503 and "retry-after" in outcome.headers)


def may_have_acted(outcome: Outcome) -> bool:
    """Whether the server may have carried out a request that ended in `outcome` without saying so.

    True for an exception raised after sending and for a `5xx` other than a refusal; a documented
    answer (`2xx`, `4xx`) says what happened, and `never sent` / `refused` say nothing did.
    """
    outcome = answer_of(outcome)
    if isinstance(outcome, Response):
        return outcome.status_code >= 500 and not refused(outcome)
    return isinstance(outcome, _AFTER_SENDING)


def retry_after_seconds(outcome: Outcome) -> float | None:
    """The `Retry-After` of a response in seconds (delay-seconds or HTTP-date), or None if absent or unreadable."""
    outcome = answer_of(outcome)
    if not isinstance(outcome, Response):
        return None
    value = outcome.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    # RFC 9110 §10.2.3: delay-seconds is 1*DIGIT, ASCII only; str.isdigit() alone also accepts
    # "²" (which float() refuses) and other scripts' digits.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may parse without a zone
        return None
    return max(0.0, when.timestamp() - time.time())


def describe(outcome: Outcome) -> str:
    """A short account of an outcome for logs: the status or the exception's type, never URLs or headers."""
    outcome = answer_of(outcome)
    if isinstance(outcome, Response):
        return f"HTTP {int(outcome.status_code)}"
    return type(outcome).__name__
