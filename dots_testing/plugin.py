"""The pytest plugin (entry point `pytest11`: `dots_testing = dots_testing.plugin`): the test kit's fixtures.

- `dots_sandbox_session`: one sandbox served for the whole session (its state shared by the tests);
- `dots_sandbox`: the session's server, its state made fresh and empty for each test (a new
  in-memory store swapped in, so after the first test the set-up and tear-down cost milliseconds,
  not a server start and stop);
- `dots` / `async_dots`: a `dots_client.Dots` / `AsyncDots` pointed at `dots_sandbox`, closed after the test;
- `dots_webhooks`: a webhook receiver of this test's own, registered with the session's sandbox
  (so with `dots_sandbox` too, in either order), every delivery verified and kept
  (dots_testing/webhook_receiver.py).

Loading this module imports nothing of ours but `dots_testing` (whose `__init__` imports nothing
either): the sandbox and the client are imported by the first fixture a test asks for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

# `pytest --dots-proxy` (dots_testing/proxy_switch.py): the validating proxy in front of the session's sandbox.
pytest_plugins = ["dots_testing.proxy_switch"]

if TYPE_CHECKING:
    from dots_client import AsyncDots, Dots

    from dots_testing.kit import TestSandbox
    from dots_testing.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def dots_sandbox_session(pytestconfig: pytest.Config) -> Iterator[TestSandbox]:
    """A sandbox for the whole session: `.base_url` (ends in /api), `.client_id`, `.api_key`, the controls."""
    from dots_testing.kit import serve  # noqa: PLC0415 (the sandbox only when a test asks for one)
    from dots_testing.proxy_switch import through_proxy  # noqa: PLC0415

    with serve() as sandbox, through_proxy(pytestconfig, sandbox):  # through the proxy under --dots-proxy
        yield sandbox


@pytest.fixture
def dots_sandbox(dots_sandbox_session: TestSandbox) -> TestSandbox:
    """The session's sandbox with a fresh, empty state for this test (a new in-memory store)."""
    dots_sandbox_session.reset()
    return dots_sandbox_session


def _no_wait(seconds: float) -> None:
    """The kit's clients retry at once: which failures are retried is unchanged, only the waits go."""


async def _no_wait_async(seconds: float) -> None:
    """`_no_wait` for AsyncDots."""


@pytest.fixture
def dots(dots_sandbox: TestSandbox) -> Iterator[Dots]:
    """A `dots_client.Dots` for `dots_sandbox` (its base URL and credentials) that retries without waiting."""
    from dots_client import Dots  # noqa: PLC0415 (the client only when a test asks for one)

    with Dots(
        client_id=dots_sandbox.client_id, api_key=dots_sandbox.api_key, base_url=dots_sandbox.base_url, sleep=_no_wait
    ) as client:
        yield client


@pytest.fixture
async def async_dots(dots_sandbox: TestSandbox, anyio_backend: object) -> AsyncIterator[AsyncDots]:
    """A `dots_client.AsyncDots` for `dots_sandbox`, retrying without waiting, closed on its event loop after the test.

    An async fixture run by anyio's pytest plugin (anyio comes with httpx): mark the test
    `@pytest.mark.anyio`, and it runs on the same event loop as the fixture. AsyncDots needs asyncio.
    """
    from dots_client import AsyncDots  # noqa: PLC0415

    async with AsyncDots(
        client_id=dots_sandbox.client_id,
        api_key=dots_sandbox.api_key,
        base_url=dots_sandbox.base_url,
        sleep=_no_wait_async,
    ) as client:
        yield client


@pytest.fixture
def dots_webhooks(dots_sandbox_session: TestSandbox) -> Iterator[WebhookReceiver]:
    """This test's webhook receiver, registered with the session's sandbox until the test ends.

    `.wait_for(payment_intent_id=None, timeout=5.0)` returns the next verified delivery (`body`,
    `headers`, `event`, `svix_id`, `attempt`) or fails the test; `.respond_with(status)` chooses the
    answer to the next one; `.deliveries` lists them all; `.url`, `.secret` (a fresh `whsec_`).
    """
    from dots_testing.webhook_receiver import receiving  # noqa: PLC0415

    with receiving(dots_sandbox_session) as receiver:
        yield receiver
