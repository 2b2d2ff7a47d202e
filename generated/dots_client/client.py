import asyncio
import base64
import ssl
from collections.abc import AsyncGenerator
from typing import Any, Self

import httpx
from attrs import define, evolve, field

# dots: every request is bounded. Why these values: docs/client.md, "Timeouts".
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
"""The default `timeout` of `Client` and `AuthenticatedClient`, in seconds: connect 5, read 30, write 10, pool 5."""


def _url_repr(url: str) -> str:
    """dots: a base URL as the repr shows it: the password of its userinfo masked, as httpx.URL's repr does."""
    try:
        return repr(httpx.URL(url))
    except (httpx.InvalidURL, TypeError):
        return "<a base URL httpx cannot read>"


def _without_userinfo(base_url: str, httpx_args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """dots: the base URL without its userinfo, and httpx_args with the Basic auth httpx would have
    built from it (an `auth` of httpx_args wins, as it does in httpx). httpx logs each request's
    URL, so credentials left in it would be logged."""
    url = httpx.URL(base_url)
    if not url.userinfo:
        return base_url, httpx_args
    if "auth" in httpx_args:
        return str(url.copy_with(userinfo=b"")), httpx_args
    return str(url.copy_with(userinfo=b"")), {**httpx_args, "auth": httpx.BasicAuth(url.username, url.password)}


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no asyncio loop in this thread (sync code, or another async library)
        return None


async def _close_with_loop(
    clients: dict[asyncio.AbstractEventLoop | None, httpx.AsyncClient],
    closers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]],
    loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
) -> AsyncGenerator[None, None]:
    """Suspended for the life of `loop`: asyncio closes open async generators when a loop shuts down
    (`asyncio.run()`, `loop.shutdown_asyncgens()`), which closes `client` on its own loop."""
    try:
        yield
    finally:
        if clients.get(loop) is client:
            del clients[loop]
            closers.pop(loop, None)
        await client.aclose()


@define
class Client:
    """A class for keeping track of data related to the API

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: An ``httpx.Timeout`` (seconds) for every request of this client; by default
        ``DEFAULT_TIMEOUT``: connect 5, read 30, write 10, pool 5. API functions raise
        ``httpx.TimeoutException`` when one is exceeded; each also takes ``timeout=`` for one call.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    _base_url: str = field(alias="base_url", repr=_url_repr)  # dots: never a password in the repr
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies", repr=False)
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)
    # dots: finite by default (stock: None, no timeout at all)
    _timeout: httpx.Timeout | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args", repr=False)
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)
    # dots: the async clients this client built, one per event loop, with what closes each at its loop's end
    _async_clients: dict[asyncio.AbstractEventLoop | None, httpx.AsyncClient] = field(
        factory=dict, init=False, repr=False
    )
    _async_closers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = field(
        factory=dict, init=False, repr=False
    )
    _async_client_loop: asyncio.AbstractEventLoop | None = field(default=None, init=False, repr=False)

    def with_headers(self, headers: dict[str, str]) -> "Client":
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        for async_client in self._async_httpx_clients():  # dots: one per event loop
            async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "Client":
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        for async_client in self._async_httpx_clients():  # dots: one per event loop
            async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> "Client":
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        for async_client in self._async_httpx_clients():  # dots: one per event loop
            async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            base_url, httpx_args = _without_userinfo(self._base_url, self._httpx_args)  # dots: see there
            self._client = httpx.Client(
                base_url=base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        It is bound to the first event loop it is used on: using it from another raises RuntimeError
        before anything is sent (set one per loop, or let this client build its own).
        """
        self._async_client = async_client
        self._async_client_loop = None
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the httpx.AsyncClient for the running event loop, constructing one if not previously set

        dots: one per event loop, because an AsyncClient's connections belong to the loop that opened
        them; each is closed when its loop shuts down (``asyncio.run()`` does that). So one client
        may serve several ``asyncio.run()`` calls. A client set with ``set_async_httpx_client`` is
        used as is, on one loop only.

        Raises:
            RuntimeError: a client set with ``set_async_httpx_client`` is used from a second event loop.
        """
        loop = _running_loop()
        if self._async_client is not None:
            if self._async_client_loop is None:
                self._async_client_loop = loop
            elif loop is not None and loop is not self._async_client_loop:
                raise RuntimeError(
                    "the httpx.AsyncClient given to set_async_httpx_client() was first used on another event loop, "
                    "and its connections cannot be used from this one: nothing was sent. Give each event loop its "
                    "own (set_async_httpx_client again), or let the client build one per loop."
                )
            return self._async_client
        async_client = self._async_clients.get(loop)
        if async_client is None:
            base_url, httpx_args = _without_userinfo(self._base_url, self._httpx_args)  # dots: see there
            async_client = httpx.AsyncClient(
                base_url=base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **httpx_args,
            )
            self._async_clients[loop] = async_client
            if loop is not None:
                closer = _close_with_loop(self._async_clients, self._async_closers, loop, async_client)
                # Run to its `yield` here, on `loop`, so that asyncio registers it with this loop.
                try:
                    closer.asend(None).send(None)
                except StopIteration:
                    pass
                self._async_closers[loop] = closer  # a loop holds its async generators only weakly
        return async_client

    def _async_httpx_clients(self) -> list[httpx.AsyncClient]:
        found = list(self._async_clients.values())
        return found if self._async_client is None else [*found, self._async_client]

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)

        dots: a later request (on any loop) builds a fresh AsyncClient instead of failing on the closed one.
        """
        loop = _running_loop()
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)
        if self._async_client is None:
            self._async_clients.pop(loop, None)
            closer = self._async_closers.pop(loop, None) if loop is not None else None
            if closer is not None:
                await closer.aclose()


@define
class AuthenticatedClient:
    """A Client which has been authenticated for use on secured endpoints

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: An ``httpx.Timeout`` (seconds) for every request of this client; by default
        ``DEFAULT_TIMEOUT``: connect 5, read 30, write 10, pool 5. API functions raise
        ``httpx.TimeoutException`` when one is exceeded; each also takes ``timeout=`` for one call.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        token: The token to use for authentication (never shown by repr)
        prefix: The prefix to use for the Authorization header
        auth_header_name: The name of the Authorization header
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    _base_url: str = field(alias="base_url", repr=_url_repr)  # dots: never a password in the repr
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies", repr=False)
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)
    # dots: finite by default (stock: None, no timeout at all)
    _timeout: httpx.Timeout | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args", repr=False)
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)
    # dots: the async clients this client built, one per event loop, with what closes each at its loop's end
    _async_clients: dict[asyncio.AbstractEventLoop | None, httpx.AsyncClient] = field(
        factory=dict, init=False, repr=False
    )
    _async_closers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = field(
        factory=dict, init=False, repr=False
    )
    _async_client_loop: asyncio.AbstractEventLoop | None = field(default=None, init=False, repr=False)

    token: str = field(default="", repr=False)
    prefix: str = "Bearer"
    auth_header_name: str = "Authorization"

    # dots: HTTP Basic as a first-class constructor (the stock template assumes Bearer).
    @classmethod
    def basic_auth(cls, base_url: str, client_id: str, api_key: str, **kwargs: Any) -> Self:
        """Build a client that authenticates with HTTP Basic, as Dots requires.

        ``client_id`` is the user name and ``api_key`` the password; other keyword arguments are
        those of the constructor (``timeout``, ``raise_on_unexpected_status``, ``httpx_args``...).
        Neither credential appears in the client's repr.

        Example::

            client = AuthenticatedClient.basic_auth("https://api.dots.dev/api", client_id, api_key)
        """
        token = base64.b64encode(f"{client_id}:{api_key}".encode()).decode("ascii")
        return cls(base_url=base_url, token=token, prefix="Basic", **kwargs)

    def with_headers(self, headers: dict[str, str]) -> "AuthenticatedClient":
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        for async_client in self._async_httpx_clients():  # dots: one per event loop
            async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "AuthenticatedClient":
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        for async_client in self._async_httpx_clients():  # dots: one per event loop
            async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> "AuthenticatedClient":
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        for async_client in self._async_httpx_clients():  # dots: one per event loop
            async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._headers[self.auth_header_name] = f"{self.prefix} {self.token}" if self.prefix else self.token
            base_url, httpx_args = _without_userinfo(self._base_url, self._httpx_args)  # dots: see there
            self._client = httpx.Client(
                base_url=base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        It is bound to the first event loop it is used on: using it from another raises RuntimeError
        before anything is sent (set one per loop, or let this client build its own).
        """
        self._async_client = async_client
        self._async_client_loop = None
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the httpx.AsyncClient for the running event loop, constructing one if not previously set

        dots: one per event loop, because an AsyncClient's connections belong to the loop that opened
        them; each is closed when its loop shuts down (``asyncio.run()`` does that). So one client
        may serve several ``asyncio.run()`` calls. A client set with ``set_async_httpx_client`` is
        used as is, on one loop only.

        Raises:
            RuntimeError: a client set with ``set_async_httpx_client`` is used from a second event loop.
        """
        loop = _running_loop()
        if self._async_client is not None:
            if self._async_client_loop is None:
                self._async_client_loop = loop
            elif loop is not None and loop is not self._async_client_loop:
                raise RuntimeError(
                    "the httpx.AsyncClient given to set_async_httpx_client() was first used on another event loop, "
                    "and its connections cannot be used from this one: nothing was sent. Give each event loop its "
                    "own (set_async_httpx_client again), or let the client build one per loop."
                )
            return self._async_client
        async_client = self._async_clients.get(loop)
        if async_client is None:
            self._headers[self.auth_header_name] = f"{self.prefix} {self.token}" if self.prefix else self.token
            base_url, httpx_args = _without_userinfo(self._base_url, self._httpx_args)  # dots: see there
            async_client = httpx.AsyncClient(
                base_url=base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **httpx_args,
            )
            self._async_clients[loop] = async_client
            if loop is not None:
                closer = _close_with_loop(self._async_clients, self._async_closers, loop, async_client)
                # Run to its `yield` here, on `loop`, so that asyncio registers it with this loop.
                try:
                    closer.asend(None).send(None)
                except StopIteration:
                    pass
                self._async_closers[loop] = closer  # a loop holds its async generators only weakly
        return async_client

    def _async_httpx_clients(self) -> list[httpx.AsyncClient]:
        found = list(self._async_clients.values())
        return found if self._async_client is None else [*found, self._async_client]

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)

        dots: a later request (on any loop) builds a fresh AsyncClient instead of failing on the closed one.
        """
        loop = _running_loop()
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)
        if self._async_client is None:
            self._async_clients.pop(loop, None)
            closer = self._async_closers.pop(loop, None) if loop is not None else None
            if closer is not None:
                await closer.aclose()
