"""The test kit bench's reading of pytest's per-phase costs."""

from __future__ import annotations

from bench import testkit


def test_per_test_cost_leaves_the_first_test_out() -> None:
    """Test 0 (the session server's start) is not counted; the rest are averaged per kind, in ms."""
    lines = [f"KIT t.py::test_fresh[{n}] {0.002 if n else 0.5!r}" for n in range(testkit.TESTS)]
    lines += [f"KIT t.py::test_own[{n}] 0.2" for n in range(testkit.TESTS)]
    cost = testkit.per_test_ms("\n".join(["other output", *lines]))
    assert round(cost["test_fresh"], 6) == 2.0
    assert round(cost["test_own"], 6) == 200.0
