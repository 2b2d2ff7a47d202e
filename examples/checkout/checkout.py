"""A small checkout service: it pays an order with Dots, and keeps the order up to date from Dots' webhooks.

The two doors of any payments service: `pay` (create a payment intent, then confirm it) and
`handle_webhook` (what the web framework's webhook endpoint calls with the raw request). Orders live
in a dict here; a real service keeps them, and the webhook ids it handled, in its database.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from dots_client import Dots, Webhooks, errors
from dots_client.models import PaymentIntent

# What an order's customer is told, by the intent's status; anything else is still to be known.
ORDER_STATUS = {
    "succeeded": "paid",
    "failed": "declined",
    "processing": "pending",  # settles later: a webhook tells us how
    "requires_action": "needs_action",  # the customer must authenticate (3-D Secure)
}


@dataclasses.dataclass
class Order:
    """An order's payment: its Dots payment intent and what the customer is told ("unknown": check later)."""

    order_id: str
    payment_intent_id: str
    status: str = "created"


class Checkout:
    """Pays orders through `dots` and takes Dots' webhooks, verified with `webhook_secret` (`whsec_...`)."""

    def __init__(self, dots: Dots, webhook_secret: str) -> None:
        self.dots = dots
        self.webhooks = Webhooks(webhook_secret)  # verifying needs the signing secret only
        self.orders: dict[str, Order] = {}
        self.handled: set[str] = set()  # svix-ids whose work is done: a unique key in a real database

    def pay(self, order_id: str, amount: int, payment_method_id: str) -> Order:
        """Pay `amount` (cents, USD) for `order_id`; paying an order again confirms its own intent, never a new one."""
        order = self.orders.get(order_id)
        if order is None:
            # Created without confirm=True, so a lost create answer leaves an intent that charges nothing.
            intent = self.dots.payment_intents.create(amount=amount, currency="usd", metadata={"order_id": order_id})
            order = self.orders[order_id] = Order(order_id, str(intent.id))
        try:
            confirmed = self.dots.payment_intents.confirm(order.payment_intent_id, payment_method_id=payment_method_id)
        except errors.ConflictError:  # confirmed before (a double click): read what it came to
            confirmed = self.dots.payment_intents.retrieve(order.payment_intent_id)
        except errors.ConfirmOutcomeUnknown:  # no answer even after the client's retries and reconciliation
            order.status = "unknown"  # tell the customer nothing yet; `refresh` (or a webhook) finds out
            return order
        self._update(order, confirmed)
        return order

    def refresh(self, order_id: str) -> Order:
        """Read the order's intent from Dots and update the order (for an "unknown" one, say)."""
        order = self.orders[order_id]
        self._update(order, self.dots.payment_intents.retrieve(order.payment_intent_id))
        return order

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> int:
        """The HTTP status to answer one webhook delivery: `body` exactly as received, `headers` any case."""
        try:
            event = self.webhooks.unwrap(body, headers)
        except (errors.WebhookVerificationError, errors.UnreadableWebhook):
            return 400  # not signed with our secret, too old, malformed, or not the event: anyone can POST here
        svix_id = {name.lower(): value for name, value in headers.items()}["svix-id"]
        if svix_id in self.handled:
            return 204  # a redelivery whose work is done already
        order = next((o for o in self.orders.values() if o.payment_intent_id == str(event.payment_intent_id)), None)
        if order is not None:
            try:  # the event is a pointer: read the intent for its status
                self._update(order, self.dots.payment_intents.retrieve(order.payment_intent_id))
            except errors.DotsError:
                return 500  # not recorded as handled: Dots delivers it again, and the work is done then
        self.handled.add(svix_id)  # only now that the work is done
        return 204

    async def webhook_endpoint(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        """The webhook route as a bare ASGI app (a real service mounts `handle_webhook` in its framework's route)."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        status = await asyncio.to_thread(self.handle_webhook, body, headers)  # the client blocks: not on the loop
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    def _update(order: Order, intent: PaymentIntent) -> None:
        order.status = ORDER_STATUS.get(str(intent.status), order.status)
