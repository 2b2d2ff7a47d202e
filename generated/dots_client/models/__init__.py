"""Contains all the data models used in inputs/outputs"""

from .confirm_payment_intent_request import ConfirmPaymentIntentRequest
from .create_payment_intent_request import CreatePaymentIntentRequest
from .create_payment_intent_request_payment_method_types_item import CreatePaymentIntentRequestPaymentMethodTypesItem
from .create_payment_intent_request_setup_future_usage import CreatePaymentIntentRequestSetupFutureUsage
from .create_payment_intent_request_transfer_data import CreatePaymentIntentRequestTransferData
from .currency import Currency
from .error import Error
from .error_detail import ErrorDetail
from .metadata import Metadata
from .payment_intent import PaymentIntent
from .payment_intent_metadata import PaymentIntentMetadata
from .payment_intent_status import PaymentIntentStatus
from .payment_intent_updated_event import PaymentIntentUpdatedEvent
from .payment_intent_updated_event_event import PaymentIntentUpdatedEventEvent

__all__ = (
    "ConfirmPaymentIntentRequest",
    "CreatePaymentIntentRequest",
    "CreatePaymentIntentRequestPaymentMethodTypesItem",
    "CreatePaymentIntentRequestSetupFutureUsage",
    "CreatePaymentIntentRequestTransferData",
    "Currency",
    "Error",
    "ErrorDetail",
    "Metadata",
    "PaymentIntent",
    "PaymentIntentMetadata",
    "PaymentIntentStatus",
    "PaymentIntentUpdatedEvent",
    "PaymentIntentUpdatedEventEvent",
)
