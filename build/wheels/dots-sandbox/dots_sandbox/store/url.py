"""The `--db` setting (SANDBOX_DB): a SQLite file path, `:memory:`, or a PostgreSQL URL.

A value with a URL scheme (`name://`) is a URL: `postgresql://` and `postgres://` (the two that
libpq accepts; in any case) choose PostgreSQL; any other scheme is refused with a message saying what is
accepted, never taken for a file name. Everything else is a SQLite path.

A URL's password (in the user info or a `password=` query parameter) never leaves this module in
clear: `Database.display` and its repr mask it (`postgresql://user:***@host:5432/db`), and
`Database.scrub` masks it in any text (a driver's error message, say).

psycopg is imported only when a PostgreSQL URL is read: a sandbox on SQLite never loads it (so an
install without it serves SQLite).
"""

from __future__ import annotations

import dataclasses
import os
import re
import urllib.parse

MEMORY_DB = ":memory:"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# libpq's own URI schemes (PostgreSQL docs, "Connection URIs").
POSTGRESQL_SCHEMES = ("postgresql", "postgres")
DEFAULT_POSTGRESQL_PORT = "5432"
MASK = "***"

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)
# What a URL's user info cannot hold unescaped (RFC 3986 gen-delims that end it or the authority).
_MUST_ESCAPE = "/?#"


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Database:
    """Where the sandbox keeps its data: `engine` (`sqlite` or `postgresql`) and the setting's value.

    `value` may hold a password: show `display`, never `value`.
    """

    engine: str
    value: str

    def __repr__(self) -> str:
        return f"Database({self.engine!r}, {self.display!r})"

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """The value with any password masked (a SQLite path is shown as given)."""
        return self.value if self.engine == SQLITE else mask_password(self.value)

    @property
    def endpoint(self) -> str:
        """`host:port` of a PostgreSQL URL, defaults filled in as libpq fills them ("" for SQLite)."""
        if self.engine != POSTGRESQL:
            return ""
        import psycopg.conninfo  # noqa: PLC0415 (psycopg only when used)

        params = psycopg.conninfo.conninfo_to_dict(self.value)
        host = str(params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or "localhost")
        port = str(params.get("port") or os.environ.get("PGPORT") or DEFAULT_POSTGRESQL_PORT)
        return f"{host}:{port}"

    def scrub(self, text: str) -> str:
        """`text` with every form of this URL's password masked."""
        for secret in _passwords(self.value):
            text = text.replace(secret, MASK)
        return text


def parse_database(value: str) -> Database:
    """The Database a `--db` value names; ValueError (one line, no password) when it cannot be used."""
    if not value:
        raise ValueError("the database setting (--db, SANDBOX_DB) is empty")
    found = _SCHEME.match(value)
    if found is None:
        return Database(SQLITE, value)
    scheme = found.group(1)
    if scheme.lower() not in POSTGRESQL_SCHEMES:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r} in {mask_password(value)}: "
            "give a SQLite file path, :memory:, or a postgresql:// (or postgres://) URL"
        )
    before, at, _ = value[found.end() :].partition("@")
    if at and any(character in before for character in _MUST_ESCAPE):
        # libpq would read part of the password as the host, and show it in its messages.
        raise ValueError(
            "the PostgreSQL URL has an '@' after a '/', '?' or '#': a user name, password or parameter holds a "
            "character that must be percent-encoded (@ / ? # as %40 %2F %3F %23), or give the password in PGPASSWORD"
        )
    database = Database(POSTGRESQL, scheme.lower() + value[len(scheme) :])  # libpq knows lower case only
    import psycopg.conninfo  # noqa: PLC0415 (psycopg only when used)

    try:
        psycopg.conninfo.conninfo_to_dict(database.value)
    except psycopg.Error as error:
        reason = " ".join(database.scrub(str(error)).split())
        raise ValueError(f"invalid PostgreSQL URL {database.display}: {reason}") from None
    return database


def mask_password(url: str) -> str:
    """`url` with the password of its user info and of a `password=` parameter replaced by ***."""
    found = _SCHEME.match(url)
    if found is None:
        return url
    head, rest = url[: found.end()], url[found.end() :]
    # The user info ends at the last '@' anywhere: over-masking beats leaking a password that holds
    # an unescaped '/', '?', '#' or '@'.
    userinfo, at, tail = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.partition(':')[0]}:{MASK}@{tail}"
    return head + _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", rest)


def _split_query(rest: str) -> tuple[str, str]:
    index = rest.find("?")
    return (rest, "") if index < 0 else (rest[:index], rest[index:])


def _passwords(url: str) -> list[str]:
    """Every spelling of the URL's password(s) that a message could quote, longest first."""
    found = _SCHEME.match(url)
    if found is None:
        return []
    authority, query = _split_query(url[found.end() :])
    userinfo, at, _ = authority.rpartition("@")
    raw = [userinfo.partition(":")[2]] if at and ":" in userinfo else []
    raw += [match.group(2) for match in _QUERY_PASSWORD.finditer(query)]
    spellings = {spelling for secret in raw for spelling in (secret, urllib.parse.unquote(secret)) if spelling}
    return sorted(spellings, key=len, reverse=True)
