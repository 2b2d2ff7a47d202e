from enum import StrEnum


class CreatePaymentIntentRequestSetupFutureUsage(StrEnum):
    ON_SESSION = "on_session"

    def __str__(self) -> str:
        return str(self.value)
