"""bench/servers.py: reading wrk's output."""

from __future__ import annotations

import pytest

from bench.servers import LOADS, Load, parse_wrk
from bench.servers import rows as servers_rows

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:4010
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   758.12us  300.00us  12.00ms   90.00%
  Latency Distribution
     50%  670.00us
     75%  800.00us
     90%    1.10ms
     99%    1.50ms
  134469 requests in 10.00s, 40.00MB read
  Non-2xx or 3xx responses: 7
Requests/sec:  13446.96
Transfer/sec:      4.00MB
"""


def test_parse_wrk_reads_rate_percentiles_and_failures() -> None:
    """Requests/s, p50 and p99 (in ms, whatever wrk's unit) and the non-2xx count are read."""
    load = parse_wrk(WRK_OUTPUT)
    assert load.rps == 13446.96
    assert load.p50_ms == pytest.approx(0.67)
    assert load.p99_ms == pytest.approx(1.5)
    assert load.non_2xx == 7


def test_parse_wrk_refuses_socket_errors() -> None:
    """A run with socket errors is not a measurement."""
    with pytest.raises(RuntimeError, match="socket errors"):
        parse_wrk(WRK_OUTPUT + "  Socket errors: connect 0, read 3, write 0, timeout 0\n")


def test_parse_wrk_refuses_output_without_numbers() -> None:
    """Output that is not wrk's report raises instead of inventing a number."""
    with pytest.raises(ValueError, match="in wrk output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_rows_compare_every_setup_at_equal_load() -> None:
    """Each load gets PostgreSQL x1 vs Prism (target ≥ 1 on create-and-confirm), x2 vs x1 per engine, with p99."""
    setups = ["SQLite x1", "SQLite x2", "PostgreSQL x1", "PostgreSQL x2", "Prism", "PostgreSQL (fsync off) x1"]
    results = {
        setup: {load: Load(1000.0 * (i + 1), 1.0, 2.0 + i, 0) for load in LOADS} for i, setup in enumerate(setups)
    }
    rows = {row.name: row for row in servers_rows(results)}
    pg = rows["sandbox PostgreSQL x1 vs Prism, create-and-confirm, throughput"]
    assert (pg.ours, pg.baseline, pg.target) == (3000.0, 5000.0, "ratio ≥ 1")
    assert rows["sandbox PostgreSQL x1 vs Prism, retrieve-heavy, throughput"].target == ""
    scaling = rows["sandbox PostgreSQL x2 vs PostgreSQL x1, retrieve-heavy, throughput"]
    assert (scaling.ours, scaling.baseline) == (4000.0, 3000.0)
    assert rows["sandbox SQLite x2 vs SQLite x1, create-and-confirm, p99"].unit == "ms"
    assert all(f"sandbox {setup} vs" in " ".join(rows) for setup in setups[:4])
