"""Dots and AsyncDots without a server: options, credentials, redirects, retries and errors (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from dots_client import DEFAULT_BASE_URL, AsyncDots, Dots, _base_client
from dots_client.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfirmOutcomeUnknown,
    DotsError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UnreadableResponse,
)

CLIENT_ID = "client-id-for-tests"
API_KEY = "sk_test_very_secret_key"
BASE = "https://api.dots.test/api"
METHOD = uuid.UUID("00000000-0000-4000-8000-000000000001")
Reply = httpx.Response | Exception


def _intent(status: str = "initialized", **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": status, **fields}


class Script:
    """A MockTransport handler answering each request with the next reply (the last one repeats)."""

    def __init__(self, *replies: Reply | Callable[[httpx.Request], Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if callable(reply) and not isinstance(reply, httpx.Response):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        return self(request)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def sleep_async(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def lines(self) -> list[str]:
        return [f"{request.method} {request.url.path}" for request in self.requests]


def _dots(script: Script, **options: Any) -> Dots:
    http = httpx.Client(transport=httpx.MockTransport(script), follow_redirects=True)
    return Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http, sleep=script.sleep, **options)


def _async_dots(script: Script, **options: Any) -> AsyncDots:
    http = httpx.AsyncClient(transport=httpx.MockTransport(script.handle_async), follow_redirects=True)
    return AsyncDots(
        client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http, sleep=script.sleep_async, **options
    )


@pytest.fixture
def no_dots_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The DOTS_ variables unset."""
    for name in ("DOTS_CLIENT_ID", "DOTS_API_KEY", "DOTS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# ---- construction -----------------------------------------------------------------------------------------------


def test_arguments_fall_back_to_the_environment(no_dots_env: pytest.MonkeyPatch) -> None:
    """client_id, api_key and base_url come from DOTS_CLIENT_ID, DOTS_API_KEY and DOTS_BASE_URL when not passed."""
    no_dots_env.setenv("DOTS_CLIENT_ID", "env-id")
    no_dots_env.setenv("DOTS_API_KEY", "env-key")
    no_dots_env.setenv("DOTS_BASE_URL", "http://127.0.0.1:9/api/")
    script = Script(httpx.Response(200, json=_intent()))
    dots = Dots(http_client=httpx.Client(transport=httpx.MockTransport(script)))
    dots.payment_intents.retrieve(uuid.uuid4())
    assert dots.base_url == "http://127.0.0.1:9/api"
    assert str(script.requests[0].url).startswith("http://127.0.0.1:9/api/v2/payment-intents/")
    assert script.requests[0].headers["authorization"] == "Basic " + base64.b64encode(b"env-id:env-key").decode()


def test_default_base_url_is_dots_production(no_dots_env: pytest.MonkeyPatch) -> None:
    """Without base_url or DOTS_BASE_URL the client talks to Dots' production API, the spec's first server."""
    assert DEFAULT_BASE_URL == "https://api.dots.dev/api"
    assert Dots(client_id="id", api_key="key").base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize("missing", ["DOTS_CLIENT_ID", "DOTS_API_KEY"])
@pytest.mark.parametrize("cls", [Dots, AsyncDots])
def test_missing_credential_fails_at_construction(
    no_dots_env: pytest.MonkeyPatch, missing: str, cls: type[Dots | AsyncDots]
) -> None:
    """A credential neither passed nor in the environment is a DotsError naming the argument and the variable."""
    for name in ("DOTS_CLIENT_ID", "DOTS_API_KEY"):
        if name != missing:
            no_dots_env.setenv(name, "set")
    with pytest.raises(DotsError, match=missing):
        cls()


@pytest.mark.parametrize("url", ["https://id:key@api.dots.dev/api", "ftp://api.dots.dev/api", "http://[::1"])
def test_base_url_with_credentials_or_another_scheme_is_refused(url: str) -> None:
    """Credentials in the base URL would be logged with every request: refused, without quoting the URL."""
    with pytest.raises(DotsError) as raised:
        Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=url)
    assert "key@" not in str(raised.value)


def test_no_repr_or_message_shows_a_secret() -> None:
    """The client's repr, its resources' and a 401's message never show the API key or the Authorization value."""
    script = Script(httpx.Response(401, json={"error": "Invalid credentials", "code": "unauthorized"}))
    dots = _dots(script)
    token = base64.b64encode(f"{CLIENT_ID}:{API_KEY}".encode()).decode()
    with pytest.raises(APIStatusError) as raised:
        dots.payment_intents.retrieve(uuid.uuid4())
    shown = repr(dots) + str(dots) + repr(dots.payment_intents) + str(raised.value) + repr(raised.value)
    shown += repr(dots._low) + repr(vars(dots.payment_intents.with_raw_response))
    assert API_KEY not in shown
    assert token not in shown


def test_context_manager_closes_the_clients_own_connections() -> None:
    """`with Dots() as dots:` closes the httpx client Dots built; a given http_client stays open."""
    given = httpx.Client(transport=httpx.MockTransport(Script(httpx.Response(200, json=_intent()))))
    with Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=given) as dots:
        dots.payment_intents.retrieve(uuid.uuid4())
    assert not given.is_closed
    with Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE) as own:
        built = own._low.get_httpx_client()
    assert built.is_closed


def test_clients_dots_builds_expire_idle_connections_before_servers_do() -> None:
    """The pool of a client Dots builds drops a connection idle longer than 2 s, below servers' 5 s (httpx#2983)."""
    assert _base_client.KEEPALIVE_EXPIRY_SECONDS < 5.0
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
    pool = dots._low.get_httpx_client()._transport._pool  # type: ignore[attr-defined]
    assert pool._keepalive_expiry == _base_client.KEEPALIVE_EXPIRY_SECONDS
    # httpx's other pool defaults are kept: a bounded pool, so the 5 s pool timeout means something.
    assert (pool._max_connections, pool._max_keepalive_connections) == (100, 20)

    async def async_pool_expiry() -> float:
        client = AsyncDots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
        expiry: float = client._low.get_async_httpx_client()._transport._pool._keepalive_expiry  # type: ignore[attr-defined]
        await client.close()
        return expiry

    assert asyncio.run(async_pool_expiry()) == _base_client.KEEPALIVE_EXPIRY_SECONDS


def test_with_options_copies_the_client_with_other_options() -> None:
    """with_options(max_retries=, timeout=) gives a copy with those options; the original keeps its own."""
    script = Script(httpx.Response(500))
    dots = _dots(script)
    quiet = dots.with_options(max_retries=0, timeout=1.5)
    assert (quiet.max_retries, quiet.timeout.read, dots.max_retries) == (0, 1.5, 3)
    with pytest.raises(InternalServerError):
        quiet.payment_intents.retrieve(uuid.uuid4())
    assert len(script.requests) == 1
    assert script.requests[0].extensions["timeout"]["read"] == 1.5
    assert quiet.payment_intents is not dots.payment_intents


def test_with_options_timeout_applies_on_the_shared_own_client() -> None:
    """A copy's timeout reaches its requests though it shares the httpx client Dots built (and its base URL)."""
    script = Script(httpx.Response(200, json=_intent()))
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, timeout=7.0)
    dots._low.set_httpx_client(httpx.Client(base_url=BASE, transport=httpx.MockTransport(script)))
    dots.with_options(timeout=1.5).payment_intents.retrieve(uuid.uuid4())
    dots.payment_intents.retrieve(uuid.uuid4())
    assert [request.extensions["timeout"]["read"] for request in script.requests] == [1.5, 7.0]


def test_per_call_timeout_and_max_retries() -> None:
    """timeout= and max_retries= on a method apply to that call only."""
    script = Script(httpx.Response(500))
    dots = _dots(script)
    with pytest.raises(InternalServerError):
        dots.payment_intents.retrieve(uuid.uuid4(), timeout=2.5, max_retries=1)
    assert len(script.requests) == 2
    assert {request.extensions["timeout"]["read"] for request in script.requests} == {2.5}
    with pytest.raises(InternalServerError):
        dots.payment_intents.retrieve(uuid.uuid4())
    assert len(script.requests) == 2 + 4
    assert script.requests[-1].extensions["timeout"]["read"] == 30.0


# ---- redirects ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirected_confirm_is_an_error_never_followed(status: int) -> None:
    """With an http_client that follows redirects, a 3xx to a confirm is raised as such; nothing else is sent."""
    moved = httpx.Response(status, headers={"location": f"{BASE}/v2/payment-intents/{uuid.uuid4()}"})
    script = Script(moved, httpx.Response(200, json=_intent()))
    with pytest.raises(APIStatusError, match="redirect, not followed") as raised:
        _dots(script).payment_intents.confirm(uuid.uuid4(), payment_method_id=METHOD)
    assert raised.value.status_code == status
    assert script.lines == [f"POST {script.requests[0].url.path}"]


def test_redirect_loop_surfaces_as_a_dots_error() -> None:
    """A 307 to itself (a loop httpx would follow 20 times) ends the call after one request, sync and async."""
    script = Script(lambda request: httpx.Response(307, headers={"location": str(request.url)}))
    with pytest.raises(APIStatusError):
        _dots(script).payment_intents.retrieve(uuid.uuid4())
    with pytest.raises(APIStatusError):
        asyncio.run(_async_dots(script).payment_intents.create(amount=1000, currency="usd"))
    assert len(script.requests) == 2


def test_redirect_of_the_clients_own_httpx_client_is_not_followed() -> None:
    """The httpx client Dots builds does not follow redirects either."""
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
    assert dots._low.get_httpx_client().follow_redirects is False


# ---- errors and retries -------------------------------------------------------------------------------------------


HTTPX_FAILURES: list[tuple[Exception, type[APIConnectionError], bool]] = [
    (httpx.ConnectError("refused"), APIConnectionError, False),
    (httpx.ConnectTimeout("slow"), APITimeoutError, False),
    (httpx.ReadTimeout("slow"), APITimeoutError, True),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), APIConnectionError, True),
    (httpx.ReadError("reset"), APIConnectionError, True),
    (httpx.TooManyRedirects("loop"), APIConnectionError, True),
    (httpx.UnsupportedProtocol("gopher"), APIConnectionError, False),
    (httpx.DecodingError("bad gzip"), APIConnectionError, True),
]


@pytest.mark.parametrize(
    ("failure", "cls", "reached"), HTTPX_FAILURES, ids=[type(f[0]).__name__ for f in HTTPX_FAILURES]
)
def test_no_httpx_exception_escapes_create(failure: Exception, cls: type[APIConnectionError], reached: bool) -> None:
    """Every httpx failure of a create becomes an APIConnectionError saying whether it may have reached the server."""
    script = Script(failure)
    with pytest.raises(cls) as raised:
        _dots(script).payment_intents.create(amount=1000, currency="usd")
    assert raised.value.may_have_reached_server is reached
    assert raised.value.__cause__ is failure
    # A create is re-sent only when it cannot have reached the server (and the failure is transient).
    assert len(script.requests) == (4 if isinstance(failure, httpx.ConnectError | httpx.ConnectTimeout) else 1)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_503_with_retry_after_is_retried_after_waiting_it(mode: str) -> None:
    """A 503 with Retry-After (the server did not act) is retried, even for a create, after the wait it asks."""
    refused = httpx.Response(503, headers={"retry-after": "2"}, json={"error": "busy", "code": "service-unavailable"})
    script = Script(refused, httpx.Response(200, json=_intent()))
    if mode == "sync":
        raw = _dots(script).payment_intents.with_raw_response.create(amount=1000, currency="usd")
    else:
        raw = asyncio.run(_async_dots(script).payment_intents.with_raw_response.create(amount=1000, currency="usd"))
    assert (raw.status_code, raw.attempts, script.sleeps) == (200, 2, [2.0])


def test_503_without_retry_after_to_a_create_is_raised_after_one_request() -> None:
    """A create answered 503 without Retry-After may have acted: ServiceUnavailableError, never re-sent."""
    script = Script(httpx.Response(503, json={"error": "lost it", "code": "service-unavailable"}))
    with pytest.raises(ServiceUnavailableError) as raised:
        _dots(script).payment_intents.create(amount=1000, currency="usd")
    assert (raised.value.code, len(script.requests)) == ("service-unavailable", 1)


@pytest.mark.parametrize("operation", ["create", "retrieve", "confirm"])
def test_retry_after_date_out_of_range_is_read_safely(operation: str) -> None:
    """A 429 with a Retry-After date past year 9999 is retried with backoff, then RateLimitError: no OverflowError."""
    script = Script(httpx.Response(429, headers={"retry-after": "Fri, 01 Jan 99999999999 00:00:00 GMT"}))
    intents = _dots(script).payment_intents
    calls: dict[str, Callable[[], object]] = {
        "create": lambda: intents.create(amount=1000, currency="usd"),
        "retrieve": lambda: intents.retrieve(uuid.uuid4()),
        "confirm": lambda: intents.confirm(uuid.uuid4(), payment_method_id=METHOD),
    }
    with pytest.raises(RateLimitError):
        calls[operation]()
    assert len(script.requests) == 4
    assert all(0 <= wait <= 4.0 for wait in script.sleeps)


def test_unknown_intent_is_not_found_after_one_request() -> None:
    """A 404 is final: NotFoundError with its code, no retry, no reconciliation."""
    script = Script(httpx.Response(404, json={"error": "PaymentIntent not found", "code": "not-found"}))
    with pytest.raises(NotFoundError) as raised:
        _dots(script).payment_intents.confirm(uuid.uuid4(), payment_method_id=METHOD)
    assert (raised.value.status_code, raised.value.code, len(script.requests)) == (404, "not-found", 1)


def test_unreadable_success_is_unreadable_response() -> None:
    """A retrieve answered 200 with a body that is not a PaymentIntent raises UnreadableResponse carrying it."""
    script = Script(httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"}))
    with pytest.raises(UnreadableResponse) as raised:
        _dots(script).payment_intents.retrieve(uuid.uuid4())
    assert raised.value.response.headers["content-type"] == "text/html"


def test_unreadable_error_body_keeps_its_status_class() -> None:
    """A gateway's HTML 502 to a retrieve is retried, then InternalServerError with no code."""
    script = Script(httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(InternalServerError) as raised:
        _dots(script).payment_intents.retrieve(uuid.uuid4())
    assert (raised.value.status_code, raised.value.code, len(script.requests)) == (502, None, 4)


def _confirmed_intent(request: httpx.Request) -> httpx.Response:
    intent_id = request.url.path.rsplit("/", 1)[-1]
    return httpx.Response(200, json=_intent("succeeded", id=intent_id, payment_method_id=str(METHOD)))


def test_reconciling_retrieve_is_not_counted_as_a_retry() -> None:
    """max_retries=1: a lost answer, its retry's 409, then the reconciling retrieve; attempts is 2, not 3."""
    conflict = httpx.Response(409, json={"error": "already", "code": "payment-intent-already-confirmed"})
    script = Script(httpx.ReadError("reset after sending"), conflict, _confirmed_intent)
    intent_id = uuid.uuid4()
    raw = _dots(script, max_retries=1).payment_intents.with_raw_response.confirm(intent_id, payment_method_id=METHOD)
    assert (raw.status_code, raw.attempts, raw.reconciled) == (200, 2, True)
    assert str(raw.parse().status) == "succeeded"
    assert [line.split(" ")[0] for line in script.lines] == ["POST", "POST", "GET"]


def test_confirm_outcome_unknown_when_the_retrieve_fails_too() -> None:
    """A confirm whose answers are all lost and whose retrieve fails: ConfirmOutcomeUnknown naming the intent."""
    script = Script(httpx.ReadTimeout("slow"))
    intent_id = uuid.uuid4()
    with pytest.raises(ConfirmOutcomeUnknown) as raised:
        _dots(script).payment_intents.confirm(str(intent_id), payment_method_id=METHOD)
    assert raised.value.payment_intent_id == intent_id
    assert str(intent_id) in str(raised.value)
    assert raised.value.attempts == 4
    assert [line.split(" ")[0] for line in script.lines] == ["POST"] * 4 + ["GET"] * 4


def test_a_bad_id_is_a_value_error_and_nothing_is_sent() -> None:
    """An id that is not a UUID raises ValueError naming the argument before any request."""
    script = Script(httpx.Response(200, json=_intent()))
    with pytest.raises(ValueError, match="payment_method_id must be a UUID"):
        _dots(script).payment_intents.confirm(uuid.uuid4(), payment_method_id="pm_123")
    assert script.requests == []


def test_retries_are_logged_at_debug_without_credentials_or_urls(caplog: pytest.LogCaptureFixture) -> None:
    """Each retry is a DEBUG record on `dots_client` with the operation and status; no credential or URL."""
    script = Script(httpx.Response(500), httpx.Response(200, json=_intent()))
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        _dots(script).payment_intents.retrieve(uuid.uuid4())
    records = [record.getMessage() for record in caplog.records if record.name == "dots_client"]
    assert records
    assert records[0].startswith("retrieve: attempt 1 of 4 ended in HTTP 500; retrying in")
    assert all(API_KEY not in line and "https://" not in line for line in records)


def test_request_body_is_built_from_keyword_arguments() -> None:
    """Keyword arguments reach the wire as the schema's JSON: UUIDs and enum values as strings, metadata as given."""
    script = Script(httpx.Response(200, json=_intent()))
    user = uuid.uuid4()
    _dots(script).payment_intents.create(
        amount=1000,
        currency="usd",
        user_id=user,
        payment_method_id=str(METHOD),
        payment_method_types=["card"],
        metadata={"order_id": "1042"},
        transfer_data={"destination_user_id": str(user)},
    )
    assert json.loads(script.requests[0].content) == {
        "amount": 1000,
        "currency": "usd",
        "user_id": str(user),
        "payment_method_id": str(METHOD),
        "payment_method_types": ["card"],
        "metadata": {"order_id": "1042"},
        "transfer_data": {"destination_user_id": str(user)},
    }


@pytest.mark.parametrize(
    ("failure", "cls", "reached"), HTTPX_FAILURES[:4], ids=[type(f[0]).__name__ for f in HTTPX_FAILURES[:4]]
)
def test_no_httpx_exception_escapes_async_methods(
    failure: Exception, cls: type[APIConnectionError], reached: bool
) -> None:
    """AsyncDots maps httpx failures as Dots does; a retrieve is retried on every one of them."""
    script = Script(failure)
    with pytest.raises(cls) as raised:
        asyncio.run(_async_dots(script).payment_intents.retrieve(uuid.uuid4()))
    assert raised.value.may_have_reached_server is reached
    assert len(script.requests) == 4


def test_async_status_errors_and_reconciliation() -> None:
    """AsyncDots raises NotFoundError for a 404 and reconciles a confirm whose answer was lost."""
    missing = Script(httpx.Response(404, json={"error": "PaymentIntent not found", "code": "not-found"}))
    with pytest.raises(NotFoundError):
        asyncio.run(_async_dots(missing).payment_intents.retrieve(uuid.uuid4()))
    conflict = httpx.Response(409, json={"error": "already", "code": "payment-intent-already-confirmed"})
    lost = Script(httpx.RemoteProtocolError("closed"), conflict, _confirmed_intent)
    intents = _async_dots(lost).payment_intents
    raw = asyncio.run(intents.with_raw_response.confirm(uuid.uuid4(), payment_method_id=METHOD))
    assert (raw.reconciled, raw.attempts, str(raw.parse().status)) == (True, 2, "succeeded")
