"""The sandbox against its peers and its ceiling, under the same wrk loads, in one run.

Servers, all started first and warmed, then measured in turn, ROUNDS times over (so a burst of
load from elsewhere on the machine hits every server alike); each figure is the median of its
rounds:
- the sandbox as users run it: one `python -m dots_sandbox` process on a SQLite file (WAL,
  durable against a process kill), every request authenticated and validated;
- WireMock (bench/wiremock.py): static stubs of the same operations with Basic-auth matching,
  its JVM warmed by WARM_S of each load before measuring;
- Prism's static mock (`prism mock -v silent`) on the same openapi.yaml;
- the ceiling (dots_sandbox/ceiling.py): one constant answer on the sandbox's own HTTP front, the
  most any app on this stack could do.

Loads (bench/*.lua): retrieve (GET one intent), create, and create-and-confirm (each created
intent confirmed once).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import wiremock
from bench.net import free_port
from bench.report import Row
from contract_tests.target import EmbeddedSandbox, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
SCRIPTS = Path(__file__).resolve().parent
DURATION_S = int(os.environ.get("BENCH_DURATION", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARM_S = 10
CONNECTIONS = 10
THREADS = 1  # two cores: one for the server under test, one for wrk
LOADS = {"retrieve": "retrieve.lua", "create": "create.lua", "create-and-confirm": "create_confirm.lua"}
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests per second, p50 and p99 latency in ms, and failed answers."""

    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    timeouts: int = 0  # requests wrk gave up on (2 s); its percentiles leave them out


@dataclass(frozen=True)
class Server:
    """A server under load: its origin and the environment its Lua scripts read (path prefix, Authorization)."""

    name: str
    origin: str
    env: dict[str, str]


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
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    timeouts = 0
    if errors:
        connect, read, write, timeouts = (int(count) for count in errors.groups())
        if connect or read or write:
            raise RuntimeError(f"wrk saw socket errors: {errors.group(0)}")
    return Load(float(rps.group(1)), latency("50"), latency("99"), int(non_2xx.group(1)) if non_2xx else 0, timeouts)


def median_load(loads: list[Load]) -> Load:
    """The median of each figure over several runs of one load (non-2xx answers summed)."""
    return Load(
        statistics.median(load.rps for load in loads),
        statistics.median(load.p50_ms for load in loads),
        statistics.median(load.p99_ms for load in loads),
        sum(load.non_2xx for load in loads),
        sum(load.timeouts for load in loads),
    )


def run_wrk(server: Server, script: str, duration_s: int = DURATION_S) -> Load:
    """One wrk run against `server` with one of the Lua scripts beside this file."""
    output = _wrk(server, script, duration_s)
    try:
        return parse_wrk(output)
    except (RuntimeError, ValueError) as error:
        raise RuntimeError(f"{server.name}, {script}: {error}") from None


def _wrk(server: Server, script: str, duration_s: int) -> str:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration_s}s", "--latency", "-s", str(SCRIPTS / script),
           server.origin]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **server.env}, check=True)
    return result.stdout


@contextmanager
def _process(cmd: list[str], port: int, startup_s: float) -> Iterator[str]:
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, startup_s)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def listening(cmd: list[str], startup_s: float) -> Iterator[str]:
    """Run one of our server commands; its origin from the first line it prints, `<tool> listening on URL`.

    Port 0 lets the command pick a free port itself, so there is no race for one. Raises
    RuntimeError when no such line comes within `startup_s` seconds (the command failed, say).
    """
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline() if process.stdout else ""))
        reader.start()
        reader.join(startup_s)
        _, found, rest = (lines[0] if lines else "").partition(" listening on ")
        if not (found and rest.split()):
            raise RuntimeError(f"{' '.join(cmd)} printed no listening line within {startup_s:g} s: {lines}")
        yield rest.split()[0]
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def _wiremock(tmp: Path, user: str, password: str) -> Iterator[str]:
    port = free_port()
    process = wiremock.start(tmp / "wiremock", port, user, password)
    try:
        wait_for_port("127.0.0.1", port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _warm(server: Server, path: str) -> None:
    with httpx.Client(headers={"Authorization": server.env["BENCH_AUTH"]}) as http:
        for _ in range(200):
            http.get(server.origin + server.env["BENCH_PREFIX"] + path)


def _missing() -> list[str]:
    tools = (("wrk", shutil.which("wrk")), ("prism", PRISM.exists()), ("wiremock", wiremock.jar()),
             ("java", shutil.which("java")))  # fmt: skip
    return [name for name, ok in tools if not ok]


def measure() -> list[Row]:
    """Rows: the sandbox against WireMock, Prism and the ceiling; rows without numbers when a tool is missing."""
    missing = _missing()
    if missing:
        note = f"not measured: {', '.join(missing)} could not be installed here (make bench installs them)"
        return _unmeasured(note)

    user, password = "bench", secrets.token_urlsafe(12)
    basic = wiremock.authorization(user, password)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-servers-")))
        target = stack.enter_context(EmbeddedSandbox(client_id=user, api_key=password, db=str(tmp / "bench.db")))
        with httpx.Client(auth=target.auth) as http:
            created = http.post(f"{target.base_url}/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
            intent_id = created.json()["id"]
        common = {"BENCH_AUTH": basic, "BENCH_ID": intent_id}
        sandbox = Server("sandbox", target.base_url.removesuffix("/api"), {**common, "BENCH_PREFIX": "/api"})
        peers = [
            Server("WireMock", stack.enter_context(_wiremock(tmp, user, password)), {**common, "BENCH_PREFIX": ""}),
            Server("Prism", stack.enter_context(_prism()), {**common, "BENCH_PREFIX": ""}),
        ]
        ceiling_origin = stack.enter_context(listening([sys.executable, "-m", "dots_sandbox.ceiling", "0"], 30))
        ceiling = Server("ceiling", ceiling_origin, {**common, "BENCH_PREFIX": "/api"})

        for server in (sandbox, *peers, ceiling):
            _warm(server, f"/v2/payment-intents/{intent_id}")
        for script in ("retrieve.lua", "create.lua"):  # the JVM compiles its hot paths under load
            _wrk(peers[0], script, WARM_S)  # a cold JVM times some requests out: not a measurement

        runs: dict[tuple[str, str], list[Load]] = {}
        for _ in range(ROUNDS):
            for load, script in LOADS.items():
                for server in (sandbox, *peers):
                    runs.setdefault((server.name, load), []).append(run_wrk(server, script))
            runs.setdefault(("ceiling", "retrieve"), []).append(run_wrk(ceiling, "retrieve.lua"))
    results = {key: median_load(loads) for key, loads in runs.items()}
    return rows(results)


@contextmanager
def _prism() -> Iterator[str]:
    port = free_port()
    cmd = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "silent", str(ROOT / "openapi.yaml")]
    with _process(cmd, port, 60) as origin:
        time.sleep(1)
        yield origin


# (ours, baseline, load, figure, target) of every row, in the order they are reported.
_ROW_SPECS = [
    ("sandbox", "WireMock", "retrieve", "throughput", "ratio ≥ 1"),
    ("sandbox", "WireMock", "retrieve", "p99", "ratio ≤ 1"),
    ("sandbox", "WireMock", "create", "throughput", "ratio ≥ 0.5"),
    ("sandbox", "WireMock", "create", "p99", "ratio ≤ 1"),
    ("sandbox", "WireMock", "create-and-confirm", "throughput", ""),
    ("sandbox", "WireMock", "create-and-confirm", "p99", ""),
    ("sandbox", "Prism", "retrieve", "throughput", "ratio ≥ 1.5"),
    ("sandbox", "Prism", "retrieve", "p99", "ratio ≤ 1"),
    ("sandbox", "Prism", "create-and-confirm", "throughput", "ratio ≥ 1.5"),
    ("sandbox", "Prism", "create-and-confirm", "p99", "ratio ≤ 1"),
    ("sandbox", "ceiling", "retrieve", "throughput", ""),
    ("WireMock", "ceiling", "retrieve", "throughput", ""),
]
_UNIT = {"throughput": "req/s", "p99": "ms"}


def row_name(ours: str, baseline: str, load: str, figure: str) -> str:
    """`sandbox vs WireMock, retrieve, throughput`."""
    return f"{ours} vs {baseline}, {load}, {figure}"


def _unmeasured(note: str) -> list[Row]:
    return [Row(row_name(o, b, load, fig), None, None, _UNIT[fig], note, t) for o, b, load, fig, t in _ROW_SPECS]


def rows(results: dict[tuple[str, str], Load]) -> list[Row]:
    """The report's rows from the median Load of each (server, load) pair."""
    out = []
    for ours_name, base_name, load, figure, target in _ROW_SPECS:
        ours, base = results[(ours_name, load)], results[(base_name, load)]
        note = (f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION_S}s, median of {ROUNDS}; p50 {ours.p50_ms:.2f} vs "
                f"{base.p50_ms:.2f} ms; non-2xx {ours.non_2xx} vs {base.non_2xx}; timeouts (2 s) {ours.timeouts} vs "
                f"{base.timeouts}")  # fmt: skip
        if base_name == "ceiling":
            note += "; ceiling = one constant answer on the sandbox's own HTTP front"
        value = (ours.rps, base.rps) if figure == "throughput" else (ours.p99_ms, base.p99_ms)
        out.append(Row(row_name(ours_name, base_name, load, figure), *value, _UNIT[figure], note, target))
    return out
