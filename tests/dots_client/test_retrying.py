"""dots_client._retrying: the tenacity loop's bounds and the confirm reconciliation, on scripted outcomes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from dots_client import _retrying
from dots_client._policy import Operation, RetryPolicy
from dots_client.errors import ConfirmOutcomeUnknown
from dots_client.models import Error, PaymentIntent
from dots_client.types import Response

INTENT = uuid.uuid4()
METHOD = uuid.uuid4()


def _answer(status: int, parsed: Any = None, **headers: str) -> Response[Any]:
    return Response(status_code=status, content=b"", headers=httpx.Headers(headers), parsed=parsed)


def _intent(status: str, method: uuid.UUID = METHOD) -> PaymentIntent:
    return PaymentIntent.from_dict(
        {"id": str(INTENT), "amount": 1, "currency": "usd", "status": status, "payment_method_id": str(method)}
    )


def _script(*outcomes: Response[Any] | Exception) -> tuple[Callable[[], Response[Any]], list[int]]:
    """A send returning (or raising) each outcome in turn, the last one repeating; and its call count."""
    calls = [0]

    def send() -> Response[Any]:
        outcome = outcomes[min(calls[0], len(outcomes) - 1)]
        calls[0] += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return send, calls


CONFLICT = _answer(409, Error(error="already", code="payment-intent-already-confirmed"))


def test_first_conflict_is_not_reconciled() -> None:
    """A 409 to a confirm that followed no ambiguous attempt stands without a retrieve."""
    send, sent = _script(CONFLICT)
    retrieve, retrieved = _script(_answer(200, _intent("succeeded")))
    result = _retrying.confirm(
        RetryPolicy(), intent_id=INTENT, payment_method_id=METHOD, send=send, retrieve=retrieve, sleep=lambda _: None
    )
    assert (result.response.status_code, result.attempts, result.reconciled, sent[0], retrieved[0]) == (
        409,
        1,
        False,
        1,
        0,
    )


def test_unconfirmed_intent_after_an_ambiguous_attempt_is_an_unknown_outcome() -> None:
    """Lost answers until giving up, and the retrieve shows the intent unconfirmed: ConfirmOutcomeUnknown with it."""
    send, _ = _script(httpx.ReadError("reset"), _answer(502))
    retrieve, _ = _script(_answer(200, _intent("initialized")))
    with pytest.raises(ConfirmOutcomeUnknown, match="is initialized") as raised:
        _retrying.confirm(
            RetryPolicy(max_retries=1),
            intent_id=INTENT,
            payment_method_id=METHOD,
            send=send,
            retrieve=retrieve,
            sleep=lambda _: None,
        )
    assert raised.value.attempts == 2
    assert raised.value.response is not None


def test_unsent_confirm_raises_its_transport_error() -> None:
    """A confirm none of whose attempts can have acted (connection refused) raises the httpx error, no retrieve."""
    send, sent = _script(httpx.ConnectError("refused"))
    retrieve, retrieved = _script(_answer(200, _intent("succeeded")))
    with pytest.raises(httpx.ConnectError):
        _retrying.confirm(
            RetryPolicy(max_retries=2),
            intent_id=INTENT,
            payment_method_id=METHOD,
            send=send,
            retrieve=retrieve,
            sleep=lambda _: None,
        )
    assert (sent[0], retrieved[0]) == (3, 0)


def test_no_retry_starts_after_the_time_budget() -> None:
    """max_elapsed_seconds bounds the waits: a Retry-After of 1 s with a 0.5 s budget stops after the first answer."""
    send, sent = _script(_answer(429, **{"Retry-After": "1"}))
    waits: list[float] = []
    policy = RetryPolicy(max_retries=5, max_elapsed_seconds=0.5)
    result = _retrying.call(policy, Operation.CREATE, send, waits.append)
    assert (result.status_code, sent[0], waits) == (429, 1, [])


def test_reconciling_retrieve_is_sent_once_even_when_the_budget_is_spent() -> None:
    """The retrieve after giving up shares the confirm's budget: sent once, not retried past it."""
    send, _ = _script(httpx.ReadTimeout("slow"))
    retrieve, retrieved = _script(_answer(500))
    policy = RetryPolicy(max_retries=0, max_elapsed_seconds=0.0)
    with pytest.raises(ConfirmOutcomeUnknown, match="the reconciling retrieve answered HTTP 500"):
        _retrying.confirm(
            policy, intent_id=INTENT, payment_method_id=METHOD, send=send, retrieve=retrieve, sleep=lambda _: None
        )
    assert retrieved[0] == 1


def test_async_loop_waits_with_the_injected_sleep() -> None:
    """call_async waits with the sleep it is given (never asyncio.sleep itself), the Retry-After the server asked."""
    outcomes = [_answer(503, **{"Retry-After": "3"}), _answer(200)]
    waits: list[float] = []

    async def send() -> Response[Any]:
        return outcomes.pop(0)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = asyncio.run(_retrying.call_async(RetryPolicy(), Operation.RETRIEVE, send, sleep))
    assert (result.status_code, waits) == (200, [3.0])


def test_the_confirm_decision_needs_no_io() -> None:
    """ConfirmDecision alone: a 409 after a lost answer asks for a retrieve; the retrieve's intent decides."""
    decision = _retrying.ConfirmDecision(INTENT, METHOD)
    decision.tally.record(httpx.ReadError("lost"))
    decision.tally.record(_answer(409, Error(error="x", code=_retrying.ALREADY_CONFIRMED)))
    assert decision.after_attempts(_answer(409, Error(error="x", code=_retrying.ALREADY_CONFIRMED))) is None
    result = decision.after_retrieve(_answer(200, _intent("succeeded")))
    assert (result.reconciled, result.attempts) == (True, 2)
    undecided = _retrying.ConfirmDecision(INTENT, METHOD)
    undecided.tally.record(httpx.ReadError("lost"))
    assert undecided.after_attempts(httpx.ReadError("lost")) is None
    with pytest.raises(ConfirmOutcomeUnknown):
        undecided.after_retrieve(httpx.ConnectError("down"))
    with pytest.raises(httpx.ConnectError):  # nothing can have acted: what the attempt raised
        _retrying.ConfirmDecision(INTENT, METHOD).after_attempts(httpx.ConnectError("refused"))
