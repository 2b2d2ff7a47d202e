"""Contains shared errors types that can be raised from API functions"""

from collections.abc import MutableMapping
from typing import Any

from .types import Response


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes, headers: MutableMapping[str, str] | None = None):
        self.status_code = status_code
        self.content = content
        # dots: the answer's headers too (a 429's or 503's Retry-After), so that a retry layer can
        # judge the answer the exception stands for
        self.headers: MutableMapping[str, str] = {} if headers is None else headers

        # dots: the stock message quoted the body, which may hold a client_secret; it is on .content
        super().__init__(f"Unexpected status code: {status_code} ({len(content)} bytes of content: see .content)")


# dots: one exception for every body the models cannot read.
class UnreadableResponse(Exception):
    """Raised by `sync` and `asyncio` when the server answered a documented status with a body the
    models cannot read: not JSON, empty, HTML, or JSON of another shape or with values of other types.

    The server did answer: a `200` to a confirm means the payment intent was confirmed, whatever its
    body. `response` is the whole answer (`status_code`, `headers`, `content`; `parsed` is None) and
    `__cause__` the error met while parsing. `sync_detailed` and `asyncio_detailed` return that
    `Response` instead of raising. The message never quotes the body (a create answer holds the
    `client_secret`).
    """

    def __init__(self, response: Response[Any]):
        self.response = response
        self.status_code = response.status_code
        content_type = response.headers.get("content-type", "no Content-Type")
        super().__init__(
            f"HTTP {int(response.status_code)} answer whose body could not be read as the documented model "
            f"({content_type}, {len(response.content)} bytes): see .response"
        )


__all__ = ["UnexpectedStatus", "UnreadableResponse"]
