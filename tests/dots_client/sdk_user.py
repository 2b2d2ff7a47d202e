"""A user's checkout code on the whole SDK surface: `mypy --strict` checks it (make lint), and
tests/dots_client/test_dots.py runs it against a live sandbox with credentials from the environment.

Prints one line per step; each line is what the step observed.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import httpx
from dots_client import AsyncDots, Dots, RawResponse, errors
from dots_client.models import Currency, PaymentIntent, PaymentIntentStatus

CARD = "00000000-0000-4000-8000-000000000001"
OTHER_CARD = uuid.UUID("3c90c3cc-0d44-4b50-8888-8dd25736052a")


def pay(dots: Dots) -> PaymentIntent:
    """Create and confirm one intent; a conflict or an unknown outcome is reported, never retried blind."""
    intent = dots.payment_intents.create(amount=1000, currency=Currency.USD, metadata={"order_id": "1042"})
    try:
        return dots.payment_intents.confirm(intent.id, payment_method_id=CARD)
    except errors.ConfirmOutcomeUnknown as unknown:
        print("check later:", unknown.payment_intent_id)
        raise


def checkout() -> None:
    with Dots(timeout=10.0, max_retries=2) as dots:
        confirmed = pay(dots)
        paid: bool = confirmed.status == PaymentIntentStatus.SUCCEEDED
        amount: int = confirmed.amount
        print("confirmed", paid, amount, confirmed.currency == "usd")
        try:
            dots.payment_intents.confirm(confirmed.id, payment_method_id=OTHER_CARD, max_retries=0)
        except errors.ConflictError as conflict:
            print("conflict", conflict.status_code, conflict.code)
        try:
            dots.payment_intents.retrieve(uuid.uuid4(), timeout=httpx.Timeout(5.0))
        except errors.NotFoundError as missing:
            print("not found", missing.status_code, missing.code)
        raw: RawResponse[PaymentIntent] = dots.payment_intents.with_raw_response.retrieve(str(confirmed.id))
        print("raw", raw.status_code, raw.headers["content-type"], raw.attempts, raw.parse().id == confirmed.id)
        quick = dots.with_options(max_retries=0, timeout=2.0)
        print("options", quick.max_retries, quick.timeout.read)
    with httpx.Client() as http, Dots(api_key="not-the-key", http_client=http) as wrong:
        try:
            wrong.payment_intents.create(amount=1000, currency="usd")
        except errors.AuthenticationError as denied:
            print("denied", denied.status_code, denied.code)
        except errors.APIConnectionError as down:
            print("no answer; may have reached the server:", down.may_have_reached_server)
        except errors.DotsError as other:
            print("other", type(other).__name__)


async def checkout_async(dots: AsyncDots) -> str:
    intent = await dots.payment_intents.create(amount=2500, currency="usd", confirm=False)
    confirmed = await dots.payment_intents.confirm(intent.id, payment_method_id=uuid.UUID(CARD))
    raw = await dots.payment_intents.with_raw_response.retrieve(intent.id)
    return f"{confirmed.status} {raw.status_code}"


async def close(dots: AsyncDots) -> None:
    async with dots:
        pass


if __name__ == "__main__":
    checkout()
    dots = AsyncDots()
    # One AsyncDots, two event loops: its default httpx.AsyncClient is per loop, never a dead one.
    print("async", asyncio.run(checkout_async(dots)), asyncio.run(checkout_async(dots)))
    asyncio.run(close(dots))
    sys.exit(0)
