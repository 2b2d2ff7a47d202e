"""The sandbox against Prism's static mock, on the same openapi.yaml, under the same wrk load.

Two loads, each run against both servers in the same run: retrieve-heavy (GET one intent) and
create-and-confirm (each created intent confirmed once). The sandbox runs as users run it: one
`python -m dots_sandbox` process on a SQLite file (WAL, durable against a process kill), with
full request validation. Prism runs `prism mock -v silent`, stateless.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.net import free_port
from bench.report import Row
from contract_tests.target import EmbeddedSandbox, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
SCRIPTS = Path(__file__).resolve().parent
DURATION_S = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = 10
THREADS = 1  # two cores: one for the server under test, one for wrk
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests per second, p50 and p99 latency in ms, and failed answers."""

    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def parse_wrk(output: str) -> Load:
    """Read requests/s, the 50% and 99% latency lines and the non-2xx count from wrk's output."""

    def latency(pct: str) -> float:
        match = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if match is None:
            raise ValueError(f"no {pct}% latency in wrk output:\n{output}")
        return float(match.group(1)) * _UNITS[match.group(2)]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rps is None:
        raise ValueError(f"no Requests/sec in wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    if errors:
        raise RuntimeError(f"wrk saw socket errors: {errors.group(0)}")
    return Load(float(rps.group(1)), latency("50"), latency("99"), int(non_2xx.group(1)) if non_2xx else 0)


def run_wrk(url: str, script: str, env: dict[str, str]) -> Load:
    """One wrk run against `url` with one of the Lua scripts beside this file."""
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", "-s", str(SCRIPTS / script), url]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True)
    return parse_wrk(result.stdout)


def _prism(port: int) -> subprocess.Popen[bytes]:
    cmd = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "silent", str(ROOT / "openapi.yaml")]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _warm(url: str, auth: str, intent_path: str) -> None:
    with httpx.Client(headers={"Authorization": auth}) as http:
        for _ in range(200):
            http.get(url + intent_path)


def measure() -> list[Row]:
    """Rows for both loads; rows without numbers when wrk or Prism is missing."""
    missing = [name for name, ok in (("wrk", shutil.which("wrk")), ("prism", PRISM.exists())) if not ok]
    names = ("retrieve-heavy", "create-and-confirm")
    if missing:
        note = f"not measured: {', '.join(missing)} could not be installed here (make bench installs them)"
        return [Row(f"sandbox vs Prism, {name}, {m}", None, None, u, note) for name in names
                for m, u in (("throughput", "req/s"), ("p99", "ms"))]  # fmt: skip

    results: dict[str, dict[str, Load]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp, EmbeddedSandbox(db=str(Path(tmp) / "bench.db")) as t:
        with httpx.Client(auth=t.auth) as http:
            created = http.post(f"{t.base_url}/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
            intent_id = created.json()["id"]
        origin, prefix = t.base_url.removesuffix("/api"), "/api"
        env = {"BENCH_PREFIX": prefix, "BENCH_AUTH": t.authorization, "BENCH_ID": intent_id}
        _warm(origin, t.authorization, f"{prefix}/v2/payment-intents/{intent_id}")
        results["sandbox"] = {
            "retrieve-heavy": run_wrk(origin, "retrieve.lua", env),
            "create-and-confirm": run_wrk(origin, "create_confirm.lua", env),
        }

    port = free_port()
    prism = _prism(port)
    try:
        wait_for_port("127.0.0.1", port, 60)
        time.sleep(1)
        origin = f"http://127.0.0.1:{port}"
        env = {"BENCH_PREFIX": "", "BENCH_AUTH": "Basic YmVuY2g6YmVuY2g=", "BENCH_ID": intent_id}
        _warm(origin, env["BENCH_AUTH"], f"/v2/payment-intents/{intent_id}")
        results["prism"] = {
            "retrieve-heavy": run_wrk(origin, "retrieve.lua", env),
            "create-and-confirm": run_wrk(origin, "create_confirm.lua", env),
        }
    finally:
        prism.terminate()
        prism.wait(timeout=10)

    rows = []
    for name in names:
        ours, base = results["sandbox"][name], results["prism"][name]
        note = (f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION_S}s; p50 {ours.p50_ms:.2f} vs {base.p50_ms:.2f} ms; "
                f"non-2xx {ours.non_2xx} vs {base.non_2xx}")  # fmt: skip
        rows.append(Row(f"sandbox vs Prism, {name}, throughput", ours.rps, base.rps, "req/s", note, "ratio ≥ 1.5"))
        rows.append(Row(f"sandbox vs Prism, {name}, p99", ours.p99_ms, base.p99_ms, "ms", note, "ratio ≤ 1"))
    return rows
