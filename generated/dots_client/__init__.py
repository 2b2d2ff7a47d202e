"""A client library for accessing Dots Payment Intents (confirm lifecycle)"""

from functools import cached_property

from . import errors
from ._base_client import DEFAULT_BASE_URL, AsyncAPIClient, ClientOptions, SyncAPIClient
from ._response import RawResponse
from ._webhooks import AsyncWebhooks, SignedDelivery, Webhooks
from .api.payment_intents import AsyncPaymentIntents, PaymentIntents
from .client import AuthenticatedClient, Client


class Dots(SyncAPIClient):
    """The Dots API: `Dots(client_id=..., api_key=..., base_url=...)`.

    Each argument falls back to DOTS_CLIENT_ID, DOTS_API_KEY and DOTS_BASE_URL; without
    either the base URL is Dots' production API (`DEFAULT_BASE_URL`). A missing credential
    raises `errors.DotsError` here, not a `401` later. Options, each also settable for one
    call: `timeout` (seconds or an `httpx.Timeout`; default `client.DEFAULT_TIMEOUT`),
    `max_retries` (3; a confirm's reconciling retrieve is not counted), `deadline` (seconds a
    whole call may take; None by default); `http_client` (an `httpx.Client` you
    configured; Dots never follows its redirects, never uses its `auth` and never closes it) and
    `with_options(...)` for a copy with others that shares the connections. `sleep` waits between attempts (tests pass
    one that does not). `with Dots() as dots:` or `dots.close()`.
    No repr or message shows a credential. Retries, errors and redirects: docs/client.md.
    """

    @cached_property
    def payment_intents(self) -> PaymentIntents:
        """The `payment_intents` operations."""
        return PaymentIntents(self)

    @cached_property
    def webhooks(self) -> Webhooks:
        """`unwrap(body, headers, secret=None)` a verified delivery into its typed event; `sign(...)` one for tests."""
        return Webhooks()


class AsyncDots(AsyncAPIClient):
    """The Dots API under asyncio (httpx.AsyncClient): `AsyncDots(client_id=..., api_key=..., base_url=...)`.

    Each argument falls back to DOTS_CLIENT_ID, DOTS_API_KEY and DOTS_BASE_URL; without
    either the base URL is Dots' production API (`DEFAULT_BASE_URL`). A missing credential
    raises `errors.DotsError` here, not a `401` later. Options, each also settable for one
    call: `timeout` (seconds or an `httpx.Timeout`; default `client.DEFAULT_TIMEOUT`),
    `max_retries` (3; a confirm's reconciling retrieve is not counted), `deadline` (seconds a
    whole call may take; None by default); `http_client` (an `httpx.AsyncClient` you
    configured; Dots never follows its redirects, never uses its `auth` and never closes it) and
    `with_options(...)` for a copy with others that shares the connections. `sleep` waits between attempts (tests pass
    one that does not). `async with AsyncDots() as dots:` or `await dots.close()`.
    No repr or message shows a credential. Retries, errors and redirects: docs/client.md.
    """

    @cached_property
    def payment_intents(self) -> AsyncPaymentIntents:
        """The `payment_intents` operations."""
        return AsyncPaymentIntents(self)

    @cached_property
    def webhooks(self) -> AsyncWebhooks:
        """`unwrap(body, headers, secret=None)` a verified delivery into its typed event; `sign(...)` one for tests."""
        return AsyncWebhooks()


__all__ = (
    "DEFAULT_BASE_URL",
    "AsyncDots",
    "AuthenticatedClient",
    "Client",
    "ClientOptions",
    "Dots",
    "RawResponse",
    "SignedDelivery",
    "Webhooks",
    "errors",
)
