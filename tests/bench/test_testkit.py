"""The test kit bench's reading of pytest's per-phase costs."""

from __future__ import annotations

import pytest

from bench import testkit


def test_per_test_cost_leaves_the_first_test_out() -> None:
    """Test 0 (the session server's start) is not counted; the rest are averaged per kind, in ms, each fixture's."""
    lines = [f"KIT t.py::test_fresh[{n}] {0.002 if n else 0.5!r}" for n in range(testkit.TESTS)]
    lines += [f"KIT t.py::test_own[{n}] 0.2" for n in range(testkit.TESTS)]
    for index, kind in enumerate(("test_dots", "test_async_dots", "test_webhooks"), start=3):
        backend = "asyncio-" if kind == "test_async_dots" else ""  # an async test's id names its backend
        lines += [f"KIT t.py::{kind}[{backend}{n}] {index / 1000 if n else 0.5!r}" for n in range(testkit.TESTS)]
    cost = testkit.per_test_ms("\n".join(["other output", *lines]))
    assert {kind: round(ms, 6) for kind, ms in cost.items()} == {
        "test_fresh": 2.0,
        "test_dots": 3.0,
        "test_async_dots": 4.0,
        "test_webhooks": 5.0,
        "test_own": 200.0,
    }


def test_a_kind_with_a_test_missing_is_refused() -> None:
    """A fixture whose tests did not all run (one failed to set up, say) gives no average: ValueError naming it."""
    lines = [f"KIT t.py::{kind}[{n}] 0.001" for kind in ("test_fresh", "test_own") for n in range(testkit.TESTS)]
    with pytest.raises(ValueError, match="test_async_dots, test_dots, test_webhooks"):
        testkit.per_test_ms("\n".join(lines))
