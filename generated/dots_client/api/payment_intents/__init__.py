"""Contains endpoint functions for accessing the API, and the resource classes `Dots` and `AsyncDots` expose"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import httpx

from ... import models
from ..._response import Call, RawResponse, as_uuid, plain
from ...types import UNSET, Unset
from . import confirm_payment_intent, create_payment_intent, retrieve_payment_intent

if TYPE_CHECKING:  # the client imports this module (its reconciling retrieve), not the other way round
    from ..._base_client import AsyncAPIClient, SyncAPIClient


class PaymentIntentsWithRawResponse:
    """The methods of `PaymentIntents`, each returning a `RawResponse`: the status and headers of the answer too."""

    def __init__(self, client: "SyncAPIClient") -> None:
        self._client = client

    def create(
        self,
        *,
        amount: int,
        currency: models.Currency | Literal["usd"],
        confirm: bool | Unset = UNSET,
        user_id: UUID | str | Unset = UNSET,
        customer_id: UUID | str | Unset = UNSET,
        description: str | Unset = UNSET,
        payment_method_id: UUID | str | Unset = UNSET,
        payment_method_types: Sequence[models.CreatePaymentIntentRequestPaymentMethodTypesItem | Literal["card"]]
        | Unset = UNSET,
        setup_future_usage: models.CreatePaymentIntentRequestSetupFutureUsage | Literal["on_session"] | Unset = UNSET,
        metadata: models.Metadata | Mapping[str, str] | Unset = UNSET,
        transfer_data: models.CreatePaymentIntentRequestTransferData | Mapping[str, Any] | Unset = UNSET,
        application_fee_amount: int | Unset = UNSET,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> RawResponse[models.PaymentIntent]:
        """`create`, returning the answer's status and headers too: a `RawResponse` whose `parse()` is the `PaymentIntent`."""

        _body = models.CreatePaymentIntentRequest(
            amount=amount,
            currency=models.Currency(currency),
            confirm=UNSET if isinstance(confirm, Unset) else confirm,
            user_id=UNSET if isinstance(user_id, Unset) else as_uuid(user_id, "user_id"),
            customer_id=UNSET if isinstance(customer_id, Unset) else as_uuid(customer_id, "customer_id"),
            description=UNSET if isinstance(description, Unset) else description,
            payment_method_id=UNSET
            if isinstance(payment_method_id, Unset)
            else as_uuid(payment_method_id, "payment_method_id"),
            payment_method_types=UNSET
            if isinstance(payment_method_types, Unset)
            else [models.CreatePaymentIntentRequestPaymentMethodTypesItem(item) for item in payment_method_types],
            setup_future_usage=UNSET
            if isinstance(setup_future_usage, Unset)
            else models.CreatePaymentIntentRequestSetupFutureUsage(setup_future_usage),
            metadata=UNSET
            if isinstance(metadata, Unset)
            else metadata
            if isinstance(metadata, models.Metadata)
            else models.Metadata.from_dict(plain(metadata)),
            transfer_data=UNSET
            if isinstance(transfer_data, Unset)
            else transfer_data
            if isinstance(transfer_data, models.CreatePaymentIntentRequestTransferData)
            else models.CreatePaymentIntentRequestTransferData.from_dict(plain(transfer_data)),
            application_fee_amount=UNSET if isinstance(application_fee_amount, Unset) else application_fee_amount,
        )
        _call = Call(
            "create_payment_intent",
            "post",
            create_payment_intent._get_kwargs(body=_body),
            create_payment_intent._build_response,
            create_payment_intent._undecodable,
            models.PaymentIntent,
            (),
            _body,
        )
        return self._client._request(_call, timeout, max_retries, deadline)

    def retrieve(
        self,
        payment_intent_id: UUID | str,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> RawResponse[models.PaymentIntent]:
        """`retrieve`, returning the answer's status and headers too: a `RawResponse` whose `parse()` is the `PaymentIntent`."""

        _payment_intent_id = as_uuid(payment_intent_id, "payment_intent_id")
        _call = Call(
            "retrieve_payment_intent",
            "get",
            retrieve_payment_intent._get_kwargs(
                _payment_intent_id,
            ),
            retrieve_payment_intent._build_response,
            retrieve_payment_intent._undecodable,
            models.PaymentIntent,
            (_payment_intent_id,),
            None,
        )
        return self._client._request(_call, timeout, max_retries, deadline)

    def confirm(
        self,
        payment_intent_id: UUID | str,
        *,
        payment_method_id: UUID | str,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> RawResponse[models.PaymentIntent]:
        """`confirm`, returning the answer's status and headers too: a `RawResponse` whose `parse()` is the `PaymentIntent`."""

        _payment_intent_id = as_uuid(payment_intent_id, "payment_intent_id")
        _body = models.ConfirmPaymentIntentRequest(
            payment_method_id=as_uuid(payment_method_id, "payment_method_id"),
        )
        _call = Call(
            "confirm_payment_intent",
            "post",
            confirm_payment_intent._get_kwargs(_payment_intent_id, body=_body),
            confirm_payment_intent._build_response,
            confirm_payment_intent._undecodable,
            models.PaymentIntent,
            (_payment_intent_id,),
            _body,
        )
        return self._client._request(_call, timeout, max_retries, deadline)


class PaymentIntents:
    """The `payment_intents` operations: `dots.payment_intents.<method>(...)`; `with_raw_response` for the status and headers."""

    def __init__(self, client: "SyncAPIClient") -> None:
        self._client = client
        self.with_raw_response = PaymentIntentsWithRawResponse(client)

    def create(
        self,
        *,
        amount: int,
        currency: models.Currency | Literal["usd"],
        confirm: bool | Unset = UNSET,
        user_id: UUID | str | Unset = UNSET,
        customer_id: UUID | str | Unset = UNSET,
        description: str | Unset = UNSET,
        payment_method_id: UUID | str | Unset = UNSET,
        payment_method_types: Sequence[models.CreatePaymentIntentRequestPaymentMethodTypesItem | Literal["card"]]
        | Unset = UNSET,
        setup_future_usage: models.CreatePaymentIntentRequestSetupFutureUsage | Literal["on_session"] | Unset = UNSET,
        metadata: models.Metadata | Mapping[str, str] | Unset = UNSET,
        transfer_data: models.CreatePaymentIntentRequestTransferData | Mapping[str, Any] | Unset = UNSET,
        application_fee_amount: int | Unset = UNSET,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> models.PaymentIntent:
        """Create a Payment Intent (POST /v2/payment-intents).

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
            amount: Amount in cents (1 to 99,999,999).
            currency: Currency of the payment. Currently only `usd` is supported.
            confirm: Set to `true` to attempt to confirm this payment intent immediately. Defaults to `false`.
            user_id: ID of a Dots `user` making this payment.
            customer_id: ID of a Dots `payment_customer` making this payment.
            description: An arbitrary string attached to the object. Often useful for displaying to users.

                **Decision:** at most 1,000 characters (Dots documents no limit); stored, not returned.
            payment_method_id: ID of the payment method to attach to this payment intent.
            payment_method_types: Currently only `card` is supported.
            setup_future_usage:
            metadata: Set of key-value pairs that you can attach to an object. This can be useful for storing
                additional information about the object in a structured format.

                **Decision:** Dots declares the create field `boolean` (a bug: every answer carries an
                object). Requests take an object of at most 20 string values, keys of 1 to 40
                characters, values of at most 500 characters; it is stored and returned unchanged.
            transfer_data:
            application_fee_amount: Amount in cents to transfer to the application's wallet as a platform fee.

                **Decision:** 0 to 99,999,999 cents, the bound of `amount` (Dots documents none); recorded as
                given, not compared with `amount`; stored, not returned.
            timeout: Seconds, or an `httpx.Timeout`, for each request of this call; None: the client's.
            max_retries: Retries for this call; None: the client's (3 by default).
            deadline: Seconds this whole call may take (attempts, waits, reconciliation); None: the client's.

        Returns:
            PaymentIntent: the answer's model.

        Raises:
            dots_client.errors.APIStatusError: An error answer, as the subclass for its status
                (`NotFoundError`, `ConflictError`, ...), once the retries the answer allows are spent.
            dots_client.errors.APIConnectionError: No answer (`APITimeoutError` for a timeout);
                `may_have_reached_server` says whether the server may have acted.
            dots_client.errors.UnreadableResponse: A success answer whose body cannot be read.
            dots_client.errors.ClientClosedError: The client was closed; nothing is sent.
            ValueError: An argument the request schema refuses (an id that is not a UUID, an unknown
                enum value); nothing is sent.
        """

        raw = self.with_raw_response.create(
            amount=amount,
            currency=currency,
            confirm=confirm,
            user_id=user_id,
            customer_id=customer_id,
            description=description,
            payment_method_id=payment_method_id,
            payment_method_types=payment_method_types,
            setup_future_usage=setup_future_usage,
            metadata=metadata,
            transfer_data=transfer_data,
            application_fee_amount=application_fee_amount,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )
        return raw.parsed

    def retrieve(
        self,
        payment_intent_id: UUID | str,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> models.PaymentIntent:
        """Retrieve a Payment Intent (GET /v2/payment-intents/{payment_intent_id}).

        Return the payment intent as stored. Never carries `client_secret` (see create).

        Args:
            payment_intent_id: The `payment_intent_id` path parameter (a `uuid.UUID` or its string).
            timeout: Seconds, or an `httpx.Timeout`, for each request of this call; None: the client's.
            max_retries: Retries for this call; None: the client's (3 by default).
            deadline: Seconds this whole call may take (attempts, waits, reconciliation); None: the client's.

        Returns:
            PaymentIntent: the answer's model.

        Raises:
            dots_client.errors.APIStatusError: An error answer, as the subclass for its status
                (`NotFoundError`, `ConflictError`, ...), once the retries the answer allows are spent.
            dots_client.errors.APIConnectionError: No answer (`APITimeoutError` for a timeout);
                `may_have_reached_server` says whether the server may have acted.
            dots_client.errors.UnreadableResponse: A success answer whose body cannot be read.
            dots_client.errors.ClientClosedError: The client was closed; nothing is sent.
            ValueError: An argument the request schema refuses (an id that is not a UUID, an unknown
                enum value); nothing is sent.
        """

        raw = self.with_raw_response.retrieve(
            payment_intent_id,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )
        return raw.parsed

    def confirm(
        self,
        payment_intent_id: UUID | str,
        *,
        payment_method_id: UUID | str,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> models.PaymentIntent:
        """Confirm a Payment Intent (POST /v2/payment-intents/{payment_intent_id}/confirm).

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
            payment_intent_id: The `payment_intent_id` path parameter (a `uuid.UUID` or its string).
            payment_method_id: ID of the payment method to confirm the intent with.

                **Decision:** a UUID. Dots' request schema says only `string`, but its payment-intent
                object (what confirm answers) and its create request both declare `payment_method_id`
                as a UUID, so a non-UUID could never be recorded faithfully.
            timeout: Seconds, or an `httpx.Timeout`, for each request of this call; None: the client's.
            max_retries: Retries for this call; None: the client's (3 by default).
            deadline: Seconds this whole call may take (attempts, waits, reconciliation); None: the client's.

        Returns:
            PaymentIntent: the answer's model.

        Raises:
            dots_client.errors.APIStatusError: An error answer, as the subclass for its status
                (`NotFoundError`, `ConflictError`, ...), once the retries the answer allows are spent.
            dots_client.errors.APIConnectionError: No answer (`APITimeoutError` for a timeout);
                `may_have_reached_server` says whether the server may have acted.
            dots_client.errors.UnreadableResponse: A success answer whose body cannot be read.
            dots_client.errors.ClientClosedError: The client was closed; nothing is sent.
            dots_client.errors.ConfirmOutcomeUnknown: An attempt may have acted and a retrieve cannot show
                whether it did (or the deadline passed first): retrieve the intent later before confirming again.
            ValueError: An argument the request schema refuses (an id that is not a UUID, an unknown
                enum value); nothing is sent.
        """

        raw = self.with_raw_response.confirm(
            payment_intent_id,
            payment_method_id=payment_method_id,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )
        return raw.parsed


class AsyncPaymentIntentsWithRawResponse:
    """The methods of `AsyncPaymentIntents`, each returning a `RawResponse`: the status and headers of the answer too."""

    def __init__(self, client: "AsyncAPIClient") -> None:
        self._client = client

    async def create(
        self,
        *,
        amount: int,
        currency: models.Currency | Literal["usd"],
        confirm: bool | Unset = UNSET,
        user_id: UUID | str | Unset = UNSET,
        customer_id: UUID | str | Unset = UNSET,
        description: str | Unset = UNSET,
        payment_method_id: UUID | str | Unset = UNSET,
        payment_method_types: Sequence[models.CreatePaymentIntentRequestPaymentMethodTypesItem | Literal["card"]]
        | Unset = UNSET,
        setup_future_usage: models.CreatePaymentIntentRequestSetupFutureUsage | Literal["on_session"] | Unset = UNSET,
        metadata: models.Metadata | Mapping[str, str] | Unset = UNSET,
        transfer_data: models.CreatePaymentIntentRequestTransferData | Mapping[str, Any] | Unset = UNSET,
        application_fee_amount: int | Unset = UNSET,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> RawResponse[models.PaymentIntent]:
        """`create`, returning the answer's status and headers too: a `RawResponse` whose `parse()` is the `PaymentIntent`."""

        _body = models.CreatePaymentIntentRequest(
            amount=amount,
            currency=models.Currency(currency),
            confirm=UNSET if isinstance(confirm, Unset) else confirm,
            user_id=UNSET if isinstance(user_id, Unset) else as_uuid(user_id, "user_id"),
            customer_id=UNSET if isinstance(customer_id, Unset) else as_uuid(customer_id, "customer_id"),
            description=UNSET if isinstance(description, Unset) else description,
            payment_method_id=UNSET
            if isinstance(payment_method_id, Unset)
            else as_uuid(payment_method_id, "payment_method_id"),
            payment_method_types=UNSET
            if isinstance(payment_method_types, Unset)
            else [models.CreatePaymentIntentRequestPaymentMethodTypesItem(item) for item in payment_method_types],
            setup_future_usage=UNSET
            if isinstance(setup_future_usage, Unset)
            else models.CreatePaymentIntentRequestSetupFutureUsage(setup_future_usage),
            metadata=UNSET
            if isinstance(metadata, Unset)
            else metadata
            if isinstance(metadata, models.Metadata)
            else models.Metadata.from_dict(plain(metadata)),
            transfer_data=UNSET
            if isinstance(transfer_data, Unset)
            else transfer_data
            if isinstance(transfer_data, models.CreatePaymentIntentRequestTransferData)
            else models.CreatePaymentIntentRequestTransferData.from_dict(plain(transfer_data)),
            application_fee_amount=UNSET if isinstance(application_fee_amount, Unset) else application_fee_amount,
        )
        _call = Call(
            "create_payment_intent",
            "post",
            create_payment_intent._get_kwargs(body=_body),
            create_payment_intent._build_response,
            create_payment_intent._undecodable,
            models.PaymentIntent,
            (),
            _body,
        )
        return await self._client._request(_call, timeout, max_retries, deadline)

    async def retrieve(
        self,
        payment_intent_id: UUID | str,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> RawResponse[models.PaymentIntent]:
        """`retrieve`, returning the answer's status and headers too: a `RawResponse` whose `parse()` is the `PaymentIntent`."""

        _payment_intent_id = as_uuid(payment_intent_id, "payment_intent_id")
        _call = Call(
            "retrieve_payment_intent",
            "get",
            retrieve_payment_intent._get_kwargs(
                _payment_intent_id,
            ),
            retrieve_payment_intent._build_response,
            retrieve_payment_intent._undecodable,
            models.PaymentIntent,
            (_payment_intent_id,),
            None,
        )
        return await self._client._request(_call, timeout, max_retries, deadline)

    async def confirm(
        self,
        payment_intent_id: UUID | str,
        *,
        payment_method_id: UUID | str,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> RawResponse[models.PaymentIntent]:
        """`confirm`, returning the answer's status and headers too: a `RawResponse` whose `parse()` is the `PaymentIntent`."""

        _payment_intent_id = as_uuid(payment_intent_id, "payment_intent_id")
        _body = models.ConfirmPaymentIntentRequest(
            payment_method_id=as_uuid(payment_method_id, "payment_method_id"),
        )
        _call = Call(
            "confirm_payment_intent",
            "post",
            confirm_payment_intent._get_kwargs(_payment_intent_id, body=_body),
            confirm_payment_intent._build_response,
            confirm_payment_intent._undecodable,
            models.PaymentIntent,
            (_payment_intent_id,),
            _body,
        )
        return await self._client._request(_call, timeout, max_retries, deadline)


class AsyncPaymentIntents:
    """The `payment_intents` operations: `await dots.payment_intents.<method>(...)`; `with_raw_response` for the status and headers."""

    def __init__(self, client: "AsyncAPIClient") -> None:
        self._client = client
        self.with_raw_response = AsyncPaymentIntentsWithRawResponse(client)

    async def create(
        self,
        *,
        amount: int,
        currency: models.Currency | Literal["usd"],
        confirm: bool | Unset = UNSET,
        user_id: UUID | str | Unset = UNSET,
        customer_id: UUID | str | Unset = UNSET,
        description: str | Unset = UNSET,
        payment_method_id: UUID | str | Unset = UNSET,
        payment_method_types: Sequence[models.CreatePaymentIntentRequestPaymentMethodTypesItem | Literal["card"]]
        | Unset = UNSET,
        setup_future_usage: models.CreatePaymentIntentRequestSetupFutureUsage | Literal["on_session"] | Unset = UNSET,
        metadata: models.Metadata | Mapping[str, str] | Unset = UNSET,
        transfer_data: models.CreatePaymentIntentRequestTransferData | Mapping[str, Any] | Unset = UNSET,
        application_fee_amount: int | Unset = UNSET,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> models.PaymentIntent:
        """Create a Payment Intent (POST /v2/payment-intents).

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
            amount: Amount in cents (1 to 99,999,999).
            currency: Currency of the payment. Currently only `usd` is supported.
            confirm: Set to `true` to attempt to confirm this payment intent immediately. Defaults to `false`.
            user_id: ID of a Dots `user` making this payment.
            customer_id: ID of a Dots `payment_customer` making this payment.
            description: An arbitrary string attached to the object. Often useful for displaying to users.

                **Decision:** at most 1,000 characters (Dots documents no limit); stored, not returned.
            payment_method_id: ID of the payment method to attach to this payment intent.
            payment_method_types: Currently only `card` is supported.
            setup_future_usage:
            metadata: Set of key-value pairs that you can attach to an object. This can be useful for storing
                additional information about the object in a structured format.

                **Decision:** Dots declares the create field `boolean` (a bug: every answer carries an
                object). Requests take an object of at most 20 string values, keys of 1 to 40
                characters, values of at most 500 characters; it is stored and returned unchanged.
            transfer_data:
            application_fee_amount: Amount in cents to transfer to the application's wallet as a platform fee.

                **Decision:** 0 to 99,999,999 cents, the bound of `amount` (Dots documents none); recorded as
                given, not compared with `amount`; stored, not returned.
            timeout: Seconds, or an `httpx.Timeout`, for each request of this call; None: the client's.
            max_retries: Retries for this call; None: the client's (3 by default).
            deadline: Seconds this whole call may take (attempts, waits, reconciliation); None: the client's.

        Returns:
            PaymentIntent: the answer's model.

        Raises:
            dots_client.errors.APIStatusError: An error answer, as the subclass for its status
                (`NotFoundError`, `ConflictError`, ...), once the retries the answer allows are spent.
            dots_client.errors.APIConnectionError: No answer (`APITimeoutError` for a timeout);
                `may_have_reached_server` says whether the server may have acted.
            dots_client.errors.UnreadableResponse: A success answer whose body cannot be read.
            dots_client.errors.ClientClosedError: The client was closed; nothing is sent.
            ValueError: An argument the request schema refuses (an id that is not a UUID, an unknown
                enum value); nothing is sent.
        """

        raw = await self.with_raw_response.create(
            amount=amount,
            currency=currency,
            confirm=confirm,
            user_id=user_id,
            customer_id=customer_id,
            description=description,
            payment_method_id=payment_method_id,
            payment_method_types=payment_method_types,
            setup_future_usage=setup_future_usage,
            metadata=metadata,
            transfer_data=transfer_data,
            application_fee_amount=application_fee_amount,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )
        return raw.parsed

    async def retrieve(
        self,
        payment_intent_id: UUID | str,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> models.PaymentIntent:
        """Retrieve a Payment Intent (GET /v2/payment-intents/{payment_intent_id}).

        Return the payment intent as stored. Never carries `client_secret` (see create).

        Args:
            payment_intent_id: The `payment_intent_id` path parameter (a `uuid.UUID` or its string).
            timeout: Seconds, or an `httpx.Timeout`, for each request of this call; None: the client's.
            max_retries: Retries for this call; None: the client's (3 by default).
            deadline: Seconds this whole call may take (attempts, waits, reconciliation); None: the client's.

        Returns:
            PaymentIntent: the answer's model.

        Raises:
            dots_client.errors.APIStatusError: An error answer, as the subclass for its status
                (`NotFoundError`, `ConflictError`, ...), once the retries the answer allows are spent.
            dots_client.errors.APIConnectionError: No answer (`APITimeoutError` for a timeout);
                `may_have_reached_server` says whether the server may have acted.
            dots_client.errors.UnreadableResponse: A success answer whose body cannot be read.
            dots_client.errors.ClientClosedError: The client was closed; nothing is sent.
            ValueError: An argument the request schema refuses (an id that is not a UUID, an unknown
                enum value); nothing is sent.
        """

        raw = await self.with_raw_response.retrieve(
            payment_intent_id,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )
        return raw.parsed

    async def confirm(
        self,
        payment_intent_id: UUID | str,
        *,
        payment_method_id: UUID | str,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> models.PaymentIntent:
        """Confirm a Payment Intent (POST /v2/payment-intents/{payment_intent_id}/confirm).

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
            payment_intent_id: The `payment_intent_id` path parameter (a `uuid.UUID` or its string).
            payment_method_id: ID of the payment method to confirm the intent with.

                **Decision:** a UUID. Dots' request schema says only `string`, but its payment-intent
                object (what confirm answers) and its create request both declare `payment_method_id`
                as a UUID, so a non-UUID could never be recorded faithfully.
            timeout: Seconds, or an `httpx.Timeout`, for each request of this call; None: the client's.
            max_retries: Retries for this call; None: the client's (3 by default).
            deadline: Seconds this whole call may take (attempts, waits, reconciliation); None: the client's.

        Returns:
            PaymentIntent: the answer's model.

        Raises:
            dots_client.errors.APIStatusError: An error answer, as the subclass for its status
                (`NotFoundError`, `ConflictError`, ...), once the retries the answer allows are spent.
            dots_client.errors.APIConnectionError: No answer (`APITimeoutError` for a timeout);
                `may_have_reached_server` says whether the server may have acted.
            dots_client.errors.UnreadableResponse: A success answer whose body cannot be read.
            dots_client.errors.ClientClosedError: The client was closed; nothing is sent.
            dots_client.errors.ConfirmOutcomeUnknown: An attempt may have acted and a retrieve cannot show
                whether it did (or the deadline passed first): retrieve the intent later before confirming again.
            ValueError: An argument the request schema refuses (an id that is not a UUID, an unknown
                enum value); nothing is sent.
        """

        raw = await self.with_raw_response.confirm(
            payment_intent_id,
            payment_method_id=payment_method_id,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )
        return raw.parsed


__all__ = [
    "PaymentIntents",
    "PaymentIntentsWithRawResponse",
    "AsyncPaymentIntents",
    "AsyncPaymentIntentsWithRawResponse",
]
