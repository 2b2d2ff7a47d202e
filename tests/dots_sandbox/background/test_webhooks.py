"""Receivers from settings, the payload, and Svix signatures made by the `svix` library."""

from __future__ import annotations

import json
import time

import pytest
from svix.webhooks import Webhook

from dots_sandbox.background import webhooks
from dots_spec.document import load_spec
from dots_spec.validators import component_validator

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_ZG90cy1zYW5kYm94LXdlYmhvb2stc2VjcmV0IQ=="
INTENT = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"


def test_several_receivers_are_whitespace_separated_url_secret_pairs() -> None:
    """SANDBOX_WEBHOOKS: `URL=whsec_...` entries separated by spaces or newlines; a URL may hold `=`."""
    value = f"http://127.0.0.1:9000/hooks?a=b={SECRET}\n  https://example.test/h={OTHER_SECRET}"
    receivers = webhooks.parse_receivers(value)
    assert [(r.url, r.secret) for r in receivers] == [
        ("http://127.0.0.1:9000/hooks?a=b", SECRET),
        ("https://example.test/h", OTHER_SECRET),
    ]
    assert webhooks.parse_receivers("  ") == ()


@pytest.mark.parametrize(
    "value",
    [
        "http://127.0.0.1:9000/",  # no secret
        f"ftp://127.0.0.1/={SECRET}",  # not http(s)
        "http://127.0.0.1/=whsec_not*base64",
        "http://127.0.0.1/=whsec_",
        f"http://127.0.0.1/={SECRET} http://127.0.0.1/={OTHER_SECRET}",  # the same URL twice
        f"http://127.0.0.1:99999/={SECRET}",  # a port out of range: every attempt failed with a traceback
        f"http://127.0.0.1:eighty/={SECRET}",
        f"http://[::1/={SECRET}",
    ],
)
def test_malformed_receivers_are_refused_without_showing_the_secret(value: str) -> None:
    """A malformed SANDBOX_WEBHOOKS is a ValueError whose message never contains a secret."""
    with pytest.raises(ValueError, match=r"SANDBOX_WEBHOOKS|webhook receiver") as raised:
        webhooks.parse_receivers(value)
    message = str(raised.value)
    assert SECRET.removeprefix("whsec_") not in message
    assert OTHER_SECRET.removeprefix("whsec_") not in message
    assert "not*base64" not in message


def test_receiver_repr_hides_the_secret() -> None:
    """A Receiver's repr (and so the Settings repr) names the URL, never the secret."""
    (receiver,) = webhooks.parse_receivers(f"http://127.0.0.1:9000/={SECRET}")
    assert "127.0.0.1:9000" in repr(receiver)
    assert SECRET not in repr(receiver)
    assert "MfKQ9r8" not in repr(webhooks.Signer(SECRET))


def test_payload_is_the_specs_webhook_body() -> None:
    """The payload is exactly {"event", "payment_intent_id"} and validates against the webhook's schema."""
    body = json.loads(webhooks.payload(INTENT))
    assert body == {"event": "payment_intent.updated", "payment_intent_id": INTENT}
    schema = load_spec()["webhooks"]["payment_intent.updated"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"] == {"$ref": "#/components/schemas/PaymentIntentUpdatedEvent"}
    validator = component_validator("PaymentIntentUpdatedEvent")
    assert validator.is_valid(body)
    assert not validator.is_valid({**body, "payment_intent_id": "not-a-uuid"})


def test_event_ids_are_unique_msg_ids() -> None:
    """Event ids look like Svix message ids and never repeat."""
    ids = {webhooks.new_event_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(event_id.startswith("msg_") and len(event_id) == 36 for event_id in ids)


def test_signed_headers_verify_with_svix() -> None:
    """The three headers the sandbox sends verify with svix's Webhook, as Dots' do."""
    body = webhooks.payload(INTENT)
    now = time.time()
    headers = webhooks.Signer(SECRET).headers("msg_1", body, now)
    assert headers["svix-id"] == "msg_1"
    assert headers["svix-timestamp"] == str(int(now))
    assert headers["svix-signature"].startswith("v1,")
    Webhook(SECRET).verify(body, headers)
