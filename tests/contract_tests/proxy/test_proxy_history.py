"""The proxy's memory across exchanges: the lifecycle rules that need what an earlier exchange showed."""

from __future__ import annotations

import itertools
import json
from typing import Any

from contract_tests.proxy.history import (
    CONFIRM,
    CREATE,
    KEPT_FIELDS,
    NEVER_CREATED,
    OWN_INTENTS,
    RETRIEVE,
    SECOND_CONFIRM,
    TRANSITIONS,
    History,
)

ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"
METHOD = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
# Exchanges one after another: each starts after the last one ended (the overlap tests pass their own times).
_CLOCK = itertools.count(1000)
INTENT = {"id": ID, "amount": 5, "currency": "usd", "status": "initialized", "metadata": {}}


def _see(
    history: History,
    operation: str,
    status: int,
    answer: Any,
    *,
    caller: str = "a",
    sent: Any = None,
    times: tuple[float, float] | None = None,
) -> set[str]:
    """The rules that failed for one exchange (by default it starts after every earlier one ended)."""
    started, ended = times if times is not None else (next(_CLOCK), next(_CLOCK))
    results = history.observe(
        operation,
        path_id=None if operation == CREATE else ID,
        sent=sent if sent is not None else {},
        status=status,
        body=json.dumps(answer).encode(),
        caller=caller,
        started=started,
        ended=ended,
    )
    return {name for name, problems in results.items() if problems}


def _created() -> History:
    history = History()
    assert _see(history, CREATE, 200, {**INTENT, "client_secret": "s"}, sent={"amount": 5, "currency": "usd"}) == set()
    return history


def test_a_second_confirm_answered_200_is_reported() -> None:
    """Once a confirm was answered 200, another 200 for the same intent breaks second-confirm-refused."""
    history = _created()
    confirmed = {**INTENT, "status": "succeeded", "transfer_id": METHOD, "payment_method_id": METHOD}
    sent = {"payment_method_id": METHOD}
    assert _see(history, CONFIRM, 200, confirmed, sent=sent) == set()
    assert _see(history, CONFIRM, 409, {"error": "x", "code": "payment-intent-already-confirmed"}) == set()
    assert _see(history, CONFIRM, 200, confirmed, sent=sent) == {SECOND_CONFIRM}


def test_a_retrieve_for_an_id_answered_404_and_never_created_is_reported() -> None:
    """An id this run saw answered 404 cannot be answered 200 later unless it was created meanwhile."""
    history = History()
    assert _see(history, RETRIEVE, 404, {"error": "PaymentIntent not found"}) == set()
    assert _see(history, RETRIEVE, 200, INTENT) == {NEVER_CREATED}


def test_another_clients_intent_changed_fields_and_backward_moves_are_reported() -> None:
    """A retrieve by another client, a changed amount, a status moving back: each its own rule."""
    history = _created()
    assert _see(history, RETRIEVE, 200, INTENT, caller="b") == {OWN_INTENTS}
    assert _see(history, RETRIEVE, 200, {**INTENT, "amount": 6}) == {KEPT_FIELDS}
    history = _created()
    assert _see(history, RETRIEVE, 200, {**INTENT, "status": "failed"}) == set()
    assert _see(history, RETRIEVE, 200, {**INTENT, "status": "initialized"}) == {TRANSITIONS}


def test_a_webhook_must_follow_a_change() -> None:
    """An event about an intent created here and never confirmed is unannounced; after a confirm was sent, it is not."""
    history = _created()
    assert history.announced_change(ID) is not None
    history.confirm_sent(ID.upper())
    assert history.announced_change(ID) is None
    assert History().announced_change(ID) is None  # an intent created elsewhere: nothing to say


def test_an_answer_that_overlaps_is_never_compared_with_it() -> None:
    """A retrieve that started before a confirm's answer ended may show the old status, whenever its answer ends."""
    history = History()
    assert _see(history, CREATE, 200, INTENT, sent={"amount": 5, "currency": "usd"}, times=(1, 2)) == set()
    confirmed = {**INTENT, "status": "succeeded", "transfer_id": METHOD, "payment_method_id": METHOD}
    sent = {"payment_method_id": METHOD}
    assert _see(history, CONFIRM, 200, confirmed, sent=sent, times=(4, 5)) == set()
    assert _see(history, RETRIEVE, 200, INTENT, times=(3, 6)) == set()  # started at 3: read before the confirm
    assert _see(history, RETRIEVE, 200, INTENT, times=(7, 8)) == {TRANSITIONS}  # started after it: a move back


def test_two_confirms_answered_200_are_a_second_confirm_however_they_overlap() -> None:
    """Overlapping confirms may end in any order, but only one of them may succeed."""
    history = _created()
    confirmed = {**INTENT, "status": "succeeded", "transfer_id": METHOD, "payment_method_id": METHOD}
    sent = {"payment_method_id": METHOD}
    assert _see(history, CONFIRM, 200, confirmed, sent=sent, times=(5000, 5003)) == set()
    assert _see(history, CONFIRM, 200, confirmed, sent=sent, times=(5001, 5002)) == {SECOND_CONFIRM}


def test_a_404_that_overlaps_a_200_is_no_intent_from_nowhere() -> None:
    """Only a 404 that ended before the 200's request started says the intent came from nowhere."""
    history = History()
    assert _see(history, RETRIEVE, 404, {"error": "PaymentIntent not found"}, times=(1, 4)) == set()
    assert _see(history, RETRIEVE, 200, INTENT, times=(2, 3)) == set()
