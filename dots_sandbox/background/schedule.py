"""When webhook deliveries are sent: the retry schedule, the attempt's timeout and the lease.

The retry policy is data (`RetryPolicy`: the delays after each failed attempt) and two small
functions, in the manner of stripe-python's `_should_retry` / `_sleep_time_seconds`; the lease
invariant it serves is explained in dots_sandbox/background/outbox.py.
"""

from __future__ import annotations

import dataclasses

# Svix's production schedule after the first attempt (its docs): 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 10 h. The sandbox compresses it by default; SANDBOX_WEBHOOK_RETRY_SECONDS sets it.
DEFAULT_RETRY_SECONDS = (5.0, 30.0, 120.0, 600.0, 1800.0)
# Dots: "receivers answer 2xx within 15 s". The whole attempt's deadline.
DEFAULT_TIMEOUT_SECONDS = 15.0
# A lease outlasts the attempt's deadline by this much (or by the timeout itself, when that is
# shorter): the time to record the attempt (see "The lease invariant" in outbox.py). Scaling with a short
# timeout keeps a test's or a fast receiver's lease short: a process killed mid-attempt delays that
# delivery by about twice the timeout, not by 10 s more.
LEASE_MARGIN_SECONDS = 10.0


def lease_seconds(timeout: float) -> float:
    """The lease for attempts of `timeout` seconds: it ends min(10 s, timeout) after their deadline."""
    return timeout + min(LEASE_MARGIN_SECONDS, timeout)


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retry_seconds[n]`: the delay after failed attempt n+1; when they run out, the delivery fails."""

    retry_seconds: tuple[float, ...] = DEFAULT_RETRY_SECONDS

    def next_attempt_at(self, attempts_made: int, now: float) -> float | None:
        """When to try again after `attempts_made` failed attempts (epoch seconds), or None: give up."""
        if attempts_made > len(self.retry_seconds):
            return None
        return now + self.retry_seconds[attempts_made - 1]
