"""Wall time of `make generate` and `make check-generated` (their Python entry points)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.report import Row
from bench.timing import median_seconds, run_quietly

RUNS = 5
GENERATE_TARGET_S = 3.0
CHECK_TARGET_S = 5.0


def measure() -> list[Row]:
    """Median of RUNS runs each; the baseline column is the issue's target, so ratio <= 1 meets it."""
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        out = str(Path(tmp) / "generated")
        generate = median_seconds(
            lambda: run_quietly([python, "-m", "tools.codegen", "generate", "--output", out]), RUNS
        )
    check = median_seconds(lambda: run_quietly([python, "-m", "tools.codegen", "check"]), RUNS)
    return [
        Row("make generate (wall)", generate, GENERATE_TARGET_S, "s", f"median of {RUNS}; baseline = target",
            "≤ 3 s"),
        Row("make check-generated (wall)", check, CHECK_TARGET_S, "s", f"median of {RUNS}; baseline = target",
            "≤ 5 s"),
    ]  # fmt: skip
