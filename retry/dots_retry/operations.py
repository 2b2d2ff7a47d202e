"""Create, retrieve and confirm with safe retries, sync and async, over the generated `dots_client`.

Each call sends the generated client's `*_detailed` request under `dots_retry.policy`, with
tenacity doing the looping. `confirm` adds the reconciliation: when an earlier attempt may have
acted (its answer was lost, or was a `5xx`), a `409 payment-intent-already-confirmed`, or giving
up, is checked with a retrieve, so that a confirm that went through is reported as one.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent, create_payment_intent, retrieve_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, CreatePaymentIntentRequest, Error, PaymentIntent
from dots_client.types import Response
from tenacity import AsyncRetrying, RetryCallState, Retrying, stop_after_attempt
from tenacity.stop import stop_base

from dots_retry.policy import (
    DEFAULT_POLICY,
    Operation,
    Outcome,
    RetryPolicy,
    describe,
    may_have_acted,
    refused,
    should_retry,
    sleep_seconds,
)

logger = logging.getLogger("dots_retry")

ALREADY_CONFIRMED = "payment-intent-already-confirmed"
# The statuses a confirm leads to (openapi.yaml, confirm's "Decision (outcome)"), plus
# `requires_capture` (a confirm with manual capture, in Dots' list). A status outside this set,
# one this client does not know included, never counts as this call's confirm.
CONFIRMED_STATUSES = frozenset({"succeeded", "failed", "processing", "requires_action", "requires_capture"})

IntentResponse = Response[Error | PaymentIntent]
R = TypeVar("R", bound=Response[Any])


@dataclasses.dataclass(frozen=True, slots=True)
class ConfirmResult:
    """What a retrying confirm ended with.

    - `response`: the answer the result is read from: the confirm's last one, or, when
      `reconciled`, the reconciling retrieve's `200` (the intent as it is now).
    - `attempts`: confirm requests sent (1 when the first one was answered).
    - `reconciled`: True when an attempt's answer was lost or ambiguous and a retrieve showed
      the intent confirmed with this call's `payment_method_id`: the payment went through.
    """

    response: IntentResponse
    attempts: int
    reconciled: bool = False

    @property
    def status_code(self) -> int:
        """The HTTP status of `response` (200 for a reconciled confirm)."""
        return int(self.response.status_code)

    @property
    def intent(self) -> PaymentIntent | None:
        """The confirmed intent (a `200`, answered or reconciled), else None. Read its `status` for the outcome."""
        parsed = self.response.parsed
        return parsed if self.response.status_code == 200 and isinstance(parsed, PaymentIntent) else None

    @property
    def error(self) -> Error | None:
        """The `Error` body of a documented error answer (`400`, `401`, `404`, `409`, ...), else None."""
        parsed = self.response.parsed
        return parsed if isinstance(parsed, Error) else None


class ConfirmOutcomeUnknown(Exception):
    """Whether the confirm of `payment_intent_id` happened is unknown: retrieve the intent before acting again.

    Raised when an attempt may have acted (its answer was lost, or was a `5xx`) and the
    reconciling retrieve failed too, or could not show the confirm. `attempts` counts the confirm
    requests sent; `response` is the last answer, if any (the retrieve's when it answered); the
    last exception is chained as `__cause__`.
    """

    def __init__(
        self, payment_intent_id: UUID, attempts: int, reason: str, response: IntentResponse | None = None
    ) -> None:
        self.payment_intent_id = payment_intent_id
        self.attempts = attempts
        self.response = response
        super().__init__(
            f"the outcome of confirming payment intent {payment_intent_id} is unknown after {attempts} "
            f"attempt(s): {reason}; retrieve the intent to learn it before confirming again"
        )


def create(
    client: AuthenticatedClient, body: CreatePaymentIntentRequest, *, policy: RetryPolicy = DEFAULT_POLICY
) -> IntentResponse:
    """POST /v2/payment-intents, retried only when it cannot have acted (never sent, `429`, `503` + Retry-After).

    Returns the generated client's `Response` of the last attempt. Raises what the last attempt
    raised (an `httpx.TransportError`, e.g. `httpx.ReadTimeout`: then an intent may exist).
    """
    return _call(policy, Operation.CREATE, lambda: create_payment_intent.sync_detailed(client=client, body=body))


async def create_async(
    client: AuthenticatedClient, body: CreatePaymentIntentRequest, *, policy: RetryPolicy = DEFAULT_POLICY
) -> IntentResponse:
    """`create` for asyncio."""
    return await _call_async(
        policy, Operation.CREATE, lambda: create_payment_intent.asyncio_detailed(client=client, body=body)
    )


def retrieve(
    client: AuthenticatedClient, payment_intent_id: UUID | str, *, policy: RetryPolicy = DEFAULT_POLICY
) -> IntentResponse:
    """GET /v2/payment-intents/{id}, retried on every transient failure (it is safe to repeat).

    Returns the generated client's `Response` of the last attempt; raises what the last attempt
    raised (an `httpx.TransportError`), and ValueError for an id that is not a UUID.
    """
    intent_id = _as_uuid(payment_intent_id)
    return _call(policy, Operation.RETRIEVE, lambda: retrieve_payment_intent.sync_detailed(intent_id, client=client))


async def retrieve_async(
    client: AuthenticatedClient, payment_intent_id: UUID | str, *, policy: RetryPolicy = DEFAULT_POLICY
) -> IntentResponse:
    """`retrieve` for asyncio."""
    intent_id = _as_uuid(payment_intent_id)
    return await _call_async(
        policy, Operation.RETRIEVE, lambda: retrieve_payment_intent.asyncio_detailed(intent_id, client=client)
    )


def confirm(
    client: AuthenticatedClient,
    payment_intent_id: UUID | str,
    payment_method_id: UUID | str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> ConfirmResult:
    """POST /v2/payment-intents/{id}/confirm, retried after an ambiguous failure, a lost answer reconciled.

    Returns a `ConfirmResult`: the answer (`200`, or a documented error such as a `409` that
    stands), or the intent a reconciling retrieve found confirmed with `payment_method_id`
    (`reconciled=True`). Raises `ConfirmOutcomeUnknown` when an attempt may have acted and the
    retrieve cannot tell; what the attempt raised (an `httpx.TransportError`) when none can have
    acted; ValueError for an id that is not a UUID.
    """
    intent_id = _as_uuid(payment_intent_id)
    body = ConfirmPaymentIntentRequest(payment_method_id=_as_uuid(payment_method_id))
    tally = _Tally()

    def attempt() -> IntentResponse:
        try:
            response = confirm_payment_intent.sync_detailed(intent_id, client=client, body=body)
        except Exception as error:
            tally.record(error)
            raise
        tally.record(response)
        return response

    outcome: Outcome
    started = time.monotonic()
    try:
        outcome = _call(policy, Operation.CONFIRM, attempt, started)
    except Exception as error:
        if not tally.may_have_acted:
            raise
        outcome = error
    if not _needs_reconciling(outcome, tally):
        assert isinstance(outcome, Response)  # an exception is re-raised above unless an attempt may have acted
        return ConfirmResult(outcome, tally.attempts)
    logger.debug("confirm: %s after an attempt that may have acted; reconciling with a retrieve", describe(outcome))
    try:
        # The call's budget, not a new one: its first attempt is sent even when the budget is spent.
        found = _call(
            policy,
            Operation.RETRIEVE,
            lambda: retrieve_payment_intent.sync_detailed(intent_id, client=client),
            started,
        )
    except Exception as error:
        raise _unknown(intent_id, tally, f"the reconciling retrieve failed too ({describe(error)})") from error
    return _reconciled(intent_id, body, tally, outcome, found)


async def confirm_async(
    client: AuthenticatedClient,
    payment_intent_id: UUID | str,
    payment_method_id: UUID | str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> ConfirmResult:
    """`confirm` for asyncio: the same retries, result and errors."""
    intent_id = _as_uuid(payment_intent_id)
    body = ConfirmPaymentIntentRequest(payment_method_id=_as_uuid(payment_method_id))
    tally = _Tally()

    async def attempt() -> IntentResponse:
        try:
            response = await confirm_payment_intent.asyncio_detailed(intent_id, client=client, body=body)
        except Exception as error:
            tally.record(error)
            raise
        tally.record(response)
        return response

    outcome: Outcome
    started = time.monotonic()
    try:
        outcome = await _call_async(policy, Operation.CONFIRM, attempt, started)
    except Exception as error:
        if not tally.may_have_acted:
            raise
        outcome = error
    if not _needs_reconciling(outcome, tally):
        assert isinstance(outcome, Response)
        return ConfirmResult(outcome, tally.attempts)
    logger.debug("confirm: %s after an attempt that may have acted; reconciling with a retrieve", describe(outcome))
    try:
        found = await _call_async(
            policy,
            Operation.RETRIEVE,
            lambda: retrieve_payment_intent.asyncio_detailed(intent_id, client=client),
            started,
        )
    except Exception as error:
        raise _unknown(intent_id, tally, f"the reconciling retrieve failed too ({describe(error)})") from error
    return _reconciled(intent_id, body, tally, outcome, found)


class _Tally:
    """Confirm attempts sent so far, and whether any may have acted."""

    __slots__ = ("attempts", "may_have_acted")

    def __init__(self) -> None:
        self.attempts = 0
        self.may_have_acted = False

    def record(self, outcome: Outcome) -> None:
        self.attempts += 1
        if may_have_acted(outcome):
            self.may_have_acted = True


def _needs_reconciling(outcome: Outcome, tally: _Tally) -> bool:
    """A `200` whose intent cannot be read; after an attempt that may have acted: a `409`, or giving up."""
    if isinstance(outcome, Response) and outcome.status_code == 200 and not isinstance(outcome.parsed, PaymentIntent):
        return True  # it acted, but the answer cannot be read (a body the models cannot parse): read the intent
    if not tally.may_have_acted:
        return False
    if not isinstance(outcome, Response):
        return True
    return outcome.status_code >= 500 or refused(outcome) or _already_confirmed(outcome)


def _reconciled(
    intent_id: UUID, body: ConfirmPaymentIntentRequest, tally: _Tally, outcome: Outcome, found: IntentResponse
) -> ConfirmResult:
    intent = found.parsed
    if found.status_code != 200 or not isinstance(intent, PaymentIntent):
        reason = f"the reconciling retrieve answered {describe(found)}"
        raise _unknown(intent_id, tally, reason, found)
    if str(intent.status) in CONFIRMED_STATUSES and intent.payment_method_id == body.payment_method_id:
        logger.debug("confirm: reconciled; the intent shows this call's payment method and a confirmed status")
        return ConfirmResult(found, tally.attempts, reconciled=True)
    if isinstance(outcome, Response) and _already_confirmed(outcome):
        return ConfirmResult(outcome, tally.attempts)  # confirmed by another call: the 409 stands
    raise _unknown(intent_id, tally, f"the intent is {intent.status!s} and an attempt may still be in flight", found)


def _unknown(
    intent_id: UUID, tally: _Tally, reason: str, response: IntentResponse | None = None
) -> ConfirmOutcomeUnknown:
    return ConfirmOutcomeUnknown(intent_id, tally.attempts, reason, response)


def _already_confirmed(response: Response[Any]) -> bool:
    """A `409 payment-intent-already-confirmed`, or a `409` whose body could not be read (a gateway's)."""
    parsed = response.parsed
    return response.status_code == 409 and (
        parsed is None or (isinstance(parsed, Error) and parsed.code == ALREADY_CONFIRMED)
    )


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _call(policy: RetryPolicy, operation: Operation, send: Callable[[], R], started: float | None = None) -> R:
    """`send()` under `policy`: the first attempt directly, any retries by tenacity.

    `started` (a `time.monotonic()`) is when the call's budget began, now by default: a confirm's
    reconciling retrieve retries within the confirm's budget, not a new one of its own.

    An answer that needs no retry (nearly every one) then costs no tenacity machinery (about
    15 µs a call, a few percent of a confirm on loopback); a retried call gives tenacity the first
    outcome to replay as its attempt 1, so counts, waits and the deadline are the same either way.
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

    return Retrying(**_settings(policy, operation, started))(attempt)


async def _call_async(
    policy: RetryPolicy, operation: Operation, send: Callable[[], Awaitable[R]], started: float | None = None
) -> R:
    """`_call` for asyncio."""
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

    return await AsyncRetrying(**_settings(policy, operation, started))(attempt)


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


def _settings(policy: RetryPolicy, operation: Operation, started: float) -> dict[str, Any]:
    """The tenacity arguments that apply `policy` to one call of `operation` whose first attempt began at `started`."""

    def retry(state: RetryCallState) -> bool:
        return should_retry(operation, _outcome(state))

    def wait(state: RetryCallState) -> float:
        return sleep_seconds(policy, state.attempt_number, _outcome(state))

    def before_sleep(state: RetryCallState) -> None:
        # The operation, the count and the status or exception type only: never a URL (it may
        # carry credentials), a header or a body.
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
        "stop": stop_after_attempt(policy.max_attempts) | _Deadline(started + policy.max_elapsed_seconds),
        "retry": retry,
        "wait": wait,
        "before_sleep": before_sleep,
        "retry_error_callback": give_up,
    }
