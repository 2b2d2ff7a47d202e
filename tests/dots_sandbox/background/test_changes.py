"""dots_sandbox/background/changes.py: the rows a status change writes, and when it wakes the background worker."""

from __future__ import annotations

import pytest

from dots_sandbox import lifecycle
from dots_sandbox.background.changes import Changes

CLIENT = "client"
PROCESSING_METHOD = "00000000-0000-4000-8000-000000000004"
SUCCEEDING_METHOD = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def _counting(changes: Changes) -> list[int]:
    wakes: list[int] = []
    changes.wake = lambda: wakes.append(1)
    return wakes


@pytest.mark.parametrize(
    ("receivers", "method", "woken"),
    [
        ((), SUCCEEDING_METHOD, False),  # nothing for the worker: no delivery, no timer
        ((), PROCESSING_METHOD, True),  # a settlement to keep
        (("http://127.0.0.1:9/hook",), SUCCEEDING_METHOD, True),  # a delivery to send
    ],
)
def test_a_confirm_wakes_the_worker_only_when_it_gave_it_work(
    receivers: tuple[str, ...], method: str, woken: bool
) -> None:
    """committed() wakes the worker for a delivery or a settlement, never for a change that gave it neither."""
    changes = Changes(receivers, settlement_seconds=3)
    wakes = _counting(changes)
    intent_id = lifecycle.new_id()
    event, settlement = changes.confirmed(CLIENT, intent_id, lifecycle.outcome(method), method)
    assert event.receivers == receivers
    changes.committed(settlement)
    assert bool(wakes) is woken


def test_a_later_change_wakes_the_worker_when_there_are_receivers() -> None:
    """A later status change (no timer) wakes the worker exactly when its event has deliveries."""
    quiet, announced = Changes((), 3), Changes(("http://127.0.0.1:9/hook",), 3)
    quiet_wakes, announced_wakes = _counting(quiet), _counting(announced)
    quiet.committed()
    announced.committed()
    assert (quiet_wakes, announced_wakes) == ([], [1])
