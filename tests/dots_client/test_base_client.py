"""Dots and AsyncDots without a server: construction, options, connections and redirects (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import base64
import uuid

import httpx
import pytest
from dots_client import DEFAULT_BASE_URL, AsyncDots, Dots, _base_client
from dots_client.errors import (
    APIStatusError,
    DotsError,
    InternalServerError,
)

from tests.dots_client.scripted import (
    API_KEY,
    BASE,
    CLIENT_ID,
    METHOD,
    Script,
    intent_json,
    scripted_async_dots,
    scripted_dots,
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
    script = Script(httpx.Response(200, json=intent_json()))
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
    dots = scripted_dots(script)
    token = base64.b64encode(f"{CLIENT_ID}:{API_KEY}".encode()).decode()
    with pytest.raises(APIStatusError) as raised:
        dots.payment_intents.retrieve(uuid.uuid4())
    shown = repr(dots) + str(dots) + repr(dots.payment_intents) + str(raised.value) + repr(raised.value)
    shown += repr(dots._low) + repr(vars(dots.payment_intents.with_raw_response))
    assert API_KEY not in shown
    assert token not in shown


def test_context_manager_closes_the_clients_own_connections() -> None:
    """`with Dots() as dots:` closes the httpx client Dots built; a given http_client stays open."""
    given = httpx.Client(transport=httpx.MockTransport(Script(httpx.Response(200, json=intent_json()))))
    with Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=given) as dots:
        dots.payment_intents.retrieve(uuid.uuid4())
    assert not given.is_closed
    with Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE) as own:
        built = own._pool.sync_client()
    assert built.is_closed


def test_clients_dots_builds_expire_idle_connections_before_servers_do() -> None:
    """The pool of a client Dots builds drops a connection idle longer than 2 s, below servers' 5 s (httpx#2983)."""
    assert _base_client.KEEPALIVE_EXPIRY_SECONDS < 5.0
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
    pool = dots._pool.sync_client()._transport._pool  # type: ignore[attr-defined]
    assert pool._keepalive_expiry == _base_client.KEEPALIVE_EXPIRY_SECONDS
    # httpx's other pool defaults are kept: a bounded pool, so the 5 s pool timeout means something.
    assert (pool._max_connections, pool._max_keepalive_connections) == (100, 20)

    async def async_pool_expiry() -> float:
        client = AsyncDots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
        expiry: float = client._pool.async_client()[0]._transport._pool._keepalive_expiry  # type: ignore[attr-defined]
        await client.close()
        return expiry

    assert asyncio.run(async_pool_expiry()) == _base_client.KEEPALIVE_EXPIRY_SECONDS


def test_with_options_copies_the_client_with_other_options() -> None:
    """with_options(max_retries=, timeout=) gives a copy with those options; the original keeps its own."""
    script = Script(httpx.Response(500))
    dots = scripted_dots(script)
    quiet = dots.with_options(max_retries=0, timeout=1.5)
    assert (quiet.max_retries, quiet.timeout.read, dots.max_retries) == (0, 1.5, 3)
    with pytest.raises(InternalServerError):
        quiet.payment_intents.retrieve(uuid.uuid4())
    assert len(script.requests) == 1
    assert script.requests[0].extensions["timeout"]["read"] == 1.5
    assert quiet.payment_intents is not dots.payment_intents


def test_with_options_timeout_applies_on_the_shared_own_client() -> None:
    """A copy's timeout reaches its requests though it shares the httpx client Dots built (and its base URL)."""
    script = Script(httpx.Response(200, json=intent_json()))
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, timeout=7.0)
    dots._pool._sync = httpx.Client(transport=httpx.MockTransport(script))
    dots.with_options(timeout=1.5).payment_intents.retrieve(uuid.uuid4())
    dots.payment_intents.retrieve(uuid.uuid4())
    assert [request.extensions["timeout"]["read"] for request in script.requests] == [1.5, 7.0]


def test_per_call_timeout_and_max_retries() -> None:
    """timeout= and max_retries= on a method apply to that call only."""
    script = Script(httpx.Response(500))
    dots = scripted_dots(script)
    with pytest.raises(InternalServerError):
        dots.payment_intents.retrieve(uuid.uuid4(), timeout=2.5, max_retries=1)
    assert len(script.requests) == 2
    assert {request.extensions["timeout"]["read"] for request in script.requests} == {2.5}
    with pytest.raises(InternalServerError):
        dots.payment_intents.retrieve(uuid.uuid4())
    assert len(script.requests) == 2 + 4
    assert script.requests[-1].extensions["timeout"]["read"] == 30.0


@pytest.mark.parametrize(
    "timeout",
    [-1, float("nan"), float("inf"), 1e12, httpx.Timeout(5.0, read=-1), httpx.Timeout("30"), True],  # type: ignore[arg-type]
    ids=["negative", "nan", "infinite", "past the socket's range", "negative read", "a string", "a bool"],
)
def test_a_timeout_that_is_not_seconds_is_a_dots_error_and_nothing_is_sent(timeout: object) -> None:
    """A timeout whose phases are not seconds > 0 is refused on the client, a copy and a call, before sending:
    a sync read timeout of -1 raised ValueError from the socket after a confirm was sent (and charged)."""
    script = Script(httpx.Response(200, json=intent_json()))
    with pytest.raises(DotsError, match="timeout"):
        Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, timeout=timeout)  # type: ignore[arg-type]
    dots = scripted_dots(script)
    with pytest.raises(DotsError, match="timeout"):
        dots.with_options(timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(DotsError, match="timeout"):
        dots.payment_intents.confirm(uuid.uuid4(), payment_method_id=METHOD, timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(DotsError, match="timeout"):
        asyncio.run(scripted_async_dots(script).payment_intents.retrieve(uuid.uuid4(), timeout=timeout))  # type: ignore[arg-type]
    assert script.requests == []


# ---- redirects ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirected_confirm_is_an_error_never_followed(status: int) -> None:
    """With an http_client that follows redirects, a 3xx to a confirm is raised as such; nothing else is sent."""
    moved = httpx.Response(status, headers={"location": f"{BASE}/v2/payment-intents/{uuid.uuid4()}"})
    script = Script(moved, httpx.Response(200, json=intent_json()))
    with pytest.raises(APIStatusError, match="redirect, not followed") as raised:
        scripted_dots(script).payment_intents.confirm(uuid.uuid4(), payment_method_id=METHOD)
    assert raised.value.status_code == status
    assert script.lines == [f"POST {script.requests[0].url.path}"]


def test_redirect_loop_surfaces_as_a_dots_error() -> None:
    """A 307 to itself (a loop httpx would follow 20 times) ends the call after one request, sync and async."""
    script = Script(lambda request: httpx.Response(307, headers={"location": str(request.url)}))
    with pytest.raises(APIStatusError):
        scripted_dots(script).payment_intents.retrieve(uuid.uuid4())
    with pytest.raises(APIStatusError):
        asyncio.run(scripted_async_dots(script).payment_intents.create(amount=1000, currency="usd"))
    assert len(script.requests) == 2


def test_redirect_of_the_clients_own_httpx_client_is_not_followed() -> None:
    """The httpx client Dots builds does not follow redirects either."""
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
    assert dots._pool.sync_client().follow_redirects is False


def test_an_http_client_of_the_other_kind_is_refused_when_the_client_is_made() -> None:
    """Dots refuses an httpx.AsyncClient and AsyncDots an httpx.Client, at construction and in with_options."""
    sync_http, async_http = httpx.Client(), httpx.AsyncClient()
    with pytest.raises(DotsError, match=r"Dots sends with an httpx\.Client, not an httpx\.AsyncClient"):
        Dots(client_id="id", api_key="key", http_client=async_http)  # type: ignore[arg-type]
    with pytest.raises(DotsError, match=r"AsyncDots sends with an httpx\.AsyncClient, not an httpx\.Client"):
        AsyncDots(client_id="id", api_key="key", http_client=sync_http)  # type: ignore[arg-type]
    with pytest.raises(DotsError, match="pass one to http_client="):
        Dots(client_id="id", api_key="key").with_options(http_client=async_http)  # type: ignore[arg-type]
    sync_http.close()
