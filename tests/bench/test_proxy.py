"""bench/proxy.py: the proxy's overhead rows, interleaved direct and proxied."""

from __future__ import annotations

from bench.proxy import _interleaved, _percentiles


def test_interleaved_alternates_who_goes_first() -> None:
    """Each round sends both, the first going first on even rounds and second on odd ones."""
    order: list[str] = []
    direct, proxied = _interleaved(lambda: order.append("d"), lambda: order.append("p"), 4)
    assert order == ["d", "p", "p", "d", "d", "p", "p", "d"]
    assert (len(direct), len(proxied)) == (4, 4)


def test_percentiles_are_milliseconds() -> None:
    """p50 is the median and p99 the 99th of 100 samples, both in milliseconds."""
    p50, p99 = _percentiles([n / 1000 for n in range(1, 101)])
    assert (p50, p99) == (50.5, 99.0)
