"""The sandbox's settings: environment variables, overridden by the command line.

Credentials come from the environment only (a command line is visible to every user of the
machine through `ps`), and `Settings`' repr never shows the API key, nor a database URL's
password.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from dots_sandbox.store.url import MEMORY_DB, SQLITE, Database, parse_database

__all__ = ["MEMORY_DB", "Settings"]

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

# SQLite `synchronous` in WAL mode. NORMAL: a committed transaction is in the WAL file (the OS
# page cache) before the answer is sent, so it survives a crash or `kill -9` of the server;
# only an OS crash or power loss can lose the last commits. FULL also survives those, at an
# fsync per commit.
SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


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

    def __post_init__(self) -> None:
        if self.synchronous not in SYNCHRONOUS_LEVELS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}, not {self.synchronous!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0 to 65535, not {self.port}")
        if not self.client_id or ":" in self.client_id:
            raise ValueError("DOTS_CLIENT_ID must be non-empty and contain no ':' (HTTP Basic user name)")
        if not self.api_key:
            raise ValueError("DOTS_API_KEY must be non-empty")
        if not self.body_timeout_seconds > 0:
            raise ValueError(f"body_timeout_seconds must be positive, not {self.body_timeout_seconds}")
        parse_database(self.db)  # refuses a URL it cannot honour, before anything starts

    def __repr__(self) -> str:
        fields = (f"{field.name}={getattr(self, field.name)!r}" for field in dataclasses.fields(self) if field.repr)
        return f"Settings({', '.join(fields)}, database={self.database!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from SANDBOX_HOST, SANDBOX_PORT, SANDBOX_DB, SANDBOX_SYNCHRONOUS, DOTS_CLIENT_ID, DOTS_API_KEY."""
        port = environ.get("SANDBOX_PORT", str(DEFAULT_PORT))
        try:
            port_number = int(port)
        except ValueError:
            raise ValueError(f"SANDBOX_PORT must be an integer, not {port!r}") from None
        return cls(
            host=environ.get("SANDBOX_HOST", DEFAULT_HOST),
            port=port_number,
            db=environ.get("SANDBOX_DB", DEFAULT_DB),
            client_id=environ.get("DOTS_CLIENT_ID", DEFAULT_CLIENT_ID),
            api_key=environ.get("DOTS_API_KEY", DEFAULT_API_KEY),
            synchronous=environ.get("SANDBOX_SYNCHRONOUS", "NORMAL").upper(),
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
