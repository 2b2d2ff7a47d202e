# A copy of codegen/sdk/_base_client.py, written by `make generate`: edit that file, never this copy.
"""What `Dots` and `AsyncDots` share: options, credentials, sending, retries and typed errors.

Hand-written (`codegen/sdk/`, copied into the package by `make generate`); the resource classes
and `Dots` / `AsyncDots` themselves are generated from the spec (`codegen/templates`). Shapes
after openai-python's `_base_client.py` (`max_retries` and `timeout` on the client and per call,
`with_options`, `with_raw_response`; an `http_client` passed in is never closed) and
stripe-python's `StripeClient` (one object, resources as attributes). The connections are
`dots_client._pool`'s: one pool per process and event loop, fork-safe, bounded by `deadline`.

Every request is sent here, never through an httpx client's own redirect handling: a redirect
is answered as an `APIStatusError` and never followed, whatever `http_client` says (a gateway's
`302`/`303` to a confirm would become a `GET` whose `200` reads as success; a `307` would re-send
the payment elsewhere). Nor through its `auth`: the `Authorization` header is always Dots' own.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import math
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Self, TypeVar

import httpx
from dots_client import _logs, _pool, _retrying
from dots_client._policy import DEFAULT_POLICY, NEVER_SENT, RetryPolicy, operation_of, reconciler_of
from dots_client._pool import KEEPALIVE_EXPIRY_SECONDS, LIMITS, Pool
from dots_client._response import Call, RawResponse
from dots_client.client import DEFAULT_TIMEOUT, AuthenticatedClient
from dots_client.errors import ClientClosedError, DotsError, UnreadableResponse, connection_error, status_error
from dots_client.types import Response

T = TypeVar("T")
_logs.configure_from_env()

DEFAULT_BASE_URL = "https://api.dots.dev/api"
"""Dots' production API (openapi.yaml's first server), used when neither `base_url` nor DOTS_BASE_URL is set."""
DEFAULT_MAX_RETRIES = DEFAULT_POLICY.max_retries

__all__ = ["DEFAULT_BASE_URL", "KEEPALIVE_EXPIRY_SECONDS", "LIMITS", "ClientOptions", "finish"]

Timeout = httpx.Timeout | float | None
# Every exception httpx raises; a resource method turns each into an APIConnectionError.
_HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)
# The in-flight attempts of AsyncDots calls whose caller was released (cancelled, or its deadline
# passed): held until they end, so that they are not garbage-collected mid-request.
_IN_FLIGHT: set[asyncio.Task[Any]] = set()


@dataclasses.dataclass(frozen=True, slots=True)
class ClientOptions:
    """The options of one client, replaced as a whole by `with_options` (its copies share the connections).

    - `base_url`: where requests go (no trailing `/`); `authorization`: the `Basic` header value;
    - `timeout`: each request's bounds in seconds (connect, read, write, pool);
    - `policy`: the retries (`max_retries` and the waits; `dots_client._policy.RetryPolicy`);
    - `deadline`: seconds one whole call may take (attempts, waits, a confirm's reconciling
      retrieve, a dripped answer), None for no bound beyond `timeout` and `policy`;
    - `http_client`: the httpx client you gave (never closed here), or None for the pool's;
    - `sleep`: what waits between attempts.
    """

    base_url: str
    authorization: str = dataclasses.field(repr=False)
    timeout: httpx.Timeout
    policy: RetryPolicy
    deadline: float | None
    http_client: httpx.Client | httpx.AsyncClient | None
    sleep: Callable[[float], Any] = dataclasses.field(repr=False)


def _check_deadline(deadline: float | None) -> float | None:
    if deadline is not None and not (isinstance(deadline, int | float) and deadline > 0 and math.isfinite(deadline)):
        raise DotsError(f"deadline must be a number of seconds > 0, or None, not {deadline!r}")
    return deadline


# The longest bound a socket takes (socket.settimeout overflows near 9.2e9 s): longer is None, no bound.
_LONGEST_TIMEOUT = 1e9


def _check_timeout(timeout: Timeout) -> httpx.Timeout:
    """`timeout` as an `httpx.Timeout`, or `DotsError` unless each phase is None or seconds in (0, 1e9].

    Checked before anything is sent: httpx takes any value, and a sync read timeout of -1 (or NaN, or
    infinity) raised `ValueError`/`OverflowError` from the socket after a confirm had been sent.
    """
    try:
        bounds = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    except (TypeError, ValueError):
        raise DotsError(f"timeout must be seconds or an httpx.Timeout, not {timeout!r}") from None
    for phase, value in bounds.as_dict().items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= _LONGEST_TIMEOUT:
            raise DotsError(f"timeout's {phase} must be seconds > 0 (at most 1e9), or None, not {value!r}")
    return bounds


class _Options:
    """The options of a client and the parts of a call that do not send."""

    _HTTP_CLIENT: type[httpx.Client] | type[httpx.AsyncClient]
    _options: ClientOptions
    _pool: Pool
    _low: AuthenticatedClient
    _owner: bool
    _closed: bool

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
        deadline: float | None,
        sleep: Callable[[float], Any],
    ) -> None:
        self._check_http_client(http_client)
        if http_client is not None:
            _pool.watch_given(http_client)
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
        loopback = _pool.is_loopback(url.host)
        if http_client is None and not loopback:
            _pool.check_proxy_environment()
        token = base64.b64encode(f"{client_id}:{api_key}".encode()).decode("ascii")
        self._options = ClientOptions(
            base_url=base_url,
            authorization="Basic " + token,
            timeout=DEFAULT_TIMEOUT if timeout is None else _check_timeout(timeout),
            policy=RetryPolicy(max_retries=max_retries),
            deadline=_check_deadline(deadline),
            http_client=http_client,
            sleep=sleep,
        )
        self._pool = Pool(not loopback, self._options.timeout)
        _logs.SECRETS.hold(self._pool, str(api_key), token)
        # What the low-level response builders read their settings from; it never builds an httpx client.
        self._low = AuthenticatedClient(base_url=base_url, token=token, prefix="Basic")
        self._owner = True
        self._closed = False

    def _copy(self, **changes: Any) -> Self:
        self._check_http_client(changes.get("http_client"))
        if changes.get("http_client") is not None:
            _pool.watch_given(changes["http_client"])
        if "deadline" in changes:
            _check_deadline(changes["deadline"])
        if changes.get("timeout") is not None:
            changes["timeout"] = _check_timeout(changes["timeout"])
        if changes.get("max_retries") is not None:
            changes["policy"] = dataclasses.replace(self._options.policy, max_retries=changes["max_retries"])
        changes.pop("max_retries", None)
        new = object.__new__(type(self))
        new._options = dataclasses.replace(self._options, **{k: v for k, v in changes.items() if v is not None})
        new._pool, new._low = self._pool, self._low
        new._owner, new._closed = False, False
        return new

    @property
    def options(self) -> ClientOptions:
        """This client's options (a frozen value; `with_options` makes a copy with others)."""
        return self._options

    @property
    def base_url(self) -> str:
        """The API's base URL requests go to (e.g. `https://api.dots.dev/api`)."""
        return self._options.base_url

    @property
    def max_retries(self) -> int:
        """Requests sent after the first for one call (a confirm's reconciling retrieve is not counted)."""
        return self._options.policy.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        """The bounds of every request, in seconds (connect, read, write, pool)."""
        return self._options.timeout

    @property
    def deadline(self) -> float | None:
        """Seconds a whole call may take (None: bounded by `timeout` and the retry policy only)."""
        return self._options.deadline

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def _check_open(self) -> None:
        if self._closed or self._pool.closed:
            raise ClientClosedError(f"this {type(self).__name__} was closed: make a new one")

    def _given(self) -> httpx.Client | httpx.AsyncClient | None:
        """The `http_client` you gave, or None; `ClientClosedError` once you closed it (httpx would
        raise `RuntimeError`), checked before each attempt: nothing is sent through it."""
        given = self._options.http_client
        if given is not None and given.is_closed:
            raise ClientClosedError(f"the http_client given to this {type(self).__name__} was closed")
        if given is not None and _pool.crossed_fork(given):
            raise DotsError(
                f"the http_client given to this {type(self).__name__} had connections open when this process was "
                "forked: they are the parent's. Make the httpx client in the child (gunicorn post_fork, Celery "
                "worker_process_init), or let it build its own pool (no http_client), which is fork-safe"
            )
        return given

    def _forget_secrets(self) -> None:
        self._closed = True
        if self._owner:
            _logs.SECRETS.release(self._pool)

    def _request_for(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any], timeout: Timeout) -> httpx.Request:
        options = self._options
        bounds = options.timeout if timeout is None else httpx.Timeout(timeout)
        left = _pool.remaining()
        if left is not None:
            if left <= 0:
                raise httpx.PoolTimeout("the call's deadline passed before this request was sent")
            bounds = httpx.Timeout(
                connect=_shrunk(bounds.connect, left),
                read=_shrunk(bounds.read, left),
                write=_shrunk(bounds.write, left),
                pool=_shrunk(bounds.pool, left),
            )
        request = http.build_request(**{**call.kwargs, "url": options.base_url + call.kwargs["url"]}, timeout=bounds)
        request.headers["Authorization"] = options.authorization
        return request

    def _plan(
        self, call: Call[Any], max_retries: int | None, deadline: float | None
    ) -> tuple[RetryPolicy, float | None]:
        """This call's retry policy, and the `time.monotonic()` it must end by (None: no deadline)."""
        policy = self._options.policy
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        seconds = self._options.deadline if deadline is None else _check_deadline(deadline)
        return policy, None if seconds is None else time.monotonic() + seconds


def _shrunk(bound: float | None, left: float) -> float:
    return left if bound is None else min(bound, left)


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
    """The base of `Dots`: sends with an `httpx.Client`, one per process."""

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
        deadline: float | None = None,
    ) -> None:
        self._configure(
            client_id=client_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            deadline=deadline,
            sleep=sleep,
        )

    def with_options(
        self,
        *,
        timeout: Timeout = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
        deadline: float | None = None,
    ) -> Self:
        """A copy of this client with other options (None: this client's), sharing its connections
        unless `http_client` is given; its credentials and base URL are this client's. Closing the
        copy (`with dots.with_options(...) as d:`) never closes the connections it shares."""
        return self._copy(timeout=timeout, max_retries=max_retries, http_client=http_client, deadline=deadline)

    def close(self) -> None:
        """Close the connections `Dots` built (an `http_client` you gave stays open); idempotent.

        Later calls raise `ClientClosedError`. On a `with_options` copy it closes nothing shared.
        """
        self._forget_secrets()
        if self._owner:
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def _send(self, call: Call[Any], timeout: Timeout) -> Response[Any]:
        given = self._given()
        http = given if isinstance(given, httpx.Client) else self._pool.sync_client()
        request = self._request_for(http, call, timeout)
        _logs.log_request(call.operation_id, request)
        response = http.send(request, stream=True, follow_redirects=False, auth=None)
        try:
            response.read()
            _logs.log_response(call.operation_id, response)
        except httpx.DecodingError as error:
            return call.undecodable(client=self._low, response=response, error=error)
        finally:
            response.close()
        return call.build(client=self._low, response=response)

    def _request(
        self, call: Call[T], timeout: Timeout, max_retries: int | None, deadline: float | None = None
    ) -> RawResponse[T]:
        self._check_open()
        if timeout is not None:
            timeout = _check_timeout(timeout)
        policy, until = self._plan(call, max_retries, deadline)
        token = _pool.set_deadline(until)
        try:
            plan = _retrying.Plan(policy, operation_of(call.operation_id, call.method), reconciler_of(call), until)
            result = _retrying.run(plan, lambda c: self._send(c, timeout), call, self._options.sleep)
        except _HTTPX_ERRORS as error:
            raise connection_error(error, not isinstance(error, NEVER_SENT), self.base_url) from error
        finally:
            _pool.reset_deadline(token)
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
        deadline: float | None = None,
    ) -> None:
        self._configure(
            client_id=client_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            deadline=deadline,
            sleep=sleep,
        )

    def with_options(
        self,
        *,
        timeout: Timeout = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        deadline: float | None = None,
    ) -> Self:
        """A copy of this client with other options (None: this client's), sharing its connections
        unless `http_client` is given; its credentials and base URL are this client's. Closing the
        copy never closes the connections it shares."""
        return self._copy(timeout=timeout, max_retries=max_retries, http_client=http_client, deadline=deadline)

    async def close(self) -> None:
        """Close the connections `AsyncDots` opened on the running event loop, and release those of
        closed loops (an `http_client` you gave stays open; those of other running loops close when
        their loop ends); idempotent. Later calls raise `ClientClosedError`."""
        self._forget_secrets()
        if self._owner:
            await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()

    async def _attempt(self, http: httpx.AsyncClient, request: httpx.Request, call: Call[Any]) -> Response[Any]:
        _logs.log_request(call.operation_id, request)
        response = await http.send(request, stream=True, follow_redirects=False, auth=None)
        try:
            await response.aread()
            _logs.log_response(call.operation_id, response)
        except httpx.DecodingError as error:
            return call.undecodable(client=self._low, response=response, error=error)
        finally:
            await response.aclose()
        return call.build(client=self._low, response=response)

    async def _send(self, call: Call[Any], timeout: Timeout) -> Response[Any]:
        """One attempt, in a task of its own that no cancellation reaches (encode/httpcore#1093: a
        cancellation inside httpcore keeps a pool slot for ever). A cancelled caller is released at
        once; the attempt ends by its timeouts and the call's deadline, and gives its connection back.
        With the pool's own client, the attempt first takes one of its slots (`Pool.async_client`),
        waiting at most the pool timeout: so no more attempts are in flight than connections."""
        given = self._given()
        slots: asyncio.Semaphore | None = None
        if isinstance(given, httpx.AsyncClient):
            http = given
        else:
            http, slots = self._pool.async_client()
        request = self._request_for(http, call, timeout)
        if slots is not None:
            if slots.locked():  # else acquire() returns at once, and no timer is needed
                wait = request.extensions.get("timeout", {}).get("pool")
                try:
                    # asyncio.timeout, not wait_for: nothing is awaited after a cancellation, and no task is made.
                    async with asyncio.timeout(wait):
                        await slots.acquire()
                except TimeoutError:
                    raise httpx.PoolTimeout("no connection of the pool came free within the pool timeout") from None
            else:
                await slots.acquire()
        try:
            task = _start(self._attempt(http, request, call))
        except BaseException:
            if slots is not None:
                slots.release()
            raise
        _IN_FLIGHT.add(task)
        task.add_done_callback(_ended if slots is None else functools.partial(_ended, slots=slots))
        left = _pool.remaining()
        if left is None:
            return await asyncio.shield(task)
        try:
            async with asyncio.timeout(max(left, 0.0)):
                return await asyncio.shield(task)
        except TimeoutError:
            raise httpx.ReadTimeout("the call's deadline passed while waiting for an answer") from None

    async def _request(
        self, call: Call[T], timeout: Timeout, max_retries: int | None, deadline: float | None = None
    ) -> RawResponse[T]:
        self._check_open()
        if timeout is not None:
            timeout = _check_timeout(timeout)
        policy, until = self._plan(call, max_retries, deadline)
        token = _pool.set_deadline(until)
        try:
            plan = _retrying.Plan(policy, operation_of(call.operation_id, call.method), reconciler_of(call), until)
            result = await _retrying.run_async(plan, lambda c: self._send(c, timeout), call, self._options.sleep)
        except _HTTPX_ERRORS as error:
            raise connection_error(error, not isinstance(error, NEVER_SENT), self.base_url) from error
        finally:
            _pool.reset_deadline(token)
        return finish(result, call.model)


def _start(attempt: Coroutine[Any, Any, Response[Any]]) -> asyncio.Task[Response[Any]]:
    """`attempt` as a task, started at once where asyncio can (3.12+: one loop turn less per attempt)."""
    eager = getattr(asyncio, "eager_task_factory", None)
    if eager is None:
        return asyncio.ensure_future(attempt)
    task: asyncio.Task[Response[Any]] = eager(asyncio.get_running_loop(), attempt)
    return task


def _ended(task: asyncio.Task[Any], slots: asyncio.Semaphore | None = None) -> None:
    if slots is not None:
        slots.release()
    _IN_FLIGHT.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a released caller's attempt that failed is not "never retrieved"
