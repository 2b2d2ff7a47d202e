"""dots_client.errors (apart from the sandbox's): one hierarchy under DotsError, messages without bodies or secrets."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from dots_client import AuthenticatedClient, errors
from dots_client.api.payment_intents import create_payment_intent
from dots_client.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfirmOutcomeUnknown,
    ConflictError,
    DotsError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    ServiceUnavailableError,
    UnexpectedStatus,
    UnreadableResponse,
    UnsupportedMediaTypeError,
    connection_error,
    status_error,
)
from dots_client.models import CreatePaymentIntentRequest, Currency, Error, ErrorDetail, PaymentIntent
from dots_client.types import UNSET, Response

from tests.dots_client.scripted import Script, scripted_dots

SECRET = "pi_secret_0123456789abcdef"


def _answer(status: int, parsed: Any = None, content: bytes = b"") -> Response[Any]:
    return Response(status_code=status, content=content, headers=httpx.Headers({"x-request": "1"}), parsed=parsed)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (415, UnsupportedMediaTypeError),
        (429, RateLimitError),
        (503, ServiceUnavailableError),
        (500, InternalServerError),
        (502, InternalServerError),
        (520, InternalServerError),
        (403, APIStatusError),
        (302, APIStatusError),
    ],
)
def test_each_status_has_its_class(status: int, cls: type[APIStatusError]) -> None:
    """Every documented status, 429 and other 5xx map to the issue's classes; any other status is APIStatusError."""
    error = status_error(_answer(status))
    assert type(error) is cls
    assert isinstance(error, DotsError)
    assert error.status_code == status
    assert error.response.headers["x-request"] == "1"


def test_service_unavailable_is_an_internal_server_error() -> None:
    """`except InternalServerError` catches every 5xx, a 503 included."""
    assert issubclass(ServiceUnavailableError, InternalServerError)


def test_code_is_the_error_bodys_kebab_case_code() -> None:
    """`.code` and `.error` come from the Error body; a body without one, or not an Error, gives None."""
    body = Error(error="Already confirmed", code="payment-intent-already-confirmed")
    conflict = status_error(_answer(409, body))
    assert (conflict.code, conflict.error) == ("payment-intent-already-confirmed", body)
    assert "payment-intent-already-confirmed" in str(conflict)
    assert status_error(_answer(404, Error(error="PaymentIntent not found"))).code is None
    assert status_error(_answer(502, None, b"<html>bad gateway</html>")).code is None


def test_no_message_quotes_the_body() -> None:
    """A status error names the status and code; the server's message and the body stay on the exception."""
    body = Error(error=f"leaked {SECRET}", code="invalid-input")
    raised = status_error(_answer(400, body, content=SECRET.encode()))
    assert SECRET not in str(raised) + repr(raised)
    assert raised.error is body


def test_redirect_says_it_was_not_followed() -> None:
    """A 3xx is an APIStatusError whose message says the redirect was not followed."""
    assert "redirect, not followed" in str(status_error(_answer(307)))


@pytest.mark.parametrize(
    ("raised", "cls", "reached"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("slow"), APITimeoutError, False),
        (httpx.ReadTimeout("slow"), APITimeoutError, True),
        (httpx.RemoteProtocolError("closed"), APIConnectionError, True),
    ],
)
def test_connection_errors_say_whether_the_request_may_have_reached_the_server(
    raised: httpx.HTTPError, cls: type[APIConnectionError], reached: bool
) -> None:
    """APITimeoutError for a timeout, APIConnectionError otherwise; the message and flag say if it may have arrived."""
    error = connection_error(raised, may_have_reached_server=reached)
    assert type(error) is cls
    assert error.may_have_reached_server is reached
    assert ("may have reached" in str(error)) is reached
    assert type(raised).__name__ in str(error)


def test_confirm_outcome_unknown_names_the_intent() -> None:
    """ConfirmOutcomeUnknown's message names the intent, the attempts and what to do."""
    intent_id = uuid.uuid4()
    error = ConfirmOutcomeUnknown(intent_id, 2, "the reconciling retrieve failed too (ReadTimeout)")
    assert isinstance(error, DotsError)
    assert (error.payment_intent_id, error.attempts, error.response) == (intent_id, 2, None)
    assert str(intent_id) in str(error)
    assert "retrieve the intent" in str(error)


def test_low_level_errors_are_dots_errors_too() -> None:
    """UnexpectedStatus and UnreadableResponse (raised by the low-level functions) are DotsErrors."""
    assert issubclass(UnexpectedStatus, DotsError)
    assert issubclass(UnreadableResponse, DotsError)
    unreadable = UnreadableResponse(_answer(200, content=SECRET.encode()))
    assert SECRET not in str(unreadable)


def test_every_public_name_is_exported() -> None:
    """`from dots_client.errors import *` gives every exception class of the module."""
    classes = {name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, Exception)}
    assert classes == set(errors.__all__)


def test_unexpected_status_message_never_quotes_the_body() -> None:
    """An undocumented 201 to a create (with a client_secret) raises UnexpectedStatus naming the status only."""
    intent = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "client_secret": SECRET}
    content = json.dumps(intent).encode()
    client = AuthenticatedClient.basic_auth(
        "https://api.dots.dev/api",
        client_id="client-id",
        api_key="api-key",
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(201, content=content))},
    )
    with pytest.raises(UnexpectedStatus) as raised:
        create_payment_intent.sync(client=client, body=CreatePaymentIntentRequest(amount=1000, currency=Currency.USD))
    assert raised.value.status_code == 201
    assert raised.value.content == content  # still there for whoever needs it
    assert SECRET not in str(raised.value) + repr(raised.value)
    assert "201" in str(raised.value)


def test_a_400s_details_are_in_its_message() -> None:
    """A 400's message lists each detail as `location: message`, what the caller must fix."""
    details = [ErrorDetail(location="body.amount", message="0 is less than or equal to the minimum of 0")]
    body = Error(error="Invalid request", code="invalid-input", details=details)
    raised = status_error(_answer(400, body))
    assert str(raised) == "HTTP 400 invalid-input: body.amount: 0 is less than or equal to the minimum of 0"


def test_a_connection_error_names_the_host_not_the_url() -> None:
    """A connection error says which host could not be reached, never the path (ids) of the URL."""
    script = Script(httpx.ConnectError("refused"))
    intent_id = uuid.uuid4()
    with pytest.raises(APIConnectionError) as raised:
        scripted_dots(script, max_retries=0).payment_intents.retrieve(intent_id)
    assert "at api.dots.test" in str(raised.value)
    assert str(intent_id) not in str(raised.value)


def test_unset_reads_as_unset_in_reprs() -> None:
    """UNSET's repr is `UNSET`, so a model's repr shows its missing fields by that name."""
    intent = PaymentIntent(id=uuid.uuid4(), amount=1000, currency="usd")
    assert repr(UNSET) == "UNSET"
    assert "status=UNSET" in repr(intent)
