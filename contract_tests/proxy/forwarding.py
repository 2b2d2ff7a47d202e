"""The reverse proxy's HTTP/1.1 front and its upstream leg: each exchange passed on unchanged, and recorded.

The front is asyncio streams with h11 (python-hyper's sans-I/O HTTP/1.1, already in the lock for
httpx) rather than an ASGI server: uvicorn and Starlette answer `500` when an app fails before
starting its answer, so a proxy built on them cannot pass on "the upstream closed without
answering" as what it is, a closed connection. Here the proxy owns the socket and closes it.

The upstream leg is httpx: the answer body is read with `aiter_raw()`, so a `Content-Encoding`
(gzip, ...) is forwarded as the upstream sent it, never decoded. Hop-by-hop header fields
(RFC 9110 §7.6.1: `Connection`, the fields it names, `Keep-Alive`, `Proxy-Connection`, `TE`,
`Transfer-Encoding`, `Upgrade`) are dropped in both directions; message framing is then each
leg's own (a chunked answer reaches the caller chunked again, by h11). `Host` names the upstream.
No `Via` is added: the point of this proxy is that both ends see what the other sent.

Request bodies are read whole before they are forwarded (the judge needs them, and `--strict`
must judge a request before deciding to forward it); answers are streamed chunk by chunk as they
arrive, and recorded. A request h11 cannot read (a malformed request line, a head over
MAX_HEAD_BYTES) is answered by the proxy itself (`400`, or `431` for the head's size, as the
sandbox answers it; RFC 6585 §5) with the spec's `Error` envelope, and recorded as `refused`.

The upstream client reads no proxy from the environment (`HTTP_PROXY`, ...) for a loopback
upstream: a CI runner's proxy settings would send traffic meant for a local sandbox away.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import json
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable

import h11
import httpx

Headers = list[tuple[bytes, bytes]]
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"transfer-encoding", b"upgrade"})
# A request head (request line and header fields) beyond this is refused by the proxy itself (bytes).
MAX_HEAD_BYTES = 64 * 1024
# A caller's request body beyond this is refused with 413 by the proxy itself (bytes).
MAX_REQUEST_BODY = 32 * 1024 * 1024
# How long a caller's connection may stay silent (between requests, or inside one) before it is closed (seconds).
IDLE_SECONDS = 75.0
# How long the proxy reads and drops what a caller it refused still sends, before closing (seconds).
LINGER_SECONDS = 2.0
UPSTREAM_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
logger = logging.getLogger(__package__)  # contract_tests.proxy (dots_contract.proxy installed)


@dataclasses.dataclass
class Exchange:
    """One request through the proxy and what became of it.

    `outcome` is `answered` (the upstream's answer was delivered), `upstream-closed` (it closed
    without answering, or in the middle of its body: the caller's connection was closed too),
    `upstream-unreachable` (502 from the proxy), `upstream-timeout` (504 from the proxy),
    `refused` (the proxy answered itself: `--strict`, a body over MAX_REQUEST_BODY, or a request
    h11 could not read), or
    `caller-gone` (the caller closed before the answer was delivered).
    """

    method: str
    target: str
    """The request-target as sent (path and query)."""
    request_headers: Headers
    request_body: bytes
    started: float = dataclasses.field(default_factory=time.time)
    start_mark: float = dataclasses.field(default_factory=time.monotonic)
    """When the request's head arrived, on the monotonic clock: the lifecycle's order of exchanges."""
    end_mark: float = 0.0
    """When the exchange was over (its answer's last byte, or no answer), on the monotonic clock."""
    status: int = 0
    response_headers: Headers = dataclasses.field(default_factory=list)
    response_body: bytes = b""
    outcome: str = "answered"
    elapsed: float = 0.0
    """Seconds from the request's last byte to the answer's last byte."""
    refusal: str = ""
    """Why the proxy answered itself (`refused`), for the report."""
    test: str = ""
    """The test that was running when the request arrived (`--tests-on-stdin`), or empty."""

    @property
    def path(self) -> str:
        """The request-target's path, percent-decoded."""
        return urllib.parse.unquote(urllib.parse.urlsplit(self.target).path)

    def request_header(self, name: bytes) -> bytes | None:
        """The first request header field named `name` (lower case), or None."""
        return next((value for key, value in self.request_headers if key.lower() == name), None)

    def response_header(self, name: bytes) -> bytes | None:
        """The first answer header field named `name` (lower case), or None."""
        return next((value for key, value in self.response_headers if key.lower() == name), None)


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """An answer the proxy gives itself instead of forwarding (`--strict`): status and JSON body."""

    status: int
    body: dict[str, object]
    reason: str


# Called with the whole request before forwarding: a Refusal answers it instead.
Gate = Callable[[Exchange], Refusal | None]
# Called once per exchange after its answer was delivered (or not).
Recorder = Callable[[Exchange], Awaitable[None] | None]


def end_to_end(headers: Headers) -> Headers:
    """`headers` without the hop-by-hop fields (RFC 9110 §7.6.1), those `Connection` names included."""
    named = {
        token.strip().lower()
        for key, value in headers
        if key.lower() == b"connection"
        for token in value.split(b",")
        if token.strip()
    }
    return [(key, value) for key, value in headers if key.lower() not in HOP_BY_HOP and key.lower() not in named]


def is_loopback(host: str) -> bool:
    """Whether `host` (a name, or an address without brackets) is this machine: `localhost` or a loopback address."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def json_answer(status: int, error: str, code: str) -> tuple[int, Headers, bytes]:
    """A proxy's own answer in the spec's `Error` envelope."""
    body = json.dumps({"error": error, "code": code}).encode()
    return status, [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body


class Forwarder:
    """Serves callers on `host:port` and forwards each request to `upstream` (scheme and authority).

    `gate` may refuse a request (answered by the proxy, never forwarded); `record` sees every
    exchange once it is over. `port` is the bound port after `start()` (0 picks a free one).
    Request-targets are forwarded as they are to the upstream's origin; with `rebase`, they are
    appended to the upstream URL's path instead (`/` is the upstream URL itself): the webhook
    listener's way to one receiver URL.
    """

    def __init__(
        self,
        upstream: str,
        *,
        gate: Gate | None = None,
        record: Recorder | None = None,
        host: str = "127.0.0.1",
        rebase: bool = False,
    ) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self.upstream = upstream
        self.rebase = rebase
        self.upstream_origin = f"{parts.scheme}://{parts.netloc}"
        self.upstream_host = parts.netloc.encode("ascii")
        self.gate = gate
        self.record = record
        self.host = host
        self.port = 0
        self.test = ""
        """The test now running (set on the event loop's thread): each new exchange carries it."""
        self._server: asyncio.Server | None = None
        self._client = httpx.AsyncClient(
            timeout=UPSTREAM_TIMEOUT,
            limits=httpx.Limits(max_keepalive_connections=64),
            trust_env=not is_loopback(parts.hostname or ""),
        )
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, port: int = 0) -> None:
        """Listen on `port` (0: a free one, then in `self.port`)."""
        self._server = await asyncio.start_server(self._serve, self.host, port, limit=1 << 16)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, close open caller connections and the upstream pool."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        await self._client.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = _Connection(reader, writer)
        try:
            while await self._one_exchange(connection):
                connection.h11.start_next_cycle()
        except h11.RemoteProtocolError as error:
            await self._unreadable(connection, error)
        except (h11.ProtocolError, ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # a caller that went away, or an answer h11 cannot pass on: close
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _unreadable(self, connection: _Connection, error: h11.RemoteProtocolError) -> None:
        """A request h11 cannot read: answered 400 (431: a head too large) if nothing was answered yet; recorded."""
        if connection.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return  # an answer went out already (or the caller closed): nothing more to say on this connection
        request = connection.current
        exchange = Exchange(
            method=request.method.decode("ascii", "replace") if request is not None else "",
            target=request.target.decode("latin-1") if request is not None else "",
            request_headers=list(request.headers.raw_items()) if request is not None else [],
            request_body=b"",
            outcome="refused",
            refusal=f"a request the proxy cannot read as HTTP/1.1: {error}",
        )
        status = error.error_status_hint
        code = "request-header-fields-too-large" if status == 431 else "bad-request"
        await connection.answer(*json_answer(status, exchange.refusal, code), exchange, close=True)
        await self._done(exchange, time.perf_counter(), keep=False)
        await connection.linger()

    async def _one_exchange(self, connection: _Connection) -> bool:
        """Serve one request on `connection`; whether the connection stays open for another."""
        request = await connection.next_request()
        if request is None:
            return False
        exchange = Exchange(
            method=request.method.decode("ascii"),
            target=request.target.decode("latin-1"),
            request_headers=list(request.headers.raw_items()),
            request_body=b"",
            test=self.test,
        )
        body = await connection.read_body(MAX_REQUEST_BODY)
        finished = time.perf_counter()
        if body is None:
            exchange.outcome, exchange.refusal = "refused", f"request body over {MAX_REQUEST_BODY} bytes"
            await connection.answer(*json_answer(413, exchange.refusal, "payload-too-large"), exchange)
            return await self._done(exchange, finished, keep=False)  # the rest of the body is unread
        exchange.request_body = body
        try:
            refusal = self.gate(exchange) if self.gate is not None else None
        except Exception:  # judging must never cost the caller its answer: forward, the verdict says why
            logger.exception("contract proxy: judging the request %s %s failed", exchange.method, exchange.target)
            refusal = None
        if refusal is not None:
            exchange.outcome, exchange.refusal = "refused", refusal.reason
            payload = json.dumps(refusal.body).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
            keep = await connection.answer(refusal.status, headers, payload, exchange)
            return await self._done(exchange, finished, keep=keep)
        keep = await self._forward(connection, exchange)
        return await self._done(exchange, finished, keep=keep)

    async def _done(self, exchange: Exchange, finished: float, *, keep: bool) -> bool:
        exchange.elapsed = time.perf_counter() - finished
        exchange.end_mark = time.monotonic()
        if self.record is not None:
            pending = self.record(exchange)
            if pending is not None:
                await pending
        return keep

    def _url(self, target: str) -> str:
        if not self.rebase:
            return self.upstream_origin + target
        path, mark, query = target.partition("?")
        base = self.upstream if path in ("", "/") else self.upstream.rstrip("/") + path
        return base + mark + query

    async def _forward(self, connection: _Connection, exchange: Exchange) -> bool:
        headers = [
            (key, self.upstream_host if key.lower() == b"host" else value)
            for key, value in end_to_end(exchange.request_headers)
        ]
        if not any(key.lower() == b"host" for key, _ in headers):
            headers.insert(0, (b"host", self.upstream_host))
        # A bare httpx.Request, not the client's build_request: that would add httpx's default headers
        # (User-Agent, Accept, ...). This one adds only a Content-Length when the caller's body came chunked.
        upstream_request = httpx.Request(
            exchange.method, self._url(exchange.target), headers=headers, content=exchange.request_body
        )
        try:
            response = await self._client.send(upstream_request, stream=True)
        except httpx.RemoteProtocolError:
            exchange.outcome = "upstream-closed"
            return False  # the upstream closed without answering: so does the proxy
        except httpx.TimeoutException:
            exchange.outcome = "upstream-timeout"
            timeout = json_answer(504, "the upstream did not answer in time", "upstream-timeout")
            return await connection.answer(*timeout, exchange)
        except httpx.HTTPError as error:
            exchange.outcome = "upstream-unreachable"
            message = f"the upstream {self.upstream_origin} is unreachable ({type(error).__name__})"
            return await connection.answer(*json_answer(502, message, "upstream-unreachable"), exchange)
        try:
            return await connection.stream_answer(response, exchange)
        finally:
            await response.aclose()


class _Connection:
    """One caller's connection: h11's state machine over asyncio streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.current: h11.Request | None = None
        """The request being served (None before its head is read)."""

    async def _next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            # A caller silent for IDLE_SECONDS (between requests or inside one) loses its connection: a
            # timer handle per read is far cheaper than asyncio.wait_for's task.
            timer = asyncio.get_running_loop().call_later(IDLE_SECONDS, self.writer.close)
            try:
                data = await self.reader.read(1 << 16)
            finally:
                timer.cancel()
            self.h11.receive_data(data)

    async def linger(self) -> None:
        """Say we are done sending, then read and drop what the caller still sends, for up to LINGER_SECONDS.

        Closing a socket with unread data in it resets the connection (RFC 9112 §9.6), and a reset
        can destroy the answer before the caller read it: a caller still sending a head too large
        would never see its 431.
        """
        with contextlib.suppress(Exception):
            self.writer.write_eof()
            async with asyncio.timeout(LINGER_SECONDS):
                while await self.reader.read(1 << 16):
                    pass

    async def next_request(self) -> h11.Request | None:
        """The next request's head, or None when the caller closed (or stayed silent too long)."""
        self.current = None
        event = await self._next_event()
        if isinstance(event, h11.Request):
            self.current = event
            if self.h11.they_are_waiting_for_100_continue:
                await self._send(h11.InformationalResponse(status_code=100, headers=[]))
            return event
        return None

    async def read_body(self, limit: int) -> bytes | None:
        """The request's whole body; None (and the rest unread) if it exceeds `limit` bytes."""
        parts: list[bytes] = []
        size = 0
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    return None
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            else:
                raise h11.RemoteProtocolError(f"unexpected {type(event).__name__} in a request body")

    async def _send(self, *events: h11.Event, held: bytes = b"") -> None:
        """Write `held` and the events' bytes in one write: each write is a syscall and a TCP segment."""
        data = held + b"".join(self.h11.send(event) or b"" for event in events)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def answer(
        self, status: int, headers: Headers, body: bytes, exchange: Exchange, *, close: bool = False
    ) -> bool:
        """Send a whole answer (with `close`, saying `Connection: close`); whether the connection can serve another."""
        exchange.status, exchange.response_headers, exchange.response_body = status, headers, body
        if close:
            headers = [*headers, (b"connection", b"close")]
        try:
            await self._send(h11.Response(status_code=status, headers=headers), h11.Data(data=body), h11.EndOfMessage())
        except ConnectionError:
            exchange.outcome = "caller-gone"
            return False
        return self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE

    async def stream_answer(self, response: httpx.Response, exchange: Exchange) -> bool:
        """Pass on the upstream's answer as it arrives; whether the connection can serve another request.

        The head goes out with the first chunk of the body (or the end of an empty one), so a small
        answer costs the caller one segment, as it cost the upstream.
        """
        exchange.status = response.status_code
        exchange.response_headers = end_to_end(list(response.headers.raw))
        parts: list[bytes] = []
        try:
            reason = response.extensions.get("reason_phrase", b"")
            head = h11.Response(status_code=response.status_code, headers=exchange.response_headers, reason=reason)
            held = self.h11.send(head) or b""
            async for chunk in response.aiter_raw():
                parts.append(chunk)
                await self._send(h11.Data(data=chunk), held=held)
                held = b""
            await self._send(h11.EndOfMessage(), held=held)
        except httpx.HTTPError:
            exchange.outcome = "upstream-closed"  # mid-body: the caller must not see a complete answer
            return False
        except ConnectionError:
            exchange.outcome = "caller-gone"
            return False
        finally:
            exchange.response_body = b"".join(parts)
        return self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE
