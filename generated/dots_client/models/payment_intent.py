from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.currency import Currency
from ..models.payment_intent_status import PaymentIntentStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="PaymentIntent")
# dots: value -> member, for the tolerant reader: one dict lookup, a tenth of the cost of an enum call
_Currency_MEMBERS: dict[Any, Currency] = {member.value: member for member in Currency}
_PaymentIntentStatus_MEMBERS: dict[Any, PaymentIntentStatus] = {member.value: member for member in PaymentIntentStatus}


@_attrs_define
class PaymentIntent:
    """The payment-intent object (Dots' `payment-intent` schema). Optional fields are omitted,
    never `null`, when they have no value.

        Attributes:
            id (UUID): ID of the payment intent.
            amount (int): Amount in cents.
            currency (Currency | str): Currency of the payment. Currently only `usd` is supported.
            user_id (UUID | Unset): ID of the Dots `user` making this payment.
            status (PaymentIntentStatus | str | Unset): Status of the payment intent (all ten values Dots documents).
                Unconfirmed:
                `initialized`, `created`, `requires_payment_method`, `requires_confirmation`. Confirm
                leads to `succeeded`, `processing`, `requires_action` or `failed`; later, `processing`
                and `requires_action` become `succeeded` or `failed` (see the Lifecycle). `requires_capture`
                and `canceled` are documented by Dots but reached by no operation described here.
            transfer_id (UUID | Unset): ID of the transfer that moved the funds; present once the intent has `succeeded`.
            payment_method_id (UUID | Unset): ID of the payment method attached at create or recorded by confirm.
            metadata (PaymentIntentMetadata | Unset): The metadata given at create (an empty object when none was given).
            client_secret (str | Unset): Only available on payment intent creation (the create answer); never returned by
                retrieve or confirm.
    """

    id: UUID
    amount: int
    currency: Currency | str
    user_id: UUID | Unset = UNSET
    status: PaymentIntentStatus | str | Unset = UNSET
    transfer_id: UUID | Unset = UNSET
    payment_method_id: UUID | Unset = UNSET
    metadata: PaymentIntentMetadata | Unset = UNSET
    client_secret: str | Unset = _attrs_field(default=UNSET, repr=False)
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        amount = self.amount

        currency = str(self.currency)

        user_id: str | Unset = UNSET
        if not isinstance(self.user_id, Unset):
            user_id = str(self.user_id)

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = str(self.status)

        transfer_id: str | Unset = UNSET
        if not isinstance(self.transfer_id, Unset):
            transfer_id = str(self.transfer_id)

        payment_method_id: str | Unset = UNSET
        if not isinstance(self.payment_method_id, Unset):
            payment_method_id = str(self.payment_method_id)

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        client_secret = self.client_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "amount": amount,
                "currency": currency,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if status is not UNSET:
            field_dict["status"] = status
        if transfer_id is not UNSET:
            field_dict["transfer_id"] = transfer_id
        if payment_method_id is not UNSET:
            field_dict["payment_method_id"] = payment_method_id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = {**src_dict}  # dots: not dict(src_dict), which reads a JSON array of pairs as an object
        id = UUID(d.pop("id"))

        amount = d.pop("amount")

        _currency = d.pop("currency")
        currency: Currency | str
        _currency_member = _Currency_MEMBERS.get(_currency)
        if _currency_member is not None:
            currency = _currency_member
        elif isinstance(_currency, str):
            currency = _currency
        else:
            raise TypeError(f"currency: {type(_currency).__name__} is no Currency")

        _user_id = d.pop("user_id", None)
        user_id: UUID | Unset
        if _user_id is None:
            user_id = UNSET
        else:
            user_id = UUID(_user_id)

        _status = d.pop("status", None)
        status: PaymentIntentStatus | str | Unset
        if _status is None:
            status = UNSET
        else:
            _status_member = _PaymentIntentStatus_MEMBERS.get(_status)
            if _status_member is not None:
                status = _status_member
            elif isinstance(_status, str):
                status = _status
            else:
                raise TypeError(f"status: {type(_status).__name__} is no PaymentIntentStatus")

        _transfer_id = d.pop("transfer_id", None)
        transfer_id: UUID | Unset
        if _transfer_id is None:
            transfer_id = UNSET
        else:
            transfer_id = UUID(_transfer_id)

        _payment_method_id = d.pop("payment_method_id", None)
        payment_method_id: UUID | Unset
        if _payment_method_id is None:
            payment_method_id = UNSET
        else:
            payment_method_id = UUID(_payment_method_id)

        _metadata = d.pop("metadata", None)
        metadata: PaymentIntentMetadata | Unset
        if _metadata is None:
            metadata = UNSET
        else:
            metadata = PaymentIntentMetadata.from_dict(_metadata)

        client_secret = d.pop("client_secret", UNSET)
        if client_secret is None:
            client_secret = UNSET

        payment_intent = cls(
            id=id,
            amount=amount,
            currency=currency,
            user_id=user_id,
            status=status,
            transfer_id=transfer_id,
            payment_method_id=payment_method_id,
            metadata=metadata,
            client_secret=client_secret,
        )

        payment_intent.additional_properties = d
        return payment_intent

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties


# dots: nested models are imported here, once, not inside every from_dict/to_dict call (the stock
# lazy import cost about 1 µs a call); an import cycle between models resolves here, since this
# module's class is defined by now.
from ..models.payment_intent_metadata import PaymentIntentMetadata  # noqa: E402
