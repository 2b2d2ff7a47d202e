"""`soak` (not in the default sections): create-and-confirm with webhooks for minutes, watching growth.

`make bench BENCH_SECTIONS=soak` runs the sandbox as users run it (`python -m dots_sandbox`, one
process) on each engine, a SQLite file and a throwaway PostgreSQL database, with one webhook
receiver (a local HTTP server in this process answering 204) and a short webhook retention
(SOAK_RETENTION_S), under wrk's create-and-confirm load (bench/create_confirm.lua, each connection pausing
BENCH_SOAK_DELAY_MS between requests: steady, below saturation) for BENCH_SOAK_SECONDS in slices
of BENCH_SOAK_SLICE seconds. It reports, per engine, the database's
size and the sandbox process's memory (RSS) after the first slice (the baseline: the load has
begun and the caches are warm) and at the end, and the throughput of the last slice against the
first, and the webhook events kept at the end against the intents written. Intents are never
pruned, so the database grows with them; events and their attempts are pruned (every 60 s) as
they pass the retention, so the events kept stay near the rate times retention plus 60 s, and the
memory stays flat. The notes give the size before any load and the pending deliveries at the end.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from bench.engines import run_wrk
from bench.report import Row
from bench.servers import Load
from contract_tests.target import SandboxProcess, wait_for_port
from tools.postgres import PostgresNotFound, find_bin, throwaway

SOAK_S = int(os.environ.get("BENCH_SOAK_SECONDS", "180"))
SLICE_S = int(os.environ.get("BENCH_SOAK_SLICE", "30"))
# Each wrk connection pauses this long before each request: a steady load below saturation (about
# 400 requests/s over 10 connections), as a shared sandbox sees, which the webhook senders keep up with.
DELAY_MS = int(os.environ.get("BENCH_SOAK_DELAY_MS", "20"))
# Short, so that pruning runs within the soak (the sandbox's default is 7 days).
SOAK_RETENTION_S = 30
MIB = 1024 * 1024


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Answers every webhook delivery 204 at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, name="soak-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    finally:
        server.shutdown()
        server.server_close()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _sqlite_size(db: str) -> Callable[[], float]:
    return lambda: sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*")) / MIB


def _postgresql_size(url: str) -> Callable[[], float]:
    def size() -> float:
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        assert row is not None
        return float(row[0]) / MIB

    return size


def _counts(db: str) -> tuple[int, int, int]:
    """Intents, events and pending deliveries in the database."""
    query = (
        "SELECT (SELECT count(*) FROM payment_intents), (SELECT count(*) FROM webhook_events),"
        " (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending')"
    )
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as connection:
            row = connection.execute(query).fetchone()
    else:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
            row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _soak(engine: str, db: str, size: Callable[[], float], receiver: str) -> list[Row]:
    client_id, api_key = f"soak-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "DOTS_"))},
        "DOTS_CLIENT_ID": client_id,
        "DOTS_API_KEY": api_key,
        # A fresh secret (the receiver here does not verify: signing is measured elsewhere).
        "SANDBOX_WEBHOOKS": f"{receiver}=whsec_{base64.b64encode(secrets.token_bytes(24)).decode()}",
        "SANDBOX_WEBHOOK_RETENTION_SECONDS": str(SOAK_RETENTION_S),
    }
    sandbox = SandboxProcess(db, env)
    try:
        origin = sandbox.url.removesuffix("/api").rstrip("/")
        wait_for_port("127.0.0.1", int(urllib.parse.urlsplit(origin).port or 0), 30)
        authorization = "Basic " + base64.b64encode(f"{client_id}:{api_key}".encode()).decode()
        before = size()
        env_wrk = {
            "BENCH_PREFIX": "/api",
            "BENCH_AUTH": authorization,
            "BENCH_ID": "",
            "BENCH_ADDRS": "",
            "BENCH_DELAY_MS": str(DELAY_MS),
        }
        slices: list[tuple[Load, float, float]] = []
        for _ in range(max(1, SOAK_S // SLICE_S)):
            load = run_wrk(origin, "create_confirm.lua", env_wrk, duration_s=SLICE_S)
            slices.append((load, size(), _rss_mib(sandbox.process.pid)))
    finally:
        sandbox.stop()
    intents, events, pending = _counts(db)
    (first, size_first, rss_first), (last, size_last, rss_last) = slices[0], slices[-1]
    note = (f"{len(slices)} x {SLICE_S} s of wrk create-and-confirm ({DELAY_MS} ms between a connection's requests), "
            f"1 receiver, retention {SOAK_RETENTION_S} s; "
            f"before load {before:.2f} MiB; at the end {intents:,} intents, {events:,} events kept, "
            f"{pending:,} deliveries pending")  # fmt: skip
    name = f"soak, sandbox on {engine}, end vs after the first slice"
    return [
        Row(f"{name}, database size", size_last, size_first, "MiB", note, "grows with the intents only"),
        Row(f"{name}, process RSS", rss_last, rss_first, "MiB", note, "ratio ≈ 1"),
        Row(f"{name}, throughput", last.rps, first.rps, "req/s", note, "ratio ≈ 1"),
        Row(
            f"soak, sandbox on {engine}, webhook events kept vs intents written",
            events,
            intents,
            "rows",
            note,
            f"ratio < 1 once the soak outlasts {SOAK_RETENTION_S} s + 60 s",
        ),
    ]


def measure() -> list[Row]:
    """The soak rows of both engines (rows without numbers when wrk or PostgreSQL is missing)."""
    missing = [] if shutil.which("wrk") else ["wrk"]
    try:
        find_bin()
    except PostgresNotFound:
        missing.append("PostgreSQL")
    if missing:
        note = f"not measured: {', '.join(missing)} could not be installed here (make bench installs them)"
        return [Row(f"soak, sandbox on {engine}", None, None, "", note) for engine in ("SQLite", "PostgreSQL")]
    rows: list[Row] = []
    with _receiver() as receiver:
        with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
            db = str(Path(tmp) / "soak.db")
            rows += _soak("SQLite", db, _sqlite_size(db), receiver)
        with throwaway() as cluster:
            url = cluster.create_database("soak")
            rows += _soak("PostgreSQL", url, _postgresql_size(url), receiver)
    return rows
