"""The retry policy: which failures are retried for which operation, and how long to wait.

Data (`RetryPolicy`) plus two functions (`should_retry`, `sleep_seconds`), in the manner of
stripe-python's `_should_retry` / `_sleep_time_seconds`; tenacity does the looping
(`dots_client._retrying`). An attempt ends in an *outcome*: the `Response` the server sent, or
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
import importlib
import random
import time
from typing import Any

import httpx
from dots_client._response import Call
from dots_client.types import Response

Outcome = Response[Any] | BaseException

# Raised before a byte of the request left this process.
NEVER_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
)
# Raised once the request was (perhaps partly) written and before its answer was read in full.
_AFTER_SENDING: tuple[type[httpx.TransportError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
    httpx.RemoteProtocolError,
)
# Only these are retried as "never sent": a bad URL or scheme fails the same way every time.
_TRANSIENT_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Operation(enum.Enum):
    """The operations, by what repeating them does."""

    CREATE = "create"  # not idempotent: a repeat is a second intent, perhaps a second charge
    RETRIEVE = "retrieve"  # safe
    CONFIRM = "confirm"  # a repeat is answered 409 once the first one acted: reconciled by a retrieve


# Each operation of the spec by its operationId. One the table does not name (a new one) is judged
# by its method: GET is safe to repeat, anything else is treated as a create (never sent twice
# once it may have acted), so forgetting a row can cost a retry, never a second charge.
OPERATIONS: dict[str, Operation] = {
    "create_payment_intent": Operation.CREATE,
    "retrieve_payment_intent": Operation.RETRIEVE,
    "confirm_payment_intent": Operation.CONFIRM,
}


# The operations whose lost or ambiguous answer is reconciled, each with what reads its result: the
# operationId of the retrieve, given the same path parameters. dots_client._retrying.confirm does it.
RECONCILED_BY: dict[str, str] = {"confirm_payment_intent": "retrieve_payment_intent"}


def reconciler_of(call: Call[Any]) -> Call[Any] | None:
    """The retrieve `Call` that reconciles `call` (its operation in `RECONCILED_BY`), or None."""
    name = RECONCILED_BY.get(call.operation_id)
    if name is None:
        return None
    # The retrieve's module beside the call's own (`dots_client.api.<tag>.<operation>`).
    package = call.build.__module__.rpartition(".")[0]
    module: Any = importlib.import_module(f"{package}.{name}")
    return Call(
        name, "get", module._get_kwargs(*call.path), module._build_response, module._undecodable, object, call.path
    )


def operation_of(operation_id: str, method: str) -> Operation:
    """How the operation `operation_id` (HTTP `method`) is retried: its row in `OPERATIONS`, else by method."""
    found = OPERATIONS.get(operation_id)
    if found is not None:
        return found
    return Operation.RETRIEVE if method.upper() in {"GET", "HEAD"} else Operation.CREATE


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and how long, one call may take.

    - `max_retries`: requests sent after the first for one call (0: no retries); a confirm's
      reconciling retrieve is not one of them.
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

    max_retries: int = 3
    max_elapsed_seconds: float = 20.0
    backoff_initial_seconds: float = 0.25
    backoff_max_seconds: float = 4.0
    retry_after_max_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0, not {self.max_retries!r}")
        seconds = ("max_elapsed_seconds", "backoff_initial_seconds", "backoff_max_seconds", "retry_after_max_seconds")
        for name in seconds:
            if not getattr(self, name) >= 0:  # NaN fails too
                raise ValueError(f"{name} must be a number of seconds >= 0, not {getattr(self, name)!r}")

    @property
    def max_attempts(self) -> int:
        """Requests sent for one call at most, the first included."""
        return self.max_retries + 1


DEFAULT_POLICY = RetryPolicy()


def should_retry(operation: Operation, outcome: Outcome) -> bool:
    """Whether an attempt of `operation` that ended in `outcome` is worth another (budget permitting)."""
    if isinstance(outcome, _TRANSIENT_NEVER_SENT) or refused(outcome):
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
    if not isinstance(outcome, Response):
        return False
    return outcome.status_code == 429 or (outcome.status_code == 503 and "retry-after" in outcome.headers)


def may_have_acted(outcome: Outcome) -> bool:
    """Whether the server may have carried out a request that ended in `outcome` without saying so.

    True for an exception raised after sending and for a `5xx` other than a refusal; a documented
    answer (`2xx`, `4xx`) says what happened, and `never sent` / `refused` say nothing did.
    """
    if isinstance(outcome, Response):
        return outcome.status_code >= 500 and not refused(outcome)
    return isinstance(outcome, _AFTER_SENDING)


def retry_after_seconds(outcome: Outcome) -> float | None:
    """The `Retry-After` of a response in seconds (delay-seconds or HTTP-date), or None if absent or unreadable.

    Never raises: CPython's `parsedate_to_datetime` raises OverflowError for a year past 9999
    (`Fri, 01 Jan 99999999999 00:00:00 GMT`), which reads as unreadable like any other bad date.
    """
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
        if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may parse without a zone
            return None
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def describe(outcome: Outcome) -> str:
    """A short account of an outcome for logs: the status or the exception's type, never URLs or headers."""
    if isinstance(outcome, Response):
        return f"HTTP {int(outcome.status_code)}"
    return type(outcome).__name__
