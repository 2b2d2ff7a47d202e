"""The pytest plugin (entry point `pytest11`: `dots_testing = dots_testing.plugin`): two fixtures.

- `dots_sandbox_session`: one sandbox served for the whole session (its state shared by the tests);
- `dots_sandbox`: the session's server, its state made fresh and empty for each test (a new
  in-memory store swapped in, so after the first test the set-up and tear-down cost milliseconds,
  not a server start and stop).

Loading this module imports nothing of ours but `dots_testing` (whose `__init__` imports nothing
either): the sandbox is imported by the first fixture a test asks for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dots_testing.kit import TestSandbox


@pytest.fixture(scope="session")
def dots_sandbox_session() -> Iterator[TestSandbox]:
    """A sandbox for the whole session: `.base_url` (ends in /api), `.client_id`, `.api_key`, the controls."""
    from dots_testing.kit import serve  # noqa: PLC0415 (the sandbox only when a test asks for one)

    with serve() as sandbox:
        yield sandbox


@pytest.fixture
def dots_sandbox(dots_sandbox_session: TestSandbox) -> TestSandbox:
    """The session's sandbox with a fresh, empty state for this test (a new in-memory store)."""
    dots_sandbox_session.reset()
    return dots_sandbox_session
