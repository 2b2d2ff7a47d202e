"""The sandbox's storage engines: SQLite and PostgreSQL, with 1 and N instances, beside Prism's static mock.

(bench/servers.py sets the sandbox beside WireMock, Prism and the ceiling; this section, `engines`,
compares the sandbox with itself on each engine.)

Two loads, each run against every setup in the same run, one after the other, with the same wrk
settings: retrieve-heavy (GET one intent) and create-and-confirm (each created intent confirmed
once). The sandbox runs as users run it: `python -m dots_sandbox` processes with full request
validation, on a SQLite file (WAL, durable against a process kill) or on PostgreSQL (a throwaway
cluster from the machine's binaries, default durability: `synchronous_commit = on`, fsync on).
A third PostgreSQL setup runs with `fsync = off`: commits still reach the OS before the answer
(surviving a crash of either server process, as SQLite's NORMAL does) but not the disk, which
shows how much of PostgreSQL's cost is the disk's flush.
N instances are N processes on different ports sharing one database, as behind a load balancer:
wrk's threads take the instances in turn (the Lua scripts' `setup` sets each thread's address).
Prism runs `prism mock -v silent`, stateless.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.net import free_port
from bench.report import Row
from bench.servers import Load, parse_wrk
from contract_tests.target import EmbeddedSandbox, Target, wait_for_port
from tools.postgres import PostgresNotFound, find_bin, throwaway

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
SCRIPTS = Path(__file__).resolve().parent
DURATION_S = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = 10
# Two wrk threads for every setup (equal load), so that N = 2 instances get one thread each.
THREADS = 2
TIMEOUT_S = 30
INSTANCES = 2  # N: one per core here; more would only share the same two cores
LOADS = ("retrieve-heavy", "create-and-confirm")
_SCRIPTS = {"retrieve-heavy": "retrieve.lua", "create-and-confirm": "create_confirm.lua"}
NO_FSYNC = "PostgreSQL (fsync off) x1"


def run_wrk(url: str, script: str, env: dict[str, str], duration_s: int = DURATION_S) -> Load:
    """One wrk run of `duration_s` seconds against `url` with one of the Lua scripts beside this file."""
    # --timeout: a slow answer is a latency (in p99), not a socket error that voids the run.
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration_s}s", f"--timeout={TIMEOUT_S}s", "--latency",
           "-s", str(SCRIPTS / script), url]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True)
    return parse_wrk(result.stdout)


def _prism(port: int) -> subprocess.Popen[bytes]:
    cmd = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "silent", str(ROOT / "openapi.yaml")]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _warm(url: str, auth: str, intent_path: str) -> None:
    with httpx.Client(headers={"Authorization": auth}) as http:
        for _ in range(200):
            http.get(url + intent_path)


@contextlib.contextmanager
def _instances(db: str, count: int) -> Iterator[list[Target]]:
    """`count` sandbox processes on database `db`, one set of credentials."""
    client_id, api_key = f"bench-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(EmbeddedSandbox(client_id=client_id, api_key=api_key, db=db)) for _ in range(count)]


def _measure_sandbox(targets: list[Target]) -> dict[str, Load]:
    first = targets[0]
    with httpx.Client(auth=first.auth) as http:
        created = http.post(f"{first.base_url}/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
        intent_id = created.json()["id"]
    addrs = ",".join(urllib.parse.urlsplit(target.base_url).netloc for target in targets)
    env = {"BENCH_PREFIX": "/api", "BENCH_AUTH": first.authorization, "BENCH_ID": intent_id, "BENCH_ADDRS": addrs}
    for target in targets:
        _warm(target.base_url.removesuffix("/api"), first.authorization, f"/api/v2/payment-intents/{intent_id}")
    origin = first.base_url.removesuffix("/api")
    return {load: run_wrk(origin, _SCRIPTS[load], env) for load in LOADS}


def _measure_prism() -> dict[str, Load]:
    port = free_port()
    prism = _prism(port)
    try:
        wait_for_port("127.0.0.1", port, 60)
        time.sleep(1)
        origin = f"http://127.0.0.1:{port}"
        intent_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
        env = {"BENCH_PREFIX": "", "BENCH_AUTH": "Basic YmVuY2g6YmVuY2g=", "BENCH_ID": intent_id, "BENCH_ADDRS": ""}
        _warm(origin, env["BENCH_AUTH"], f"/v2/payment-intents/{intent_id}")
        return {load: run_wrk(origin, _SCRIPTS[load], env) for load in LOADS}
    finally:
        prism.terminate()
        prism.wait(timeout=10)


def _missing() -> list[str]:
    missing = [name for name, ok in (("wrk", shutil.which("wrk")), ("prism", PRISM.exists())) if not ok]
    try:
        find_bin()
    except PostgresNotFound:
        missing.append("PostgreSQL")
    return missing


def _setups() -> list[str]:
    return [f"{engine} x{count}" for engine in ("SQLite", "PostgreSQL") for count in (1, INSTANCES)]


def measure() -> list[Row]:
    """Rows for both loads and every setup; rows without numbers when wrk, Prism or PostgreSQL is missing."""
    missing = _missing()
    if missing:
        note = f"not measured: {', '.join(missing)} could not be installed here (make bench installs them)"
        return [Row(f"sandbox {setup}, {load}, {m}", None, None, u, note) for setup in _setups() for load in LOADS
                for m, u in (("throughput", "req/s"), ("p99", "ms"))]  # fmt: skip

    results: dict[str, dict[str, Load]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        for count in (1, INSTANCES):
            with _instances(str(Path(tmp) / f"bench-{count}.db"), count) as targets:
                results[f"SQLite x{count}"] = _measure_sandbox(targets)
    with throwaway() as cluster:
        for count in (1, INSTANCES):
            with _instances(cluster.create_database(f"bench_{count}"), count) as targets:
                results[f"PostgreSQL x{count}"] = _measure_sandbox(targets)
    with throwaway(settings={"fsync": "off"}) as cluster, _instances(cluster.create_database("bench"), 1) as targets:
        results[NO_FSYNC] = _measure_sandbox(targets)
    results["Prism"] = _measure_prism()
    return rows(results)


def rows(results: dict[str, dict[str, Load]]) -> list[Row]:
    """The report's rows from wrk results keyed by setup ("SQLite x1", ..., "Prism") and load."""
    comparisons = [
        ("SQLite x1", "Prism", "ratio ≥ 1.5", "ratio ≤ 1"),
        ("PostgreSQL x1", "Prism", "ratio ≥ 1", ""),
        ("PostgreSQL x1", "SQLite x1", "", ""),
        (f"SQLite x{INSTANCES}", "SQLite x1", "ratio > 1 where the cores allow", ""),
        (f"PostgreSQL x{INSTANCES}", "PostgreSQL x1", "ratio > 1 where the cores allow", ""),
        (f"PostgreSQL x{INSTANCES}", "Prism", "", ""),
        (NO_FSYNC, "PostgreSQL x1", "", ""),
        (NO_FSYNC, "Prism", "", ""),
    ]
    out = []
    for load in LOADS:
        for ours_name, base_name, rate_target, p99_target in comparisons:
            ours, base = results[ours_name][load], results[base_name][load]
            note = (f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION_S}s; p50 {ours.p50_ms:.2f} vs {base.p50_ms:.2f} ms; "
                    f"non-2xx {ours.non_2xx} vs {base.non_2xx}")  # fmt: skip
            name = f"sandbox {ours_name} vs {base_name}, {load}"
            target = "" if ours_name == "PostgreSQL x1" and load != "create-and-confirm" else rate_target
            out.append(Row(f"{name}, throughput", ours.rps, base.rps, "req/s", note, target))
            out.append(Row(f"{name}, p99", ours.p99_ms, base.p99_ms, "ms", note, p99_target))
    return out
