"""Error answers: every one is JSON of the spec's `Error` schema (`error`, `code`, `details`).

Handlers raise `ApiError`; the app turns it into a response. The codes are the ones the spec's
`Error.code` description lists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

# How much of a validator's message to keep: messages quote the offending value, which may be a
# 256 KiB string.
MAX_MESSAGE_CHARS = 300
# How many problems one invalid-input answer lists.
MAX_DETAILS = 50


class ApiError(Exception):
    """An error answer: HTTP status, the Error body's fields, and extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[tuple[str, str]] = (),
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = tuple(details)
        self.headers = tuple(headers)

    def body(self) -> bytes:
        """The JSON body (ASCII-escaped, so any string the client sent can be echoed safely)."""
        payload: dict[str, object] = {"error": self.message, "code": self.code}
        if self.details:
            payload["details"] = [
                {"location": location, "message": _shorten(message)} for location, message in self.details[:MAX_DETAILS]
            ]
        return json.dumps(payload, separators=(",", ":")).encode("ascii")


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"


def invalid_input(details: Sequence[tuple[str, str]], message: str = "Invalid request") -> ApiError:
    """400 invalid-input; `details` are (location, message) pairs such as ("body.amount", "...")."""
    return ApiError(400, "invalid-input", message, details)


def incomplete_body(reason: str) -> ApiError:
    """400 invalid-input for a body that did not arrive in full; the connection is closed after the answer."""
    return ApiError(400, "invalid-input", "Invalid request", [("body", reason)], headers=[(b"connection", b"close")])


def unauthorized() -> ApiError:
    """401 with the Basic challenge; one message for every cause, so failures reveal nothing."""
    return ApiError(401, "unauthorized", "Invalid credentials", headers=[(b"www-authenticate", b'Basic realm="dots"')])


def not_found(message: str = "PaymentIntent not found") -> ApiError:
    """404 not-found (the default message is Dots' documented one)."""
    return ApiError(404, "not-found", message)


def method_not_allowed(method: str, allowed: Sequence[str]) -> ApiError:
    """405 with the `Allow` header listing the methods the path has."""
    allow = ", ".join(allowed)
    return ApiError(
        405,
        "method-not-allowed",
        f"Method {method} not allowed; allowed: {allow}",
        headers=[(b"allow", allow.encode())],
    )


def already_confirmed() -> ApiError:
    """409 payment-intent-already-confirmed."""
    return ApiError(409, "payment-intent-already-confirmed", "PaymentIntent has already been confirmed")


def payload_too_large(limit: int) -> ApiError:
    """413 payload-too-large."""
    return ApiError(413, "payload-too-large", f"Request body exceeds {limit} bytes")


def unsupported_media_type() -> ApiError:
    """415 unsupported-media-type."""
    return ApiError(415, "unsupported-media-type", "Content-Type must be application/json")


def service_unavailable() -> ApiError:
    """503 service-unavailable: the database could not be reached; the request changed nothing."""
    return ApiError(503, "service-unavailable", "The database is unavailable; nothing was changed. Retry later")


def outcome_unknown() -> ApiError:
    """503 service-unavailable: the database went away while committing; the change may have been made."""
    return ApiError(
        503,
        "service-unavailable",
        "The database became unavailable while committing: the change may or may not have been made; "
        "retrieve the payment intent to see",
    )


def internal_error() -> ApiError:
    """500: a bug in the sandbox, never the client's input (the tests hold it to that)."""
    return ApiError(500, "internal-error", "Internal server error")
