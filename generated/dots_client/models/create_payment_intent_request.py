from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.create_payment_intent_request_payment_method_types_item import (
    CreatePaymentIntentRequestPaymentMethodTypesItem,
)
from ..models.create_payment_intent_request_setup_future_usage import CreatePaymentIntentRequestSetupFutureUsage
from ..models.currency import Currency
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatePaymentIntentRequest")


@_attrs_define
class CreatePaymentIntentRequest:
    """
    Attributes:
        amount (int): Amount in cents (1 to 99,999,999).
        currency (Currency): Currency of the payment. Currently only `usd` is supported.
        confirm (bool | Unset): Set to `true` to attempt to confirm this payment intent immediately. Defaults to
            `false`. Default: False.
        user_id (UUID | Unset): ID of a Dots `user` making this payment.
        customer_id (UUID | Unset): ID of a Dots `payment_customer` making this payment.
        description (str | Unset): An arbitrary string attached to the object. Often useful for displaying to users.

            **Decision:** at most 1,000 characters (Dots documents no limit); stored, not returned.
        payment_method_id (UUID | Unset): ID of the payment method to attach to this payment intent.
        payment_method_types (list[CreatePaymentIntentRequestPaymentMethodTypesItem] | Unset): Currently only `card` is
            supported.
        setup_future_usage (CreatePaymentIntentRequestSetupFutureUsage | Unset):
        metadata (Metadata | Unset): Set of key-value pairs that you can attach to an object. This can be useful for
            storing
            additional information about the object in a structured format.

            **Decision:** Dots declares the create field `boolean` (a bug: every answer carries an
            object). Requests take an object of at most 20 string values, keys of 1 to 40
            characters, values of at most 500 characters; it is stored and returned unchanged.
        transfer_data (CreatePaymentIntentRequestTransferData | Unset):
        application_fee_amount (int | Unset): Amount in cents to transfer to the application's wallet as a platform fee.

            **Decision:** 0 to 99,999,999 cents, the bound of `amount` (Dots documents none); recorded as
            given, not compared with `amount`; stored, not returned.
    """

    amount: int
    currency: Currency
    confirm: bool | Unset = False
    user_id: UUID | Unset = UNSET
    customer_id: UUID | Unset = UNSET
    description: str | Unset = UNSET
    payment_method_id: UUID | Unset = UNSET
    payment_method_types: list[CreatePaymentIntentRequestPaymentMethodTypesItem] | Unset = UNSET
    setup_future_usage: CreatePaymentIntentRequestSetupFutureUsage | Unset = UNSET
    metadata: Metadata | Unset = UNSET
    transfer_data: CreatePaymentIntentRequestTransferData | Unset = UNSET
    application_fee_amount: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        currency = self.currency.value

        confirm = self.confirm

        user_id: str | Unset = UNSET
        if not isinstance(self.user_id, Unset):
            user_id = str(self.user_id)

        customer_id: str | Unset = UNSET
        if not isinstance(self.customer_id, Unset):
            customer_id = str(self.customer_id)

        description = self.description

        payment_method_id: str | Unset = UNSET
        if not isinstance(self.payment_method_id, Unset):
            payment_method_id = str(self.payment_method_id)

        payment_method_types: list[str] | Unset = UNSET
        if not isinstance(self.payment_method_types, Unset):
            payment_method_types = []
            for payment_method_types_item_data in self.payment_method_types:
                payment_method_types_item = payment_method_types_item_data.value
                payment_method_types.append(payment_method_types_item)

        setup_future_usage: str | Unset = UNSET
        if not isinstance(self.setup_future_usage, Unset):
            setup_future_usage = self.setup_future_usage.value

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        transfer_data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.transfer_data, Unset):
            transfer_data = self.transfer_data.to_dict()

        application_fee_amount = self.application_fee_amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "currency": currency,
            }
        )
        if confirm is not UNSET:
            field_dict["confirm"] = confirm
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if customer_id is not UNSET:
            field_dict["customer_id"] = customer_id
        if description is not UNSET:
            field_dict["description"] = description
        if payment_method_id is not UNSET:
            field_dict["payment_method_id"] = payment_method_id
        if payment_method_types is not UNSET:
            field_dict["payment_method_types"] = payment_method_types
        if setup_future_usage is not UNSET:
            field_dict["setup_future_usage"] = setup_future_usage
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if transfer_data is not UNSET:
            field_dict["transfer_data"] = transfer_data
        if application_fee_amount is not UNSET:
            field_dict["application_fee_amount"] = application_fee_amount

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = {**src_dict}  # dots: not dict(src_dict), which reads a JSON array of pairs as an object
        amount = d.pop("amount")
        currency = Currency(d.pop("currency"))

        confirm = d.pop("confirm", UNSET)
        _user_id = d.pop("user_id", UNSET)
        user_id: UUID | Unset
        if isinstance(_user_id, Unset):
            user_id = UNSET
        else:
            user_id = UUID(_user_id)

        _customer_id = d.pop("customer_id", UNSET)
        customer_id: UUID | Unset
        if isinstance(_customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = UUID(_customer_id)

        description = d.pop("description", UNSET)
        _payment_method_id = d.pop("payment_method_id", UNSET)
        payment_method_id: UUID | Unset
        if isinstance(_payment_method_id, Unset):
            payment_method_id = UNSET
        else:
            payment_method_id = UUID(_payment_method_id)

        _payment_method_types = d.pop("payment_method_types", UNSET)
        payment_method_types: list[CreatePaymentIntentRequestPaymentMethodTypesItem] | Unset = UNSET
        if _payment_method_types is not UNSET:
            payment_method_types = []
            for payment_method_types_item_data in _payment_method_types:
                payment_method_types_item = CreatePaymentIntentRequestPaymentMethodTypesItem(
                    payment_method_types_item_data
                )

                payment_method_types.append(payment_method_types_item)

        _setup_future_usage = d.pop("setup_future_usage", UNSET)
        setup_future_usage: CreatePaymentIntentRequestSetupFutureUsage | Unset
        if isinstance(_setup_future_usage, Unset):
            setup_future_usage = UNSET
        else:
            setup_future_usage = CreatePaymentIntentRequestSetupFutureUsage(_setup_future_usage)

        _metadata = d.pop("metadata", UNSET)
        metadata: Metadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = Metadata.from_dict(_metadata)

        _transfer_data = d.pop("transfer_data", UNSET)
        transfer_data: CreatePaymentIntentRequestTransferData | Unset
        if isinstance(_transfer_data, Unset):
            transfer_data = UNSET
        else:
            transfer_data = CreatePaymentIntentRequestTransferData.from_dict(_transfer_data)

        application_fee_amount = d.pop("application_fee_amount", UNSET)
        create_payment_intent_request = cls(
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
        )

        return create_payment_intent_request


# dots: nested models are imported here, once, not inside every from_dict/to_dict call (the stock
# lazy import cost about 1 µs a call); an import cycle between models resolves here, since this
# module's class is defined by now.
from ..models.create_payment_intent_request_transfer_data import CreatePaymentIntentRequestTransferData  # noqa: E402
from ..models.metadata import Metadata  # noqa: E402
