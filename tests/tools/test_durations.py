"""tools/durations.py: the pytest plugin that keeps every test's time in a file, slowest first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tools.durations import render

ROOT = Path(__file__).resolve().parents[2]


def test_render_puts_the_slowest_first_under_a_total() -> None:
    """One line per test, slowest first, ties by node id, under a header with the count and the sum."""
    text = render({"b.py::fast": 0.004, "a.py::slow": 2.5, "c.py::tie": 0.004})
    assert text == (
        "3 tests, 2.51 s in all (setup + call + teardown)\n2.50 a.py::slow\n0.00 b.py::fast\n0.00 c.py::tie\n"
    )


def test_the_controller_writes_every_workers_tests(tmp_path: Path) -> None:
    """Run on two xdist workers with --durations-file, the file names each test once, the slow one first."""
    (tmp_path / "test_sample.py").write_text(
        "import time\n\n"
        "def test_slow():\n    time.sleep(0.15)\n\n"
        + "".join(f"def test_fast_{index}():\n    pass\n\n" for index in range(4)),
        encoding="utf-8",
    )
    report = tmp_path / "reports" / "durations.txt"
    # Only xdist and the plugin: the installed plugins' imports (schemathesis, hypothesis) would cost seconds.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-p", "xdist", "-n", "2", "-p", "tools.durations",
         f"--durations-file={report}", "-p", "no:cacheprovider", "-q", f"--rootdir={tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    header, *lines = report.read_text(encoding="utf-8").splitlines()
    assert header.startswith("5 tests, ")
    names = [line.split(" ", 1)[1] for line in lines]
    assert names[0] == "test_sample.py::test_slow"
    assert sorted(names[1:]) == [f"test_sample.py::test_fast_{index}" for index in range(4)]
    assert float(lines[0].split()[0]) >= 0.15
