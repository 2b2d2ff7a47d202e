"""The delivery schedule (dots_sandbox/background/schedule.py): retry delays and the lease."""

from __future__ import annotations

import pytest

from dots_sandbox.background.schedule import LEASE_MARGIN_SECONDS, RetryPolicy, lease_seconds


@pytest.mark.parametrize("timeout", [0.001, 0.4, 1.0, 9.99, 10.0, 15.0, 60.0, 86400.0])
def test_a_lease_always_outlasts_the_attempt_deadline_by_the_time_to_record_it(timeout: float) -> None:
    """lease - deadline = min(10 s, timeout) > 0 for every timeout: the socket is closed and recorded before it ends."""
    assert lease_seconds(timeout) - timeout == pytest.approx(min(LEASE_MARGIN_SECONDS, timeout))
    assert lease_seconds(timeout) > timeout


def test_the_policy_gives_its_delays_in_order_then_gives_up() -> None:
    """next_attempt_at: now + each delay in turn, then None once they run out (and at once with none)."""
    policy = RetryPolicy((1.0, 2.0, 4.0))
    assert [policy.next_attempt_at(n, 100.0) for n in (1, 2, 3, 4)] == [101.0, 102.0, 104.0, None]
    assert RetryPolicy(()).next_attempt_at(1, 0.0) is None
