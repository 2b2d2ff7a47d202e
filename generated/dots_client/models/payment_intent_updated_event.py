from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_intent_updated_event_event import PaymentIntentUpdatedEventEvent

T = TypeVar("T", bound="PaymentIntentUpdatedEvent")
# dots: value -> member, for the tolerant reader: one dict lookup, a tenth of the cost of an enum call
_PaymentIntentUpdatedEventEvent_MEMBERS: dict[Any, PaymentIntentUpdatedEventEvent] = {
    member.value: member for member in PaymentIntentUpdatedEventEvent
}


@_attrs_define
class PaymentIntentUpdatedEvent:
    """The body of a `payment_intent.updated` webhook (see `webhooks`): which payment intent
    changed. Retrieve it for its status. Unknown fields may be added later: ignore them.

        Attributes:
            event (PaymentIntentUpdatedEventEvent | str): The event type.
            payment_intent_id (UUID): ID of the payment intent whose status changed.
    """

    event: PaymentIntentUpdatedEventEvent | str
    payment_intent_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event = str(self.event)

        payment_intent_id = str(self.payment_intent_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event": event,
                "payment_intent_id": payment_intent_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = {**src_dict}  # dots: not dict(src_dict), which reads a JSON array of pairs as an object
        _event = d.pop("event")
        event: PaymentIntentUpdatedEventEvent | str
        _event_member = _PaymentIntentUpdatedEventEvent_MEMBERS.get(_event)
        if _event_member is not None:
            event = _event_member
        elif isinstance(_event, str):
            event = _event
        else:
            raise TypeError(f"event: {type(_event).__name__} is no PaymentIntentUpdatedEventEvent")

        payment_intent_id = UUID(d.pop("payment_intent_id"))

        payment_intent_updated_event = cls(
            event=event,
            payment_intent_id=payment_intent_id,
        )

        payment_intent_updated_event.additional_properties = d
        return payment_intent_updated_event

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
