"""Dots and AsyncDots without a server: failures as typed errors, retries, reconciliation (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable

import httpx
import pytest
from dots_client.errors import (
    APIConnectionError,
    APITimeoutError,
    ConfirmOutcomeUnknown,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UnreadableResponse,
)

from tests.dots_client.scripted import API_KEY, METHOD, Script, intent_json, scripted_async_dots, scripted_dots

# ---- errors and retries -------------------------------------------------------------------------------------------


HTTPX_FAILURES: list[tuple[Exception, type[APIConnectionError], bool]] = [
    (httpx.ConnectError("refused"), APIConnectionError, False),
    (httpx.ConnectTimeout("slow"), APITimeoutError, False),
    (httpx.ReadTimeout("slow"), APITimeoutError, True),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), APIConnectionError, True),
    (httpx.ReadError("reset"), APIConnectionError, True),
    (httpx.TooManyRedirects("loop"), APIConnectionError, True),
    (httpx.UnsupportedProtocol("gopher"), APIConnectionError, False),
    (httpx.DecodingError("bad gzip"), APIConnectionError, True),
]


@pytest.mark.parametrize(
    ("failure", "cls", "reached"), HTTPX_FAILURES, ids=[type(f[0]).__name__ for f in HTTPX_FAILURES]
)
def test_no_httpx_exception_escapes_create(failure: Exception, cls: type[APIConnectionError], reached: bool) -> None:
    """Every httpx failure of a create becomes an APIConnectionError saying whether it may have reached the server."""
    script = Script(failure)
    with pytest.raises(cls) as raised:
        scripted_dots(script).payment_intents.create(amount=1000, currency="usd")
    assert raised.value.may_have_reached_server is reached
    assert raised.value.__cause__ is failure
    # A create is re-sent only when it cannot have reached the server (and the failure is transient).
    assert len(script.requests) == (4 if isinstance(failure, httpx.ConnectError | httpx.ConnectTimeout) else 1)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_503_with_retry_after_is_retried_after_waiting_it(mode: str) -> None:
    """A 503 with Retry-After (the server did not act) is retried, even for a create, after the wait it asks."""
    refused = httpx.Response(503, headers={"retry-after": "2"}, json={"error": "busy", "code": "service-unavailable"})
    script = Script(refused, httpx.Response(200, json=intent_json()))
    if mode == "sync":
        raw = scripted_dots(script).payment_intents.with_raw_response.create(amount=1000, currency="usd")
    else:
        raw = asyncio.run(
            scripted_async_dots(script).payment_intents.with_raw_response.create(amount=1000, currency="usd")
        )
    assert (raw.status_code, raw.attempts, script.sleeps) == (200, 2, [2.0])


def test_503_without_retry_after_to_a_create_is_raised_after_one_request() -> None:
    """A create answered 503 without Retry-After may have acted: ServiceUnavailableError, never re-sent."""
    script = Script(httpx.Response(503, json={"error": "lost it", "code": "service-unavailable"}))
    with pytest.raises(ServiceUnavailableError) as raised:
        scripted_dots(script).payment_intents.create(amount=1000, currency="usd")
    assert (raised.value.code, len(script.requests)) == ("service-unavailable", 1)


@pytest.mark.parametrize("operation", ["create", "retrieve", "confirm"])
def test_retry_after_date_out_of_range_is_read_safely(operation: str) -> None:
    """A 429 with a Retry-After date past year 9999 is retried with backoff, then RateLimitError: no OverflowError."""
    script = Script(httpx.Response(429, headers={"retry-after": "Fri, 01 Jan 99999999999 00:00:00 GMT"}))
    intents = scripted_dots(script).payment_intents
    calls: dict[str, Callable[[], object]] = {
        "create": lambda: intents.create(amount=1000, currency="usd"),
        "retrieve": lambda: intents.retrieve(uuid.uuid4()),
        "confirm": lambda: intents.confirm(uuid.uuid4(), payment_method_id=METHOD),
    }
    with pytest.raises(RateLimitError):
        calls[operation]()
    assert len(script.requests) == 4
    assert all(0 <= wait <= 4.0 for wait in script.sleeps)


def test_unknown_intent_is_not_found_after_one_request() -> None:
    """A 404 is final: NotFoundError with its code, no retry, no reconciliation."""
    script = Script(httpx.Response(404, json={"error": "PaymentIntent not found", "code": "not-found"}))
    with pytest.raises(NotFoundError) as raised:
        scripted_dots(script).payment_intents.confirm(uuid.uuid4(), payment_method_id=METHOD)
    assert (raised.value.status_code, raised.value.code, len(script.requests)) == (404, "not-found", 1)


def test_unreadable_success_is_unreadable_response() -> None:
    """A retrieve answered 200 with a body that is not a PaymentIntent raises UnreadableResponse carrying it."""
    script = Script(httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"}))
    with pytest.raises(UnreadableResponse) as raised:
        scripted_dots(script).payment_intents.retrieve(uuid.uuid4())
    assert raised.value.response.headers["content-type"] == "text/html"


def test_unreadable_error_body_keeps_its_status_class() -> None:
    """A gateway's HTML 502 to a retrieve is retried, then InternalServerError with no code."""
    script = Script(httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(InternalServerError) as raised:
        scripted_dots(script).payment_intents.retrieve(uuid.uuid4())
    assert (raised.value.status_code, raised.value.code, len(script.requests)) == (502, None, 4)


def _confirmed_intent(request: httpx.Request) -> httpx.Response:
    intent_id = request.url.path.rsplit("/", 1)[-1]
    return httpx.Response(200, json=intent_json("succeeded", id=intent_id, payment_method_id=str(METHOD)))


def test_reconciling_retrieve_is_not_counted_as_a_retry() -> None:
    """max_retries=1: a lost answer, its retry's 409, then the reconciling retrieve; attempts is 2, not 3."""
    conflict = httpx.Response(409, json={"error": "already", "code": "payment-intent-already-confirmed"})
    script = Script(httpx.ReadError("reset after sending"), conflict, _confirmed_intent)
    intent_id = uuid.uuid4()
    raw = scripted_dots(script, max_retries=1).payment_intents.with_raw_response.confirm(
        intent_id, payment_method_id=METHOD
    )
    assert (raw.status_code, raw.attempts, raw.reconciled) == (200, 2, True)
    assert str(raw.parse().status) == "succeeded"
    assert [line.split(" ")[0] for line in script.lines] == ["POST", "POST", "GET"]


@pytest.mark.parametrize("status", [201, 202, 204])
def test_a_confirm_answered_another_2xx_without_an_intent_is_reconciled(status: int) -> None:
    """A confirm answered 201, 202 or 204 with no readable intent acted, as an unreadable 200 did: it is
    reconciled with a retrieve, never UnreadableResponse (a charge the caller could take for a failure)."""
    script = Script(httpx.Response(status), _confirmed_intent)
    raw = scripted_dots(script).payment_intents.with_raw_response.confirm(uuid.uuid4(), payment_method_id=METHOD)
    assert (raw.status_code, raw.attempts, raw.reconciled) == (200, 1, True)
    assert [line.split(" ")[0] for line in script.lines] == ["POST", "GET"]


def test_a_confirm_answered_with_another_intent_is_never_its_success() -> None:
    """A 200 to a confirm of intent A that shows intent B (answers crossed on a shared connection) is
    reconciled by retrieving A; a retrieve that shows B too is ConfirmOutcomeUnknown, never B's success."""
    other = httpx.Response(200, json=intent_json("succeeded", payment_method_id=str(METHOD)))
    script = Script(other, _confirmed_intent)
    intent_id = uuid.uuid4()
    raw = scripted_dots(script).payment_intents.with_raw_response.confirm(intent_id, payment_method_id=METHOD)
    assert (raw.parse().id, raw.reconciled) == (intent_id, True)
    assert [line.split(" ")[0] for line in script.lines] == ["POST", "GET"]
    crossed = Script(other)
    with pytest.raises(ConfirmOutcomeUnknown):
        scripted_dots(crossed).payment_intents.confirm(intent_id, payment_method_id=METHOD)


def test_confirm_outcome_unknown_when_the_retrieve_fails_too() -> None:
    """A confirm whose answers are all lost and whose retrieve fails: ConfirmOutcomeUnknown naming the intent."""
    script = Script(httpx.ReadTimeout("slow"))
    intent_id = uuid.uuid4()
    with pytest.raises(ConfirmOutcomeUnknown) as raised:
        scripted_dots(script).payment_intents.confirm(str(intent_id), payment_method_id=METHOD)
    assert raised.value.payment_intent_id == intent_id
    assert str(intent_id) in str(raised.value)
    assert raised.value.attempts == 4
    assert [line.split(" ")[0] for line in script.lines] == ["POST"] * 4 + ["GET"] * 4


def test_a_bad_id_is_a_value_error_and_nothing_is_sent() -> None:
    """An id that is not a UUID raises ValueError naming the argument before any request."""
    script = Script(httpx.Response(200, json=intent_json()))
    with pytest.raises(ValueError, match="payment_method_id must be a UUID"):
        scripted_dots(script).payment_intents.confirm(uuid.uuid4(), payment_method_id="pm_123")
    assert script.requests == []


def test_retries_are_logged_at_debug_without_credentials_or_urls(caplog: pytest.LogCaptureFixture) -> None:
    """Each attempt and retry is a record on `dots_client` with the operation and status; no credential or URL."""
    script = Script(httpx.Response(500), httpx.Response(200, json=intent_json()))
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        scripted_dots(script).payment_intents.retrieve(uuid.uuid4())
    records = [record.getMessage() for record in caplog.records if record.name == "dots_client"]
    retries = [line for line in records if line.startswith("retrieve: attempt 1 of 4 ended in HTTP 500; retrying in")]
    assert len(retries) == 1
    assert sum(line.startswith("retrieve_payment_intent: sending GET /api/v2/") for line in records) == 2
    assert all(API_KEY not in line and "https://" not in line for line in records)


def test_request_body_is_built_from_keyword_arguments() -> None:
    """Keyword arguments reach the wire as the schema's JSON: UUIDs and enum values as strings, metadata as given."""
    script = Script(httpx.Response(200, json=intent_json()))
    user = uuid.uuid4()
    scripted_dots(script).payment_intents.create(
        amount=1000,
        currency="usd",
        user_id=user,
        payment_method_id=str(METHOD),
        payment_method_types=["card"],
        metadata={"order_id": "1042"},
        transfer_data={"destination_user_id": str(user)},
    )
    assert json.loads(script.requests[0].content) == {
        "amount": 1000,
        "currency": "usd",
        "user_id": str(user),
        "payment_method_id": str(METHOD),
        "payment_method_types": ["card"],
        "metadata": {"order_id": "1042"},
        "transfer_data": {"destination_user_id": str(user)},
    }


@pytest.mark.parametrize(
    ("failure", "cls", "reached"), HTTPX_FAILURES[:4], ids=[type(f[0]).__name__ for f in HTTPX_FAILURES[:4]]
)
def test_no_httpx_exception_escapes_async_methods(
    failure: Exception, cls: type[APIConnectionError], reached: bool
) -> None:
    """AsyncDots maps httpx failures as Dots does; a retrieve is retried on every one of them."""
    script = Script(failure)
    with pytest.raises(cls) as raised:
        asyncio.run(scripted_async_dots(script).payment_intents.retrieve(uuid.uuid4()))
    assert raised.value.may_have_reached_server is reached
    assert len(script.requests) == 4


def test_async_status_errors_and_reconciliation() -> None:
    """AsyncDots raises NotFoundError for a 404 and reconciles a confirm whose answer was lost."""
    missing = Script(httpx.Response(404, json={"error": "PaymentIntent not found", "code": "not-found"}))
    with pytest.raises(NotFoundError):
        asyncio.run(scripted_async_dots(missing).payment_intents.retrieve(uuid.uuid4()))
    conflict = httpx.Response(409, json={"error": "already", "code": "payment-intent-already-confirmed"})
    lost = Script(httpx.RemoteProtocolError("closed"), conflict, _confirmed_intent)
    intents = scripted_async_dots(lost).payment_intents
    raw = asyncio.run(intents.with_raw_response.confirm(uuid.uuid4(), payment_method_id=METHOD))
    assert (raw.reconciled, raw.attempts, str(raw.parse().status)) == (True, 2, "succeeded")
