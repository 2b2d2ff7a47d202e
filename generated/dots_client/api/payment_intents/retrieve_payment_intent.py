from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.payment_intent import PaymentIntent
from ...types import Response, status_of


def _get_kwargs(
    payment_intent_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v2/payment-intents/{payment_intent_id}".format(
            payment_intent_id=quote(str(payment_intent_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | PaymentIntent | None:
    if response.status_code == 200:
        response_200 = PaymentIntent.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | PaymentIntent]:
    return Response(
        status_code=status_of(response.status_code),  # dots: not HTTPStatus(...), see the note above
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Error | PaymentIntent]:
    """Retrieve a Payment Intent

     Return the payment intent as stored. Never carries `client_secret` (see create).

    Args:
        payment_intent_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaymentIntent]
    """

    kwargs = _get_kwargs(
        payment_intent_id=payment_intent_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Error | PaymentIntent | None:
    """Retrieve a Payment Intent

     Return the payment intent as stored. Never carries `client_secret` (see create).

    Args:
        payment_intent_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaymentIntent
    """

    return sync_detailed(
        payment_intent_id=payment_intent_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Error | PaymentIntent]:
    """Retrieve a Payment Intent

     Return the payment intent as stored. Never carries `client_secret` (see create).

    Args:
        payment_intent_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PaymentIntent]
    """

    kwargs = _get_kwargs(
        payment_intent_id=payment_intent_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Error | PaymentIntent | None:
    """Retrieve a Payment Intent

     Return the payment intent as stored. Never carries `client_secret` (see create).

    Args:
        payment_intent_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PaymentIntent
    """

    return (
        await asyncio_detailed(
            payment_intent_id=payment_intent_id,
            client=client,
        )
    ).parsed
