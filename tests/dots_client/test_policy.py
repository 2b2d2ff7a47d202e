"""The retry policy: which outcome is retried for which operation, and how long each wait is."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
from dots_client._policy import (
    OPERATIONS,
    RECONCILED_BY,
    Operation,
    Outcome,
    RetryPolicy,
    may_have_acted,
    operation_of,
    retry_after_seconds,
    should_retry,
    sleep_seconds,
)
from dots_client.api.payment_intents import PaymentIntents
from dots_client.types import Response

from dots_spec.operations import operations

CREATE, RETRIEVE, CONFIRM = Operation.CREATE, Operation.RETRIEVE, Operation.CONFIRM


def _answer(status: int, **headers: str) -> Response[None]:
    return Response(status_code=status, content=b"", headers=httpx.Headers(headers), parsed=None)


# (outcome, retried for create, retrieve, confirm)
TABLE: list[tuple[str, Outcome, tuple[bool, bool, bool]]] = [
    ("connect refused", httpx.ConnectError("refused"), (True, True, True)),
    ("connect timeout", httpx.ConnectTimeout("slow"), (True, True, True)),
    ("pool timeout", httpx.PoolTimeout("busy"), (True, True, True)),
    ("429", _answer(429), (True, True, True)),
    ("503 with Retry-After", _answer(503, **{"Retry-After": "1"}), (True, True, True)),
    ("503 without Retry-After", _answer(503), (False, True, True)),
    ("500", _answer(500), (False, True, True)),
    ("502", _answer(502), (False, True, True)),
    ("read timeout", httpx.ReadTimeout("slow"), (False, True, True)),
    ("write timeout", httpx.WriteTimeout("slow"), (False, True, True)),
    ("closed after sending", httpx.RemoteProtocolError("Server disconnected"), (False, True, True)),
    ("reset while reading", httpx.ReadError("reset"), (False, True, True)),
    ("200", _answer(200), (False, False, False)),
    ("400", _answer(400), (False, False, False)),
    ("409", _answer(409), (False, False, False)),
    ("a bug (ValueError)", ValueError("bad"), (False, False, False)),
    ("unsupported protocol", httpx.UnsupportedProtocol("ftp"), (False, False, False)),
]


@pytest.mark.parametrize(("name", "outcome", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_should_retry_follows_the_documented_table(name: str, outcome: Outcome, expected: tuple[bool, ...]) -> None:
    """Create only when the server cannot have acted; retrieve and confirm on every transient failure."""
    assert tuple(should_retry(operation, outcome) for operation in (CREATE, RETRIEVE, CONFIRM)) == expected


def test_refusals_and_unsent_requests_did_not_act() -> None:
    """A 429, a 503 with Retry-After and a connect error are not "may have acted"; a 500 and a read timeout are."""
    assert not may_have_acted(_answer(429))
    assert not may_have_acted(_answer(503, **{"Retry-After": "0"}))
    assert not may_have_acted(httpx.ConnectError("refused"))
    assert may_have_acted(_answer(500))
    assert may_have_acted(httpx.ReadTimeout("slow"))


def test_retry_after_seconds_and_http_date_are_read() -> None:
    """Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); garbage and absence read as None."""
    assert retry_after_seconds(_answer(503, **{"Retry-After": "7"})) == 7.0
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    seconds = retry_after_seconds(_answer(503, **{"Retry-After": in_a_minute}))
    assert seconds is not None
    assert 55 <= seconds <= 60
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after_seconds(_answer(429, **{"Retry-After": past})) == 0.0
    assert retry_after_seconds(_answer(429, **{"Retry-After": "soon"})) is None
    assert retry_after_seconds(_answer(429)) is None
    assert retry_after_seconds(httpx.ReadTimeout("slow")) is None


def test_retry_after_replaces_backoff_up_to_the_cap() -> None:
    """A Retry-After under the cap is waited as is; one over it waits the cap."""
    policy = RetryPolicy(retry_after_max_seconds=10)
    assert sleep_seconds(policy, 3, _answer(503, **{"Retry-After": "2"})) == 2.0
    assert sleep_seconds(policy, 1, _answer(429, **{"Retry-After": "3600"})) == 10.0


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    """Without Retry-After, retry n waits between 0 and min(max, initial * 2^(n-1)), spread over that range."""
    policy = RetryPolicy(backoff_initial_seconds=0.5, backoff_max_seconds=3.0)
    for retry_number, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        waits = [sleep_seconds(policy, retry_number, _answer(500)) for _ in range(300)]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling * 0.8  # jitter spreads over the range, not a constant
        assert min(waits) < ceiling * 0.2


@pytest.mark.parametrize(
    "kwargs",
    [{"max_retries": -1}, {"max_elapsed_seconds": -1}, {"backoff_max_seconds": float("nan")}],
)
def test_policy_refuses_impossible_bounds(kwargs: dict[str, float]) -> None:
    """A negative number of retries, or a negative or NaN number of seconds, is a ValueError."""
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [b"\xb2", b"\xb9\xb3", "\u0663".encode(), b"-5", b"1e3", b"5.5", b"NaN", b"Mon, 01 Jan 99999 00:00:00 GMT", b""],
)
def test_retry_after_that_is_not_ascii_digits_or_a_date_reads_as_none(raw: bytes) -> None:
    """A Retry-After of non-ASCII digits ("²"), a sign, a fraction or a bad date is ignored, never raised."""
    headers = httpx.Headers([(b"retry-after", raw)])
    answer: Response[None] = Response(status_code=503, content=b"", headers=headers, parsed=None)
    assert retry_after_seconds(answer) is None
    assert 0 <= sleep_seconds(RetryPolicy(), 1, answer) <= RetryPolicy().backoff_initial_seconds


def test_backoff_of_a_late_retry_is_the_cap_not_an_overflow() -> None:
    """Retry 5000 of a long policy waits at most backoff_max_seconds (2.0 ** 4999 would overflow a float)."""
    policy = RetryPolicy(max_retries=9_999, backoff_initial_seconds=0.25, backoff_max_seconds=4.0)
    assert 0 <= sleep_seconds(policy, 5000, _answer(500)) <= 4.0


@pytest.mark.parametrize(
    "date",
    ["Fri, 01 Jan 99999999999 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT"],
)
def test_retry_after_date_out_of_range_reads_safely(date: str) -> None:
    """A Retry-After date past year 9999 (CPython's parser raises OverflowError) is ignored; one near it is capped."""
    answer = _answer(429, **{"Retry-After": date})
    seconds = retry_after_seconds(answer)
    assert seconds is None or seconds >= 0
    assert 0 <= sleep_seconds(RetryPolicy(), 1, answer) <= RetryPolicy().retry_after_max_seconds


def test_max_retries_counts_attempts_after_the_first() -> None:
    """max_retries=3 (the default) is four attempts, today's max_attempts=4 of dots_retry."""
    assert (RetryPolicy().max_retries, RetryPolicy().max_attempts, RetryPolicy(max_retries=0).max_attempts) == (3, 4, 1)


def test_operations_table_names_spec_operations_and_defaults_by_method() -> None:
    """Every row names an operation of the spec; an operation without a row is safe by method (GET) or a create."""
    spec_ids = {operation["operationId"] for _, _, operation in operations()}
    assert set(OPERATIONS) <= spec_ids
    assert operation_of("list_payment_intents", "get") is RETRIEVE
    assert operation_of("cancel_payment_intent", "post") is CREATE


def test_reconciled_operations_are_the_specs_and_their_docs_say_so() -> None:
    """RECONCILED_BY names spec operations (confirm, by retrieve); only those methods document ConfirmOutcomeUnknown."""
    assert RECONCILED_BY == {"confirm_payment_intent": "retrieve_payment_intent"}
    assert set(RECONCILED_BY) | set(RECONCILED_BY.values()) <= set(OPERATIONS)
    for name in ("create", "retrieve", "confirm"):
        documented = "ConfirmOutcomeUnknown" in (getattr(PaymentIntents, name).__doc__ or "")
        assert documented is (f"{name}_payment_intent" in RECONCILED_BY), name
