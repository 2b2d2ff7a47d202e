"""dots_client.errors (apart from the sandbox's test_errors): no exception quotes a body (a client_secret)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import create_payment_intent
from dots_client.errors import UnexpectedStatus
from dots_client.models import CreatePaymentIntentRequest, Currency

CLIENT_SECRET = "pi_secret_5e1a0c9d"


def test_unexpected_status_message_never_quotes_the_body() -> None:
    """An undocumented 201 to a create (with a client_secret) raises UnexpectedStatus naming the status only."""
    intent = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "client_secret": CLIENT_SECRET}
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
    assert CLIENT_SECRET not in str(raised.value) + repr(raised.value)
    assert "201" in str(raised.value)
