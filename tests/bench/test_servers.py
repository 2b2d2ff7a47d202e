"""bench/servers.py: reading wrk's output, and starting our servers from their listening line."""

from __future__ import annotations

import sys

import pytest

from bench.servers import Load, listening, median_load, parse_wrk, rows

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
    """A run with connect, read or write errors is not a measurement."""
    with pytest.raises(RuntimeError, match="socket errors"):
        parse_wrk(WRK_OUTPUT + "  Socket errors: connect 0, read 3, write 0, timeout 0\n")


def test_parse_wrk_counts_timeouts() -> None:
    """Requests wrk gave up on are counted, so a report shows them beside the percentiles that leave them out."""
    assert parse_wrk(WRK_OUTPUT + "  Socket errors: connect 0, read 0, write 0, timeout 4\n").timeouts == 4
    assert parse_wrk(WRK_OUTPUT).timeouts == 0


def test_parse_wrk_refuses_output_without_numbers() -> None:
    """Output that is not wrk's report raises instead of inventing a number."""
    with pytest.raises(ValueError, match="in wrk output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_median_load_takes_each_figures_median_and_sums_failures() -> None:
    """Over rounds, requests/s, p50 and p99 are medians; non-2xx answers and timeouts are added up."""
    loads = [Load(100.0, 1.0, 9.0, 0, 1), Load(300.0, 3.0, 2.0, 1), Load(200.0, 2.0, 4.0, 2, 2)]
    assert median_load(loads) == Load(200.0, 2.0, 4.0, 3, 3)


def test_rows_compare_the_sandbox_with_each_peer_and_the_ceiling() -> None:
    """Every row divides the first-named server's figure by the second's, for its load and figure."""
    results = {
        (server, load): Load(rps, 1.0, p99, 0)
        for server, rps, p99 in (("sandbox", 12_000.0, 2.0), ("WireMock", 10_000.0, 4.0), ("Prism", 3_000.0, 8.0))
        for load in ("retrieve", "create", "create-and-confirm")
    }
    results[("ceiling", "retrieve")] = Load(20_000.0, 0.5, 1.0, 0)
    by_name = {row.name: row for row in rows(results)}
    assert by_name["sandbox vs WireMock, retrieve, throughput"].ratio == 1.2
    assert by_name["sandbox vs WireMock, create, p99"].ratio == 0.5
    assert by_name["sandbox vs Prism, create-and-confirm, throughput"].ratio == 4.0
    assert by_name["sandbox vs ceiling, retrieve, throughput"].ratio == 0.6
    assert by_name["WireMock vs ceiling, retrieve, throughput"].ratio == 0.5
    assert by_name["sandbox vs WireMock, retrieve, throughput"].target == "ratio ≥ 1"


def test_a_server_is_reached_at_the_url_of_its_listening_line() -> None:
    """`<tool> listening on URL` (facts may follow): the URL is what the server is reached at."""
    announce = "print('some tool listening on http://127.0.0.1:1/api', 'database: x', sep='\\n', flush=True)"
    with listening([sys.executable, "-c", f"{announce}; import time; time.sleep(60)"], 30) as url:
        assert url == "http://127.0.0.1:1/api"


def test_a_server_that_prints_no_listening_line_fails_the_run() -> None:
    """A command that exits (or prints something else) instead is a RuntimeError quoting what it printed."""
    with (
        pytest.raises(RuntimeError, match="printed no listening line"),
        listening([sys.executable, "-c", "print('cannot start')"], 30),
    ):
        pass
