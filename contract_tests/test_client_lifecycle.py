"""The generated client drives the whole lifecycle against the live target, sync and asyncio."""

from __future__ import annotations

import asyncio
from typing import Any

from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent, create_payment_intent, retrieve_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, CreatePaymentIntentRequest, Error, PaymentIntent
from dots_client.types import Unset
from hypothesis import given, settings

from . import session
from .api import not_moved_on
from .spec_data import ALREADY_CONFIRMED_CODE, UNCONFIRMED_STATUSES, request_bodies
from .target import Target

RUN = session.current()
CREATE = request_bodies("create_payment_intent").map(lambda body: {**body, "confirm": False})
CONFIRM = request_bodies("confirm_payment_intent")
LIFECYCLES = max(2, RUN.budget.property_examples // 5)


def _client(target: Target) -> AuthenticatedClient:
    return AuthenticatedClient.basic_auth(target.base_url, *target.auth, raise_on_unexpected_status=True, timeout=30)


def _assert_lifecycle(answers: tuple[Any, ...], confirm: ConfirmPaymentIntentRequest) -> None:
    """created, retrieved, confirmed, confirmed again (parsed 409), retrieved after: as the spec describes."""
    created, retrieved, confirmed, again, after = answers
    assert isinstance(created, PaymentIntent), created
    assert created.status in UNCONFIRMED_STATUSES
    assert isinstance(retrieved, PaymentIntent), retrieved
    assert retrieved.id == created.id
    assert isinstance(confirmed, PaymentIntent), confirmed
    assert confirmed.id == created.id
    assert confirmed.payment_method_id == confirm.payment_method_id
    assert confirmed.status not in UNCONFIRMED_STATUSES
    assert isinstance(again, Error), again
    assert isinstance(again.code, Unset) or again.code == ALREADY_CONFIRMED_CODE
    assert isinstance(after, PaymentIntent), after
    assert not_moved_on(confirmed.to_dict(), after.to_dict()) is None, (confirmed, after)


@settings(max_examples=LIFECYCLES)
@given(create=CREATE, confirm=CONFIRM)
def test_sync_client_drives_the_lifecycle(target: Target, create: dict[str, Any], confirm: dict[str, Any]) -> None:
    """create → retrieve → confirm → confirm again (409 Error) → retrieve, with the sync functions."""
    create_body = CreatePaymentIntentRequest.from_dict(create)
    confirm_body = ConfirmPaymentIntentRequest.from_dict(confirm)
    with _client(target) as client:
        created = create_payment_intent.sync(client=client, body=create_body)
        assert isinstance(created, PaymentIntent), created
        retrieved = retrieve_payment_intent.sync(created.id, client=client)
        confirmed = confirm_payment_intent.sync(created.id, client=client, body=confirm_body)
        again = confirm_payment_intent.sync_detailed(created.id, client=client, body=confirm_body)
        assert again.status_code == 409
        after = retrieve_payment_intent.sync(created.id, client=client)
    _assert_lifecycle((created, retrieved, confirmed, again.parsed, after), confirm_body)


@settings(max_examples=LIFECYCLES)
@given(create=CREATE, confirm=CONFIRM)
def test_async_client_drives_the_lifecycle(target: Target, create: dict[str, Any], confirm: dict[str, Any]) -> None:
    """create → retrieve → confirm → confirm again (409 Error) → retrieve, with the asyncio functions."""
    create_body = CreatePaymentIntentRequest.from_dict(create)
    confirm_body = ConfirmPaymentIntentRequest.from_dict(confirm)

    async def lifecycle() -> tuple[Any, ...]:
        async with _client(target) as client:
            created = await create_payment_intent.asyncio(client=client, body=create_body)
            assert isinstance(created, PaymentIntent), created
            retrieved = await retrieve_payment_intent.asyncio(created.id, client=client)
            confirmed = await confirm_payment_intent.asyncio(created.id, client=client, body=confirm_body)
            again = await confirm_payment_intent.asyncio_detailed(created.id, client=client, body=confirm_body)
            assert again.status_code == 409
            after = await retrieve_payment_intent.asyncio(created.id, client=client)
            return created, retrieved, confirmed, again.parsed, after

    _assert_lifecycle(asyncio.run(lifecycle()), confirm_body)
