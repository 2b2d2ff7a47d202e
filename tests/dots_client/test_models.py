"""dots_client.models: the tolerant reader of answers (unknown enum values, nulls, unknown fields); strict requests."""

from __future__ import annotations

import typing
from typing import Any

import httpx
import pytest
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import create_payment_intent
from dots_client.models import (
    CreatePaymentIntentRequest,
    Currency,
    Error,
    PaymentIntent,
    PaymentIntentStatus,
)
from dots_client.types import UNSET

INTENT: dict[str, Any] = {
    "id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5",
    "amount": 1000,
    "currency": "usd",
    "status": "succeeded",
    "transfer_id": "0b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
    "payment_method_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "metadata": {"order": "42"},
}


def test_known_enum_values_keep_their_members() -> None:
    """A documented status and currency read as the enums' members."""
    intent = PaymentIntent.from_dict(INTENT)
    assert intent.status is PaymentIntentStatus.SUCCEEDED
    assert intent.currency is Currency.USD
    assert intent.to_dict() == INTENT


def test_unknown_status_is_kept_as_its_string() -> None:
    """A status added after generation is kept: readable, comparable, and written back by to_dict()."""
    intent = PaymentIntent.from_dict({**INTENT, "status": "requires_review"})
    assert intent.status == "requires_review"
    assert not isinstance(intent.status, PaymentIntentStatus)
    assert intent.status != PaymentIntentStatus.SUCCEEDED
    assert intent.to_dict() == {**INTENT, "status": "requires_review"}


def test_unknown_currency_in_an_answer_is_kept() -> None:
    """Currency is shared with the create request, yet an answer's unknown currency is read, not raised."""
    intent = PaymentIntent.from_dict({**INTENT, "currency": "eur"})
    assert intent.currency == "eur"
    assert intent.to_dict()["currency"] == "eur"


OPTIONAL_FIELDS = ["status", "transfer_id", "payment_method_id", "metadata", "user_id", "client_secret"]


@pytest.mark.parametrize("field", OPTIONAL_FIELDS)
def test_null_in_an_optional_field_reads_as_absent(field: str) -> None:
    """null in an optional PaymentIntent field is UNSET, and to_dict() leaves the field out."""
    intent = PaymentIntent.from_dict({**INTENT, field: None})
    assert getattr(intent, field) is UNSET
    assert intent.to_dict() == {key: value for key, value in INTENT.items() if key != field}


def test_null_in_optional_error_fields_reads_as_absent() -> None:
    """null in Error's optional code and details is UNSET."""
    error = Error.from_dict({"error": "Service unavailable", "code": None, "details": None})
    assert error.code is UNSET
    assert error.details is UNSET
    assert error.to_dict() == {"error": "Service unavailable"}


def test_unknown_fields_stay_in_additional_properties() -> None:
    """Fields the spec does not name (null-valued ones too) are kept and written back."""
    extra = {"created_at": "2026-11-30T10:00:00Z", "livemode": None, "charges": [{"id": 1}]}
    intent = PaymentIntent.from_dict({**INTENT, **extra})
    assert intent.additional_properties == extra
    assert intent.to_dict() == {**INTENT, **extra}


@pytest.mark.parametrize(("field", "value"), [("status", 7), ("status", ["succeeded"]), ("currency", None)])
def test_an_enum_field_of_another_type_is_not_read(field: str, value: object) -> None:
    """A value that is not even a string (or null where required) is not an unknown value: reading fails."""
    with pytest.raises((TypeError, ValueError)):
        PaymentIntent.from_dict({**INTENT, field: value})


def test_answer_fields_are_typed_open_and_request_fields_closed() -> None:
    """PaymentIntent's enum fields admit str; CreatePaymentIntentRequest.currency admits only Currency."""
    answer = typing.get_type_hints(PaymentIntent)
    request = typing.get_type_hints(CreatePaymentIntentRequest)
    assert str in typing.get_args(answer["status"])
    assert str in typing.get_args(answer["currency"])
    assert request["currency"] is Currency


def test_request_enums_stay_closed() -> None:
    """A currency the spec does not allow cannot be made into a Currency or read into a create request."""
    with pytest.raises(ValueError, match="'eur' is not a valid Currency"):
        Currency("eur")
    with pytest.raises(ValueError, match="'eur' is not a valid Currency"):
        CreatePaymentIntentRequest.from_dict({"amount": 1000, "currency": "eur"})


def test_an_unknown_value_from_an_answer_is_never_sent() -> None:
    """An answer's unknown currency put into a create request fails before anything is sent."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=INTENT)

    client = AuthenticatedClient.basic_auth(
        "https://api.dots.dev/api", "id", "key", httpx_args={"transport": httpx.MockTransport(handler)}
    )
    currency = PaymentIntent.from_dict({**INTENT, "currency": "eur"}).currency
    body = CreatePaymentIntentRequest(amount=1000, currency=currency)  # type: ignore[arg-type]  # what mypy refuses
    with pytest.raises(AttributeError):
        create_payment_intent.sync(client=client, body=body)
    assert sent == []


def test_client_secret_never_shows_in_a_repr() -> None:
    """A create answer's client_secret (openapi.yaml: "keep it from logs") is in no repr: model or Response."""
    secret = "pi_secret_6f1c2d3e4b5a4c6d"
    answer = {**INTENT, "client_secret": secret}
    client = AuthenticatedClient.basic_auth(
        "https://api.dots.dev/api",
        "id",
        "key",
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, json=answer))},
    )
    response = create_payment_intent.sync_detailed(
        client=client, body=CreatePaymentIntentRequest(amount=1000, currency=Currency.USD)
    )
    assert isinstance(response.parsed, PaymentIntent)
    assert response.parsed.client_secret == secret  # still there to hand to the front end
    assert response.parsed.to_dict()["client_secret"] == secret
    for shown in (repr(response.parsed), str(response.parsed), repr(response)):
        assert secret not in shown
    assert f"{len(response.content)} bytes" in repr(response)


@pytest.mark.parametrize(
    "answer",
    [
        [["id", INTENT["id"]], ["amount", 1000], ["currency", "usd"]],  # a JSON array of pairs, not an object
        {**INTENT, "metadata": [["order", "42"]]},  # a nested object given as an array of pairs
        {**INTENT, "metadata": ["ab", "cd"]},  # ... or of two-letter strings
    ],
    ids=["body", "metadata-pairs", "metadata-strings"],
)
def test_an_array_where_an_object_belongs_is_not_read(answer: Any) -> None:
    """A JSON array in place of an object (the body, or a nested model) is unreadable, never read as key-value pairs."""
    client = AuthenticatedClient.basic_auth(
        "https://api.dots.dev/api",
        "id",
        "key",
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, json=answer))},
    )
    response = create_payment_intent.sync_detailed(
        client=client, body=CreatePaymentIntentRequest(amount=1000, currency=Currency.USD)
    )
    assert response.status_code == 200
    assert response.parsed is None
    assert isinstance(response.parse_error, TypeError)
