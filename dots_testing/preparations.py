"""Preparations a test makes (a fault queued, an answer chosen, a disturbance planned), and which went unused.

A test that prepares something no request or delivery then uses tested nothing of what it meant to:
pytest-httpx fails such a test at teardown (its `assert_all_responses_were_requested`), and so does
the kit. Each control that prepares something for later registers it here with `Preparations.add`,
keeps the `Preparation` it gets back, and calls `use()` on it when the thing is applied; the
fixtures call `check()` after each test, which fails the test naming every preparation still
unused. `optional=True` (each control's own keyword) opts one preparation out.

A new control of the kit registers its preparations the same way, through
`TestSandbox.prepare(description, optional=...)`; nothing else is needed for it to be checked.
"""

from __future__ import annotations

import dataclasses
import threading


@dataclasses.dataclass(slots=True)
class Preparation:
    """One thing prepared for later: `description` (names it in a failure message, e.g.
    `fail_next('confirm_payment_intent', 'refuse')`), `optional` (no failure when unused), `used`."""

    description: str
    optional: bool = False
    used: bool = False

    def use(self) -> None:
        """Mark it applied (a request or delivery took it); safe from any thread."""
        self.used = True


class Preparations:
    """The preparations of the current test, in the order they were made; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: list[Preparation] = []

    def add(self, description: str, *, optional: bool = False) -> Preparation:
        """Register a preparation (`description`: how a failure message names it); returns it, to `use()` later."""
        preparation = Preparation(description, optional)
        with self._lock:
            self._made.append(preparation)
        return preparation

    def unused(self) -> list[Preparation]:
        """The preparations not used yet and not optional, oldest first."""
        with self._lock:
            return [each for each in self._made if not (each.used or each.optional)]

    def clear(self) -> None:
        """Forget every preparation (a reset; a checked test)."""
        with self._lock:
            self._made.clear()

    def check(self) -> None:
        """Forget every preparation; raise AssertionError naming those that were neither used nor optional."""
        unused = self.unused()
        self.clear()
        if unused:
            names = "\n".join(f"  {each.description}" for each in unused)
            raise AssertionError(
                f"{len(unused)} preparation(s) of this test were never used (pass optional=True to allow that):\n"
                f"{names}"
            )
