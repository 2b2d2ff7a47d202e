"""Every exception `dots_client` raises: `DotsError` and its subclasses.

Hand-written (`codegen/sdk/errors.py`, copied into the package by `make generate`): the shape is
openai-python's `_exceptions.py` (`APIStatusError` with one subclass per status,
`APIConnectionError` / `APITimeoutError`), plus what money needs: whether a failed request may
have reached the server, and `ConfirmOutcomeUnknown` for the one outcome a caller must resolve later.

`Dots` and `AsyncDots` raise only these (no httpx exception escapes their methods). The low-level
functions (`dots_client.api...`) raise `UnreadableResponse` and `UnexpectedStatus` as before, and
httpx's own exceptions. No message here quotes a response body (a create answer holds the
`client_secret`), a header or a credential: each carries the answer for whoever needs it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from uuid import UUID

import httpx
from dots_client._logs import redact
from dots_client.models.error import Error
from dots_client.types import Response

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfirmOutcomeUnknown",
    "ConflictError",
    "DotsError",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitError",
    "ServiceUnavailableError",
    "UnexpectedStatus",
    "UnreadableResponse",
    "UnreadableWebhook",
    "UnsupportedMediaTypeError",
    "WebhookVerificationError",
    "WebhooksNotInstalled",
]


class DotsError(Exception):
    """The base of every exception this package raises."""


class ClientClosedError(DotsError):
    """A call on a `Dots` or `AsyncDots` after its `close()` (or after the client it was copied from
    with `with_options` was closed): nothing was sent. Make a new client."""


class APIConnectionError(DotsError):
    """No answer arrived: the connection failed, broke, or was refused before or after sending.

    `may_have_reached_server` is False only when the request certainly never left (connection
    refused or unreachable, connect or pool timeout): a create may then be sent again. When True,
    the server may have acted on it: retrieve before repeating a create. The httpx exception is
    chained as `__cause__`.
    """

    def __init__(self, message: str, *, may_have_reached_server: bool) -> None:
        self.may_have_reached_server = may_have_reached_server
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """A timeout (connect, read, write or pool) ended the request; see `may_have_reached_server`."""


class APIStatusError(DotsError):
    """The server answered with a status that is not a success.

    - `status_code` (int): the HTTP status;
    - `code` (str | None): the spec's kebab-case error code from the `Error` body
      (`payment-intent-already-confirmed`, `not-found`, ...), None when the body has none or is
      not an `Error` (a gateway's HTML page);
    - `error` (`dots_client.models.Error` | None): the whole error body, when it could be read
      (`error.error` is the server's message, `error.details` the problems of a `400`);
    - `response` (`dots_client.types.Response`): the answer, with `headers` and raw `content`.

    Raised as itself for a status with no subclass of its own (a `403`, a `3xx` redirect the
    client does not follow, ...).
    """

    def __init__(self, message: str, *, response: Response[Any], error: Error | None) -> None:
        self.response = response
        self.status_code = int(response.status_code)
        self.error = error
        self.code: str | None = error.code if error is not None and isinstance(error.code, str) else None
        super().__init__(message)


class BadRequestError(APIStatusError):
    """`400`: the request is invalid (`invalid-input`; `error.details` lists each problem)."""


class AuthenticationError(APIStatusError):
    """`401`: missing or wrong credentials (`unauthorized`)."""


class NotFoundError(APIStatusError):
    """`404`: no payment intent has this id for these credentials (`not-found`)."""


class ConflictError(APIStatusError):
    """`409`: the intent was confirmed before (`payment-intent-already-confirmed`); nothing changed."""


class PayloadTooLargeError(APIStatusError):
    """`413`: the request body is over the server's limit (`payload-too-large`)."""


class UnsupportedMediaTypeError(APIStatusError):
    """`415`: the body was not sent as `application/json` (`unsupported-media-type`)."""


class RateLimitError(APIStatusError):
    """`429`: too many requests; the server did not act. Raised once the retries are spent."""


class InternalServerError(APIStatusError):
    """A `5xx`: the server (or a gateway in front of it) failed. For a create it may have acted."""


class ServiceUnavailableError(InternalServerError):
    """`503`: the server's database is unavailable (`service-unavailable`); read the message of `error`."""


# The statuses the spec documents, plus those gateways send whatever it says (429, other 5xx).
_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def status_error(response: Response[Any]) -> APIStatusError:
    """The exception for a non-success answer (`response.parsed` is its `Error`, or anything else)."""
    status = int(response.status_code)
    error = response.parsed if isinstance(response.parsed, Error) else None
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    if 300 <= status < 400:
        # A gateway's redirect: never followed for a POST (a 302/303 would become a GET whose 200
        # reads as success, a 307 re-sends the payment elsewhere), nor by the clients Dots builds.
        what = f"HTTP {status}: a redirect, not followed (the request was not sent to its Location)"
    else:
        what = f"HTTP {status}" + (f" {error.code}" if error is not None and isinstance(error.code, str) else "")
        what += _details(error) if status == 400 else ""
    return cls(what, response=response, error=error)


def _details(error: Error | None) -> str:
    """`: <location>: <message>; ...` of a `400`'s `details` (the spec's `ErrorDetail`s), at most 5.

    Only `details`, never `error.error` nor the body: each detail names a field of the caller's own
    request and a rule it broke, which is what the caller must fix; secrets of the formats the
    logs redact are redacted here too.
    """
    details = getattr(error, "details", None)
    if not isinstance(details, list) or not details:
        return ""
    problems = [_problem(item) for item in details[:5]]
    more = f"; and {len(details) - 5} more" if len(details) > 5 else ""
    return ": " + redact("; ".join(problems))[:800] + more


def _problem(detail: object) -> str:
    """One `ErrorDetail` as `location: message`."""
    location, message = getattr(detail, "location", None), getattr(detail, "message", None)
    if isinstance(location, str) and isinstance(message, str):
        return f"{location}: {message}"
    return type(detail).__name__


def connection_error(
    error: Exception, may_have_reached_server: bool, base_url: str | None = None
) -> APIConnectionError:
    """The exception for an httpx failure `error` (chain it as the cause): its type and the host
    (`base_url`'s host and port, never its path or query), never the whole URL."""
    cls = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    reached = "may have reached the server" if may_have_reached_server else "did not reach the server"
    where = ""
    if base_url is not None:
        url = httpx.URL(base_url)
        where = f" at {url.host}" + (f":{url.port}" if url.port is not None else "")
    message = f"{type(error).__name__}{where}: the request {reached}"
    return cls(message, may_have_reached_server=may_have_reached_server)


class ConfirmOutcomeUnknown(DotsError):
    """Whether the confirm of `payment_intent_id` happened is unknown: retrieve the intent before acting again.

    Raised when an attempt may have acted (its answer was lost, or was a `5xx`) and the
    reconciling retrieve failed too, or could not show the confirm. `attempts` counts the confirm
    requests sent; `response` is the last answer, if any (the retrieve's when it answered); the
    last exception is chained as `__cause__`.
    """

    def __init__(
        self, payment_intent_id: UUID, attempts: int, reason: str, response: Response[Any] | None = None
    ) -> None:
        self.payment_intent_id = payment_intent_id
        self.attempts = attempts
        self.response = response
        super().__init__(
            f"the outcome of confirming payment intent {payment_intent_id} is unknown after {attempts} "
            f"attempt(s): {reason}; retrieve the intent to learn it before confirming again"
        )


class UnexpectedStatus(DotsError):
    """Raised by the low-level functions for an undocumented status when `raise_on_unexpected_status` is True.

    `status_code`, `content` and `headers` (a `429`'s or `503`'s `Retry-After` included) are the
    answer's; the message names the status and the body's size only.
    """

    def __init__(self, status_code: int, content: bytes, headers: MutableMapping[str, str] | None = None) -> None:
        self.status_code = status_code
        self.content = content
        self.headers: MutableMapping[str, str] = {} if headers is None else headers
        super().__init__(f"Unexpected status code: {status_code} ({len(content)} bytes of content: see .content)")


class UnreadableResponse(DotsError):
    """The server answered with a body the models cannot read: not JSON, empty, HTML, or JSON of
    another shape or with values of other types.

    The server did answer: a `200` to a confirm means the payment intent was confirmed, whatever its
    body. `response` is the whole answer (`status_code`, `headers`, `content`; `parsed` is None) and
    `__cause__` the error met while parsing. Raised by the low-level `sync` and `asyncio` for a
    documented status (`sync_detailed` and `asyncio_detailed` return the `Response` instead), and by
    `Dots` for a success answer (an error status raises its `APIStatusError` whatever its body; a
    confirm's unreadable `200` is reconciled first). The message never quotes the body.
    """

    def __init__(self, response: Response[Any]) -> None:
        self.response = response
        self.status_code = response.status_code
        content_type = response.headers.get("content-type", "no Content-Type")
        super().__init__(
            f"HTTP {int(response.status_code)} answer whose body could not be read as the documented model "
            f"({content_type}, {len(response.content)} bytes): see .response"
        )


class WebhookVerificationError(DotsError):
    """`dots.webhooks.unwrap` could not verify a delivery: no secret (argument or
    DOTS_WEBHOOK_SECRET), a secret that is not a Svix one, missing signature headers, no matching
    signature (body tampered with, wrong secret) or a timestamp outside svix's 5-minute tolerance.
    Answer the delivery with a `400`. The message names the failed check, never the body or secret.
    """


class UnreadableWebhook(DotsError):
    """A verified webhook body that is not a `PaymentIntentUpdatedEvent` (not JSON, or no
    `payment_intent_id`). The message names the error's type only, never the body."""


class WebhooksNotInstalled(DotsError):
    """`dots.webhooks` needs svix, the optional dependency `dots-client[webhooks]`; it is not installed."""
