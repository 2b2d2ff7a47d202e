from typing import Any

import httpx
from httpx import USE_CLIENT_DEFAULT

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_payment_intent_request import CreatePaymentIntentRequest
from ...models.error import Error
from ...models.payment_intent import PaymentIntent
from ...types import Response, status_of


def _get_kwargs(
    *,
    body: CreatePaymentIntentRequest,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v2/payment-intents",
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
    *,
    client: AuthenticatedClient,
    body: CreatePaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Response[Error | PaymentIntent]:
    """Create a Payment Intent

     Create a payment intent for `amount` cents of `currency`.

    **Decision (initial status):** without `confirm: true` the intent starts `initialized`,
    as in every example Dots publishes, and can then be confirmed.

    **Decision (confirm on create):** with `confirm: true` the intent is confirmed in the same
    request, with the same outcomes as the confirm operation, when `payment_method_id` is
    given; without one it is created `requires_payment_method` (still unconfirmed), never
    rejected, since nothing in the request is invalid on its own.

    **Decision (client_secret):** the answer to create is the only answer that carries
    `client_secret` ("Only available on payment intent creation", Dots). Retrieve and confirm
    never return it. Keep it from logs.

    **Decision (amounts):** `amount` is at least 1 cent and at most 99,999,999 cents
    ($999,999.99); `application_fee_amount` is recorded as given (Dots documents no rule
    relating it to `amount`).

    Dots documents no idempotency for payment intents; a retried create makes a second
    intent.

    Args:
        body (CreatePaymentIntentRequest):
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
    *,
    client: AuthenticatedClient,
    body: CreatePaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Error | PaymentIntent | None:
    """Create a Payment Intent

     Create a payment intent for `amount` cents of `currency`.

    **Decision (initial status):** without `confirm: true` the intent starts `initialized`,
    as in every example Dots publishes, and can then be confirmed.

    **Decision (confirm on create):** with `confirm: true` the intent is confirmed in the same
    request, with the same outcomes as the confirm operation, when `payment_method_id` is
    given; without one it is created `requires_payment_method` (still unconfirmed), never
    rejected, since nothing in the request is invalid on its own.

    **Decision (client_secret):** the answer to create is the only answer that carries
    `client_secret` ("Only available on payment intent creation", Dots). Retrieve and confirm
    never return it. Keep it from logs.

    **Decision (amounts):** `amount` is at least 1 cent and at most 99,999,999 cents
    ($999,999.99); `application_fee_amount` is recorded as given (Dots documents no rule
    relating it to `amount`).

    Dots documents no idempotency for payment intents; a retried create makes a second
    intent.

    Args:
        body (CreatePaymentIntentRequest):
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
        client=client,
        body=body,
        timeout=timeout,
    )
    if response.parse_error is not None:  # dots: see errors.UnreadableResponse
        raise errors.UnreadableResponse(response) from response.parse_error
    return response.parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CreatePaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Response[Error | PaymentIntent]:
    """Create a Payment Intent

     Create a payment intent for `amount` cents of `currency`.

    **Decision (initial status):** without `confirm: true` the intent starts `initialized`,
    as in every example Dots publishes, and can then be confirmed.

    **Decision (confirm on create):** with `confirm: true` the intent is confirmed in the same
    request, with the same outcomes as the confirm operation, when `payment_method_id` is
    given; without one it is created `requires_payment_method` (still unconfirmed), never
    rejected, since nothing in the request is invalid on its own.

    **Decision (client_secret):** the answer to create is the only answer that carries
    `client_secret` ("Only available on payment intent creation", Dots). Retrieve and confirm
    never return it. Keep it from logs.

    **Decision (amounts):** `amount` is at least 1 cent and at most 99,999,999 cents
    ($999,999.99); `application_fee_amount` is recorded as given (Dots documents no rule
    relating it to `amount`).

    Dots documents no idempotency for payment intents; a retried create makes a second
    intent.

    Args:
        body (CreatePaymentIntentRequest):
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
    *,
    client: AuthenticatedClient,
    body: CreatePaymentIntentRequest,
    timeout: httpx.Timeout | float | None = None,
) -> Error | PaymentIntent | None:
    """Create a Payment Intent

     Create a payment intent for `amount` cents of `currency`.

    **Decision (initial status):** without `confirm: true` the intent starts `initialized`,
    as in every example Dots publishes, and can then be confirmed.

    **Decision (confirm on create):** with `confirm: true` the intent is confirmed in the same
    request, with the same outcomes as the confirm operation, when `payment_method_id` is
    given; without one it is created `requires_payment_method` (still unconfirmed), never
    rejected, since nothing in the request is invalid on its own.

    **Decision (client_secret):** the answer to create is the only answer that carries
    `client_secret` ("Only available on payment intent creation", Dots). Retrieve and confirm
    never return it. Keep it from logs.

    **Decision (amounts):** `amount` is at least 1 cent and at most 99,999,999 cents
    ($999,999.99); `application_fee_amount` is recorded as given (Dots documents no rule
    relating it to `amount`).

    Dots documents no idempotency for payment intents; a retried create makes a second
    intent.

    Args:
        body (CreatePaymentIntentRequest):
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
        client=client,
        body=body,
        timeout=timeout,
    )
    if response.parse_error is not None:  # dots: see errors.UnreadableResponse
        raise errors.UnreadableResponse(response) from response.parse_error
    return response.parsed
