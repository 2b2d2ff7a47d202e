from enum import StrEnum


class CreatePaymentIntentRequestPaymentMethodTypesItem(StrEnum):
    CARD = "card"

    def __str__(self) -> str:
        return str(self.value)
