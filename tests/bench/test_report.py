"""bench/report.py: rows, ratios and the two report files."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import Row, write


def test_ratio_is_ours_over_baseline() -> None:
    """A row's ratio divides ours by the baseline, and is None when either is missing."""
    assert Row("x", 3.0, 2.0, "s", "").ratio == 1.5
    assert Row("x", None, 2.0, "s", "not installed").ratio is None
    assert Row("x", 1.0, 0.0, "s", "").ratio is None


def test_write_produces_json_rows_and_a_markdown_table(tmp_path: Path) -> None:
    """bench.json carries name, ours, baseline, ratio, unit, notes; bench.md a table row per measurement."""
    rows = [Row("fast thing", 200.0, 100.0, "req/s", "wrk"), Row("missing tool", None, None, "req/s", "no wrk")]
    json_path, md_path = write(rows, tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["machine"]
    first, second = data["rows"]
    assert {k: first[k] for k in ("name", "ours", "baseline", "ratio", "unit", "notes")} == {
        "name": "fast thing", "ours": 200.0, "baseline": 100.0, "ratio": 2.0, "unit": "req/s", "notes": "wrk",
    }  # fmt: skip
    assert second["ours"] is None
    assert second["ratio"] is None
    table = md_path.read_text(encoding="utf-8")
    assert "| fast thing | 200 | 100 | 2 | req/s |" in table
    assert "| missing tool | n/a | n/a | n/a | req/s |" in table
