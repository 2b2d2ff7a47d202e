"""`payment_intent.updated` webhooks: receivers, the payload, and Svix signatures.

Facts (docs.dots.dev references/webhooks; Svix "verifying payloads"): Dots delivers webhooks
through Svix; payloads are thin pointers to the changed object; each request carries `svix-id`
(the message id, the same on every retry), `svix-timestamp` (epoch seconds of the attempt) and
`svix-signature` (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the
base64-decoded secret after `whsec_`). Signing and verifying are the `svix` library's
(`svix.webhooks.Webhook`), never code of ours (receivers verify with it: dots_client's
`webhooks.unwrap`, dots_sandbox/receiver.py); it is imported only when a receiver is configured
(it takes about a second to import).
"""

from __future__ import annotations

import binascii
import dataclasses
import datetime
import json
import re
import urllib.parse
from typing import TYPE_CHECKING

import uuid_utils

if TYPE_CHECKING:
    from svix.webhooks import Webhook

EVENT_TYPE = "payment_intent.updated"
# How many attempts one receiver may have in flight at once, by default (SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER):
# the sandbox's four senders of old, now each receiver's own (dots_sandbox/background/outbox.py).
ATTEMPTS_PER_RECEIVER = 4
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix, not a secret)
_SECRET = re.compile(r"whsec_[A-Za-z0-9+/]+={0,2}")
# Entries are separated by whitespace (a URL has none); each is URL=whsec_..., split at the
# last "=whsec_" (a base64 secret cannot contain "_", so the split is unambiguous).
_SEPARATOR = "=" + SECRET_PREFIX

_encode = json.JSONEncoder(separators=(",", ":")).encode


@dataclasses.dataclass(frozen=True, slots=True)
class Receiver:
    """A webhook receiver: its URL and its `whsec_` signing secret (never in the repr)."""

    url: str
    secret: str = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"https?://[^\s/]+\S*", self.url):
            raise ValueError(f"a webhook receiver URL must be http:// or https://, not {self.url!r}")
        try:  # a port outside 0-65535 (or no number) would fail every attempt with an error of no HTTP kind
            urllib.parse.urlsplit(self.url).port  # noqa: B018 (read for its ValueError)
        except ValueError as error:
            raise ValueError(f"a webhook receiver URL must be a valid URL, not {self.url!r}: {error}") from None
        if not _SECRET.fullmatch(self.secret) or not _decoded_secret(self.secret):
            raise ValueError(f"the secret of webhook receiver {self.url} must be whsec_ followed by base64")


def parse_receivers(value: str) -> tuple[Receiver, ...]:
    """Receivers from SANDBOX_WEBHOOKS: whitespace-separated `URL=whsec_SECRET` entries (ValueError if malformed).

    A malformed entry's message names its URL part only, never the secret.
    """
    receivers = []
    for entry in value.split():
        url, separator, secret = entry.rpartition(_SEPARATOR)
        if not separator:
            raise ValueError(
                f"SANDBOX_WEBHOOKS entries are URL=whsec_SECRET; one has no '=whsec_' ({entry.split('=')[0]!r})"
            )
        receivers.append(Receiver(url, SECRET_PREFIX + secret))
    urls = [receiver.url for receiver in receivers]
    if len(set(urls)) != len(urls):
        raise ValueError("SANDBOX_WEBHOOKS names a receiver URL twice")
    return tuple(receivers)


def payload(intent_id: str) -> str:
    """The JSON body of a `payment_intent.updated` event (the spec's PaymentIntentUpdatedEvent)."""
    return _encode({"event": EVENT_TYPE, "payment_intent_id": intent_id})


def new_event_id() -> str:
    """A new event id (`svix-id`): `msg_` and 32 hex digits, unique per event, kept across retries."""
    return f"msg_{uuid_utils.uuid4().hex}"


class Signer:
    """Svix headers for a receiver's secret, made by `svix.webhooks.Webhook.sign`."""

    __slots__ = ("_webhook",)

    def __init__(self, secret: str) -> None:
        from svix.webhooks import Webhook  # noqa: PLC0415 (a second to import: only when a receiver exists)

        self._webhook: Webhook = Webhook(secret)

    def __repr__(self) -> str:
        return "Signer(<secret>)"

    def headers(self, event_id: str, body: str, at: float) -> dict[str, str]:
        """`svix-id`, `svix-timestamp` (whole seconds of `at`) and `svix-signature` for one attempt."""
        timestamp = datetime.datetime.fromtimestamp(int(at), datetime.UTC)
        return {
            "svix-id": event_id,
            "svix-timestamp": str(int(at)),
            "svix-signature": self._webhook.sign(event_id, timestamp, body),
        }


def _decoded_secret(secret: str) -> bytes:
    try:
        return binascii.a2b_base64(secret.removeprefix(SECRET_PREFIX), strict_mode=True)
    except (binascii.Error, ValueError):
        return b""
