from enum import StrEnum


class PaymentIntentUpdatedEventEvent(StrEnum):
    PAYMENT_INTENT_UPDATED = "payment_intent.updated"

    def __str__(self) -> str:
        return str(self.value)
