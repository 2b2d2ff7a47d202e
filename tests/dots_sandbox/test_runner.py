"""The process runner (dots_sandbox/runner.py): worker processes sharing one port, against real processes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from conftest import LiveSandbox

    StartSandbox = Callable[..., LiveSandbox]

AUTH = ("sandbox-client-id", "sandbox-api-key")
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
REPO_ROOT = Path(__file__).resolve().parents[2]
LIVENESS_S = 15


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


def _workers(pid: int) -> list[int]:
    """The worker processes of a supervisor (its children, less multiprocessing's resource tracker)."""
    deadline = time.monotonic() + LIVENESS_S
    while True:
        children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        workers = [child for child in children if b"resource_tracker" not in _cmdline(child)]
        if len(workers) >= 2 or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


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
    assert sandbox.lines == [f"dots sandbox listening on {sandbox.url} (db {db}, 2 workers)"]

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
    assert len(sandbox.lines) == 1


def test_workers_stop_when_their_supervisor_is_killed(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """After `kill -9` of the supervisor its workers stop too: nothing goes on serving the port."""
    sandbox = start_sandbox(str(tmp_path / "orphans.db"), args=("--workers", "2"))
    created = httpx.post(f"{sandbox.url}/v2/payment-intents", json={"amount": 1, "currency": "usd"}, auth=AUTH)
    assert created.status_code == 200
    workers = _workers(sandbox.process.pid)
    assert len(workers) == 2
    sandbox.kill()
    assert all(_gone(worker) for worker in workers)
