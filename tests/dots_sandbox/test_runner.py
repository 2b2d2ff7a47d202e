"""The process runner (dots_sandbox/runner.py): worker processes sharing one port, against real processes."""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dots_sandbox import runner
from dots_sandbox.settings import Settings
from dots_sandbox.store.url import parse_database
from tools.postgres import Cluster, free_port

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

    StartSandbox = Callable[..., LiveSandbox]

AUTH = ("sandbox-client-id", "sandbox-api-key")
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
REPO_ROOT = Path(__file__).resolve().parents[2]
LIVENESS_S = 15
ANSWER_S = 30  # a new worker imports the whole sandbox before it answers
UNAVAILABLE = {"error": "The database is unavailable; nothing was changed. Retry later", "code": "service-unavailable"}


def test_several_workers_on_a_memory_database_are_refused() -> None:
    """`--workers 2 --db :memory:` exits 2 saying why (each process would have its own database)."""
    result = subprocess.run(
        [sys.executable, "-m", "dots_sandbox", "--workers", "2", "--db", ":memory:", "--port", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert ":memory: database lives inside one process" in result.stderr


def test_a_database_folder_that_cannot_be_made_is_one_line_and_exit_1() -> None:
    """`--db /proc/1/nope/x.db`: exit 1, nothing on stdout, one line on stderr naming the database, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "dots_sandbox", "--db", "/proc/1/nope/x.db", "--port", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "dots sandbox: cannot make the folder of the SQLite database /proc/1/nope/x.db: No such file or directory\n"
    )


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"not a database, " * 512)


def _schema_99(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()


def _another_programs(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE payment_intents (reference TEXT)")
    connection.close()


def _under_a_file(path: Path) -> None:
    file = path.parents[1]  # a file where a folder on the database's path should be
    file.parent.mkdir()
    file.write_text("")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("make", "db", "why"),
    [
        (_not_a_database, "garbage.db", "cannot open the SQLite database {db}: file is not a database"),
        (_schema_99, "future.db", "{db}: database schema version 99, this sandbox knows 3"),
        (_under_a_file, "dir/file/sub/x.db", "cannot make the folder of the SQLite database {db}: Not a directory"),
        (
            _another_programs,
            "app.db",
            "{db}: not a sandbox database: it holds tables (payment_intents) but no sandbox schema version",
        ),
    ],
    ids=["not-a-database", "schema-version", "folder-is-a-file", "another-programs-database"],
)
def test_a_start_error_is_one_line_naming_what_failed(  # noqa: PLR0917 (fixtures and parameters)
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    workers: int,
    make: Callable[[Path], None],
    db: str,
    why: str,
) -> None:
    """A database that cannot be used is exit 1 and one line; with workers the supervisor only opens a store."""
    path = tmp_path / db
    make(path)
    if workers > 1:  # the supervisor's check opens and closes a store: it never builds a sandbox

        def no_sandbox(*args: object) -> None:
            raise AssertionError("the supervisor built a whole sandbox to check the database")

        monkeypatch.setattr(runner, "build_sandbox", no_sandbox)
    assert runner.serve(Settings(host="127.0.0.1", port=0, db=str(path), workers=workers)) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"dots sandbox: {why.format(db=path)}\n")


def _workers(pid: int) -> list[int]:
    """The worker processes of a supervisor (its children, less multiprocessing's resource tracker)."""
    deadline = time.monotonic() + LIVENESS_S
    while True:
        workers = sorted(_worker_pids(pid))
        if len(workers) >= 2 or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def _worker_pids(pid: int) -> set[int]:
    """The supervisor's worker processes now (its children, less multiprocessing's resource tracker)."""
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return {child for child in children if b"resource_tracker" not in _cmdline(child)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _gone(pid: int) -> bool:
    """Whether `pid` has exited (within the liveness bound)."""
    deadline = time.monotonic() + LIVENESS_S
    while Path(f"/proc/{pid}").exists() and b"Z" not in Path(f"/proc/{pid}/stat").read_bytes().split(b" ")[2]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_two_workers_share_the_port_and_confirm_once(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """`--workers 2` on a SQLite file: two processes serve one port; 16 concurrent confirms of one intent, one 200."""
    db = str(tmp_path / "workers.db")
    sandbox = start_sandbox(db, args=("--workers", "2"))

    async def rounds() -> None:
        for _ in range(10):
            async with httpx.AsyncClient(base_url=sandbox.url, auth=AUTH) as client:
                created = await client.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"})
                path = f"/v2/payment-intents/{created.json()['id']}/confirm"
            clients = [httpx.AsyncClient(base_url=sandbox.url, auth=AUTH) for _ in range(16)]  # 16 connections
            try:
                answers = await asyncio.gather(*(c.post(path, json={"payment_method_id": PM}) for c in clients))
            finally:
                await asyncio.gather(*(c.aclose() for c in clients))
            assert sorted(answer.status_code for answer in answers) == [200] + [409] * 15

    asyncio.run(rounds())
    workers = _workers(sandbox.process.pid)
    assert len(workers) == 2
    assert sandbox.stop(signal.SIGTERM) == 0
    assert all(_gone(worker) for worker in workers)
    assert sandbox.lines == [f"dots sandbox listening on {sandbox.url}", f"database: {db}", "workers: 2"]  # no more


def test_workers_stop_when_their_supervisor_is_killed(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """After `kill -9` of the supervisor its workers stop too: nothing goes on serving the port."""
    sandbox = start_sandbox(str(tmp_path / "orphans.db"), args=("--workers", "2"))
    created = httpx.post(f"{sandbox.url}/v2/payment-intents", json={"amount": 1, "currency": "usd"}, auth=AUTH)
    assert created.status_code == 200
    workers = _workers(sandbox.process.pid)
    assert len(workers) == 2
    sandbox.kill()
    assert all(_gone(worker) for worker in workers)


def _server_of(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """Which of `pids` holds the accepted end of the connection 127.0.0.1:client_port -> :server_port."""
    ends = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")  # /proc/net/tcp: hex, little-endian IP
    rows = (row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:])
    inode = next((row[9] for row in rows if (row[1], row[2]) == ends), None)
    for pid in pids:
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
        except FileNotFoundError:  # the process or one of its descriptors went away meanwhile
            continue
    return None


def _answers_by_worker(url: str, path: str, pids: set[int]) -> dict[int, tuple[int, bytes]]:
    """GET `path` on fresh connections until each of `pids` answered one: {pid: (status, body)}."""
    host, port = url.split("/")[2].rsplit(":", 1)
    authorization = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
    answers: dict[int, tuple[int, bytes]] = {}
    deadline = time.monotonic() + ANSWER_S  # the kernel gives each connection to whichever worker accepts first
    while set(answers) != pids:
        assert time.monotonic() < deadline, f"workers {pids - set(answers)} answered nothing"
        connection = http.client.HTTPConnection(host, int(port), timeout=ANSWER_S)
        try:
            connection.connect()
            client_port = connection.sock.getsockname()[1]
            connection.request("GET", f"/api{path}", headers={"Authorization": authorization})
            response = connection.getresponse()
            body = response.read()
            worker = _server_of(int(port), client_port, pids)  # while the connection is open
        finally:
            connection.close()
        if worker is not None:
            answers.setdefault(worker, (response.status, body))
    return answers


def test_a_worker_killed_in_an_outage_is_replaced_once(start_sandbox: StartSandbox, postgres_cluster: Cluster) -> None:
    """`--workers 2`, PostgreSQL down, one worker SIGKILLed: one replacement, 503 meanwhile, 200 from both once back."""
    url = postgres_cluster.create_database("sandbox")
    # A receiver nothing listens on: each worker's background path claims deliveries through the outage too.
    receiver = {"SANDBOX_WEBHOOKS": f"http://127.0.0.1:{free_port()}/hook=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    sandbox = start_sandbox(url, env=receiver, args=("--workers", "2"))
    # A worker's first answer compiles the spec's validators and opens its pool: a loaded machine took over
    # httpx's default 5 s, so the first request waits as long as a new worker may take.
    created = httpx.post(
        f"{sandbox.url}/v2/payment-intents", json={"amount": 1, "currency": "usd"}, auth=AUTH, timeout=ANSWER_S
    )
    path = f"/v2/payment-intents/{created.json()['id']}"
    killed, survivor = _workers(sandbox.process.pid)
    postgres_cluster.stop("immediate")
    os.kill(killed, signal.SIGKILL)  # as the OOM killer does
    seen = {killed, survivor}
    deadline = time.monotonic() + LIVENESS_S
    while len(workers := _worker_pids(sandbox.process.pid)) < 2 or killed in workers:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        seen |= workers
        time.sleep(0.1)
    (replacement,) = workers - {survivor}
    down = _answers_by_worker(sandbox.url, path, workers)  # the replacement too: it started with the database down
    assert {status for status, _ in down.values()} == {503}
    assert all(httpx.Response(503, content=body).json() == UNAVAILABLE for _, body in down.values())
    postgres_cluster.start()
    deadline = time.monotonic() + ANSWER_S  # liveness bound: each worker's pool reconnects within seconds
    while {status for status, _ in _answers_by_worker(sandbox.url, path, workers).values()} != {200}:
        assert time.monotonic() < deadline, "the workers did not recover"
        seen |= _worker_pids(sandbox.process.pid)
        time.sleep(0.2)
    seen |= _worker_pids(sandbox.process.pid)
    assert seen == {killed, survivor, replacement}  # one replacement, no restart loop
    assert sandbox.stop() == 0
    assert "Traceback" not in sandbox.output
    endpoint = parse_database(url).endpoint
    outages = [line for line in sandbox.lines if line.endswith("; answering 503 until it is back")]
    recoveries = [f"WARNING dots_sandbox: PostgreSQL at {endpoint} is reachable again"] * 2  # survivor, replacement
    assert 2 <= len(outages) <= 3  # one per process; the killed one may have seen the outage before it died
    assert sorted(sandbox.lines[3:]) == sorted(outages + recoveries)  # after the listening line and 2 facts


def test_a_worker_that_cannot_start_stops_the_server_instead_of_a_restart_loop(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """The SQLite file replaced by garbage, a worker killed: its replacement cannot start, and the server exits 1."""
    db = tmp_path / "replaced.db"
    sandbox = start_sandbox(str(db), args=("--workers", "2"))
    killed, _ = _workers(sandbox.process.pid)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"not a database, " * 512)
    garbage.replace(db)  # the running workers keep the old file open; a new one opens this
    os.kill(killed, signal.SIGKILL)
    assert sandbox.process.wait(timeout=LIVENESS_S) == 1
    failed = [line for line in sandbox.lines if "cannot start" in line]
    # One line per worker that tried: the replacement, and on a loaded machine perhaps a second, when
    # uvicorn's health check took the survivor for hung and replaced it too; never a loop of them.
    assert 1 <= len(failed) <= 2, sandbox.output
    assert all("file is not a database" in line for line in failed), sandbox.output
    assert "Traceback" not in sandbox.output
