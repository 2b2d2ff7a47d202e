"""A test kit for services that use the Dots API: a sandbox per test, from a thread of the test's process.

`pytest` finds the fixtures `dots_sandbox` and `dots_sandbox_session` through this package's `pytest11`
entry point (dots_testing/plugin.py); without pytest, `with dots_testing.running(**settings) as sandbox:`
gives the same object (a `dots_testing.kit.TestSandbox`). Importing this package imports nothing of
the sandbox: `running` imports it when first called, so loading the plugin costs a test run nothing
until a test asks for a sandbox (docs/testing.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dots_testing.kit import TestSandbox

__all__ = ["running"]


@contextlib.contextmanager
def running(**settings: Any) -> Iterator[TestSandbox]:
    """Serve a fresh sandbox on 127.0.0.1 (a free port) from a thread of this process until the block ends.

    `settings` are `dots_sandbox.settings.Settings` fields (`client_id`, `api_key`, `webhooks`, ...);
    the store is always a new in-memory SQLite database. Yields a `TestSandbox` (`base_url`, ending in
    `/api`; `client_id`; `api_key`). Raises TypeError for an unknown setting, ValueError for a bad
    value, RuntimeError when the server does not start or stop.
    """
    from dots_testing.kit import serve  # noqa: PLC0415 (the sandbox only when a test asks for one)

    with serve(**settings) as sandbox:
        yield sandbox
