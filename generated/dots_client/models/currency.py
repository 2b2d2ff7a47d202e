from enum import StrEnum


class Currency(StrEnum):
    USD = "usd"

    def __str__(self) -> str:
        return str(self.value)
