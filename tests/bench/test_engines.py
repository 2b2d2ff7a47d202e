"""bench/engines.py: the engines section's rows."""

from __future__ import annotations

from bench.engines import LOADS
from bench.engines import rows as engine_rows
from bench.servers import Load


def test_rows_compare_every_setup_at_equal_load() -> None:
    """Each load gets PostgreSQL x1 vs Prism (target ≥ 1 on create-and-confirm), x2 vs x1 per engine, with p99."""
    setups = ["SQLite x1", "SQLite x2", "PostgreSQL x1", "PostgreSQL x2", "Prism", "PostgreSQL (fsync off) x1"]
    results = {
        setup: {load: Load(1000.0 * (i + 1), 1.0, 2.0 + i, 0, 0) for load in LOADS} for i, setup in enumerate(setups)
    }
    rows = {row.name: row for row in engine_rows(results)}
    pg = rows["sandbox PostgreSQL x1 vs Prism, create-and-confirm, throughput"]
    assert (pg.ours, pg.baseline, pg.target) == (3000.0, 5000.0, "ratio ≥ 1")
    assert rows["sandbox PostgreSQL x1 vs Prism, retrieve-heavy, throughput"].target == ""
    scaling = rows["sandbox PostgreSQL x2 vs PostgreSQL x1, retrieve-heavy, throughput"]
    assert (scaling.ours, scaling.baseline) == (4000.0, 3000.0)
    assert rows["sandbox SQLite x2 vs SQLite x1, create-and-confirm, p99"].unit == "ms"
    assert all(f"sandbox {setup} vs" in " ".join(rows) for setup in setups[:4])
