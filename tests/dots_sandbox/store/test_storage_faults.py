"""Storage faults answered: disk full on both engines, and a SQLite file removed or replaced under the sandbox.

Each is a documented 503 (`service-unavailable`, "nothing was changed") with one log line per
episode, never a 500 or a traceback per request, and nothing half-written. SQLite's full disk is
`PRAGMA max_page_count` on the store's own connection; PostgreSQL's is a tablespace on a small
tmpfs filled up (as root, where mounting works), else a trigger raising SQLSTATE 53100.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from dots_sandbox import lifecycle
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import Intent, SQLiteStore, StorageFault
from dots_sandbox.store.postgresql import PostgreSQLStore

if TYPE_CHECKING:
    from tests.conftest import InProcess

CLIENT = "sandbox-client-id"
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
UNAVAILABLE = {"error": "The database is unavailable; nothing was changed. Retry later", "code": "service-unavailable"}
OUTBOX_TABLES = ("payment_intents", "webhook_events", "webhook_deliveries", "webhook_attempts", "settlements")


def _lines(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in record.getMessage() for record in caplog.records if record.name.startswith("dots_sandbox"))


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def _in_process(db: str) -> InProcess:
    from tests.conftest import InProcess

    return InProcess(build_sandbox(Settings(db=db)))


def _new(store: SQLiteStore | PostgreSQLStore, padding: int = 0) -> Intent:
    pad = secrets.token_hex(padding // 2)  # incompressible: PostgreSQL compresses long values
    intent, _ = lifecycle.new_intent(CLIENT, {"amount": 1000, "currency": "usd", "metadata": {"pad": pad}})
    store.add_with(intent, None, None)
    return intent


def test_sqlite_disk_full_is_a_503_logged_once_then_recovers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """SQLITE_FULL: creates answer the documented 503, one log line per episode, none half-written; then 200 again."""
    sandbox = _in_process(str(tmp_path / "full.db"))
    try:
        assert isinstance(sandbox.sandbox.store, SQLiteStore)
        connection = sandbox.sandbox.store._connection()  # the loop's thread is this one: the store's connection
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
        connection.execute(f"PRAGMA max_page_count = {pages}")
        metadata = {"pad": "x" * 400}
        with caplog.at_level(logging.WARNING):
            for _ in range(100):  # the free room in the last pages goes first
                if (answer := sandbox.create(amount=1, currency="usd", metadata=metadata)).status_code == 503:
                    break
            refused = [sandbox.create(amount=1, currency="usd", metadata=metadata) for _ in range(10)]
            assert [answer.status_code, *(response.status_code for response in refused)] == [503] * 11
            assert all(response.json() == UNAVAILABLE for response in refused)
            (count,) = connection.execute("SELECT count(*) FROM payment_intents").fetchone()
            connection.execute("PRAGMA max_page_count = 1073741823")
            created = sandbox.create(amount=1, currency="usd", metadata=metadata)
            assert created.status_code == 200
            assert sandbox.confirm(created.json()["id"], PM).status_code == 200
        assert connection.execute("SELECT count(*) FROM payment_intents").fetchone() == (count + 1,)
        assert _lines(caplog, "database or disk is full; answering writes 503 until they work again") == 1
        assert _lines(caplog, "accepts writes again") == 1
        assert _errors(caplog) == []  # no traceback, no 500
    finally:
        sandbox.close()


def test_a_removed_sqlite_file_refuses_writes_with_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`rm -rf .sandbox` under a running sandbox: creates and confirms are 503 (never acknowledged), one log line."""
    folder = tmp_path / ".sandbox"
    sandbox = _in_process(str(folder / "sandbox.db"))
    try:
        intent = sandbox.create(amount=1000, currency="usd").json()
        shutil.rmtree(folder)
        with caplog.at_level(logging.WARNING):
            answers = [sandbox.create(amount=1000, currency="usd") for _ in range(5)]
            answers += [sandbox.confirm(intent["id"], PM) for _ in range(5)]
        assert [(answer.status_code, answer.json()) for answer in answers] == [(503, UNAVAILABLE)] * 10
        assert _lines(caplog, "was removed or replaced while the sandbox ran") == 1
        assert _errors(caplog) == []
        assert not folder.exists()  # nothing written anywhere in its place
    finally:
        sandbox.close()


def test_a_replaced_sqlite_file_refuses_writes_from_every_thread(tmp_path: Path) -> None:
    """Another file moved to the path: writes raise StorageFault, also from a thread that opens its connection later."""
    db = tmp_path / "sandbox.db"
    store = SQLiteStore(str(db))
    try:
        kept = _new(store)
        other = SQLiteStore(str(tmp_path / "other.db"))
        other.close()
        os.replace(tmp_path / "other.db", db)
        with pytest.raises(StorageFault, match="removed or replaced"):
            _new(store)
        failures: list[BaseException] = []

        def write() -> None:
            try:
                _new(store)
            except BaseException as error:  # reported to the test's thread
                failures.append(error)

        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
        assert [type(failure) for failure in failures] == [StorageFault]
        assert store.get(CLIENT, kept.id) == kept  # reads go on from the file the store opened
    finally:
        store.close()


# ---- PostgreSQL: class 53 -------------------------------------------------------------------

TMPFS_BYTES = 1 << 20
ROOM_BYTES = 96 * 1024


@contextlib.contextmanager
def _small_tmpfs() -> Iterator[Path | None]:
    """A 1 MiB tmpfs the PostgreSQL server user owns, or None where this process cannot mount one."""
    if os.geteuid() != 0:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="dots-tmpfs-"))
    root.chmod(0o755)
    mount = root / "space"
    mount.mkdir()
    user = pwd.getpwnam("postgres")
    options = f"size={TMPFS_BYTES},uid={user.pw_uid},gid={user.pw_gid},mode=0700"
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=False).returncode == 0
    try:
        yield mount if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(root, ignore_errors=True)


_DISK_FULL_TRIGGER = """
CREATE TABLE disk (is_full boolean NOT NULL);
INSERT INTO disk VALUES (false);
CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT is_full FROM disk) THEN
        RAISE EXCEPTION 'could not extend file: No space left on device (test)' USING ERRCODE = 'disk_full';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER disk_full BEFORE INSERT ON payment_intents FOR EACH ROW EXECUTE FUNCTION disk_full();
"""


class _Disk:
    """Fills and frees the disk under the test database's tables: a tmpfs tablespace, or the trigger above."""

    def __init__(self, url: str, mount: Path | None) -> None:
        self.url = url
        self.mount = mount
        self.tablespace = f"small_{secrets.token_hex(4)}"
        with psycopg.connect(url, autocommit=True) as connection:
            if mount is None:
                connection.execute(_DISK_FULL_TRIGGER)
                return
            connection.execute(
                sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(
                    sql.Identifier(self.tablespace), sql.Literal(str(mount))
                )
            )
            for table in OUTBOX_TABLES:
                connection.execute(
                    sql.SQL("ALTER TABLE {} SET TABLESPACE {}").format(
                        sql.Identifier(table), sql.Identifier(self.tablespace)
                    )
                )

    def fill(self, room: int = ROOM_BYTES) -> None:
        """Leave the tables about `room` bytes free (the trigger: none)."""
        if self.mount is None:
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute("UPDATE disk SET is_full = true")
            return
        free = shutil.disk_usage(self.mount).free
        with (self.mount / "filler").open("ab") as filler:
            filler.write(b"\0" * max(0, free - room))

    def free(self) -> None:
        """Make room again."""
        if self.mount is None:
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute("UPDATE disk SET is_full = false")
            return
        (self.mount / "filler").unlink()

    def remove(self) -> None:
        """Put the tables back in the default tablespace and drop the small one."""
        if self.mount is None:
            return
        with psycopg.connect(self.url, autocommit=True) as connection:
            for table in OUTBOX_TABLES:
                connection.execute(sql.SQL("ALTER TABLE {} SET TABLESPACE pg_default").format(sql.Identifier(table)))
            connection.execute(sql.SQL("DROP TABLESPACE {}").format(sql.Identifier(self.tablespace)))


def test_postgresql_disk_full_is_a_storage_fault_logged_once_then_recovers(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Class 53 (disk full) from the server: StorageFault on every write, one line per episode, nothing half-written."""
    store = PostgreSQLStore(postgres_url, pool_size=1)
    with _small_tmpfs() as mount:
        disk = _Disk(postgres_url, mount)
        try:
            kept = _new(store)
            disk.fill()
            with caplog.at_level(logging.WARNING):
                refused = None
                for _ in range(200):  # the room left goes first
                    pad = {"pad": secrets.token_hex(1000)}
                    intent, _secret = lifecycle.new_intent(CLIENT, {"amount": 1, "currency": "usd", "metadata": pad})
                    try:
                        store.add_with(intent, None, None)
                    except StorageFault as error:
                        refused = (intent, error)
                        break
                assert refused is not None, "the disk never filled"
                disk.fill(room=0)
                for _ in range(5):  # bigger than any page's slack: each needs new pages
                    with pytest.raises(StorageFault):
                        _new(store, padding=32_000)
                assert store.get(CLIENT, refused[0].id) is None  # nothing half-written
                assert store.get(CLIENT, kept.id) == kept  # reads go on
                disk.free()
                _new(store, padding=2000)
            assert _lines(caplog, "answering writes 503 until they work again") == 1
            assert _lines(caplog, "accepts writes again") == 1
            assert _lines(caplog, "reachable again") == 0  # not an outage
        finally:
            store.close()
            disk.remove()
