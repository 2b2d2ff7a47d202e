"""tools/postgres.py: throwaway clusters from the machine's binaries, and its command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tools.postgres import Cluster, ExistingServer, PostgresNotFound, find_bin

ROOT = Path(__file__).resolve().parents[2]


def test_the_binaries_are_found() -> None:
    """find_bin names a directory with initdb and pg_ctl (make postgres-bin makes sure there is one)."""
    found = find_bin()
    assert (found / "initdb").is_file()
    assert (found / "pg_ctl").is_file()


def test_missing_binaries_fail_loudly_saying_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With PG_BIN wrong and nothing else found, PostgresNotFound says to run `make postgres-bin`."""
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    with pytest.raises(PostgresNotFound, match="make postgres-bin"):
        find_bin()


def test_a_cluster_starts_stops_restarts_and_is_removed() -> None:
    """Data written before an immediate stop is there after the restart; destroy removes every file."""
    cluster = Cluster(password="p@ss/word")
    try:
        cluster.start()
        url = cluster.create_database("kept")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE t AS SELECT 42 AS answer")
        cluster.stop("immediate")
        assert not cluster.running()
        cluster.start()
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT answer FROM t").fetchone() == (42,)
    finally:
        cluster.destroy()
    assert not cluster.data.exists()


def test_an_existing_server_gets_fresh_databases(postgres_server: Cluster | ExistingServer) -> None:
    """ExistingServer (TEST_POSTGRES_URL) creates a database per call (on the session's PostgreSQL, through its
    admin URL) and masks its admin URL's password."""
    assert "secret-pw" not in repr(ExistingServer("postgresql://admin:secret-pw@db.internal:5432/postgres"))
    server = ExistingServer(postgres_server.url())
    first, second = server.create_database(), server.create_database()
    assert first != second
    for url in (first, second):
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (url.rsplit("/", 1)[1],)


def test_run_hands_the_command_a_fresh_cluster_and_removes_it() -> None:
    """`python -m tools.postgres run -- CMD` runs CMD with SANDBOX_DB set to a working URL; exits with its code."""
    script = "import os, psycopg; print(psycopg.connect(os.environ['SANDBOX_DB']).execute('SELECT 7').fetchone()[0])"
    result = subprocess.run(
        [sys.executable, "-m", "tools.postgres", "run", "--", sys.executable, "-c", script + "; raise SystemExit(3)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == "7\n"


def test_serve_prints_the_url_and_sigterm_removes_the_cluster() -> None:
    """`python -m tools.postgres serve` prints one line with a working URL; SIGTERM stops it and removes its files."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.postgres", "serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line.split()[-1]
    assert line == f"throwaway postgres listening on {url}\n"
    assert process.stdout.readline() == "Ctrl-C or SIGTERM stops and removes it\n"
    with psycopg.connect(url) as connection:
        data = Path(str(connection.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    process.stdout.close()
    assert not data.exists()
