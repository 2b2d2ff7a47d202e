"""Contract-suite throughput: the server contract against the sandbox vs the same cases against a floor.

Per-case cost is the summed JUnit time of the schemathesis items divided by the cases they ran;
the floor runs the same cases (same seed and budget) against dots_sandbox.ceiling. The `ci`
profile's wall time is the whole `pytest contract_tests` run as `make test` runs it, then the same
run on one pytest-xdist worker per core (CONTRACT_WORKERS=auto) beside it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bench.report import Row
from bench.servers import listening

ROOT = Path(__file__).resolve().parent.parent
SEED = "20261125"
PROFILE = "ci"
_CASES = re.compile(r"schemathesis cases per operation: (.*)")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOTS_BASE_URL", "DOTS_CLIENT_ID", "DOTS_API_KEY")}
    return {**env, "CONTRACT_PROFILE": PROFILE, "CONTRACT_SEED": SEED, **extra}


def _pytest(args: list[str], env: dict[str, str], junit: Path) -> tuple[str, float]:
    cmd = [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return result.stdout, wall


def _junit_seconds(junit: Path, name_prefix: str) -> float:
    tree = ET.parse(junit)  # noqa: S314 (our own file)
    return sum(float(tc.get("time", 0)) for tc in tree.iter("testcase") if tc.get("name", "").startswith(name_prefix))


def per_operation(stdout: str) -> dict[str, int]:
    match = _CASES.search(stdout)
    if match is None:
        raise RuntimeError(f"no case counts in the suite's summary:\n{stdout[-2000:]}")
    counts = {}
    for part in match.group(1).split(", "):
        label, _, number = part.rpartition(" ")
        counts[label] = int(number)
    return counts


def measure() -> list[Row]:
    """Rows: cases/s ours vs floor, per-case cost ratio, and the ci profile's wall time."""
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        junit = Path(tmp) / "ours.xml"
        stdout, _ = _pytest(["contract_tests/test_server_contract.py", "-k", "test_operation_conforms"], _env(), junit)
        per_op = per_operation(stdout)
        ours_cases = sum(n for label, n in per_op.items() if label != "stateful steps")
        ours_s = _junit_seconds(junit, "test_operation_conforms")

        with listening([sys.executable, "-m", "dots_sandbox.ceiling", "0"], 30) as origin:
            count_file, floor_junit = Path(tmp) / "floor-count", Path(tmp) / "floor.xml"
            env = _env(BENCH_FLOOR_URL=f"{origin}/api", BENCH_FLOOR_COUNT=str(count_file))
            _pytest(["bench/floor_suite.py"], env, floor_junit)
            floor_cases = int(count_file.read_text(encoding="utf-8"))
            floor_s = _junit_seconds(floor_junit, "test_floor")

        full_stdout, wall = _pytest(["contract_tests"], _env(), Path(tmp) / "full.xml")
        full_counts = per_operation(full_stdout)
        workers = cores()
        workers_stdout, workers_wall = _pytest(
            ["contract_tests", "-n", str(workers)], _env(), Path(tmp) / "workers.xml"
        )
        workers_counts = per_operation(workers_stdout)

    ours_rate, floor_rate = ours_cases / ours_s, floor_cases / floor_s
    counts = ", ".join(f"{label} {n}" for label, n in full_counts.items())
    fewest = min(n for label, n in full_counts.items() if label != "stateful steps")
    return [
        Row("server contract throughput vs floor", ours_rate, floor_rate, "cases/s",
            f"{ours_cases} vs {floor_cases} cases, seed {SEED}, profile {PROFILE}; floor = same cases against a "
            "constant-response app", ""),
        Row("server contract per-case cost vs floor", 1e3 / ours_rate, 1e3 / floor_rate, "ms/case",
            "ratio is the per-case cost ratio", "ratio ≤ 1.3"),
        Row("ci profile, whole suite (wall)", wall, 60.0, "s",
            f"baseline = target; cases: {counts}; fewest per operation {fewest}", "≤ 60 s, ≥ 1,000 cases/op"),
        Row(f"ci profile, whole suite, {workers} workers vs 1 (wall)", workers_wall, wall, "s",
            f"pytest -n {workers} (CONTRACT_WORKERS=auto) beside the run above, same seed; cases with workers: "
            + ", ".join(f"{label} {n}" for label, n in workers_counts.items()), "ratio < 1"),
    ]  # fmt: skip


def cores() -> int:
    """The cores this process may run on (what CONTRACT_WORKERS=auto gives: one worker each)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
