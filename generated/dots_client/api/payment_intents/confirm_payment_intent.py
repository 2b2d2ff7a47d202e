from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
from httpx import USE_CLIENT_DEFAULT

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.confirm_payment_intent_request import ConfirmPaymentIntentRequest
from ...models.error import Error
from ...models.payment_intent import PaymentIntent
from ...types import Response, status_of


def _get_kwargs(
    payment_intent_id: UUID,
    *,
    body: ConfirmPaymentIntentRequest,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v2/payment-intents/{payment_intent_id}/confirm".format(
            payment_intent_id=str(payment_intent_id)
            if isinstance(payment_intent_id, UUID)
            else quote(str(payment_intent_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

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

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content, headers=response.headers)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | PaymentIntent]:
    # dots: the body is untrusted input: whatever reading it raises, the caller still gets the answer.
    try:
        parsed = _parse_response(client=client, response=response)
    except errors.UnexpectedStatus:
        raise
    except Exception as error:
        return Response(
            status_code=status_of(response.status_code),
            content=response.content,
            headers=response.headers,
            parsed=None,
            parse_error=error,
        )
    return Response(
        status_code=status_of(response.status_code),  # dots: not HTTPStatus(...), see the note above
        content=response.content,
        headers=response.headers,
        parsed=parsed,
    )


def _undecodable(
    *, client: AuthenticatedClient | Client, response: httpx.Response, error: httpx.DecodingError
) -> Response[Error | PaymentIntent]:
    """dots: an answer whose body its Content-Encoding does not decode (a gateway's page labelled gzip
    that is not) is unreadable like any other body: a documented status carries `error` as its
    `parse_error`, an undocumented one is None or UnexpectedStatus as configured. `content` is
    empty: httpx consumed the undecodable bytes."""
    built = _build_response(client=client, response=httpx.Response(response.status_code, content=b""))
    return Response(
        status_code=built.status_code,
        content=b"",
        headers=response.headers,
        parsed=None,
        parse_error=None if built.parse_error is None else error,
    )


def sync_detailed(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConfirmPaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Response[Error | PaymentIntent]:
    """Confirm a Payment Intent

     Confirm a payment intent that has not been confirmed yet (Dots).

    **Decision (which intents):** an intent can be confirmed while its status is
    `initialized`, `created`, `requires_payment_method` or `requires_confirmation`. Any other
    status means it was confirmed before: the answer is `409` with code
    `payment-intent-already-confirmed` and the intent is left untouched.

    **Decision (outcome):** confirm records the `payment_method_id` sent (replacing one given
    at create) and moves the intent to `succeeded`, with a new `transfer_id`; or, as the
    payment method dictates, to `requires_action` (an authentication challenge),
    `processing` (settles later) or `failed` (a decline). `amount`, `currency`, `user_id`
    and `metadata` never change. A decline is still a `200`: the confirm happened and its
    outcome is the status. The answer never carries `client_secret`.

    **Decision (atomicity):** the check and the state change are one transaction: of any
    number of concurrent confirms of one intent exactly one is answered `200`, the others
    `409`.

    Args:
        payment_intent_id (UUID):
        body (ConfirmPaymentIntentRequest):
        timeout (httpx.Timeout | float | None): For this call only, in seconds; None (the default)
            uses the client's timeout.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than the timeout (connect, read, write or pool).

    Returns:
        Response[Error | PaymentIntent]: `parsed` is None for an undocumented status,
            and for a documented one whose body could not be read (`parse_error` then says why).
    """

    kwargs = _get_kwargs(
        payment_intent_id=payment_intent_id,
        body=body,
    )

    # dots: request() as httpx writes it (build, send, read), with the read ours: see _undecodable
    httpx_client = client.get_httpx_client()
    request = httpx_client.build_request(**kwargs, timeout=USE_CLIENT_DEFAULT if timeout is None else timeout)
    response = httpx_client.send(request, stream=True)
    try:
        response.read()
    except httpx.DecodingError as error:
        return _undecodable(client=client, response=response, error=error)
    finally:
        response.close()

    return _build_response(client=client, response=response)


def sync(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConfirmPaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Error | PaymentIntent | None:
    """Confirm a Payment Intent

     Confirm a payment intent that has not been confirmed yet (Dots).

    **Decision (which intents):** an intent can be confirmed while its status is
    `initialized`, `created`, `requires_payment_method` or `requires_confirmation`. Any other
    status means it was confirmed before: the answer is `409` with code
    `payment-intent-already-confirmed` and the intent is left untouched.

    **Decision (outcome):** confirm records the `payment_method_id` sent (replacing one given
    at create) and moves the intent to `succeeded`, with a new `transfer_id`; or, as the
    payment method dictates, to `requires_action` (an authentication challenge),
    `processing` (settles later) or `failed` (a decline). `amount`, `currency`, `user_id`
    and `metadata` never change. A decline is still a `200`: the confirm happened and its
    outcome is the status. The answer never carries `client_secret`.

    **Decision (atomicity):** the check and the state change are one transaction: of any
    number of concurrent confirms of one intent exactly one is answered `200`, the others
    `409`.

    Args:
        payment_intent_id (UUID):
        body (ConfirmPaymentIntentRequest):
        timeout (httpx.Timeout | float | None): For this call only, in seconds; None (the default)
            uses the client's timeout.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        errors.UnreadableResponse: If the server answers a documented status with a body the models
            cannot read (not JSON, empty, HTML, another shape or type); it carries the Response.
        httpx.TimeoutException: If the request takes longer than the timeout (connect, read, write or pool).

    Returns:
        Error | PaymentIntent
    """

    response = sync_detailed(
        payment_intent_id=payment_intent_id,
        client=client,
        body=body,
        timeout=timeout,
    )
    if response.parse_error is not None:  # dots: see errors.UnreadableResponse
        raise errors.UnreadableResponse(response) from response.parse_error
    return response.parsed


async def asyncio_detailed(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConfirmPaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Response[Error | PaymentIntent]:
    """Confirm a Payment Intent

     Confirm a payment intent that has not been confirmed yet (Dots).

    **Decision (which intents):** an intent can be confirmed while its status is
    `initialized`, `created`, `requires_payment_method` or `requires_confirmation`. Any other
    status means it was confirmed before: the answer is `409` with code
    `payment-intent-already-confirmed` and the intent is left untouched.

    **Decision (outcome):** confirm records the `payment_method_id` sent (replacing one given
    at create) and moves the intent to `succeeded`, with a new `transfer_id`; or, as the
    payment method dictates, to `requires_action` (an authentication challenge),
    `processing` (settles later) or `failed` (a decline). `amount`, `currency`, `user_id`
    and `metadata` never change. A decline is still a `200`: the confirm happened and its
    outcome is the status. The answer never carries `client_secret`.

    **Decision (atomicity):** the check and the state change are one transaction: of any
    number of concurrent confirms of one intent exactly one is answered `200`, the others
    `409`.

    Args:
        payment_intent_id (UUID):
        body (ConfirmPaymentIntentRequest):
        timeout (httpx.Timeout | float | None): For this call only, in seconds; None (the default)
            uses the client's timeout.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than the timeout (connect, read, write or pool).

    Returns:
        Response[Error | PaymentIntent]: `parsed` is None for an undocumented status,
            and for a documented one whose body could not be read (`parse_error` then says why).
    """

    kwargs = _get_kwargs(
        payment_intent_id=payment_intent_id,
        body=body,
    )

    # dots: request() as httpx writes it (build, send, read), with the read ours: see _undecodable
    httpx_client = client.get_async_httpx_client()
    request = httpx_client.build_request(**kwargs, timeout=USE_CLIENT_DEFAULT if timeout is None else timeout)
    response = await httpx_client.send(request, stream=True)
    try:
        await response.aread()
    except httpx.DecodingError as error:
        return _undecodable(client=client, response=response, error=error)
    finally:
        await response.aclose()

    return _build_response(client=client, response=response)


async def asyncio(
    payment_intent_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConfirmPaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Error | PaymentIntent | None:
    """Confirm a Payment Intent

     Confirm a payment intent that has not been confirmed yet (Dots).

    **Decision (which intents):** an intent can be confirmed while its status is
    `initialized`, `created`, `requires_payment_method` or `requires_confirmation`. Any other
    status means it was confirmed before: the answer is `409` with code
    `payment-intent-already-confirmed` and the intent is left untouched.

    **Decision (outcome):** confirm records the `payment_method_id` sent (replacing one given
    at create) and moves the intent to `succeeded`, with a new `transfer_id`; or, as the
    payment method dictates, to `requires_action` (an authentication challenge),
    `processing` (settles later) or `failed` (a decline). `amount`, `currency`, `user_id`
    and `metadata` never change. A decline is still a `200`: the confirm happened and its
    outcome is the status. The answer never carries `client_secret`.

    **Decision (atomicity):** the check and the state change are one transaction: of any
    number of concurrent confirms of one intent exactly one is answered `200`, the others
    `409`.

    Args:
        payment_intent_id (UUID):
        body (ConfirmPaymentIntentRequest):
        timeout (httpx.Timeout | float | None): For this call only, in seconds; None (the default)
            uses the client's timeout.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        errors.UnreadableResponse: If the server answers a documented status with a body the models
            cannot read (not JSON, empty, HTML, another shape or type); it carries the Response.
        httpx.TimeoutException: If the request takes longer than the timeout (connect, read, write or pool).

    Returns:
        Error | PaymentIntent
    """

    response = await asyncio_detailed(
        payment_intent_id=payment_intent_id,
        client=client,
        body=body,
        timeout=timeout,
    )
    if response.parse_error is not None:  # dots: see errors.UnreadableResponse
        raise errors.UnreadableResponse(response) from response.parse_error
    return response.parsed
