"""dots_client._webhooks (dots.webhooks): deliveries signed by svix unwrap to the typed event; bad ones raise.

(Named apart from tests/dots_sandbox/background/test_webhooks.py: pytest needs unique test file basenames.)
"""

from __future__ import annotations

import base64
import builtins
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dots_client import AsyncDots, Dots
from dots_client.errors import DotsError, UnreadableWebhook, WebhooksNotInstalled, WebhookVerificationError
from dots_client.models import PaymentIntentUpdatedEvent
from dots_client.models.payment_intent_updated_event_event import PaymentIntentUpdatedEventEvent
from svix.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"a test signing secret of 32 b!!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another secret, also 32 bytes!!").decode()
INTENT = uuid.UUID("0f6d8c5e-7d3a-4b7e-9a51-2f1c7b9e0d11")


def svix_delivery(
    payload: dict[str, Any], secret: str = SECRET, age: timedelta = timedelta(0)
) -> tuple[str, dict[str, str]]:
    """A body and headers signed by the svix library itself (not by dots.webhooks.sign)."""
    body = json.dumps(payload)
    when = datetime.now(UTC) - age
    signature = Webhook(secret).sign("msg_test1", when, body)
    headers = {"svix-id": "msg_test1", "svix-timestamp": str(int(when.timestamp())), "svix-signature": signature}
    return body, headers


def dots() -> Dots:
    """A client with test credentials (unwrap sends nothing)."""
    return Dots(client_id="id", api_key="key", base_url="http://127.0.0.1:9")


def test_unwrap_returns_the_typed_event() -> None:
    """A delivery signed by svix unwraps to a PaymentIntentUpdatedEvent with its known event member."""
    body, headers = svix_delivery({"event": "payment_intent.updated", "payment_intent_id": str(INTENT)})
    event = dots().webhooks.unwrap(body, headers, secret=SECRET)
    assert isinstance(event, PaymentIntentUpdatedEvent)
    assert event.event is PaymentIntentUpdatedEventEvent.PAYMENT_INTENT_UPDATED
    assert event.payment_intent_id == INTENT


def test_unwrap_keeps_unknown_event_and_fields() -> None:
    """An unknown `event` value stays a str and an unknown field lands in additional_properties."""
    payload = {"event": "payment_intent.refunded", "payment_intent_id": str(INTENT), "livemode": False}
    body, headers = svix_delivery(payload)
    event = dots().webhooks.unwrap(body.encode(), headers, secret=SECRET)
    assert event.event == "payment_intent.refunded"
    assert not isinstance(event.event, PaymentIntentUpdatedEventEvent)
    assert event.additional_properties == {"livemode": False}


def test_unwrap_accepts_standard_webhooks_names_and_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """webhook-* header names verify too, and the secret falls back to DOTS_WEBHOOK_SECRET."""
    monkeypatch.setenv("DOTS_WEBHOOK_SECRET", SECRET)
    body, headers = svix_delivery({"event": "payment_intent.updated", "payment_intent_id": str(INTENT)})
    renamed = {name.replace("svix-", "Webhook-"): value for name, value in headers.items()}
    assert dots().webhooks.unwrap(body, renamed).payment_intent_id == INTENT


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ("tampered body", "No matching signature"),
        ("wrong secret", "No matching signature"),
        ("stale timestamp", "too old"),
        ("no headers", "Missing required headers"),
    ],
)
def test_unwrap_refuses_a_bad_delivery(change: str, check: str) -> None:
    """A tampered body, a wrong secret, a stale timestamp or no headers raise, quoting neither body nor secret."""
    payload = {"event": "payment_intent.updated", "payment_intent_id": str(INTENT)}
    body, headers = svix_delivery(payload, age=timedelta(minutes=6) if change == "stale timestamp" else timedelta(0))
    secret = OTHER_SECRET if change == "wrong secret" else SECRET
    if change == "tampered body":
        body = body.replace(str(INTENT), str(uuid.uuid4()))
    if change == "no headers":
        headers = {}
    with pytest.raises(WebhookVerificationError, match=check) as caught:
        dots().webhooks.unwrap(body, headers, secret=secret)
    assert isinstance(caught.value, DotsError)
    assert str(INTENT)[:8] not in str(caught.value)
    assert SECRET[6:] not in str(caught.value)


def test_unwrap_without_a_secret_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """No secret argument and no DOTS_WEBHOOK_SECRET raise WebhookVerificationError naming the variable."""
    monkeypatch.delenv("DOTS_WEBHOOK_SECRET", raising=False)
    body, headers = svix_delivery({"event": "payment_intent.updated", "payment_intent_id": str(INTENT)})
    with pytest.raises(WebhookVerificationError, match="DOTS_WEBHOOK_SECRET"):
        dots().webhooks.unwrap(body, headers)


def test_unwrap_of_a_verified_body_of_another_shape_raises() -> None:
    """A verified body without payment_intent_id raises UnreadableWebhook, not KeyError."""
    body, headers = svix_delivery({"event": "payment_intent.updated"})
    with pytest.raises(UnreadableWebhook, match="KeyError"):
        dots().webhooks.unwrap(body, headers, secret=SECRET)


@pytest.mark.parametrize(
    "body",
    [
        '{"event": "payment_intent.updated", "payment_intent_id": 123}',
        '{"event": "payment_intent.updated", "payment_intent_id": ["a"]}',
        '{"event": "payment_intent.updated", "payment_intent_id": true}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["id a number", "id a list", "id a boolean", "nested too deep"],
)
def test_unwrap_of_a_verified_body_of_wrong_types_raises_unreadable_webhook(body: str) -> None:
    """A verified body whose id is not a string, or whose JSON nests too deep, is UnreadableWebhook, never
    AttributeError or RecursionError."""
    when = datetime.now(UTC)
    headers = {"svix-id": "msg_t", "svix-timestamp": str(int(when.timestamp()))}
    headers["svix-signature"] = Webhook(SECRET).sign("msg_t", when, body)
    with pytest.raises(UnreadableWebhook):
        dots().webhooks.unwrap(body, headers, secret=SECRET)


def test_sign_builds_a_delivery_svix_verifies() -> None:
    """sign() makes headers the svix library accepts, on AsyncDots too, and old timestamps go stale."""
    signed = AsyncDots(client_id="id", api_key="key").webhooks.sign(
        {"event": "payment_intent.updated", "payment_intent_id": str(INTENT)}, SECRET
    )
    Webhook(SECRET).verify(signed.body, signed.headers)
    assert dots().webhooks.unwrap(signed.body, signed.headers, secret=SECRET).payment_intent_id == INTENT
    old = dots().webhooks.sign(signed.body, SECRET, timestamp=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(WebhookVerificationError, match="too old"):
        dots().webhooks.unwrap(old.body, old.headers, secret=SECRET)


def test_missing_svix_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without svix installed, unwrap raises WebhooksNotInstalled naming the extra dots-client[webhooks]."""
    real_import = builtins.__import__

    def no_svix(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("svix"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_svix)
    with pytest.raises(WebhooksNotInstalled, match=r"dots-client\[webhooks\]"):
        dots().webhooks.unwrap(b"{}", {}, secret=SECRET)


def _malformed(name: str) -> tuple[str | bytes, dict[str, str], str]:
    """A delivery with one input malformed (`name`), else signed properly: body, headers, secret."""
    body, headers = svix_delivery({"event": "payment_intent.updated", "payment_intent_id": str(INTENT)})
    signature = headers["svix-signature"]
    changes: dict[str, Any] = {
        "signature without a version": {"svix-signature": signature.split(",", 1)[1]},
        "signature with an empty value": {"svix-signature": "v1,"},
        "signature that is not base64": {"svix-signature": "v1,!!!not base64!!!"},
        "signature of padding only": {"svix-signature": "v1,===="},
        "signature of a single comma": {"svix-signature": ","},
        "timestamp that is not a number": {"svix-timestamp": "yesterday"},
        "timestamp out of range": {"svix-timestamp": "9" * 30},
        "no svix-id": {"svix-id": None},
        "no signature": {"svix-signature": None},
    }
    if name == "body that is not UTF-8":
        return b"\xff\xfe" + body.encode(), headers, SECRET
    if name == "secret that is not base64":
        return body, headers, "whsec_!!!"
    for header, value in changes[name].items():
        if value is None:
            headers.pop(header)
        else:
            headers[header] = value
    return body, headers, SECRET


MALFORMED = [
    "signature without a version",
    "signature with an empty value",
    "signature that is not base64",
    "signature of padding only",
    "signature of a single comma",
    "timestamp that is not a number",
    "timestamp out of range",
    "no svix-id",
    "no signature",
    "body that is not UTF-8",
    "secret that is not base64",
]


@pytest.mark.parametrize("name", MALFORMED)
def test_every_malformed_input_to_unwrap_is_a_webhook_verification_error(name: str) -> None:
    """Malformed headers, base64, body or secret: WebhookVerificationError (answer 400), never another exception."""
    body, headers, secret = _malformed(name)
    with pytest.raises(WebhookVerificationError) as raised:
        dots().webhooks.unwrap(body, headers, secret=secret)
    assert "!!!" not in str(raised.value)


def test_webhooks_verifies_with_a_secret_alone() -> None:
    """`from dots_client import Webhooks`: Webhooks(secret) unwraps and signs with no API credentials."""
    from dots_client import Webhooks  # the import is what is tested

    webhooks = Webhooks(SECRET)
    body, headers = svix_delivery({"event": "payment_intent.updated", "payment_intent_id": str(INTENT)})
    assert webhooks.unwrap(body, headers).payment_intent_id == INTENT
    signed = webhooks.sign({"event": "payment_intent.updated", "payment_intent_id": str(INTENT)})
    assert webhooks.unwrap(signed.body, signed.headers).payment_intent_id == INTENT
    with pytest.raises(WebhookVerificationError):
        webhooks.unwrap(body, headers, secret=OTHER_SECRET)
    assert SECRET not in repr(webhooks)
