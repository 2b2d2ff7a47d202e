"""A client library for accessing Dots Payment Intents (confirm lifecycle)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
