"""The pytest plugin (entry point `pytest11`: `dots_testing = dots_testing.plugin`): the test kit's fixtures.

- `dots_sandbox_session`: one sandbox served for the whole session (its state shared by the tests);
- `dots_sandbox`: the session's server, its state made fresh and empty for each test (a new
  in-memory store swapped in, so after the first test the set-up and tear-down cost milliseconds,
  not a server start and stop);
- `dots` / `async_dots`: a `dots_client.Dots` / `AsyncDots` pointed at `dots_sandbox`, closed after the test;
- `dots_webhooks`: a webhook receiver of this test's own, registered with the session's sandbox
  (so with `dots_sandbox` too, in either order), every delivery verified and kept
  (dots_testing/webhook_receiver.py): a path of its own on `dots_webhooks_server`, the session's one
  receiver server;
- `dots_outcome`: the outcome an item of `@pytest.mark.dots_outcomes` plays (dots_testing/outcomes.py).

After a test that passed, `dots_sandbox` and `dots_webhooks` (or, for a test of
`dots_sandbox_session` alone, the plugin's teardown hook) fail it (at teardown) for every
preparation it left unused (dots_testing/preparations.py), and `dots_outcome` for more payments
than its marker allows. After a test that failed, they only forget them: its own failure says more.
The kit's clients never send through an environment proxy (`HTTP_PROXY`, ...): their traffic is
to 127.0.0.1, which a CI image's proxy cannot reach.

Loading this module imports nothing of ours but `dots_testing` (whose `__init__` imports nothing
either): the sandbox and the client are imported by the first fixture a test asks for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from dots_testing import outcomes

# `pytest --dots-proxy` (dots_testing/proxy_switch.py): the validating proxy in front of the session's sandbox.
pytest_plugins = ["dots_testing.proxy_switch"]

if TYPE_CHECKING:
    from dots_client import AsyncDots, Dots

    from dots_sandbox.receiver import ReceiverServer
    from dots_testing.kit import TestSandbox
    from dots_testing.webhook_receiver import WebhookReceiver

# The report of each test's call phase, for the fixtures' teardown to know whether the test passed.
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the `dots_outcomes` marker (so `--strict-markers` knows it)."""
    config.addinivalue_line(
        "markers",
        f"{outcomes.MARKER}(faults=False, payments=1): run the test once per confirm outcome, with the "
        "dots_outcome fixture; faults=True adds one item per fault on the first confirm; after each item, "
        "at most `payments` confirmed payments (dots_testing)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize a test marked `dots_outcomes` with `dots_outcome`, one item per outcome (ids: the outcomes')."""
    marker = metafunc.definition.get_closest_marker(outcomes.MARKER)
    if marker is None:
        return
    if marker.args:
        raise ValueError(f"{outcomes.MARKER} takes only faults= and payments=, not positional arguments")
    cases = outcomes.cases(dict(marker.kwargs))
    if "dots_outcome" not in metafunc.fixturenames:
        metafunc.fixturenames.append("dots_outcome")
    metafunc.parametrize("dots_outcome", cases, ids=[case.id for case in cases], indirect=True)


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
    return _item_passed(request.node)


def _item_passed(item: pytest.Item) -> bool:
    report = item.stash.get(_CALL_REPORT, None)
    return report is not None and report.passed


def _check_preparations(request: pytest.FixtureRequest, sandbox: TestSandbox) -> None:
    _check_item(request.node, sandbox)


def _check_item(item: pytest.Item, sandbox: TestSandbox) -> None:
    try:
        if _item_passed(item):
            sandbox.preparations.check()
        else:
            sandbox.preparations.clear()
    finally:
        sandbox.forget_pending()  # the session's state is shared, a test's faults are not


# The function-scoped fixtures that check the preparations at their own teardown.
_CHECKING = frozenset({"dots_sandbox", "dots_webhooks"})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """Check the preparations of a test that used `dots_sandbox_session` without `dots_sandbox` or `dots_webhooks`.

    The session fixture has no teardown per test, so without this a `fail_next` such a test left
    unused would pass silently and hit the next test's request.
    """
    names = getattr(item, "fixturenames", ())
    alone = "dots_sandbox_session" in names and not _CHECKING.intersection(names)
    sandbox = getattr(item, "funcargs", {}).get("dots_sandbox_session") if alone else None
    try:
        result = yield
    except BaseException:
        if sandbox is not None:
            sandbox.preparations.clear()
            sandbox.forget_pending()
        raise
    if sandbox is not None:
        _check_item(item, sandbox)
    return result


@pytest.fixture(scope="session")
def dots_sandbox_session(pytestconfig: pytest.Config) -> Iterator[TestSandbox]:
    """A sandbox for the whole session: `.base_url` (ends in /api), `.client_id`, `.api_key`, the controls."""
    from dots_testing.kit import serve  # noqa: PLC0415 (the sandbox only when a test asks for one)
    from dots_testing.proxy_switch import through_proxy  # noqa: PLC0415

    with serve() as sandbox, through_proxy(pytestconfig, sandbox):  # through the proxy under --dots-proxy
        yield sandbox


@pytest.fixture
def dots_sandbox(dots_sandbox_session: TestSandbox, request: pytest.FixtureRequest) -> Iterator[TestSandbox]:
    """The session's sandbox with a fresh, empty state for this test (a new in-memory store).

    After a test that passed, fails it naming each preparation (`fail_next`, `respond_with`, ...) no
    request or delivery used, unless made with `optional=True`.
    """
    dots_sandbox_session.reset()
    yield dots_sandbox_session
    _check_preparations(request, dots_sandbox_session)


def _no_wait(seconds: float) -> None:
    """The kit's clients retry at once: which failures are retried is unchanged, only the waits go."""


async def _no_wait_async(seconds: float) -> None:
    """`_no_wait` for AsyncDots."""


@pytest.fixture
def dots(dots_sandbox: TestSandbox) -> Iterator[Dots]:
    """A `dots_client.Dots` for `dots_sandbox` (its base URL and credentials) that retries without waiting."""
    import httpx  # noqa: PLC0415 (the client only when a test asks for one)
    from dots_client import Dots  # noqa: PLC0415

    from dots_sandbox.background.outbox import tls_context  # noqa: PLC0415

    with (
        # Loopback: never through HTTP_PROXY. The process's one TLS context (building one per test
        # costs about 30 ms; the kit's sandbox is plain HTTP anyway).
        httpx.Client(trust_env=False, verify=tls_context()) as http,
        Dots(
            client_id=dots_sandbox.client_id,
            api_key=dots_sandbox.api_key,
            base_url=dots_sandbox.base_url,
            sleep=_no_wait,
            http_client=http,
        ) as client,
    ):
        yield client


@pytest.fixture
async def async_dots(dots_sandbox: TestSandbox, anyio_backend: object) -> AsyncIterator[AsyncDots]:
    """A `dots_client.AsyncDots` for `dots_sandbox`, retrying without waiting, closed on its event loop after the test.

    An async fixture run by anyio's pytest plugin (anyio comes with httpx): mark the test
    `@pytest.mark.anyio`, and it runs on the same event loop as the fixture. AsyncDots needs asyncio.
    """
    import httpx  # noqa: PLC0415
    from dots_client import AsyncDots  # noqa: PLC0415

    from dots_sandbox.background.outbox import tls_context  # noqa: PLC0415

    async with (
        httpx.AsyncClient(trust_env=False, verify=tls_context()) as http,  # loopback, one TLS context: as `dots`
        AsyncDots(
            client_id=dots_sandbox.client_id,
            api_key=dots_sandbox.api_key,
            base_url=dots_sandbox.base_url,
            sleep=_no_wait_async,
            http_client=http,
        ) as client,
    ):
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
    dots_sandbox_session: TestSandbox,
    dots_webhooks_server: ReceiverServer,
    _dots_webhooks_verifier: Dots,
    request: pytest.FixtureRequest,
) -> Iterator[WebhookReceiver]:
    """This test's webhook receiver, registered with the session's sandbox until the test ends.

    `.wait_for(payment_intent_id=None, timeout=5.0)` returns the next verified delivery (`body`,
    `headers`, `event`, `svix_id`, `attempt`) or fails the test; `.respond_with(status)` chooses the
    answer to the next one; `.deliveries` lists them all; `.url`, `.secret` (a fresh `whsec_`);
    `.forward_to(url_or_asgi_app)` also sends each delivery to the service's real endpoint;
    `await .wait_for_async(...)` in an `@pytest.mark.anyio` test.
    """
    from dots_testing.webhook_receiver import receiving  # noqa: PLC0415

    with receiving(dots_sandbox_session, dots_webhooks_server, _dots_webhooks_verifier, check=False) as receiver:
        yield receiver
    _check_preparations(request, dots_sandbox_session)


@pytest.fixture
def dots_outcome(request: pytest.FixtureRequest, dots_sandbox: TestSandbox) -> Iterator[outcomes.Outcome]:
    """The outcome this item of `@pytest.mark.dots_outcomes` plays (`.payment_method_id`, `.first_status`,
    `.final_status`, `.fault`, `.finish()`), its fault (if any) queued on the test's first confirm.

    After an item that passed, fails it when its journal shows more confirmed payments (committed
    confirms whose intent is not `failed`) than the marker's `payments=` (default 1), naming them.
    Raises TypeError for a test that asks for it without the marker.
    """
    case = getattr(request, "param", None)
    if not isinstance(case, outcomes.Case):
        raise TypeError(f"dots_outcome is given by @pytest.mark.{outcomes.MARKER}: mark the test with it")
    if case.fault is not None:
        dots_sandbox.fail_next(outcomes.CONFIRM, case.fault, **dict(case.fault_options))
    yield outcomes.Outcome(case, dots_sandbox)
    marker = request.node.get_closest_marker(outcomes.MARKER)
    if _passed(request) and marker is not None:
        outcomes.check_payments(dots_sandbox, marker.kwargs.get("payments", 1))
