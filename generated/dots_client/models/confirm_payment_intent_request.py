from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="ConfirmPaymentIntentRequest")


@_attrs_define
class ConfirmPaymentIntentRequest:
    """
    Attributes:
        payment_method_id (UUID): ID of the payment method to confirm the intent with.

            **Decision:** a UUID. Dots' request schema says only `string`, but its payment-intent
            object (what confirm answers) and its create request both declare `payment_method_id`
            as a UUID, so a non-UUID could never be recorded faithfully.
    """

    payment_method_id: UUID

    def to_dict(self) -> dict[str, Any]:
        payment_method_id = str(self.payment_method_id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "payment_method_id": payment_method_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = {**src_dict}  # dots: not dict(src_dict), which reads a JSON array of pairs as an object
        payment_method_id = UUID(d.pop("payment_method_id"))

        confirm_payment_intent_request = cls(
            payment_method_id=payment_method_id,
        )

        return confirm_payment_intent_request
