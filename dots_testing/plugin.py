"""The pytest plugin (entry point `pytest11`: `dots_testing = dots_testing.plugin`): the test kit's fixtures.

- `dots_sandbox_session`: one sandbox served for the whole session (its state shared by the tests);
- `dots_sandbox`: the session's server, its state made fresh and empty for each test (a new
  in-memory store swapped in, so after the first test the set-up and tear-down cost milliseconds,
  not a server start and stop);
- `dots` / `async_dots`: a `dots_client.Dots` / `AsyncDots` pointed at `dots_sandbox`, closed after the test;
- `dots_webhooks`: a webhook receiver of this test's own, registered with the session's sandbox
  (so with `dots_sandbox` too, in either order), every delivery verified and kept
  (dots_testing/webhook_receiver.py): a path of its own on `dots_webhooks_server`, the session's one
  receiver server.

Loading this module imports nothing of ours but `dots_testing` (whose `__init__` imports nothing
either): the sandbox and the client are imported by the first fixture a test asks for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dots_client import AsyncDots, Dots

    from dots_sandbox.receiver import ReceiverServer
    from dots_testing.kit import TestSandbox
    from dots_testing.webhook_receiver import WebhookReceiver


# The report of each test's call phase, for the fixtures' teardown to know whether the test passed.
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the call phase's report on the item (pytest's documented recipe for a fixture to see the outcome)."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def _passed(request: pytest.FixtureRequest) -> bool:
    """Whether the test being torn down ran and passed."""
    report = request.node.stash.get(_CALL_REPORT, None)
    return report is not None and report.passed


@pytest.fixture(scope="session")
def dots_sandbox_session() -> Iterator[TestSandbox]:
    """A sandbox for the whole session: `.base_url` (ends in /api), `.client_id`, `.api_key`, the controls."""
    from dots_testing.kit import serve  # noqa: PLC0415 (the sandbox only when a test asks for one)

    with serve() as sandbox:
        yield sandbox


@pytest.fixture
def dots_sandbox(dots_sandbox_session: TestSandbox, request: pytest.FixtureRequest) -> Iterator[TestSandbox]:
    """The session's sandbox with a fresh, empty state for this test (a new in-memory store).

    After a test that passed, fails it naming each `disturb_webhooks` no delivery took (unless
    `optional=True`); after one that failed, its own failure says more.
    """
    dots_sandbox_session.reset()
    yield dots_sandbox_session
    unused = dots_sandbox_session.unused_disturbances()
    if unused and _passed(request):
        pytest.fail("webhook disturbances this test planned were never used:\n" + "\n".join(f"  {u}" for u in unused))


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


@pytest.fixture(scope="session")
def dots_webhooks_server() -> Iterator[ReceiverServer]:
    """The session's one webhook receiver server (127.0.0.1, a free port); each `dots_webhooks` is a path on it."""
    from dots_sandbox.receiver import ReceiverServer  # noqa: PLC0415

    server = ReceiverServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _dots_webhooks_verifier(dots_sandbox_session: TestSandbox) -> Iterator[Dots]:
    """The client whose `webhooks.unwrap` verifies every `dots_webhooks` delivery (it sends no request)."""
    from dots_client import Dots  # noqa: PLC0415

    session = dots_sandbox_session
    with Dots(client_id=session.client_id, api_key=session.api_key, base_url=session.base_url) as client:
        yield client


@pytest.fixture
def dots_webhooks(
    dots_sandbox_session: TestSandbox, dots_webhooks_server: ReceiverServer, _dots_webhooks_verifier: Dots
) -> Iterator[WebhookReceiver]:
    """This test's webhook receiver, registered with the session's sandbox until the test ends.

    `.wait_for(payment_intent_id=None, timeout=5.0)` returns the next verified delivery (`body`,
    `headers`, `event`, `svix_id`, `attempt`) or fails the test; `.respond_with(status)` chooses the
    answer to the next one; `.deliveries` lists them all; `.url`, `.secret` (a fresh `whsec_`).
    """
    from dots_testing.webhook_receiver import receiving  # noqa: PLC0415

    with receiving(dots_sandbox_session, dots_webhooks_server, _dots_webhooks_verifier) as receiver:
        yield receiver
