"""A pytest plugin that keeps every test's time in a file, slowest first (`make unit`: reports/unit-durations.txt).

pytest's own `--durations` prints to the terminal and is gone with it; a file in `reports/` (kept as a CI
artifact) shows which test grew slow, after the run. Load it with `-p tools.durations --durations-file=PATH`.
Under pytest-xdist only the controller writes: every worker's reports reach it.

The file: a header line (`<count> tests, <seconds> s in all (setup + call + teardown)`), then one line per
test, `<seconds> <node id>`, seconds with two decimals, slowest first (ties in node id order). A test's time
is its setup, call and teardown together, so a module- or session-scoped fixture's start is charged to the
first test that needs it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

OPTION = "--durations-file"


def pytest_addoption(parser: pytest.Parser) -> None:
    """--durations-file=PATH."""
    parser.addoption(OPTION, metavar="PATH", default=None, help="write every test's time there, slowest first")


def pytest_configure(config: pytest.Config) -> None:
    """Register the recorder when a file is asked for, on the controller (or the only process) alone."""
    path = config.getoption(OPTION)
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(Path(path)), "durations-file")


class Recorder:
    """Adds up each test's phases as their reports arrive, and writes the file when the session ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """One phase (setup, call or teardown) of one test."""
        self.seconds[report.nodeid] += report.duration

    def pytest_sessionfinish(self) -> None:
        """Write the file (its folder is made when missing)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render(self.seconds), encoding="utf-8")


def render(seconds: dict[str, float]) -> str:
    """The file's text for {node id: seconds}."""
    ordered = sorted(seconds.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"{len(ordered)} tests, {sum(seconds.values()):.2f} s in all (setup + call + teardown)"]
    lines += [f"{spent:.2f} {nodeid}" for nodeid, spent in ordered]
    return "\n".join(lines) + "\n"
