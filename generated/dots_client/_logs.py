# A copy of codegen/sdk/_logs.py, written by `make generate`: edit that file, never this copy.
"""The `dots_client` logger: `DOTS_LOG=info|debug`, and redaction of every secret it could carry.

Hand-written (`codegen/sdk/_logs.py`, copied into the package by `make generate`), after
openai-python's `OPENAI_LOG`. `DOTS_LOG=info` logs each attempt's operation and outcome;
`DOTS_LOG=debug` adds the request's method, path and headers, and each retry's wait and each
confirm's reconciliation (`dots_client._retrying`). Without DOTS_LOG nothing is configured: the
standard `logging` configuration of the logger "dots_client" applies. Either way a filter on the
logger rewrites each record before any handler sees it: the Authorization header's credentials,
`whsec_` webhook secrets, `client_secret` values (the spec's `pi_secret_<hex>`, and the
`pi_<id>_secret_<hex>` of Stripe-shaped gateways) and the API keys and Basic credentials of the
clients alive (`SECRETS`: a closed or collected client's are forgotten, and kept nowhere else)
are replaced by `[redacted]`. No body is ever logged (a create's answer holds the `client_secret`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import weakref
from collections.abc import Iterable, Mapping

import httpx

LOG_VARIABLE = "DOTS_LOG"
REDACTED = "[redacted]"
logger = logging.getLogger("dots_client")

# Secrets by shape: an Authorization value, a Svix signing secret, a payment intent's client_secret,
# and `key=value` / `"key": "value"` pairs whose key names a secret.
_PATTERNS = (
    re.compile(r"(?i)\b((?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+"),
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    # openapi.yaml's create example `pi_secret_6f1c2d3e4b5a4c6d`; Stripe's `pi_3Mtw..._secret_YrKJ...`.
    re.compile(r"\b[A-Za-z0-9]+_(?:[A-Za-z0-9]+_)?secret_[A-Za-z0-9]+"),
    re.compile(r"(?i)((?:api_key|client_secret|secret|password)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def redact(text: str, known: Iterable[str] = ()) -> str:
    """`text` with each string of `known` (in its order: longest first, so that a secret inside
    another goes with it) and every secret `_PATTERNS` recognises replaced by `[redacted]`."""
    for value in known:
        if value:
            text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        # Patterns with a group keep it (the key, or "Basic "): only the secret after it goes.
        text = pattern.sub((r"\1" if pattern.groups else "") + REDACTED, text)
    return text


class Secrets:
    """The exact secrets of the clients alive (API keys, Basic credentials), each held by its owner.

    `hold(owner, ...)` until `release(owner)` or until `owner` is garbage-collected: nothing of a
    closed client is kept. `ordered` is them longest first, rebuilt only when they change, so that
    filtering a record costs a `str.replace` per secret alive however many clients ever existed.
    Not a compiled regex of them: the `re` module caches the patterns it compiles (512 in
    CPython), which would keep a closed client's key long after `release`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[int, frozenset[str]] = {}
        # Owners the garbage collector took. Its finalizers may run inside a section that holds the
        # lock, in the same thread (any allocation can start a collection): they only append here,
        # and the holder of the lock removes them (`_drain`).
        self._collected: list[int] = []
        self._ordered: tuple[str, ...] = ()
        self._built = True  # `_ordered` is current

    def hold(self, owner: object, *secrets: str) -> None:
        """Redact these strings (those of 4 characters or more) while `owner` is alive and not released."""
        key = id(owner)
        values = frozenset(s for s in secrets if len(s) >= 4)
        with self._lock:
            self._drain()  # before the key is used again: an id is reused once its object is gone
            self._held[key] = values
            self._built = False
        weakref.finalize(owner, self._on_collected, key)

    def release(self, owner: object) -> None:
        """Forget the secrets `owner` holds (a client's `close()`)."""
        with self._lock:
            self._drain()
            if self._held.pop(id(owner), None) is not None:
                self._rebuild()  # now, not at the next record: nothing of the owner's stays

    def _on_collected(self, key: int) -> None:
        self._collected.append(key)
        self._built = False

    def _drain(self) -> None:
        while self._collected:
            self._held.pop(self._collected.pop(), None)

    def _every(self) -> frozenset[str]:
        with self._lock:
            self._drain()
            return frozenset[str]().union(*self._held.values())

    def __len__(self) -> int:
        """How many strings are held."""
        return len(self._every())

    def __contains__(self, secret: object) -> bool:
        return secret in self._every()

    @property
    def ordered(self) -> tuple[str, ...]:
        """Every held secret, longest first."""
        if self._built:
            return self._ordered
        with self._lock:
            if not self._built:
                self._rebuild()
            return self._ordered

    def _rebuild(self) -> None:
        """Make `_ordered` current (the lock held). Replaced whole, never emptied first: a record
        filtered meanwhile in another thread sees the old tuple or the new, each with every live key."""
        self._built = True  # first: an owner collected while this builds marks it stale again
        self._drain()
        self._ordered = tuple(sorted(frozenset[str]().union(*self._held.values()), key=len, reverse=True))

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # a parent thread may have held it at the fork: it would never be released here


SECRETS = Secrets()
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=SECRETS._after_fork_in_child)


_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback text and stack with `redact` (the live clients'
    `SECRETS` included); keeps every record.

    The traceback of `exc_info` is formatted here (`exc_text`, which formatters use when set), so
    that an exception whose message holds a secret is written redacted; `exc_info` itself stays,
    for handlers that read the exception object.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        known = SECRETS.ordered
        record.msg = redact(record.getMessage(), known)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, known)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, known)
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
