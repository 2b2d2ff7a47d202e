"""The retry loop (tenacity) and a confirm's reconciliation, sync and async, over the low-level functions.

`call` sends one operation under a `RetryPolicy` (`dots_client._policy`). `confirm` adds the
reconciliation: when an earlier attempt may have acted (its answer was lost, or was a `5xx`), a
`409 payment-intent-already-confirmed`, or giving up, is checked with a retrieve, so that a confirm
that went through is reported as one. Each retry is logged on the `dots_client` logger at DEBUG
with the operation, the attempt, the status or exception type and the wait: never a URL (it may
carry credentials), a header or a body.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from dots_client._policy import (
    Operation,
    Outcome,
    RetryPolicy,
    describe,
    may_have_acted,
    refused,
    should_retry,
    sleep_seconds,
)
from dots_client._response import Call
from dots_client.errors import ConfirmOutcomeUnknown
from dots_client.models import Error, PaymentIntent
from dots_client.types import Response
from tenacity import AsyncRetrying, RetryCallState, Retrying, stop_after_attempt
from tenacity.stop import stop_base

logger = logging.getLogger("dots_client")

ALREADY_CONFIRMED = "payment-intent-already-confirmed"
# The statuses a confirm leads to (openapi.yaml, confirm's "Decision (outcome)"), plus
# `requires_capture` (a confirm with manual capture, in Dots' list). A status outside this set,
# one this client does not know included, never counts as this call's confirm.
CONFIRMED_STATUSES = frozenset({"succeeded", "failed", "processing", "requires_action", "requires_capture"})

R = TypeVar("R", bound=Response[Any])
Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """What a call ended with: the `response` read (a confirm's last answer, or its reconciling
    retrieve's `200`), the requests of the operation sent (`attempts`; a reconciling retrieve is not
    one), and whether a lost or ambiguous confirm answer was `reconciled`."""

    response: Response[Any]
    attempts: int
    reconciled: bool = False


class Tally:
    """Attempts sent so far, and whether any may have acted."""

    __slots__ = ("attempts", "may_have_acted")

    def __init__(self) -> None:
        self.attempts = 0
        self.may_have_acted = False

    def record(self, outcome: Outcome) -> None:
        self.attempts += 1
        if may_have_acted(outcome):
            self.may_have_acted = True


def counted(send: Callable[[], R], tally: Tally) -> Callable[[], R]:
    """`send`, recording each outcome in `tally`."""

    def attempt() -> R:
        try:
            response = send()
        except Exception as error:
            tally.record(error)
            raise
        tally.record(response)
        return response

    return attempt


def counted_async(send: Callable[[], Awaitable[R]], tally: Tally) -> Callable[[], Awaitable[R]]:
    """`counted` for asyncio."""

    async def attempt() -> R:
        try:
            response = await send()
        except Exception as error:
            tally.record(error)
            raise
        tally.record(response)
        return response

    return attempt


def call(
    policy: RetryPolicy,
    operation: Operation,
    send: Callable[[], R],
    sleep: Sleep,
    *,
    started: float | None = None,
    until: float | None = None,
) -> R:
    """`send()` under `policy`: the first attempt directly, any retries by tenacity.

    Returns the last answer; raises the last exception. `started` (a `time.monotonic()`) is when the
    call's budget began, now by default: a confirm's reconciling retrieve retries within the
    confirm's budget. `until` (a `time.monotonic()`, or None) is the call's deadline: no retry
    starts, and no wait ends, after it. An answer that needs no retry (nearly every one) costs no tenacity machinery;
    a retried call gives tenacity the first outcome to replay as its attempt 1.
    """
    started = time.monotonic() if started is None else started
    try:
        response = send()
    except Exception as error:
        if not should_retry(operation, error):
            raise
        first: R | Exception = error
    else:
        if not should_retry(operation, response):
            return response
        first = response
    pending = [first]

    def attempt() -> R:
        return _give_back(pending.pop()) if pending else send()

    return Retrying(sleep=sleep, **_settings(policy, operation, started, until))(attempt)


async def call_async(
    policy: RetryPolicy,
    operation: Operation,
    send: Callable[[], Awaitable[R]],
    sleep: AsyncSleep,
    *,
    started: float | None = None,
    until: float | None = None,
) -> R:
    """`call` for asyncio."""
    started = time.monotonic() if started is None else started
    try:
        response = await send()
    except Exception as error:
        if not should_retry(operation, error):
            raise
        first: R | Exception = error
    else:
        if not should_retry(operation, response):
            return response
        first = response
    pending = [first]

    async def attempt() -> R:
        return _give_back(pending.pop()) if pending else await send()

    return await AsyncRetrying(sleep=sleep, **_settings(policy, operation, started, until))(attempt)


class ConfirmDecision:
    """What a confirm comes to, decided without I/O; `confirm` and `confirm_async` only send and wait.

    1. `attempt(send)` wraps each confirm attempt, counting it (`tally`);
    2. `after_attempts(outcome)`, with what the retried attempts ended in (an answer, or the last
       exception): the `Result` when it stands, None when a retrieve must reconcile it; re-raises
       the exception when no attempt can have acted;
    3. `after_retrieve(found)`, with what the reconciling retrieve ended in: the `Result`, or
       raises `ConfirmOutcomeUnknown`.
    """

    def __init__(self, intent_id: UUID, payment_method_id: UUID) -> None:
        self.intent_id = intent_id
        self.payment_method_id = payment_method_id
        self.tally = Tally()
        self.started = time.monotonic()
        self._outcome: Outcome | None = None

    def after_attempts(self, outcome: Outcome) -> Result | None:
        if isinstance(outcome, BaseException) and not self.tally.may_have_acted:
            raise outcome
        self._outcome = outcome
        if not _needs_reconciling(outcome, self.tally, self.intent_id):
            assert isinstance(outcome, Response)  # an exception is raised above unless an attempt may have acted
            return Result(outcome, self.tally.attempts)
        logger.debug("confirm: %s after an attempt that may have acted; reconciling with a retrieve", describe(outcome))
        return None

    def after_retrieve(self, found: Outcome) -> Result:
        if isinstance(found, BaseException):
            reason = f"the reconciling retrieve failed too ({describe(found)})"
            raise _unknown(self.intent_id, self.tally, reason) from found
        assert self._outcome is not None  # after_attempts came first
        return _reconciled(self.intent_id, self.payment_method_id, self.tally, self._outcome, found)


def confirm(
    policy: RetryPolicy,
    *,
    intent_id: UUID,
    payment_method_id: UUID,
    send: Callable[[], Response[Any]],
    retrieve: Callable[[], Response[Any]],
    sleep: Sleep,
    until: float | None = None,
) -> Result:
    """A confirm (`send`) retried after an ambiguous failure, a lost answer reconciled with `retrieve`.

    Returns the answer (a `200`, or an error answer such as a `409` that stands), or the intent a
    reconciling retrieve found confirmed with `payment_method_id` (`reconciled=True`). Raises
    `ConfirmOutcomeUnknown` when an attempt may have acted and the retrieve cannot tell (the
    deadline `until` passing before it could is one such case); what the attempt raised when
    none can have acted. The decisions are `ConfirmDecision`'s.
    """
    decision = ConfirmDecision(intent_id, payment_method_id)
    started = decision.started
    outcome: Outcome
    try:
        outcome = call(policy, Operation.CONFIRM, counted(send, decision.tally), sleep, started=started, until=until)
    except Exception as error:
        outcome = error
    result = decision.after_attempts(outcome)
    if result is not None:
        return result
    try:
        # The call's budget, not a new one: its first attempt is sent even when the budget is spent.
        found: Outcome = call(policy, Operation.RETRIEVE, retrieve, sleep, started=started, until=until)
    except Exception as error:
        found = error
    return decision.after_retrieve(found)


async def confirm_async(
    policy: RetryPolicy,
    *,
    intent_id: UUID,
    payment_method_id: UUID,
    send: Callable[[], Awaitable[Response[Any]]],
    retrieve: Callable[[], Awaitable[Response[Any]]],
    sleep: AsyncSleep,
    until: float | None = None,
) -> Result:
    """`confirm` for asyncio: the same retries, result and errors (the same `ConfirmDecision`)."""
    decision = ConfirmDecision(intent_id, payment_method_id)
    started = decision.started
    attempt = counted_async(send, decision.tally)
    outcome: Outcome
    try:
        outcome = await call_async(policy, Operation.CONFIRM, attempt, sleep, started=started, until=until)
    except Exception as error:
        outcome = error
    result = decision.after_attempts(outcome)
    if result is not None:
        return result
    try:
        found: Outcome = await call_async(policy, Operation.RETRIEVE, retrieve, sleep, started=started, until=until)
    except Exception as error:
        found = error
    return decision.after_retrieve(found)


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """How one call is sent: its `policy`, its `operation`, the retrieve `Call` that reconciles it
    (`dots_client._policy.reconciler_of`; None when it is not reconciled) and its deadline `until`
    (a `time.monotonic()`, or None)."""

    policy: RetryPolicy
    operation: Operation
    reconcile: Call[Any] | None
    until: float | None = None


def run(plan: Plan, send: Callable[[Call[Any]], Response[Any]], request: Call[Any], sleep: Sleep) -> Result:
    """Send `request` with `send` as `plan` says: retried, and reconciled when it has a reconciler."""
    if plan.reconcile is not None:
        retrieve = plan.reconcile
        return confirm(
            plan.policy,
            intent_id=request.path[0],
            payment_method_id=request.body.payment_method_id,
            send=lambda: send(request),
            retrieve=lambda: send(retrieve),
            sleep=sleep,
            until=plan.until,
        )
    tally = Tally()
    response = call(plan.policy, plan.operation, counted(lambda: send(request), tally), sleep, until=plan.until)
    return Result(response, tally.attempts)


async def run_async(
    plan: Plan, send: Callable[[Call[Any]], Awaitable[Response[Any]]], request: Call[Any], sleep: AsyncSleep
) -> Result:
    """`run` for asyncio."""
    if plan.reconcile is not None:
        retrieve = plan.reconcile
        return await confirm_async(
            plan.policy,
            intent_id=request.path[0],
            payment_method_id=request.body.payment_method_id,
            send=lambda: send(request),
            retrieve=lambda: send(retrieve),
            sleep=sleep,
            until=plan.until,
        )
    tally = Tally()
    send_counted = counted_async(lambda: send(request), tally)
    response = await call_async(plan.policy, plan.operation, send_counted, sleep, until=plan.until)
    return Result(response, tally.attempts)


def _needs_reconciling(outcome: Outcome, tally: Tally, intent_id: UUID) -> bool:
    """A `2xx` whose intent cannot be read or is another one; after an attempt that may have acted:
    a `409`, or giving up."""
    if isinstance(outcome, Response) and 200 <= outcome.status_code < 300:
        parsed = outcome.parsed
        # It acted (a success status: the spec's 200, or a gateway's 201, 202 or 204), but the answer
        # cannot be read (a body the models cannot parse, or none), or shows another intent (answers
        # crossed, as on a connection shared across a fork): read the intent.
        if not isinstance(parsed, PaymentIntent) or parsed.id != intent_id:
            return True
    if not tally.may_have_acted:
        return False
    if not isinstance(outcome, Response):
        return True
    return outcome.status_code >= 500 or refused(outcome) or _already_confirmed(outcome)


def _reconciled(
    intent_id: UUID, payment_method_id: UUID, tally: Tally, outcome: Outcome, found: Response[Any]
) -> Result:
    intent = found.parsed
    if found.status_code != 200 or not isinstance(intent, PaymentIntent):
        raise _unknown(intent_id, tally, f"the reconciling retrieve answered {describe(found)}", found)
    if intent.id != intent_id:
        raise _unknown(intent_id, tally, "the reconciling retrieve answered with another intent", found)
    if str(intent.status) in CONFIRMED_STATUSES and intent.payment_method_id == payment_method_id:
        logger.debug("confirm: reconciled; the intent shows this call's payment method and a confirmed status")
        return Result(found, tally.attempts, reconciled=True)
    if isinstance(outcome, Response) and _already_confirmed(outcome):
        return Result(outcome, tally.attempts)  # confirmed by another call: the 409 stands
    raise _unknown(intent_id, tally, f"the intent is {intent.status!s} and an attempt may still be in flight", found)


def _unknown(
    intent_id: UUID, tally: Tally, reason: str, response: Response[Any] | None = None
) -> ConfirmOutcomeUnknown:
    return ConfirmOutcomeUnknown(intent_id, tally.attempts, reason, response)


def _already_confirmed(response: Response[Any]) -> bool:
    """A `409 payment-intent-already-confirmed`, or a `409` whose body could not be read (a gateway's)."""
    parsed = response.parsed
    return response.status_code == 409 and (
        parsed is None or (isinstance(parsed, Error) and parsed.code == ALREADY_CONFIRMED)
    )


def _give_back(outcome: R | Exception) -> R:
    """The first attempt's outcome, replayed as tenacity's attempt 1: returned, or raised again."""
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _outcome(state: RetryCallState) -> Outcome:
    future = state.outcome
    assert future is not None  # tenacity calls retry, wait and before_sleep after an attempt
    error = future.exception()
    return error if error is not None else future.result()


class _Deadline(stop_base):
    """Stop when the next attempt would start at or after `deadline` (a `time.monotonic()`)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() + retry_state.upcoming_sleep >= self.deadline


def _settings(policy: RetryPolicy, operation: Operation, started: float, until: float | None) -> dict[str, Any]:
    """The tenacity arguments that apply `policy` to one call of `operation` whose first attempt began at
    `started` and that must end by `until` (None: no deadline)."""
    budget = started + policy.max_elapsed_seconds
    deadline = budget if until is None else min(budget, until)

    def retry(state: RetryCallState) -> bool:
        return should_retry(operation, _outcome(state))

    def wait(state: RetryCallState) -> float:
        return sleep_seconds(policy, state.attempt_number, _outcome(state))

    def before_sleep(state: RetryCallState) -> None:
        logger.debug(
            "%s: attempt %d of %d ended in %s; retrying in %.2f s",
            operation.value,
            state.attempt_number,
            policy.max_attempts,
            describe(_outcome(state)),
            state.upcoming_sleep,
        )

    def give_up(state: RetryCallState) -> Any:
        outcome = _outcome(state)
        logger.debug("%s: giving up after %d attempt(s): %s", operation.value, state.attempt_number, describe(outcome))
        assert state.outcome is not None
        return state.outcome.result()  # the last answer, or the last exception raised again

    return {
        "stop": stop_after_attempt(policy.max_attempts) | _Deadline(deadline),
        "retry": retry,
        "wait": wait,
        "before_sleep": before_sleep,
        "retry_error_callback": give_up,
    }
