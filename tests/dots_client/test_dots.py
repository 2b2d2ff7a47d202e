"""Dots and AsyncDots against a live sandbox (one process for the module), behind a lossy proxy where needed.

The issue's acceptance list: create and confirm with credentials from the environment, a second
confirm's ConflictError, NotFoundError, AuthenticationError, a dropped confirm answer reconciled
(sync, and async from two `asyncio.run()` calls), a 503 with Retry-After retried.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dots_client import AsyncDots, Dots
from dots_client.errors import (
    APIConnectionError,
    AuthenticationError,
    ConfirmOutcomeUnknown,
    ConflictError,
    InternalServerError,
    NotFoundError,
)

from tests.conftest import LiveSandbox
from tests.lossy_proxy import LossyProxy

CLIENT_ID = "sdk-test-client"
API_KEY = "sdk-test-key-5e4d3c2b1a"
CARD = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_CARD = uuid.UUID("3c90c3cc-0d44-4b50-8888-8dd25736052a")
USER_CODE = Path(__file__).with_name("sdk_user.py")


@pytest.fixture(scope="module")
def live() -> Iterator[LiveSandbox]:
    """One live sandbox for the module, failures on demand allowed, credentials made up for the test."""
    sandbox = LiveSandbox(":memory:", {"SANDBOX_FAULTS": "1", "DOTS_CLIENT_ID": CLIENT_ID, "DOTS_API_KEY": API_KEY})
    yield sandbox
    sandbox.kill()


@pytest.fixture
def proxy(live: LiveSandbox) -> Iterator[LossyProxy]:
    """A lossy proxy in front of the module's sandbox."""
    with LossyProxy(live.url) as lossy:
        yield lossy


def _no_wait(seconds: float) -> None:
    """The sleep the tests inject: retries never wait."""


async def _no_wait_async(seconds: float) -> None:
    """The async sleep the tests inject."""


def _dots(url: str, **options: Any) -> Dots:
    return Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=url, sleep=_no_wait, **options)


def _intent_now(live: LiveSandbox, intent_id: uuid.UUID) -> dict[str, Any]:
    answer = httpx.get(f"{live.url}/v2/payment-intents/{intent_id}", auth=(CLIENT_ID, API_KEY))
    assert answer.status_code == 200
    intent: dict[str, Any] = answer.json()
    return intent


def test_users_file_runs_with_credentials_from_the_environment(live: LiveSandbox) -> None:
    """sdk_user.py (mypy --strict in make lint) creates, confirms and meets each documented error, sync and async."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOTS_", "SANDBOX_"))}
    env |= {"DOTS_BASE_URL": live.url, "DOTS_CLIENT_ID": CLIENT_ID, "DOTS_API_KEY": API_KEY}
    result = subprocess.run(
        [sys.executable, "-W", "error", str(USER_CODE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "confirmed True 1000 True",
        "conflict 409 payment-intent-already-confirmed",
        "not found 404 not-found",
        "raw 200 application/json 1 True",
        "options 0 2.0",
        "denied 401 unauthorized",
        "async succeeded 200 succeeded 200",
    ]
    assert result.stderr == ""


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_confirm_whose_answer_is_dropped_returns_the_succeeded_intent(
    live: LiveSandbox, proxy: LossyProxy, mode: str
) -> None:
    """The confirm acts but its answer is lost; the retry's 409 is reconciled: the succeeded intent, one transfer."""
    if mode == "sync":
        with _dots(proxy.url) as dots:
            intent = dots.payment_intents.create(amount=1000, currency="usd")
            proxy.drop_answer = {2}
            raw = dots.payment_intents.with_raw_response.confirm(intent.id, payment_method_id=CARD)
    else:
        adots = AsyncDots(client_id=CLIENT_ID, api_key=API_KEY, base_url=proxy.url, sleep=_no_wait_async)
        intent = asyncio.run(adots.payment_intents.create(amount=1000, currency="usd"))  # a first event loop
        proxy.drop_answer = {2}  # the second loop: the default AsyncClient is not bound to the first one
        raw = asyncio.run(adots.payment_intents.with_raw_response.confirm(intent.id, payment_method_id=CARD))
    confirmed = raw.parse()
    assert (raw.status_code, raw.reconciled, raw.attempts) == (200, True, 2)
    assert (str(confirmed.status), confirmed.payment_method_id) == ("succeeded", CARD)
    assert [method for method, _ in proxy.requests] == ["POST", "POST", "POST", "GET"]
    assert _intent_now(live, intent.id)["transfer_id"] == str(confirmed.transfer_id)


def test_conflict_with_another_payment_method_stands_after_a_lost_answer(live: LiveSandbox, proxy: LossyProxy) -> None:
    """When the reconciling retrieve shows another payment method, the 409 stands: ConflictError, not success."""
    with _dots(proxy.url) as dots:
        intent = dots.payment_intents.create(amount=1000, currency="usd")
        dots.payment_intents.confirm(intent.id, payment_method_id=OTHER_CARD)
        proxy.prefer = {3: "dots-fault=refuse; status=502"}  # the first confirm may have acted: a 5xx
        with pytest.raises(ConflictError) as raised:
            dots.payment_intents.confirm(intent.id, payment_method_id=CARD)
    assert raised.value.code == "payment-intent-already-confirmed"
    assert [method for method, _ in proxy.requests][2:] == ["POST", "POST", "GET"]


def test_create_is_never_sent_twice_when_its_answer_is_lost(live: LiveSandbox, proxy: LossyProxy) -> None:
    """A create whose answer is lost raises APIConnectionError(may_have_reached_server) after one request."""
    proxy.drop_answer = {1}
    with _dots(proxy.url) as dots, pytest.raises(APIConnectionError) as raised:
        dots.payment_intents.create(amount=1000, currency="usd")
    assert raised.value.may_have_reached_server is True
    assert proxy.count("POST") == 1


def test_503_with_retry_after_is_retried(live: LiveSandbox, proxy: LossyProxy) -> None:
    """A create refused 503 with Retry-After is sent again after the wait the server asks, and succeeds once."""
    waits: list[float] = []
    proxy.prefer = {1: "dots-fault=refuse; status=503; retry-after=1"}
    with Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=proxy.url, sleep=waits.append) as dots:
        raw = dots.payment_intents.with_raw_response.create(amount=1000, currency="usd")
    assert (raw.status_code, raw.attempts, waits) == (200, 2, [1.0])
    assert proxy.count("POST") == 2


def test_confirm_read_timeout_is_retried_and_reconciled(live: LiveSandbox, proxy: LossyProxy) -> None:
    """A confirm answered after the read timeout (it acted) is retried; its 409 is reconciled as success."""
    with _dots(proxy.url, timeout=httpx.Timeout(5.0, read=0.3)) as dots:
        intent = dots.payment_intents.create(amount=1000, currency="usd")
        proxy.prefer = {2: "dots-fault=delay; seconds=0.6"}
        raw = dots.payment_intents.with_raw_response.confirm(intent.id, payment_method_id=CARD)
    assert (str(raw.parse().status), raw.reconciled, raw.attempts) == ("succeeded", True, 2)


def test_confirm_answered_200_with_an_unreadable_body_is_reconciled(live: LiveSandbox, proxy: LossyProxy) -> None:
    """A real confirm whose 200 body a gateway replaced is read again by one retrieve, never sent again."""
    with _dots(proxy.url) as dots:
        intent = dots.payment_intents.create(amount=1000, currency="usd")
        proxy.replace_body = {2: ({"content-type": "text/html"}, b"<html>ok</html>")}
        raw = dots.payment_intents.with_raw_response.confirm(intent.id, payment_method_id=CARD)
    assert (str(raw.parse().status), raw.reconciled, raw.attempts) == ("succeeded", True, 1)
    assert proxy.count("POST", "/confirm") == 1


def test_giving_up_with_the_intent_unconfirmed_is_an_unknown_outcome(live: LiveSandbox, proxy: LossyProxy) -> None:
    """Every confirm answered 500 and the intent still unconfirmed: ConfirmOutcomeUnknown names the intent."""
    with _dots(proxy.url, max_retries=1) as dots:
        intent = dots.payment_intents.create(amount=1000, currency="usd")
        proxy.prefer = {2: "dots-fault=refuse; status=500", 3: "dots-fault=refuse; status=500"}
        with pytest.raises(ConfirmOutcomeUnknown) as raised:
            dots.payment_intents.confirm(intent.id, payment_method_id=CARD)
    assert (raised.value.payment_intent_id, raised.value.attempts) == (intent.id, 2)
    assert str(intent.id) in str(raised.value)


def test_errors_of_the_live_server(live: LiveSandbox) -> None:
    """An unknown id is NotFoundError, a wrong key AuthenticationError, a 500 on a retrieve retried then raised."""
    with _dots(live.url) as dots, pytest.raises(NotFoundError):
        dots.payment_intents.retrieve(uuid.uuid4())
    with Dots(client_id=CLIENT_ID, api_key="wrong", base_url=live.url) as wrong, pytest.raises(AuthenticationError):
        wrong.payment_intents.retrieve(uuid.uuid4())
    fault = {"Prefer": "dots-fault=refuse; status=500"}
    with _dots(live.url, max_retries=1) as dots:
        dots._pool.sync_client().headers.update(fault)
        with pytest.raises(InternalServerError) as raised:
            dots.payment_intents.retrieve(uuid.uuid4())
    assert raised.value.status_code == 500
