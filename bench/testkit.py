"""The test kit's per-test cost: set-up plus tear-down of each fixture, tests 2 to N.

pytest runs in a process of its own (the bench never loads the sandbox): N tests for each of the
fixtures `dots_sandbox` (a fresh state on the session's server), `dots`, `async_dots` and
`dots_webhooks` (each row counts what its fixture brings with it: `dots` and `async_dots` a fresh
`dots_sandbox` too; `dots_webhooks` is taken with `dots_sandbox`, as webhook tests do, so each fresh
sandbox gets the receiver registered and a dispatcher for it), beside N that each start and stop a sandbox of
their own through `dots_testing.running()` (the baseline: what a fixture without the session server
would cost). Each test's set-up and tear-down are pytest's own measures of the phases; the first
test of each kind is left out (it starts what the session shares). Target (issue 35): at most 10 ms each.
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
TARGET_MS = 10.0
# The fixtures measured, as the kinds of test the file below holds, and how the report names each.
FIXTURES = {
    "test_fresh": "dots_sandbox",
    "test_dots": "dots",
    "test_async_dots": "async_dots",
    "test_webhooks": "dots_webhooks",
}
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
    def test_dots(dots, n):
        assert dots.base_url.endswith("/api")

    @pytest.mark.anyio
    @pytest.mark.parametrize("n", range({tests}))
    async def test_async_dots(async_dots, n):
        assert async_dots.base_url.endswith("/api")

    @pytest.mark.parametrize("n", range({tests}))
    def test_webhooks(dots_sandbox, dots_webhooks, n):
        assert dots_webhooks.deliveries == []

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
# An async test's id carries the anyio backend too: test_async_dots[asyncio-3].
_DURATION = re.compile(r"^KIT \S+::(test_\w+)\[(?:\w+-)?(\d+)\] ([0-9.e-]+)$", re.MULTILINE)
_KINDS = (*FIXTURES, "test_own")


def per_test_ms(stdout: str) -> dict[str, float]:
    """Mean set-up plus tear-down (ms) of tests 1..N-1 of each kind, from the KIT lines the conftest prints.

    Raises ValueError when a kind has a test missing (a report must not average what did not run).
    """
    totals = {(kind, int(n)): float(seconds) for kind, n, seconds in _DURATION.findall(stdout)}
    missing = sorted(kind for kind in _KINDS for n in range(1, TESTS) if (kind, n) not in totals)
    if missing:
        raise ValueError(f"no measure of every test of {', '.join(sorted(set(missing)))}")
    return {kind: 1e3 * statistics.fmean(totals[kind, n] for n in range(1, TESTS)) for kind in _KINDS}


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
    try:
        cost = per_test_ms(result.stdout)
    except ValueError as error:
        return [Row("test kit: per-test set-up + tear-down", None, None, "ms", f"failed: {error}")]
    note = f"tests 2-{TESTS}; baseline: dots_testing.running() per test (a server started and stopped each time)"
    return [
        Row(f"test kit: {fixture} set-up + tear-down", cost[kind], cost["test_own"], "ms", note, f"<= {TARGET_MS:g} ms")
        for kind, fixture in FIXTURES.items()
    ]
