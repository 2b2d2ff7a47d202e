from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreatePaymentIntentRequestTransferData")


@_attrs_define
class CreatePaymentIntentRequestTransferData:
    """
    Attributes:
        destination_user_id (UUID): The Dots `user` that receives the funds.
    """

    destination_user_id: UUID

    def to_dict(self) -> dict[str, Any]:
        destination_user_id = str(self.destination_user_id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "destination_user_id": destination_user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = {**src_dict}  # dots: not dict(src_dict), which reads a JSON array of pairs as an object
        destination_user_id = UUID(d.pop("destination_user_id"))

        create_payment_intent_request_transfer_data = cls(
            destination_user_id=destination_user_id,
        )

        return create_payment_intent_request_transfer_data
