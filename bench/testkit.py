"""The test kit's per-test cost: set-up plus tear-down of the `dots_sandbox` fixture, tests 2 to N.

pytest runs in a process of its own (the bench never loads the sandbox): N tests that each ask
for `dots_sandbox` (a fresh state on the session's server) beside N that each start and stop a
sandbox of their own through `dots_testing.running()` (the baseline: what a fixture without the
session server would cost). Each test's set-up and tear-down are pytest's own measures of the phases;
the first test is left out (it starts the session's server). Target (issue 26): at most 50 ms.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent
TESTS = 41
TARGET_MS = 50.0
_FILE = textwrap.dedent(
    """
    import pytest
    import dots_testing

    @pytest.fixture
    def own_sandbox():
        with dots_testing.running() as sandbox:
            yield sandbox

    @pytest.mark.parametrize("n", range({tests}))
    def test_fresh(dots_sandbox, n):
        assert dots_sandbox.requests() == []

    @pytest.mark.parametrize("n", range({tests}))
    def test_own(own_sandbox, n):
        assert own_sandbox.requests() == []
    """
)
# pytest's own measure of each phase (`report.duration`), at full precision (`--durations` rounds to 10 ms).
_CONFTEST = textwrap.dedent(
    """
    import collections

    COST = collections.Counter()

    def pytest_runtest_logreport(report):
        if report.when in ("setup", "teardown"):
            COST[report.nodeid] += report.duration

    def pytest_terminal_summary(terminalreporter):
        for nodeid, seconds in COST.items():
            terminalreporter.write_line(f"KIT {nodeid} {seconds!r}")
    """
)
_DURATION = re.compile(r"^KIT \S+::(test_fresh|test_own)\[(\d+)\] ([0-9.e-]+)$", re.MULTILINE)


def per_test_ms(stdout: str) -> dict[str, float]:
    """Mean set-up plus tear-down (ms) of tests 1..N-1 of each kind, from the KIT lines the conftest prints."""
    totals = {(kind, int(n)): float(seconds) for kind, n, seconds in _DURATION.findall(stdout)}
    return {
        kind: 1e3 * statistics.fmean(totals.get((kind, n), 0.0) for n in range(1, TESTS))
        for kind in ("test_fresh", "test_own")
    }


def measure() -> list[Row]:
    """One row: the fixture's per-test cost beside a sandbox started and stopped per test."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "test_kit_cost.py").write_text(_FILE.format(tests=TESTS), encoding="utf-8")
        (Path(folder) / "conftest.py").write_text(_CONFTEST, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", folder, "-q", "-p", "no:cacheprovider", "-p", "dots_testing.plugin"]
        result = subprocess.run(
            [*command, "--rootdir", folder],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        return [Row("test kit: per-test set-up + tear-down", None, None, "ms", f"failed: {result.stdout[-300:]}")]
    cost = per_test_ms(result.stdout)
    note = f"tests 2-{TESTS}; baseline: dots_testing.running() per test (a server started and stopped each time)"
    return [
        Row("test kit: dots_sandbox set-up + tear-down", cost["test_fresh"], cost["test_own"], "ms", note,
            f"<= {TARGET_MS:g} ms"),
    ]  # fmt: skip
