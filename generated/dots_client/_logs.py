"""The `dots_client` logger: `DOTS_LOG=info|debug`, and redaction of every secret it could carry.

Hand-written (`codegen/sdk/_logs.py`, copied into the package by `make generate`), after
openai-python's `OPENAI_LOG`. `DOTS_LOG=info` logs each attempt's operation and outcome;
`DOTS_LOG=debug` adds the request's method, path and headers, and each retry's wait and each
confirm's reconciliation (`dots_client._retrying`). Without DOTS_LOG nothing is configured: the
standard `logging` configuration of the logger "dots_client" applies. Either way a filter on the
logger rewrites each record before any handler sees it: the Authorization header's credentials,
`whsec_` webhook secrets, `client_secret` values (`pi_..._secret_...`) and the client's own API
key and Basic credentials are replaced by `[redacted]`. No body is ever logged (a create's answer
holds the `client_secret`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

import httpx

LOG_VARIABLE = "DOTS_LOG"
REDACTED = "[redacted]"
logger = logging.getLogger("dots_client")

# Secrets by shape: an Authorization value, a Svix signing secret, a payment intent's client_secret,
# and `key=value` / `"key": "value"` pairs whose key names a secret.
_PATTERNS = (
    re.compile(r"(?i)\b((?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+"),
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"),
    re.compile(r"(?i)((?:api_key|client_secret|secret|password)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def redact(text: str, known: frozenset[str] = frozenset()) -> str:
    """`text` with every secret `_PATTERNS` recognises, and each string of `known`, replaced by `[redacted]`."""
    for value in known:
        if value:
            text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        # Patterns with a group keep it (the key, or "Basic "): only the secret after it goes.
        text = pattern.sub((r"\1" if pattern.groups else "") + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with `redact` (the client's registered secrets included); keeps every record."""

    def __init__(self) -> None:
        super().__init__()
        self.known: frozenset[str] = frozenset()

    def remember(self, *secrets: str) -> None:
        """Redact these exact strings too (a client's API key and its Basic credentials)."""
        self.known = self.known | {s for s in secrets if len(s) >= 4}

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.known)
        record.args = None
        return True


REDACTING = RedactingFilter()
logger.addFilter(REDACTING)


def configure_from_env() -> None:
    """Under DOTS_LOG=info or debug, log the "dots_client" logger to stderr at that level (once)."""
    level = {"info": logging.INFO, "debug": logging.DEBUG}.get(os.environ.get(LOG_VARIABLE, "").strip().lower())
    if level is None or any(getattr(h, "_dots", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler._dots = True  # type: ignore[attr-defined]  # marks the handler this module added
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(REDACTING)
    logger.addHandler(handler)
    logger.setLevel(level)


def headers_line(headers: Mapping[str, str] | httpx.Headers) -> str:
    """The headers as `name: value; ...`, credentials-bearing ones shown as `[redacted]`."""
    return "; ".join(
        f"{name}: {REDACTED if name.lower() in SECRET_HEADERS else value}" for name, value in headers.items()
    )


def log_request(operation: str, request: httpx.Request) -> None:
    """INFO: an attempt of `operation` starts; DEBUG adds its method, path (no query) and redacted headers."""
    logger.info("%s: sending %s %s", operation, request.method, request.url.path)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s: request headers %s", operation, headers_line(request.headers))


def log_response(operation: str, response: httpx.Response) -> None:
    """INFO: the attempt's answer: its status and body size (never the body)."""
    logger.info("%s: HTTP %d (%d bytes)", operation, response.status_code, len(response.content))
