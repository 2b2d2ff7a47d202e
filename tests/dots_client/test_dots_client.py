"""The generated package: imports, authenticates with HTTP Basic, and confirms over MockTransport."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path

import httpx
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, Error, PaymentIntent, PaymentIntentStatus

BASE_URL = "https://api.dots.dev/api"
INTENT_ID = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5")
METHOD_ID = uuid.UUID("3c90c3cc-0d44-4b50-8888-8dd25736052a")


def _confirmed(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "id": str(INTENT_ID),
            "amount": 1000,
            "currency": "usd",
            "status": "succeeded",
            "payment_method_id": body["payment_method_id"],
            "metadata": {},
        },
    )


def _client(handler: httpx.MockTransport) -> AuthenticatedClient:
    return AuthenticatedClient.basic_auth(BASE_URL, "client-id", "s3cret-key", httpx_args={"transport": handler})


def test_confirm_sends_basic_auth_path_and_body() -> None:
    """confirm_payment_intent.sync_detailed builds the documented request and parses the 200."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _confirmed(request)

    client = _client(httpx.MockTransport(handler))
    response = confirm_payment_intent.sync_detailed(
        INTENT_ID, client=client, body=ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    )
    (request,) = seen
    assert request.method == "POST"
    assert request.url == f"{BASE_URL}/v2/payment-intents/{INTENT_ID}/confirm"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"client-id:s3cret-key").decode()
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"payment_method_id": str(METHOD_ID)}
    assert response.status_code == 200
    assert isinstance(response.parsed, PaymentIntent)
    assert response.parsed.status is PaymentIntentStatus.SUCCEEDED
    assert response.parsed.payment_method_id == METHOD_ID


def test_confirm_async_matches_sync() -> None:
    """The asyncio variant parses the same answer."""
    client = _client(httpx.MockTransport(_confirmed))
    parsed = asyncio.run(
        confirm_payment_intent.asyncio(
            INTENT_ID, client=client, body=ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
        )
    )
    assert isinstance(parsed, PaymentIntent)
    assert parsed.id == INTENT_ID


def test_confirm_parses_already_confirmed_as_error() -> None:
    """A documented 409 is parsed into the Error model with its code."""
    body = {"error": "PaymentIntent has already been confirmed", "code": "payment-intent-already-confirmed"}
    client = _client(httpx.MockTransport(lambda _: httpx.Response(409, json=body)))
    parsed = confirm_payment_intent.sync(
        INTENT_ID, client=client, body=ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    )
    assert isinstance(parsed, Error)
    assert parsed.code == "payment-intent-already-confirmed"


def test_client_repr_hides_credentials() -> None:
    """Neither the api key nor the Basic header shows in the client's repr, even after use."""
    client = _client(httpx.MockTransport(_confirmed))
    confirm_payment_intent.sync(INTENT_ID, client=client, body=ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID))
    token = base64.b64encode(b"client-id:s3cret-key").decode()
    text = repr(client) + str(client)
    assert "s3cret-key" not in text
    assert token not in text
    assert BASE_URL in text


def test_unnamed_status_is_a_plain_int() -> None:
    """A status http.HTTPStatus does not name (520) is answered as an int, parsed None, not a ValueError."""
    client = _client(httpx.MockTransport(lambda _: httpx.Response(520, content=b"origin down")))
    response = confirm_payment_intent.sync_detailed(
        INTENT_ID, client=client, body=ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    )
    assert response.status_code == 520
    assert response.parsed is None


def test_package_readme_teaches_basic_auth() -> None:
    """The package's README (its wheel's description) shows basic_auth, never a Bearer token."""
    readme = (Path(__file__).resolve().parents[2] / "generated" / "README.md").read_text(encoding="utf-8")
    assert "AuthenticatedClient.basic_auth(" in readme
    assert "token=" not in readme
    assert "Bearer" not in readme
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    compile(example, "generated/README.md", "exec")
