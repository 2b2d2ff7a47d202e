# A copy of codegen/sdk/_webhooks.py, written by `make generate`: edit that file, never this copy.
"""`dots.webhooks`: verify a webhook delivery with the `svix` library and read it as the typed event.

Hand-written (`codegen/sdk/_webhooks.py`, copied into the package by `make generate`), shaped as
openai-python's `client.webhooks.unwrap(payload, headers)` and stripe-python's
`Webhook.construct_event`. The signature scheme is Svix's (Standard Webhooks): `svix-id`,
`svix-timestamp`, `svix-signature` (or the same names with `webhook-`), an HMAC-SHA256 over
`id.timestamp.body`, and a timestamp tolerance of 5 minutes either way (svix 2.9.1's, from
`standardwebhooks`). `svix` is the optional dependency `dots-client[webhooks]` (it pulls pydantic,
which a client that never receives a webhook should not carry): without it, `unwrap` and `sign`
raise `WebhooksNotInstalled` naming the extra. No message here quotes the body or the secret.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dots_client.errors import UnreadableWebhook, WebhooksNotInstalled, WebhookVerificationError
from dots_client.models import PaymentIntentUpdatedEvent

SECRET_VARIABLE = "DOTS_WEBHOOK_SECRET"  # noqa: S105 (the variable's name, not a secret)


@dataclasses.dataclass(frozen=True, slots=True)
class SignedDelivery:
    """A delivery as Svix sends it: `body` (the JSON bytes) and `headers` (`svix-id`,
    `svix-timestamp`, `svix-signature`, `content-type`): post them to a receiver under test."""

    body: bytes
    headers: dict[str, str]


def _svix_webhook(secret: str | None) -> Any:
    """svix's `Webhook` for `secret` (or DOTS_WEBHOOK_SECRET); `WebhookVerificationError` without one."""
    try:
        from svix.webhooks import Webhook  # noqa: PLC0415 (svix is the optional extra)
    except ImportError as error:
        raise WebhooksNotInstalled(
            "dots.webhooks needs the svix library: install dots-client[webhooks] (pip install 'dots-client[webhooks]')"
        ) from error
    key = secret if secret is not None else os.environ.get(SECRET_VARIABLE)
    if not key:
        raise WebhookVerificationError(f"no webhook secret: pass secret= or set {SECRET_VARIABLE}")
    try:
        return Webhook(key)
    except Exception as error:  # binascii.Error, EmptyWebhookSecretError: the message could quote the secret
        raise WebhookVerificationError(f"the webhook secret is not a Svix secret ({type(error).__name__})") from None


class Webhooks:
    """Verify (`unwrap`) and sign (`sign`) webhook deliveries with a signing secret alone.

    `Webhooks(secret=None)`: `secret` is the endpoint's `whsec_...` secret, used when a call gives
    none (else DOTS_WEBHOOK_SECRET); no API credentials are needed (`from dots_client import
    Webhooks`). `dots.webhooks` on `Dots` and `AsyncDots` is one with no secret of its own
    (verifying needs no I/O, so nothing here is a coroutine). The repr never shows the secret.
    """

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return f"{type(self).__name__}(secret={'[redacted]' if self._secret else None})"

    def unwrap(
        self, body: str | bytes, headers: Mapping[str, str], secret: str | None = None
    ) -> PaymentIntentUpdatedEvent:
        """Verify a delivery and return its `PaymentIntentUpdatedEvent`.

        `body`: the request body exactly as received (bytes, or str as received); `headers`: the
        request's headers (any mapping; names in any case, `svix-*` or `webhook-*`); `secret`: the
        endpoint's signing secret (`whsec_...`), else this object's, else DOTS_WEBHOOK_SECRET.

        Raises `WebhookVerificationError` (answer `400`: Svix gives up on a bad delivery's retries
        only once they fail) for every input that cannot be verified: a missing or malformed
        secret, missing or malformed signature headers (bad base64, a non-integer timestamp), a
        body that is not UTF-8, a signature that does not match (tampered body, wrong secret) or a
        timestamp more than 5 minutes away from now; `UnreadableWebhook` for a verified body that
        is not the event (a bug on the sender's side); `WebhooksNotInstalled` without svix. The
        event is read tolerantly, as the client reads answers: an `event` value this client does
        not know is kept as a plain `str`, unknown fields in `additional_properties`.
        """
        webhook = _svix_webhook(secret if secret is not None else self._secret)
        try:
            text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
            if not isinstance(text, str):
                raise TypeError("the body is not bytes or str")
            plain_headers = {str(name): str(value) for name, value in headers.items()}
        except (UnicodeDecodeError, TypeError, AttributeError) as error:
            raise WebhookVerificationError(
                f"webhook delivery not verified: unreadable input ({type(error).__name__})"
            ) from None
        from svix.webhooks import WebhookVerificationError as SvixVerificationError  # noqa: PLC0415

        try:
            webhook.verify(text, plain_headers)
        except SvixVerificationError as error:
            # svix's messages name the failed check ("No matching signature found",
            # "Message timestamp too old"), never the body or the secret.
            raise WebhookVerificationError(f"webhook delivery not verified: {error}") from None
        except Exception as error:  # malformed input makes svix raise ValueError, binascii.Error...
            raise WebhookVerificationError(
                f"webhook delivery not verified: malformed signature headers ({type(error).__name__})"
            ) from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError(f"a JSON {type(data).__name__}, not an object")
            return PaymentIntentUpdatedEvent.from_dict(data)
        # AttributeError: uuid.UUID of a number or list; RecursionError: JSON nested past the stack.
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            raise UnreadableWebhook(
                f"verified webhook body is not a PaymentIntentUpdatedEvent ({type(error).__name__})"
            ) from None

    def sign(
        self,
        payload: Mapping[str, Any] | str | bytes,
        secret: str | None = None,
        *,
        msg_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> SignedDelivery:
        """A delivery of `payload` (a dict is JSON-encoded; str/bytes sent as given) signed as Svix signs.

        `secret` falls back to DOTS_WEBHOOK_SECRET; `msg_id` defaults to a fresh `msg_...` id and
        `timestamp` (aware) to now: pass an old one to test the tolerance. For tests and local
        development: Dots' own deliveries come from Svix. Raises as `unwrap` does for the secret.
        """
        webhook = _svix_webhook(secret if secret is not None else self._secret)
        if isinstance(payload, Mapping):
            text = json.dumps(dict(payload), separators=(",", ":"))
        else:
            text = payload.decode() if isinstance(payload, bytes) else payload
        msg_id = msg_id or f"msg_{secrets.token_hex(12)}"
        when = timestamp or datetime.now(UTC)
        signature: str = webhook.sign(msg_id, when, text)
        headers = {
            "content-type": "application/json",
            "svix-id": msg_id,
            "svix-timestamp": str(int(when.timestamp())),
            "svix-signature": signature,
        }
        return SignedDelivery(text.encode(), headers)


AsyncWebhooks = Webhooks
