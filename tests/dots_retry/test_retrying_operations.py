"""Retrying create, retrieve and confirm against a live sandbox (failures on demand) behind a lossy proxy."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent, retrieve_payment_intent
from dots_client.errors import UnexpectedStatus, UnreadableResponse
from dots_client.models import ConfirmPaymentIntentRequest, CreatePaymentIntentRequest, Currency, Error, PaymentIntent
from dots_client.types import Response
from dots_retry import (
    ConfirmOutcomeUnknown,
    ConfirmResult,
    RetryPolicy,
    confirm,
    confirm_async,
    create,
    create_async,
    retrieve,
    retrieve_async,
)
from lossy_proxy import LossyProxy

if TYPE_CHECKING:
    from conftest import LiveSandbox

T = TypeVar("T")
CLIENT_ID = "retry-test-client"
API_KEY = "retry-test-key-9f8e7d6c5b4a"
TOKEN = base64.b64encode(f"{CLIENT_ID}:{API_KEY}".encode()).decode()
METHOD = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_METHOD = uuid.UUID("3c90c3cc-0d44-4b50-8888-8dd25736052a")
FAST = RetryPolicy(
    max_attempts=4,
    max_elapsed_seconds=10.0,
    backoff_initial_seconds=0.01,
    backoff_max_seconds=0.05,
    retry_after_max_seconds=0.2,
)
MODES = ["sync", "async"]


@pytest.fixture
def live(start_sandbox: Callable[..., LiveSandbox]) -> LiveSandbox:
    """A live sandbox with failures on demand, and credentials made up for the test."""
    return start_sandbox(env={"SANDBOX_FAULTS": "1", "DOTS_CLIENT_ID": CLIENT_ID, "DOTS_API_KEY": API_KEY})


@pytest.fixture
def proxy(live: LiveSandbox) -> Iterator[LossyProxy]:
    """The lossy proxy in front of `live`."""
    with LossyProxy(live.url) as lossy:
        yield lossy


def _client(url: str, read_timeout: float = 5.0) -> AuthenticatedClient:
    return AuthenticatedClient.basic_auth(url, CLIENT_ID, API_KEY, timeout=httpx.Timeout(5.0, read=read_timeout))


def _run(
    mode: str,
    client: AuthenticatedClient,
    sync: Callable[[AuthenticatedClient], T],
    asynchronous: Callable[[AuthenticatedClient], Awaitable[T]],
) -> T:
    """`sync(client)`, or `asynchronous(client)` in a fresh event loop; the client is closed after."""
    if mode == "sync":
        with client:
            return sync(client)

    async def run() -> T:
        async with client:
            return await asynchronous(client)

    return asyncio.run(run())


def _confirm(mode: str, client: AuthenticatedClient, intent_id: str, method: uuid.UUID, **kw: Any) -> ConfirmResult:
    return _run(
        mode,
        client,
        lambda c: confirm(c, intent_id, method, policy=kw.get("policy", FAST)),
        lambda c: confirm_async(c, intent_id, method, policy=kw.get("policy", FAST)),
    )


def _create(mode: str, client: AuthenticatedClient, policy: RetryPolicy = FAST) -> Any:
    body = CreatePaymentIntentRequest(amount=1000, currency=Currency.USD)
    return _run(mode, client, lambda c: create(c, body, policy=policy), lambda c: create_async(c, body, policy=policy))


def _retrieve(mode: str, client: AuthenticatedClient, intent_id: str, policy: RetryPolicy = FAST) -> Any:
    return _run(
        mode,
        client,
        lambda c: retrieve(c, intent_id, policy=policy),
        lambda c: retrieve_async(c, intent_id, policy=policy),
    )


def _new_intent(live: LiveSandbox) -> str:
    response = httpx.post(
        f"{live.url}/v2/payment-intents", json={"amount": 1000, "currency": "usd"}, auth=(CLIENT_ID, API_KEY)
    )
    assert response.status_code == 200
    intent_id: str = response.json()["id"]
    return intent_id


def _intent_now(live: LiveSandbox, intent_id: str) -> dict[str, Any]:
    response = httpx.get(f"{live.url}/v2/payment-intents/{intent_id}", auth=(CLIENT_ID, API_KEY))
    assert response.status_code == 200
    intent: dict[str, Any] = response.json()
    return intent


@pytest.mark.parametrize("mode", MODES)
def test_lost_answer_confirm_is_reconciled_as_success(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """The first confirm acts but its answer is lost; the retry's 409 is reconciled: one confirm, seen as success."""
    intent_id = _new_intent(live)
    proxy.drop_answer = {1}
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, True, 2)
    assert result.intent is not None
    assert str(result.intent.status) == "succeeded"
    assert result.intent.payment_method_id == METHOD
    assert [method for method, _ in proxy.requests] == ["POST", "POST", "GET"]
    now = _intent_now(live, intent_id)
    assert now["status"] == "succeeded"
    assert now["transfer_id"] == str(result.intent.transfer_id)  # the one confirm's transfer, not a second


@pytest.mark.parametrize("mode", MODES)
def test_non_json_conflict_after_a_lost_answer_is_reconciled(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A 409 with an HTML body (a gateway's) after a lost answer is reconciled by the retrieve, never a parse crash."""
    intent_id = _new_intent(live)
    proxy.drop_answer = {1}
    proxy.prefer = {2: "dots-fault=non-json; status=409; body=html"}
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, True, 2)


@pytest.mark.parametrize("mode", MODES)
def test_conflict_with_another_payment_method_stands(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """When the reconciling retrieve shows another payment method, the caller gets the 409, not reconciled."""
    intent_id = _new_intent(live)
    first = httpx.post(
        f"{live.url}/v2/payment-intents/{intent_id}/confirm",
        json={"payment_method_id": str(OTHER_METHOD)},
        auth=(CLIENT_ID, API_KEY),
    )
    assert first.status_code == 200
    proxy.drop_answer = {1}  # our first attempt's 409 is lost, so the second one's is ambiguous
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (409, False, 2)
    assert result.intent is None
    assert isinstance(result.error, Error)
    assert result.error.code == "payment-intent-already-confirmed"
    assert proxy.count("GET") == 1


@pytest.mark.parametrize("mode", MODES)
def test_first_conflict_is_not_reconciled(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A 409 to an attempt that followed no ambiguous one stands without a retrieve, even with our method."""
    intent_id = _new_intent(live)
    assert _confirm(mode, _client(proxy.url), intent_id, METHOD).status_code == 200
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (409, False, 1)
    assert proxy.count("GET") == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lost", ["error answers", "answers lost"])
def test_failed_reconciling_retrieve_raises_outcome_unknown(
    live: LiveSandbox, proxy: LossyProxy, mode: str, lost: str
) -> None:
    """When the retrieve after the 409 fails too, ConfirmOutcomeUnknown names the intent."""
    intent_id = _new_intent(live)
    proxy.drop_answer = {1}
    retrieves = range(3, 3 + FAST.max_attempts)
    if lost == "answers lost":
        proxy.drop_answer |= set(retrieves)
    else:
        proxy.prefer = dict.fromkeys(retrieves, "dots-fault=refuse; status=500")
    with pytest.raises(ConfirmOutcomeUnknown, match=f"payment intent {intent_id} is unknown") as raised:
        _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert raised.value.payment_intent_id == uuid.UUID(intent_id)
    assert raised.value.attempts == 2
    assert proxy.count("GET") == FAST.max_attempts
    if lost == "answers lost":
        assert isinstance(raised.value.__cause__, httpx.RemoteProtocolError)
    else:
        assert raised.value.response is not None
        assert raised.value.response.status_code == 500


@pytest.mark.parametrize("mode", MODES)
def test_confirm_is_retried_after_a_5xx(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A confirm answered 502 (non-JSON, as a gateway sends it) is sent again and succeeds."""
    intent_id = _new_intent(live)
    proxy.prefer = {1: "dots-fault=non-json; status=502; body=html"}
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, False, 2)


@pytest.mark.parametrize("mode", MODES)
def test_confirm_that_keeps_failing_ambiguously_is_reconciled_on_giving_up(
    live: LiveSandbox, proxy: LossyProxy, mode: str
) -> None:
    """The first attempt acts (answer lost), every retry is a 500: giving up, a retrieve still shows success."""
    intent_id = _new_intent(live)
    proxy.drop_answer = {1}
    proxy.prefer = dict.fromkeys(range(2, 1 + FAST.max_attempts), "dots-fault=refuse; status=500")
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, True, FAST.max_attempts)


@pytest.mark.parametrize("mode", MODES)
def test_create_is_never_sent_twice_when_its_answer_is_lost(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A create whose answer is lost raises the transport error after one request: it may have created an intent."""
    proxy.drop_answer = {1}
    with pytest.raises(httpx.RemoteProtocolError):
        _create(mode, _client(proxy.url))
    assert proxy.requests == [("POST", "/api/v2/payment-intents")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "fault", ["dots-fault=refuse; status=500", "dots-fault=refuse; status=503", "dots-fault=non-json; status=502"]
)
def test_create_is_not_retried_on_5xx(live: LiveSandbox, proxy: LossyProxy, mode: str, fault: str) -> None:
    """A create answered 5xx (a 503 without Retry-After included) is returned as is after one request."""
    proxy.prefer = {1: fault}
    response = _create(mode, _client(proxy.url))
    assert response.status_code in {500, 502, 503}
    if response.status_code == 503:  # documented since spec 1.3.0: parsed into the Error it carries
        assert isinstance(response.parsed, Error)
        assert response.parsed.code == "service-unavailable"
    else:
        assert response.parsed is None
    assert proxy.count("POST") == 1


@pytest.mark.parametrize("mode", MODES)
def test_create_is_retried_when_refused(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """429, and 503 with Retry-After, mean the server did not act: the create is sent again, and succeeds once."""
    proxy.prefer = {1: "dots-fault=refuse; status=429", 2: "dots-fault=refuse; status=503; retry-after=0"}
    response = _create(mode, _client(proxy.url))
    assert response.status_code == 200
    assert isinstance(response.parsed, PaymentIntent)
    assert proxy.count("POST") == 3


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("mode", MODES)
def test_create_is_retried_when_the_connection_is_refused(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """Connection refused: the request never left, so even a create is retried, up to max_attempts."""
    caplog.set_level(logging.DEBUG, logger="dots_retry")
    client = _client(f"http://127.0.0.1:{_closed_port()}/api")
    with pytest.raises(httpx.ConnectError):
        _create(mode, client)
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == FAST.max_attempts - 1
    assert all(message.startswith("create: ") and "ConnectError" in message for message in retries)


@pytest.mark.parametrize("mode", MODES)
def test_retrieve_is_retried_on_500_and_read_timeout(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A retrieve answered 500, then too slow for the read timeout, is sent a third time and answered."""
    intent_id = _new_intent(live)
    proxy.prefer = {1: "dots-fault=refuse; status=500", 2: "dots-fault=delay; seconds=2.5"}
    response = _retrieve(mode, _client(proxy.url, read_timeout=1.0), intent_id)
    assert response.status_code == 200
    assert isinstance(response.parsed, PaymentIntent)
    assert proxy.count("GET") == 3


@pytest.mark.parametrize("mode", MODES)
def test_confirm_read_timeout_is_retried_and_reconciled(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A confirm whose answer is slower than the read timeout (it acted) is retried; the 409 is reconciled."""
    intent_id = _new_intent(live)
    proxy.prefer = {1: "dots-fault=delay; seconds=2.5"}
    result = _confirm(mode, _client(proxy.url, read_timeout=1.0), intent_id, METHOD)
    assert result.status_code == 200
    assert result.reconciled
    assert _intent_now(live, intent_id)["status"] == "succeeded"


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_capped(
    live: LiveSandbox, proxy: LossyProxy, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Retry-After of an hour waits retry_after_max_seconds (0.2 s here), then the retry succeeds."""
    caplog.set_level(logging.DEBUG, logger="dots_retry")
    intent_id = _new_intent(live)
    proxy.prefer = {1: "dots-fault=refuse; status=503; retry-after=3600"}
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.attempts) == (200, 2)
    (retry,) = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retry == "confirm: attempt 1 of 4 ended in HTTP 503; retrying in 0.20 s"


@pytest.mark.parametrize("mode", MODES)
def test_total_time_is_bounded(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """Refused every time with Retry-After: 1, a 2.8 s budget allows three attempts; the last answer is returned."""
    policy = RetryPolicy(max_attempts=10, max_elapsed_seconds=2.8, retry_after_max_seconds=5)
    proxy.prefer = dict.fromkeys(range(1, 11), "dots-fault=refuse; status=503; retry-after=1")
    start = time.monotonic()
    response = _create(mode, _client(proxy.url), policy)
    elapsed = time.monotonic() - start
    assert response.status_code == 503
    assert proxy.count("POST") == 3
    assert elapsed < policy.max_elapsed_seconds


@pytest.mark.parametrize("mode", MODES)
def test_retries_are_logged_at_debug_without_credentials(
    live: LiveSandbox, proxy: LossyProxy, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retry and the reconciliation are logged at DEBUG on `dots_retry`; no record shows the credentials."""
    caplog.set_level(logging.DEBUG)
    intent_id = _new_intent(live)
    proxy.drop_answer = {1}
    proxy.prefer = {2: "dots-fault=refuse; status=429; retry-after=0"}
    # Credentials in the URL too: the log must not show URLs.
    secret_url = proxy.url.replace("http://", f"http://{CLIENT_ID}:{API_KEY}@")
    client = AuthenticatedClient.basic_auth(secret_url, CLIENT_ID, API_KEY)
    result = _confirm(mode, client, intent_id, METHOD)
    assert result.reconciled
    ours = [record for record in caplog.records if record.name == "dots_retry"]
    assert [record.levelno for record in ours] == [logging.DEBUG] * 4
    assert "RemoteProtocolError; retrying" in ours[0].getMessage()
    assert "HTTP 429; retrying" in ours[1].getMessage()
    assert "HTTP 409 after an attempt that may have acted; reconciling" in ours[2].getMessage()
    assert "reconciled" in ours[3].getMessage()
    for record in ours:
        text = record.getMessage() + repr(record.args)
        assert API_KEY not in text
        assert TOKEN not in text


@pytest.mark.parametrize("mode", MODES)
def test_confirm_answered_200_without_a_readable_intent_is_reconciled(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 200 whose body the models cannot parse (`parsed=None`) is read again by a retrieve, never retried."""
    intent_id = uuid.uuid4()
    intent = PaymentIntent.from_dict(
        {
            "id": str(intent_id),
            "amount": 1000,
            "currency": "usd",
            "status": "succeeded",
            "payment_method_id": str(METHOD),
        }
    )
    sent: list[str] = []

    def unreadable(*args: object, **kwargs: object) -> Response[Error | PaymentIntent]:
        sent.append("confirm")
        return Response(status_code=200, content=b"<html>ok</html>", headers=httpx.Headers(), parsed=None)

    def readable(*args: object, **kwargs: object) -> Response[Error | PaymentIntent]:
        sent.append("retrieve")
        return Response(status_code=200, content=b"{}", headers=httpx.Headers(), parsed=intent)

    async def unreadable_async(*args: object, **kwargs: object) -> Response[Error | PaymentIntent]:
        return unreadable()

    async def readable_async(*args: object, **kwargs: object) -> Response[Error | PaymentIntent]:
        return readable()

    monkeypatch.setattr(confirm_payment_intent, "sync_detailed", unreadable)
    monkeypatch.setattr(confirm_payment_intent, "asyncio_detailed", unreadable_async)
    monkeypatch.setattr(retrieve_payment_intent, "sync_detailed", readable)
    monkeypatch.setattr(retrieve_payment_intent, "asyncio_detailed", readable_async)
    result = _confirm(mode, _client("http://127.0.0.1:9/api"), str(intent_id), METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, True, 1)
    assert result.intent is intent
    assert sent == ["confirm", "retrieve"]


@pytest.mark.parametrize("mode", MODES)
def test_documented_error_is_returned_after_one_attempt(live: LiveSandbox, proxy: LossyProxy, mode: str) -> None:
    """A confirm of an unknown intent is its 404 with the Error body: final, not retried, not reconciled."""
    result = _confirm(mode, _client(proxy.url), str(uuid.uuid4()), METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (404, False, 1)
    assert result.intent is None
    assert result.error is not None
    assert result.error.code == "not-found"
    assert proxy.requests == [("POST", proxy.requests[0][1])]


@pytest.mark.parametrize("mode", MODES)
def test_giving_up_on_5xx_with_the_intent_unconfirmed_raises_outcome_unknown(
    live: LiveSandbox, proxy: LossyProxy, mode: str
) -> None:
    """Every confirm answered 500 and the intent still unconfirmed: the outcome is unknown, not a failure."""
    intent_id = _new_intent(live)
    proxy.prefer = dict.fromkeys(range(1, 1 + FAST.max_attempts), "dots-fault=refuse; status=500")
    with pytest.raises(ConfirmOutcomeUnknown, match="the intent is initialized") as raised:
        _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert raised.value.attempts == FAST.max_attempts
    assert raised.value.response is not None
    assert raised.value.response.status_code == 200  # the retrieve's answer: the intent as it is
    assert API_KEY not in str(raised.value)


UNREADABLE_200_BODIES: dict[str, tuple[dict[str, str], bytes]] = {
    "html": ({"Content-Type": "text/html"}, b"<html><body>OK</body></html>"),
    "empty": ({}, b""),
    "truncated JSON": ({}, b'{"id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5", "amou'),
    "JSON array": ({}, b"[]"),
    "no UUID in id": ({}, b'{"id": "nope", "amount": 1000, "currency": "usd"}'),
    "labelled gzip, is not": ({"Content-Encoding": "gzip"}, b'{"id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"}'),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("body", list(UNREADABLE_200_BODIES))
def test_live_confirm_answered_200_with_an_unreadable_body_is_reconciled(
    live: LiveSandbox, proxy: LossyProxy, mode: str, body: str
) -> None:
    """A real confirm (it acted) whose 200 body a gateway replaced: reconciled by one retrieve, never sent again."""
    intent_id = _new_intent(live)
    proxy.replace_body = {1: UNREADABLE_200_BODIES[body]}
    result = _confirm(mode, _client(proxy.url), intent_id, METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, True, 1)
    assert result.intent is not None
    assert str(result.intent.status) == "succeeded"
    assert result.intent.payment_method_id == METHOD
    assert [method for method, _ in proxy.requests] == ["POST", "GET"]
    assert _intent_now(live, intent_id)["status"] == "succeeded"


@pytest.mark.parametrize("mode", MODES)
def test_live_confirm_answered_200_with_an_unreadable_body_raises_unreadable_response_from_sync(
    live: LiveSandbox, proxy: LossyProxy, mode: str
) -> None:
    """The generated `sync`/`asyncio` raise UnreadableResponse carrying the 200 (no parse error) for that answer."""
    intent_id = _new_intent(live)
    proxy.replace_body = {1: UNREADABLE_200_BODIES["html"]}
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD)
    with pytest.raises(UnreadableResponse) as raised:
        _run(
            mode,
            _client(proxy.url),
            lambda c: confirm_payment_intent.sync(uuid.UUID(intent_id), client=c, body=body),
            lambda c: confirm_payment_intent.asyncio(uuid.UUID(intent_id), client=c, body=body),
        )
    assert raised.value.status_code == 200
    assert raised.value.response.content == UNREADABLE_200_BODIES["html"][1]
    assert raised.value.response.parsed is None
    assert _intent_now(live, intent_id)["status"] == "succeeded"  # the server acted


@pytest.mark.parametrize("mode", MODES)
def test_reconciling_retrieve_shares_the_confirm_budget(mode: str) -> None:
    """The retrieve after giving up retries only within max_elapsed_seconds of the first confirm: one attempt here."""
    # Confirm: a read timeout (ambiguous), then 429 + Retry-After: 1 until the 2.5 s budget ends at
    # t = 2 (attempts at 0, 0, 1, 2). The retrieve is refused the same way: with a budget of its
    # own it would be sent at t = 2, 3 and 4.
    policy = RetryPolicy(max_attempts=100, max_elapsed_seconds=2.5, backoff_initial_seconds=0.0)
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if sent == ["POST"]:
            raise httpx.ReadTimeout("the answer is late", request=request)
        return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "slow down"})

    client = AuthenticatedClient.basic_auth(
        "http://dots.test/api", CLIENT_ID, API_KEY, httpx_args={"transport": httpx.MockTransport(answer)}
    )
    with pytest.raises(ConfirmOutcomeUnknown, match="retrieve answered HTTP 429"):
        _confirm(mode, client, str(uuid.uuid4()), METHOD, policy=policy)
    assert sent == ["POST"] * 4 + ["GET"]


@pytest.mark.parametrize("mode", MODES)
def test_client_raising_on_unexpected_status_keeps_the_retry_policy(mode: str) -> None:
    """raise_on_unexpected_status=True: a 503 with Retry-After (undocumented) is still retried, not raised at once."""
    sent: list[str] = []
    intent: dict[str, Any] = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if len(sent) == 1:
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"error": "busy"})
        return httpx.Response(200, json={**intent, "payment_method_id": str(METHOD)})

    client = AuthenticatedClient.basic_auth(
        "http://dots.test/api",
        CLIENT_ID,
        API_KEY,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    result = _confirm(mode, client, intent["id"], METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, False, 2)
    assert sent == ["POST", "POST"]


@pytest.mark.parametrize("mode", MODES)
def test_client_raising_on_unexpected_status_still_reconciles_a_5xx(mode: str) -> None:
    """raise_on_unexpected_status=True: a confirm answered 502 after acting is retried, its 409 reconciled."""
    sent: list[str] = []
    intent: dict[str, Any] = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if request.method == "GET":
            return httpx.Response(200, json={**intent, "payment_method_id": str(METHOD)})
        if len(sent) == 1:
            return httpx.Response(502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"})
        return httpx.Response(409, json={"error": "already", "code": "payment-intent-already-confirmed"})

    client = AuthenticatedClient.basic_auth(
        "http://dots.test/api",
        CLIENT_ID,
        API_KEY,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    result = _confirm(mode, client, intent["id"], METHOD)
    assert (result.status_code, result.reconciled, result.attempts) == (200, True, 2)
    assert sent == ["POST", "POST", "GET"]


@pytest.mark.parametrize("mode", MODES)
def test_create_with_a_client_raising_on_unexpected_status_raises_the_last_answer(mode: str) -> None:
    """raise_on_unexpected_status=True: a create refused (429) is retried; the final 500 is raised, never re-sent."""
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return httpx.Response(429 if len(sent) == 1 else 500, json={"error": "no"})

    client = AuthenticatedClient.basic_auth(
        "http://dots.test/api",
        CLIENT_ID,
        API_KEY,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    with pytest.raises(UnexpectedStatus) as raised:
        _create(mode, client)
    assert raised.value.status_code == 500
    assert sent == ["POST", "POST"]
