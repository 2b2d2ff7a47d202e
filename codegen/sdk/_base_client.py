"""What `Dots` and `AsyncDots` share: options, credentials, sending, retries and typed errors.

Hand-written (`codegen/sdk/`, copied into the package by `make generate`); the resource classes
and `Dots` / `AsyncDots` themselves are generated from the spec (`codegen/templates`). Shapes
after openai-python's `_base_client.py` (`max_retries` and `timeout` on the client and per call,
`with_options`, `with_raw_response`) and stripe-python's `StripeClient` (one object, resources as
attributes).

Every request is sent here, never through an httpx client's own redirect handling: a redirect
is answered as an `APIStatusError` and never followed, whatever `http_client` says (a gateway's
`302`/`303` to a confirm would become a `GET` whose `200` reads as success; a `307` would re-send
the payment elsewhere).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar
from uuid import UUID

import httpx
from dots_client import _logs, _retrying
from dots_client._policy import DEFAULT_POLICY, NEVER_SENT, Operation, RetryPolicy, operation_of
from dots_client._response import Call, RawResponse
from dots_client.api.payment_intents import retrieve_payment_intent
from dots_client.client import DEFAULT_TIMEOUT, AuthenticatedClient
from dots_client.errors import DotsError, UnreadableResponse, connection_error, status_error
from dots_client.types import Response

T = TypeVar("T")
_logs.configure_from_env()

DEFAULT_BASE_URL = "https://api.dots.dev/api"
"""Dots' production API (openapi.yaml's first server), used when neither `base_url` nor DOTS_BASE_URL is set."""
DEFAULT_MAX_RETRIES = DEFAULT_POLICY.max_retries
KEEPALIVE_EXPIRY_SECONDS = 2.0
"""How long a connection of a client `Dots` builds may stay idle before it is closed rather than
reused. Below the 5 s after which the sandbox, uvicorn and Node.js servers close idle connections,
so that a request is not sent on a connection the server is closing (encode/httpx#2983)."""

# httpx's own defaults (100 connections, 20 kept alive), with the idle expiry above.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS)

Timeout = httpx.Timeout | float | None
# Every exception httpx raises; a resource method turns each into an APIConnectionError.
_HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)


class _Options:
    """The options of a client and the parts of a call that do not send."""

    _COPIED = ("_base_url", "_authorization", "_timeout", "_policy", "_http_client", "_low", "_sleep")
    _HTTP_CLIENT: type[httpx.Client] | type[httpx.AsyncClient]

    def _check_http_client(self, http_client: object) -> None:
        """Refuse, when the client is made, an `http_client` of the other kind (else it would be used by no call)."""
        if http_client is not None and not isinstance(http_client, self._HTTP_CLIENT):
            raise DotsError(
                f"{type(self).__name__} sends with an httpx.{self._HTTP_CLIENT.__name__}, "
                f"not an {type(http_client).__module__}.{type(http_client).__name__}: pass one to http_client="
            )

    def _configure(
        self,
        *,
        client_id: str | None,
        api_key: str | None,
        base_url: str | None,
        timeout: Timeout,
        max_retries: int,
        http_client: httpx.Client | httpx.AsyncClient | None,
    ) -> None:
        self._check_http_client(http_client)
        client_id = client_id or os.environ.get("DOTS_CLIENT_ID")
        api_key = api_key or os.environ.get("DOTS_API_KEY")
        for value, name, variable in ((client_id, "client_id", "DOTS_CLIENT_ID"), (api_key, "api_key", "DOTS_API_KEY")):
            if not value:
                raise DotsError(f"no {name}: pass {name}= to {type(self).__name__}() or set {variable}")
        base_url = (base_url or os.environ.get("DOTS_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL:
            raise DotsError("base_url is not a URL") from None
        if url.userinfo or url.scheme not in {"http", "https"}:
            # Credentials in a URL end up in logs (httpx logs each request's URL): they go in client_id and api_key.
            raise DotsError("base_url must be an http(s) URL without credentials; pass client_id= and api_key=")
        self._base_url = base_url
        self._authorization = "Basic " + base64.b64encode(f"{client_id}:{api_key}".encode()).decode("ascii")
        _logs.REDACTING.remember(str(api_key), self._authorization.removeprefix("Basic "))
        self._timeout: httpx.Timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self._policy = RetryPolicy(max_retries=max_retries)
        self._http_client = http_client
        # Builds (and keeps, per event loop) the httpx clients when none is given, and is what the
        # low-level response builders read their settings from.
        self._low = AuthenticatedClient(
            base_url=base_url,
            token=self._authorization.removeprefix("Basic "),
            prefix="Basic",
            timeout=self._timeout,
            follow_redirects=False,
            httpx_args={"limits": LIMITS},
        )

    def _copy(self, timeout: Timeout, max_retries: int | None, http_client: Any) -> Self:
        self._check_http_client(http_client)
        new = object.__new__(type(self))
        for name in self._COPIED:
            setattr(new, name, getattr(self, name))
        if timeout is not None:
            new._timeout = httpx.Timeout(timeout)
        if max_retries is not None:
            new._policy = dataclasses.replace(self._policy, max_retries=max_retries)
        if http_client is not None:
            new._http_client = http_client
        return new

    @property
    def base_url(self) -> str:
        """The API's base URL requests go to (e.g. `https://api.dots.dev/api`)."""
        return self._base_url

    @property
    def max_retries(self) -> int:
        """Requests sent after the first for one call (a confirm's reconciling retrieve is not counted)."""
        return self._policy.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        """The bounds of every request, in seconds (connect, read, write, pool)."""
        return self._timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, max_retries={self.max_retries})"

    def _request_for(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any], timeout: Timeout) -> httpx.Request:
        # This client's timeout on every request: a copy made by with_options shares the httpx client.
        timeout = self._timeout if timeout is None else timeout
        if self._http_client is None:  # ours: its base URL and Authorization are already set
            return http.build_request(**call.kwargs, timeout=timeout)
        request = http.build_request(**{**call.kwargs, "url": self._base_url + call.kwargs["url"]}, timeout=timeout)
        request.headers["Authorization"] = self._authorization
        return request

    def _plan(self, call: Call[Any], max_retries: int | None) -> tuple[RetryPolicy, Operation, Call[Any] | None]:
        """This call's policy, how its operation is retried, and for a confirm the retrieve that reconciles it."""
        policy = self._policy if max_retries is None else dataclasses.replace(self._policy, max_retries=max_retries)
        operation = operation_of(call.operation_id, call.method)
        return policy, operation, self._retrieve_call(call.path[0]) if operation is Operation.CONFIRM else None

    def _retrieve_call(self, intent_id: UUID) -> Call[Any]:
        module = retrieve_payment_intent
        return Call(
            "retrieve_payment_intent", "get", module._get_kwargs(intent_id), module._build_response,
            module._undecodable, object, (intent_id,),
        )  # fmt: skip


def finish(result: _retrying.Result, model: type[T]) -> RawResponse[T]:
    """The `RawResponse` of a success answer; raises the `APIStatusError` of any other, or
    `UnreadableResponse` for a success whose body is not a `model`."""
    response = result.response
    status = int(response.status_code)
    if not 200 <= status < 300:
        raise status_error(response)
    parsed = response.parsed
    if not isinstance(parsed, model):
        raise UnreadableResponse(response) from response.parse_error
    return RawResponse(status, response.headers, response.content, result.attempts, result.reconciled, parsed)


class SyncAPIClient(_Options):
    """The base of `Dots`: sends with an `httpx.Client`."""

    _HTTP_CLIENT = httpx.Client

    def __init__(
        self,
        *,
        client_id: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._configure(
            client_id=client_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )
        self._sleep = sleep

    def with_options(
        self, *, timeout: Timeout = None, max_retries: int | None = None, http_client: httpx.Client | None = None
    ) -> Self:
        """A copy of this client with other options (None: this client's), sharing its connections
        unless `http_client` is given; its credentials and base URL are this client's."""
        return self._copy(timeout, max_retries, http_client)

    def close(self) -> None:
        """Close the connections of the client `Dots` built (an `http_client` you gave stays open)."""
        self._low.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def _send(self, call: Call[Any], timeout: Timeout) -> Response[Any]:
        http = self._http_client if isinstance(self._http_client, httpx.Client) else self._low.get_httpx_client()
        request = self._request_for(http, call, timeout)
        _logs.log_request(call.operation_id, request)
        response = http.send(request, stream=True, follow_redirects=False)
        try:
            response.read()
            _logs.log_response(call.operation_id, response)
        except httpx.DecodingError as error:
            return call.undecodable(client=self._low, response=response, error=error)
        finally:
            response.close()
        return call.build(client=self._low, response=response)

    def _request(self, call: Call[T], timeout: Timeout, max_retries: int | None) -> RawResponse[T]:
        policy, operation, retrieve = self._plan(call, max_retries)
        try:
            if retrieve is not None:
                result = _retrying.confirm(
                    policy,
                    intent_id=call.path[0],
                    payment_method_id=call.body.payment_method_id,
                    send=lambda: self._send(call, timeout),
                    retrieve=lambda: self._send(retrieve, timeout),
                    sleep=self._sleep,
                )
            else:
                tally = _retrying.Tally()
                send = _retrying.counted(lambda: self._send(call, timeout), tally)
                result = _retrying.Result(_retrying.call(policy, operation, send, self._sleep), tally.attempts)
        except _HTTPX_ERRORS as error:
            raise connection_error(error, not isinstance(error, NEVER_SENT)) from error
        return finish(result, call.model)


class AsyncAPIClient(_Options):
    """The base of `AsyncDots`: sends with an `httpx.AsyncClient`, one per event loop unless one is given."""

    _HTTP_CLIENT = httpx.AsyncClient

    def __init__(
        self,
        *,
        client_id: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._configure(
            client_id=client_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )
        self._sleep = sleep

    def with_options(
        self, *, timeout: Timeout = None, max_retries: int | None = None, http_client: httpx.AsyncClient | None = None
    ) -> Self:
        """A copy of this client with other options (None: this client's), sharing its connections
        unless `http_client` is given; its credentials and base URL are this client's."""
        return self._copy(timeout, max_retries, http_client)

    async def close(self) -> None:
        """Close the connections `AsyncDots` opened on the running event loop (an `http_client` you
        gave stays open; those of other loops close when their loop ends)."""
        await self._low.__aexit__(None, None, None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()

    async def _send(self, call: Call[Any], timeout: Timeout) -> Response[Any]:
        given = self._http_client
        http = given if isinstance(given, httpx.AsyncClient) else self._low.get_async_httpx_client()
        request = self._request_for(http, call, timeout)
        _logs.log_request(call.operation_id, request)
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            await response.aread()
            _logs.log_response(call.operation_id, response)
        except httpx.DecodingError as error:
            return call.undecodable(client=self._low, response=response, error=error)
        finally:
            await response.aclose()
        return call.build(client=self._low, response=response)

    async def _request(self, call: Call[T], timeout: Timeout, max_retries: int | None) -> RawResponse[T]:
        policy, operation, retrieve = self._plan(call, max_retries)
        try:
            if retrieve is not None:
                result = await _retrying.confirm_async(
                    policy,
                    intent_id=call.path[0],
                    payment_method_id=call.body.payment_method_id,
                    send=lambda: self._send(call, timeout),
                    retrieve=lambda: self._send(retrieve, timeout),
                    sleep=self._sleep,
                )
            else:
                tally = _retrying.Tally()
                send = _retrying.counted_async(lambda: self._send(call, timeout), tally)
                response = await _retrying.call_async(policy, operation, send, self._sleep)
                result = _retrying.Result(response, tally.attempts)
        except _HTTPX_ERRORS as error:
            raise connection_error(error, not isinstance(error, NEVER_SENT)) from error
        return finish(result, call.model)
