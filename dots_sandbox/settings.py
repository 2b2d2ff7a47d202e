"""The sandbox's settings: environment variables, overridden by the command line.

Credentials come from the environment only (a command line is visible to every user of the
machine through `ps`), and `Settings`' repr never shows the API key, nor a database URL's
password.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from dots_sandbox.background.webhooks import ATTEMPTS_PER_RECEIVER, Receiver, parse_receivers
from dots_sandbox.store.url import MEMORY_DB, SQLITE, Database, parse_database

__all__ = ["MEMORY_DB", "Settings"]

_Number = TypeVar("_Number", int, float)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_DB = ".sandbox/sandbox.db"
DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_API_KEY = "sandbox-api-key"  # the documented local default, not a secret

# openapi.yaml, components/responses/PayloadTooLarge: the limit for every request. Not an
# environment variable: a sandbox configured otherwise would disagree with the spec.
MAX_BODY_BYTES = 262_144

# How long a request's body may take to arrive in full, from the end of its headers. A client
# that sends less than its Content-Length and waits is answered 400 and its connection closed.
BODY_TIMEOUT_SECONDS = 30.0

# The HTTP front's limits (dots_sandbox/front/protocol.py), each a setting like Node's `headersTimeout`,
# Kestrel's `RequestHeadersTimeout` or nginx's `large_client_header_buffers`.
# How long a request head (request line and header fields) may take to arrive in full: from the
# connection's start for its first request, from a request's first byte for later ones.
HEADER_TIMEOUT_SECONDS = 10.0
# How long a connection may sit idle between an answer and the next request (uvicorn's own default).
KEEP_ALIVE_TIMEOUT_SECONDS = 5.0
# The largest request head accepted (Node's default): the request line and every header field.
MAX_HEADER_BYTES = 16_384

# SQLite `synchronous` in WAL mode. NORMAL: a committed transaction is in the WAL file (the OS
# page cache) before the answer is sent, so it survives a crash or `kill -9` of the server;
# only an OS crash or power loss can lose the last commits. FULL also survives those, at an
# fsync per commit.
SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")

# How long a `processing` intent takes to settle, in seconds (SANDBOX_SETTLEMENT_SECONDS).
SETTLEMENT_SECONDS = 3.0
# Webhooks: the delays after each failed attempt (SANDBOX_WEBHOOK_RETRY_SECONDS; Svix's own
# schedule compressed) and the time a receiver has to answer (SANDBOX_WEBHOOK_TIMEOUT_SECONDS;
# Dots: 15 s).
WEBHOOK_RETRY_SECONDS = (5.0, 30.0, 120.0, 600.0, 1800.0)
WEBHOOK_TIMEOUT_SECONDS = 15.0
# How many attempts one receiver may have in flight at once (SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER):
# each receiver has its own, so a slow one never holds another's (dots_sandbox/background/outbox.py).
WEBHOOK_ATTEMPTS_PER_RECEIVER = ATTEMPTS_PER_RECEIVER
# How long a webhook event is kept once none of its deliveries is pending (SANDBOX_WEBHOOK_RETENTION_SECONDS):
# a week of history to debug with, and a database that stops growing (dots_sandbox/background/retention.py).
WEBHOOK_RETENTION_SECONDS = 7 * 24 * 3600.0
# SANDBOX_FAULTS: whether requests may ask for failures (dots_sandbox/request/faults.py). Off by default.
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")

# Below this no ordinary request head fits (an Authorization header alone is about 100 bytes).
MIN_HEADER_BYTES = 1024

# The environment variables `Settings.from_env` reads.
ENVIRONMENT = (
    "SANDBOX_HOST",
    "SANDBOX_PORT",
    "SANDBOX_DB",
    "SANDBOX_SYNCHRONOUS",
    "SANDBOX_WORKERS",
    "SANDBOX_BODY_TIMEOUT",
    "SANDBOX_HEADER_TIMEOUT",
    "SANDBOX_KEEP_ALIVE_TIMEOUT",
    "SANDBOX_MAX_HEADER_BYTES",
    "SANDBOX_FAULTS",
    "SANDBOX_SETTLEMENT_SECONDS",
    "SANDBOX_WEBHOOKS",
    "SANDBOX_WEBHOOK_RETRY_SECONDS",
    "SANDBOX_WEBHOOK_TIMEOUT_SECONDS",
    "SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER",
    "SANDBOX_WEBHOOK_RETENTION_SECONDS",
    "DOTS_CLIENT_ID",
    "DOTS_API_KEY",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Everything the sandbox needs to run; `from_env` reads the documented variables.

    `db` is a SQLite file path, `:memory:`, or a PostgreSQL URL (`postgresql://` or `postgres://`);
    any other URL scheme is refused (ValueError).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db: str = dataclasses.field(default=DEFAULT_DB, repr=False)  # may hold a password: see database
    client_id: str = DEFAULT_CLIENT_ID
    api_key: str = dataclasses.field(default=DEFAULT_API_KEY, repr=False)
    synchronous: str = "NORMAL"
    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout_seconds: float = BODY_TIMEOUT_SECONDS
    header_timeout_seconds: float = HEADER_TIMEOUT_SECONDS
    keep_alive_timeout_seconds: float = KEEP_ALIVE_TIMEOUT_SECONDS
    max_header_bytes: int = MAX_HEADER_BYTES
    workers: int = 1
    settlement_seconds: float = SETTLEMENT_SECONDS
    webhooks: tuple[Receiver, ...] = ()  # each Receiver's repr shows its URL, never its secret
    webhook_retry_seconds: tuple[float, ...] = WEBHOOK_RETRY_SECONDS
    webhook_timeout_seconds: float = WEBHOOK_TIMEOUT_SECONDS
    webhook_attempts_per_receiver: int = WEBHOOK_ATTEMPTS_PER_RECEIVER
    webhook_retention_seconds: float = WEBHOOK_RETENTION_SECONDS
    faults: bool = False

    def __post_init__(self) -> None:
        if self.synchronous not in SYNCHRONOUS_LEVELS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}, not {self.synchronous!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0 to 65535, not {self.port}")
        if not self.client_id or ":" in self.client_id:
            raise ValueError("DOTS_CLIENT_ID must be non-empty and contain no ':' (HTTP Basic user name)")
        if not self.api_key:
            raise ValueError("DOTS_API_KEY must be non-empty")
        for name in ("body_timeout_seconds", "header_timeout_seconds", "keep_alive_timeout_seconds"):
            if not getattr(self, name) > 0:  # also refuses NaN
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        if self.max_header_bytes < MIN_HEADER_BYTES:
            raise ValueError(f"max_header_bytes must be at least {MIN_HEADER_BYTES}, not {self.max_header_bytes}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        if self.workers > 1 and self.in_memory:
            raise ValueError(
                f"a {MEMORY_DB} database lives inside one process, so {self.workers} workers would each have "
                "their own: give them one database file (--db PATH) or run one worker"
            )
        if not 0 <= self.settlement_seconds < float("inf"):
            raise ValueError(f"SANDBOX_SETTLEMENT_SECONDS must be 0 or more, not {self.settlement_seconds}")
        self._check_webhook_times()
        parse_database(self.db)  # refuses a URL it cannot honour, before anything starts

    def _check_webhook_times(self) -> None:
        if not all(0 <= delay < float("inf") for delay in self.webhook_retry_seconds):
            raise ValueError("SANDBOX_WEBHOOK_RETRY_SECONDS must be delays of 0 seconds or more")
        if not 0 < self.webhook_timeout_seconds < float("inf"):
            raise ValueError(f"SANDBOX_WEBHOOK_TIMEOUT_SECONDS must be positive, not {self.webhook_timeout_seconds}")
        if self.webhook_attempts_per_receiver < 1:
            raise ValueError(
                f"SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER must be 1 or more, not {self.webhook_attempts_per_receiver}"
            )
        if not 0 < self.webhook_retention_seconds < float("inf"):
            raise ValueError(
                f"SANDBOX_WEBHOOK_RETENTION_SECONDS must be positive, not {self.webhook_retention_seconds}"
            )

    def __repr__(self) -> str:
        fields = (f"{field.name}={getattr(self, field.name)!r}" for field in dataclasses.fields(self) if field.repr)
        return f"Settings({', '.join(fields)}, database={self.database!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from the variables in ENVIRONMENT (SANDBOX_*, DOTS_CLIENT_ID, DOTS_API_KEY). ValueError names the
        variable that is wrong (never a secret)."""
        faults = environ.get("SANDBOX_FAULTS", "").strip().lower()
        if faults not in _TRUE + _FALSE:
            raise ValueError(f"SANDBOX_FAULTS must be 1 or 0 (true/false, yes/no, on/off), not {faults!r}")
        retry = environ.get("SANDBOX_WEBHOOK_RETRY_SECONDS")
        return cls(
            settlement_seconds=_number(environ, "SANDBOX_SETTLEMENT_SECONDS", SETTLEMENT_SECONDS, float),
            webhooks=parse_receivers(environ.get("SANDBOX_WEBHOOKS", "")),
            webhook_retry_seconds=WEBHOOK_RETRY_SECONDS if retry is None else _delays(retry),
            webhook_timeout_seconds=_number(environ, "SANDBOX_WEBHOOK_TIMEOUT_SECONDS", WEBHOOK_TIMEOUT_SECONDS, float),
            webhook_attempts_per_receiver=_number(
                environ, "SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER", WEBHOOK_ATTEMPTS_PER_RECEIVER, int
            ),
            webhook_retention_seconds=_number(
                environ, "SANDBOX_WEBHOOK_RETENTION_SECONDS", WEBHOOK_RETENTION_SECONDS, float
            ),
            host=environ.get("SANDBOX_HOST", DEFAULT_HOST),
            port=_number(environ, "SANDBOX_PORT", DEFAULT_PORT, int),
            db=environ.get("SANDBOX_DB", DEFAULT_DB),
            client_id=environ.get("DOTS_CLIENT_ID", DEFAULT_CLIENT_ID),
            api_key=environ.get("DOTS_API_KEY", DEFAULT_API_KEY),
            synchronous=environ.get("SANDBOX_SYNCHRONOUS", "NORMAL").upper(),
            faults=faults in _TRUE,
            body_timeout_seconds=_number(environ, "SANDBOX_BODY_TIMEOUT", BODY_TIMEOUT_SECONDS, float),
            header_timeout_seconds=_number(environ, "SANDBOX_HEADER_TIMEOUT", HEADER_TIMEOUT_SECONDS, float),
            keep_alive_timeout_seconds=_number(
                environ, "SANDBOX_KEEP_ALIVE_TIMEOUT", KEEP_ALIVE_TIMEOUT_SECONDS, float
            ),
            max_header_bytes=_number(environ, "SANDBOX_MAX_HEADER_BYTES", MAX_HEADER_BYTES, int),
            workers=_number(environ, "SANDBOX_WORKERS", 1, int),
        )

    @property
    def database(self) -> Database:
        """The database `db` names (its `display` masks a URL's password)."""
        return parse_database(self.db)

    @property
    def in_memory(self) -> bool:
        """Whether the database lives only as long as the process (`:memory:`)."""
        return self.db == MEMORY_DB

    def db_path(self) -> Path | None:
        """The SQLite database file, or None (`:memory:` or a database server)."""
        return Path(self.db) if self.database.engine == SQLITE and not self.in_memory else None

    def url(self, port: int | None = None) -> str:
        """The base URL clients use (`http://HOST:PORT/api`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}/api"


def _delays(value: str) -> tuple[float, ...]:
    """`5 30 120` or `5,30,120`: seconds to wait after each failed attempt (empty: no retries)."""
    try:
        return tuple(float(part) for part in value.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"SANDBOX_WEBHOOK_RETRY_SECONDS must be seconds separated by spaces, not {value!r}") from None


def _number(environ: Mapping[str, str], name: str, default: _Number, kind: type[_Number]) -> _Number:
    text = environ.get(name)
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        article = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {article}, not {text!r}") from None
