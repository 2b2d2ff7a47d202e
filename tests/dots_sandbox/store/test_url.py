"""The --db setting: SQLite paths, PostgreSQL URLs, refused schemes, and the password never shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dots_sandbox.store.url import POSTGRESQL, SQLITE, mask_password, parse_database

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("value", [".sandbox/sandbox.db", "/var/lib/x.db", ":memory:", "C:\\data\\x.db", "odd:name.db"])
def test_paths_are_sqlite(value: str) -> None:
    """Anything without a `scheme://` is a SQLite path, shown as given."""
    database = parse_database(value)
    assert (database.engine, database.display, database.endpoint) == (SQLITE, value, "")


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://user@db.example:5433/sandbox",
        "postgres://user@db.example:5433/sandbox",
        "POSTGRESQL://user@db.example:5433/sandbox",
    ],
)
def test_postgresql_urls_choose_postgresql(value: str) -> None:
    """Both schemes libpq accepts, in any case, choose PostgreSQL; the endpoint is host:port."""
    database = parse_database(value)
    assert database.engine == POSTGRESQL
    assert database.endpoint == "db.example:5433"


def test_default_port_is_postgresql_s() -> None:
    """A URL without a port names 5432, as libpq connects."""
    assert parse_database("postgresql://u@host/db").endpoint == "host:5432"


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("mysql://root:hunter2@localhost/db", "mysql"),
        ("postgres+foo://u:hunter2@h/db", "postgres+foo"),
        ("postgresql+psycopg://u:hunter2@h/db", "postgresql+psycopg"),
        ("sqlite:///tmp/x.db", "sqlite"),
        ("http://h/db", "http"),
    ],
)
def test_other_schemes_are_refused_without_the_password(value: str, scheme: str) -> None:
    """A URL scheme the sandbox cannot honour is a ValueError naming it and what is accepted, password masked."""
    with pytest.raises(ValueError, match="unsupported database URL scheme") as refused:
        parse_database(value)
    message = str(refused.value)
    assert repr(scheme) in message
    assert "postgresql://" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_a_malformed_postgresql_url_is_refused_without_the_password() -> None:
    """libpq's own complaint (which quotes the bad token) is passed on with the password masked."""
    with pytest.raises(ValueError, match="invalid PostgreSQL URL") as refused:
        parse_database("postgresql://u:s%zzecret@h/db")
    assert "percent-encoded" in str(refused.value)
    assert "zzecret" not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:secret@host:5432/db", "postgresql://user:***@host:5432/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("postgresql://user:p%40ss@h1:1,h2:2/db?sslmode=require", "postgresql://user:***@h1:1,h2:2/db?sslmode=require"),
        ("postgresql://user:pa/ss@host/db", "postgresql://user:***@host/db"),
        ("postgresql://h/db?user=u&password=secret&x=1", "postgresql://h/db?user=u&password=***&x=1"),
        ("postgres://:secret@host/db", "postgres://:***@host/db"),
    ],
)
def test_mask_password(url: str, masked: str) -> None:
    """The password in the user info and in a `password=` parameter is replaced by ***; nothing else changes."""
    assert mask_password(url) == masked


def test_repr_str_and_scrub_never_show_the_password() -> None:
    """repr and str show the masked URL; scrub masks the raw and the percent-decoded password in any text."""
    database = parse_database("postgresql://user:p%2Fw@host:5432/db")
    assert repr(database) == "Database('postgresql', 'postgresql://user:***@host:5432/db')"
    assert str(database) == "postgresql://user:***@host:5432/db"
    assert database.scrub("said p/w and p%2Fw") == "said *** and ***"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:hun?ter2secret@127.0.0.1:1/x",
        "postgresql://u:hun/ter2secret@127.0.0.1:1/x",
        "postgresql://u:hun#ter2secret@127.0.0.1:1/x",
        "postgresql://u:hun@ter2secret@127.0.0.1:1/x",
    ],
)
def test_unescaped_password_is_masked_or_refused_never_shown(url: str) -> None:
    """A password holding an unescaped @ / ? # is refused without being shown, and never shown when masked."""
    assert "ter2secret" not in mask_password(url)
    if "@ter2secret" in url:  # an '@' in the password: the last '@' ends the user info, so it is masked
        assert "ter2secret" not in parse_database(url).display
        return
    with pytest.raises(ValueError, match="must be percent-encoded") as refused:
        parse_database(url)
    assert "ter2secret" not in str(refused.value)


def test_psycopg_is_imported_only_when_a_postgresql_url_is_opened() -> None:
    """A fresh interpreter that imports the sandbox and serves SQLite never loads psycopg; a PostgreSQL URL does."""
    probe = (
        "import sys\n"
        "import dots_sandbox.__main__, dots_sandbox.in_thread\n"
        "from dots_sandbox.sandbox import build_sandbox\n"
        "from dots_sandbox.settings import Settings\n"
        "from dots_sandbox.store.url import parse_database\n"
        "sandbox = build_sandbox(Settings(db=':memory:'))\n"
        "sandbox.store.close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))\n"
        "parse_database('postgresql://user@db.example/sandbox')\n"
        "print('psycopg' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split("\n")[:2] == ["[]", "True"]
