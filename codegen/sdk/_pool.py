"""The connections of `Dots` and `AsyncDots`: one pool per process (and per event loop), built once.

Hand-written (`codegen/sdk/_pool.py`, copied into the package by `make generate`). What it keeps
true, whatever the process model (docs/client.md, "Processes, threads and event loops"):

- **fork**: a pool never crosses `os.fork()`. In the child (`os.register_at_fork`) every pool's
  lock is made anew and its httpx clients are abandoned, never closed: closing could wait on a lock
  a parent thread held at the fork, and closing a TLS connection writes to the socket the parent
  still reads (psf/requests#4323, urllib3#850). The child builds a pool of its own on its first call.
- **threads**: a pool is built at most once, under a lock (8 threads' first calls build one client).
- **event loops**: an `httpx.AsyncClient` per event loop, closed when the loop shuts down
  (`asyncio.run`); the client of a loop closed *without* shutdown (`new_event_loop`,
  `run_until_complete`, `close`) has its sockets released on the next call from another loop.
- **deadline**: every read, write and connect of a pool this module builds is bounded by the
  call's deadline (`deadline_until`), so an answer dripped a byte at a time ends with it
  (httpx has no whole-request timeout, and each read of a drip arrives within the read timeout).
- **cheap**: building a pool object builds nothing; `close()` closes only what was built; the SSL
  context (about 30 ms) is made once per process, not per client.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import os
import ssl
import sys
import threading
import time
import urllib.request
import weakref
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import httpcore
import httpx
from dots_client.errors import ClientClosedError, DotsError

KEEPALIVE_EXPIRY_SECONDS = 2.0
"""How long a connection of a client `Dots` builds may stay idle before it is closed rather than
reused. Below the 5 s after which the sandbox, uvicorn and Node.js servers close idle connections,
so that a request is not sent on a connection the server is closing (encode/httpx#2983)."""

# httpx's own defaults (100 connections, 20 kept alive), with the idle expiry above.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS)

# The proxy schemes httpx can use (httpx.Proxy; socks5 and socks5h need `socksio`: httpx[socks]).
_PROXY_SCHEMES = frozenset({"http", "https"})
_SOCKS_SCHEMES = frozenset({"socks5", "socks5h"})

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("dots_client_deadline", default=None)


def deadline_until() -> float | None:
    """The `time.monotonic()` the running call must end by, or None (no deadline)."""
    return _DEADLINE.get()


def set_deadline(until: float | None) -> contextvars.Token[float | None]:
    """Bound the reads, writes and connects of this context (and of tasks it starts) by `until`."""
    return _DEADLINE.set(until)


def reset_deadline(token: contextvars.Token[float | None]) -> None:
    """Undo `set_deadline`."""
    _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the running call's deadline (may be <= 0), or None without one."""
    until = _DEADLINE.get()
    return None if until is None else until - time.monotonic()


def _bounded(timeout: float | None, exceeded: type[Exception]) -> float | None:
    """`timeout` shrunk to what remains of the deadline; `exceeded` raised once nothing remains."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise exceeded("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return _Stream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's sync backend, its streams bounded by the call's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    """`_Stream` for asyncio."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)

    def release_on_closed_loop(self) -> None:
        """Close the socket of a connection whose event loop was closed without shutdown.

        Nothing can run on a closed loop, so the asyncio transport's own close (which schedules
        its `connection_lost` on the loop) fails there: what it would have scheduled is run here.
        """
        inner: Any = getattr(self._stream, "_stream", None)  # httpcore's AnyIOStream -> an anyio stream
        inner = getattr(inner, "transport_stream", inner)  # a TLS stream wraps the socket stream
        transport: Any = getattr(inner, "_transport", None)  # anyio's asyncio SocketStream
        if not isinstance(transport, asyncio.Transport):
            return
        try:
            transport.close()
        except RuntimeError:  # "Event loop is closed": run what close() could not schedule
            # Its `finally` closes the socket. Before that, the protocol wakes the waiters of an
            # attempt still in flight when the loop closed (a cancelled caller's), which schedules
            # on the closed loop and raises "Event loop is closed" again: nothing is left to wake.
            with contextlib.suppress(RuntimeError):
                transport._call_connection_lost(None)  # type: ignore[attr-defined]


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    """httpcore's async backend, its streams bounded by the call's deadline."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._backend.connect_unix_socket(path, bounded, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _transports(client: httpx.Client | httpx.AsyncClient) -> list[Any]:
    # httpx keeps the direct transport and one per environment proxy; each wraps an httpcore pool.
    found: list[Any] = [client._transport, *client._mounts.values()]
    return [transport for transport in found if transport is not None]


def _bound_by_deadline(client: httpx.Client | httpx.AsyncClient) -> None:
    """Wrap the network backend of each httpcore pool of `client` (none has a connection yet).

    httpx does not take a network backend: its transports' `_pool` is the one place to give it.
    tests/dots_client/test_deadline.py fails if a new httpx moves it.
    """
    for transport in _transports(client):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
        elif isinstance(backend, httpcore.AsyncNetworkBackend):
            pool._network_backend = _AsyncBackend(backend)  # type: ignore[union-attr]


def _release_closed_loop_client(client: httpx.AsyncClient) -> None:
    """Close the sockets of `client`, whose event loop is closed (see `_AsyncStream.release_on_closed_loop`)."""
    for transport in _transports(client):
        for connection in getattr(getattr(transport, "_pool", None), "connections", ()):
            stream = getattr(getattr(connection, "_connection", None), "_network_stream", None)
            if isinstance(stream, _AsyncStream):
                stream.release_on_closed_loop()


def is_loopback(host: str) -> bool:
    """Whether `host` (a URL's host) is this machine: `localhost`, 127.0.0.0/8 or `::1`."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _proxies_httpx_uses() -> list[tuple[str, str]]:
    """(where it is set, the proxy) of each proxy httpx's clients will use: httpx reads
    `urllib.request.getproxies()` (`<scheme>_proxy` in any case, an all-lowercase name winning, and
    on macOS and Windows the system's settings) for http, https and all, and none under NO_PROXY=*."""
    proxies = urllib.request.getproxies()
    if "*" in (host.strip() for host in proxies.get("no", "").split(",")):
        return []
    found = []
    for scheme in ("all", "https", "http"):
        value = proxies.get(scheme)
        if value:
            variable = f"{scheme}_proxy"
            names = [name for name, set_to in os.environ.items() if name.lower() == variable and set_to == value]
            found.append((names[0] if names else "the system's proxy settings", value))
    return found


def check_proxy_environment() -> None:
    """Raise `DotsError` naming the first proxy variable httpx would use and could not (never its value).

    httpx raises `ValueError` for a scheme it does not know and `ImportError` for SOCKS without
    `socksio`, when the client is built: this says which variable, before anything is sent.
    """
    for name, value in _proxies_httpx_uses():
        url = value if "://" in value else f"http://{value}"  # as httpx reads a scheme-less value
        scheme = url.split("://", 1)[0].lower()
        if scheme in _SOCKS_SCHEMES:
            try:
                import socksio  # type: ignore[import-not-found, unused-ignore]  # noqa: F401, PLC0415
            except ImportError:
                raise DotsError(
                    f"the proxy in {name} is a SOCKS proxy, which needs httpx[socks] (the socksio package): "
                    "install it, or unset the variable"
                ) from None
            continue
        if scheme not in _PROXY_SCHEMES:
            raise DotsError(
                f"the proxy in {name} has a scheme httpx cannot use (http, https, socks5, socks5h): fix or unset it"
            )
        try:
            httpx.URL(url)
        except httpx.InvalidURL:
            raise DotsError(f"the proxy in {name} is not a URL: fix or unset it") from None


_SSL_LOCK = threading.Lock()
_SSL_CONTEXT: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """The SSL context of every client this module builds, made once per process (about 30 ms)."""
    global _SSL_CONTEXT  # noqa: PLW0603 (one per process, on purpose)
    with _SSL_LOCK:
        if _SSL_CONTEXT is None:
            _SSL_CONTEXT = httpx.create_ssl_context()
        return _SSL_CONTEXT


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (or no loop): one client for that case
        return None


async def _close_with_loop(
    pool: Pool, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient
) -> AsyncGenerator[None, None]:
    """Suspended for the life of `loop`: asyncio closes open async generators when a loop shuts down
    (`asyncio.run()`, `loop.shutdown_asyncgens()`), which closes `client` on its own loop."""
    try:
        yield
    finally:
        pool._forget(loop, client)
        await client.aclose()


def _start_closer(closer: AsyncGenerator[None, None], loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
    """Run `closer` to its `yield` here, on `loop`, so that asyncio registers it with this loop.

    Its finalizer is the loop's, except once the loop is closed: a loop closed without shutdown
    cannot run it (asyncio's hook would raise "Event loop is closed" from the garbage collector),
    and its sockets were released already (`_release_closed_loop_client`).
    """
    firstiter, finalizer = sys.get_asyncgen_hooks()

    def finalize(generator: AsyncGenerator[Any, Any]) -> None:
        if finalizer is not None and not loop.is_closed():
            finalizer(generator)

    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalize)
    try:
        with contextlib.suppress(StopIteration):
            closer.asend(None).send(None)
    finally:
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    return closer  # held by its pool: a loop holds its async generators only weakly


# The http_clients given to Dots and AsyncDots, and those a fork's child must not use: they had
# connections open at the fork, which are the parent's (answers would cross, as in the pool's case).
_GIVEN: weakref.WeakSet[httpx.Client | httpx.AsyncClient] = weakref.WeakSet()
_CROSSED: weakref.WeakSet[httpx.Client | httpx.AsyncClient] = weakref.WeakSet()


def watch_given(client: httpx.Client | httpx.AsyncClient) -> None:
    """Remember an `http_client` given to a client, for `crossed_fork`."""
    _GIVEN.add(client)


def crossed_fork(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Whether `client` had connections open when this process was forked from its parent: it must
    not send here. The SDK cannot abandon a client it does not own, as it does its own pools."""
    return client in _CROSSED


def _has_connections(client: httpx.Client | httpx.AsyncClient) -> bool:
    return any(getattr(getattr(transport, "_pool", None), "connections", ()) for transport in _transports(client))


_POOLS: weakref.WeakSet[Pool] = weakref.WeakSet()
# Clients a fork's child abandoned: kept, never closed nor collected (collecting would close their
# sockets, which the parent may be using, with a ResourceWarning), one set per fork.
_ABANDONED: list[object] = []


class Pool:
    """The httpx clients of one `Dots` or `AsyncDots` (and of its `with_options` copies).

    `trust_env`: whether environment proxies apply (never for a loopback host: `is_loopback`).
    Raises `ClientClosedError` from `sync_client` / `async_client` once `close` / `aclose` ran.
    """

    def __init__(self, trust_env: bool, timeout: httpx.Timeout) -> None:
        self._trust_env = trust_env
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sync: httpx.Client | None = None
        self._async: dict[asyncio.AbstractEventLoop | None, httpx.AsyncClient] = {}
        self._slots: dict[asyncio.AbstractEventLoop | None, asyncio.Semaphore] = {}
        self._closers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}
        self.closed = False
        _POOLS.add(self)

    def _options(self) -> dict[str, Any]:
        return {
            "timeout": self._timeout,
            "follow_redirects": False,
            "limits": LIMITS,
            "verify": ssl_context(),
            "trust_env": self._trust_env,
        }

    def _build(self, kind: type[httpx.Client] | type[httpx.AsyncClient]) -> Any:
        try:
            client = kind(**self._options())
        except (ImportError, ValueError) as error:  # a proxy variable httpx cannot use
            raise DotsError(
                f"cannot build the httpx client ({type(error).__name__}): check the *_PROXY variables"
            ) from None
        _bound_by_deadline(client)
        return client

    def sync_client(self) -> httpx.Client:
        """This process's `httpx.Client`, built on first use."""
        client = self._sync
        if client is not None and not self.closed:
            return client
        with self._lock:
            if self.closed:
                raise ClientClosedError("this client was closed: make a new one")
            if self._sync is None:
                self._sync = self._build(httpx.Client)
            return self._sync

    def async_client(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """The running event loop's `httpx.AsyncClient`, built on first use there (the closed loops'
        released), and its slots: one per connection the pool may open (`LIMITS`).

        An attempt holds a slot from before it is handed to httpx until it ends, so that httpx's
        pool never has requests waiting for a connection: a request cancelled while it waits there
        can keep a slot for ever (encode/httpcore#1093), and waiting for one of ours is safe to cancel.
        """
        loop = _running_loop()
        with self._lock:
            if self.closed:
                raise ClientClosedError("this client was closed: make a new one")
            self._release_closed_loops()
            client = self._async.get(loop)
            if client is not None:
                return client, self._slots[loop]
            built: httpx.AsyncClient = self._build(httpx.AsyncClient)
            self._async[loop] = client = built
            self._slots[loop] = slots = asyncio.Semaphore(LIMITS.max_connections or 100)
        if loop is not None:
            self._closers[loop] = _start_closer(_close_with_loop(self, loop, client), loop)
        return client, slots

    def _release_closed_loops(self) -> None:
        for other in [other for other in self._async if other is not None and other.is_closed()]:
            _release_closed_loop_client(self._async.pop(other))
            self._closers.pop(other, None)
            self._slots.pop(other, None)

    def _forget(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        with self._lock:
            if self._async.get(loop) is client:
                del self._async[loop]
                self._closers.pop(loop, None)
                self._slots.pop(loop, None)

    def close(self) -> None:
        """Close what was built for sync use (nothing is built to be closed); later calls raise `ClientClosedError`."""
        with self._lock:
            self.closed = True
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the running loop's client and release those of closed loops; later calls raise `ClientClosedError`.

        The clients of other running loops close when their loop shuts down.
        """
        loop = _running_loop()
        with self._lock:
            self.closed = True
            client = self._async.pop(loop, None)
            closer = self._closers.pop(loop, None) if loop is not None else None
            self._slots.pop(loop, None)
            self._release_closed_loops()
        if client is not None:
            await client.aclose()
        if closer is not None:
            await closer.aclose()

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        _ABANDONED.append((self._sync, self._async, self._closers))
        self._sync = None
        self._async = {}
        self._closers = {}
        self._slots = {}


def _after_fork_in_child() -> None:
    global _SSL_LOCK  # noqa: PLW0603 (a lock held by a parent thread at the fork would never be released here)
    _SSL_LOCK = threading.Lock()
    for pool in list(_POOLS):
        pool._after_fork_in_child()
    for given in list(_GIVEN):
        if _has_connections(given):
            _CROSSED.add(given)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
