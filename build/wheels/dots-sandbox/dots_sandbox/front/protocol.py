"""The sandbox's HTTP front: uvicorn (uvloop + httptools) with limits no client can get past.

uvicorn parses HTTP; `SandboxHttpProtocol` is a thin subclass of uvicorn's own `HttpToolsProtocol`
that adds what it lacks (uvicorn arms its keep-alive timer only after a first answer and has no
limit on a request head's size), each limit a setting (dots_sandbox/settings.py):

- **Head deadline** (`header_timeout_seconds`): a request head must arrive in full within it,
  counted from the connection's start for the first request and from its first byte for later
  ones. A connection that sent nothing is closed; one that sent part of a head (trickling it,
  say) is answered `408` JSON and closed.
- **Idle keep-alive connections** are closed after `keep_alive_timeout_seconds` (uvicorn's
  handler, on one lazy timer per connection).
- **Head size** (`max_header_bytes`, the request line and every header field): a larger head is
  answered `431` JSON and the connection closed, as soon as that many bytes are in; nothing more
  of it is read or kept.
- **Absolute-form targets** (`GET http://host:port/path HTTP/1.1`, RFC 9112 §3.2.2) are routed
  like origin-form ones (`/path`; `/` when the path is empty); httptools parses them, uvicorn
  would answer its plain-text 400 when the path is empty.
- **One send per answer**: everything an answer writes in one event-loop step (status line and
  headers, then the body) goes out in one `send`, not two. This halves the system calls and the
  TCP segments per answer, the largest single cost of a request here (docs/performance.md).

What the layer still answers itself, not the app: a request that is not valid HTTP/1.1 gets
uvicorn's plain-text `400` and the connection is closed (docs/sandbox.md lists every answer).

The app is reached only through `FrontApp` (dots_sandbox/front/app.py), which is also how it
has the front close a connection without answering. Running the front (processes, workers,
logging, signals) is dots_sandbox/runner.py's; serving it from a thread, dots_sandbox/in_thread.py's.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from dots_sandbox.front.app import CLOSE_WITHOUT_ANSWER, FrontApp
from dots_sandbox.settings import Settings

# How long answers in flight may take to finish once the server is stopping.
GRACEFUL_SHUTDOWN_SECONDS = 5


def refusal(status: int, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer with a JSON `Error` body and `Connection: close` (the front's own refusals)."""
    body = json.dumps({"error": message, "code": code}, separators=(",", ":")).encode("ascii")
    head = b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    return STATUS_LINE[status] + head + body


class SandboxConfig(uvicorn.Config):
    """uvicorn's Config with the sandbox's settings, so every worker process gets both (it is pickled to them).

    `app` is a `FrontApp`, or with `factory=True` a callable returning one; `load()` raises
    TypeError for anything else, so the front never has to probe the app for what it can do.
    """

    def __init__(self, settings: Settings, app: Any, **kwargs: Any) -> None:
        super().__init__(
            app,
            http=SandboxHttpProtocol,
            loop="uvloop",
            lifespan="on",
            access_log=False,
            log_config=None,
            log_level="warning",
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=settings.keep_alive_timeout_seconds,  # type: ignore[arg-type]  # a float works
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            workers=settings.workers,
            **kwargs,
        )
        self.settings = settings

    def load(self) -> None:
        super().load()
        if not isinstance(self.loaded_app, FrontApp):
            raise TypeError(f"the sandbox's front serves a FrontApp, not {type(self.loaded_app).__name__}")

    @property
    def front_app(self) -> FrontApp:
        """The loaded app (after `load()`)."""
        app = self.loaded_app
        assert isinstance(app, FrontApp)
        return app


class _HeadTooLarge(Exception):
    """Raised from a parser callback: the head passed max_header_bytes (ends the parse of this data)."""


class _CoalescingTransport:
    """A connection's transport that sends what one event-loop step wrote in one `send`.

    uvicorn writes an answer's head and body separately; held until the step ends (`call_soon`),
    they go out together. Whatever is held is sent before the transport closes.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        """Send what is held now."""
        pending = self._pending
        if pending:
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def __getattr__(self, name: str) -> Any:  # the rest of asyncio.Transport, unchanged
        return getattr(self._transport, name)


class SandboxHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head deadline, a head size limit and absolute-form targets."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(config, SandboxConfig):
            raise TypeError("SandboxHttpProtocol needs a SandboxConfig")
        settings = config.settings
        self._front_app = config.front_app
        self._extensions = {CLOSE_WITHOUT_ANSWER: self._close_without_answer}
        self._running: RequestResponseCycle | None = None  # the cycle whose ASGI task runs now
        self._header_timeout = settings.header_timeout_seconds
        self._max_header_bytes = settings.max_header_bytes
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_deadline = 0.0  # loop time by which the head being read must be in (set when it begins)
        self._in_head = True  # reading a request head, or waiting for one
        self._head_begun = False  # a byte of that head has arrived
        self._keep_alive_timer: asyncio.TimerHandle | None = None
        self._idle_since: float | None = None  # loop time the last answer completed; None: not idle
        self._head_size = 0  # the head's bytes the parser has handed over (line and fields)
        self._head_received = 0  # bytes received while in the head (whole reads)
        self._refused = False

    # The connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self._head_deadline = self.loop.time() + self._header_timeout
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        self._idle_since = None
        if self._keep_alive_timer is not None:
            self._keep_alive_timer.cancel()
            self._keep_alive_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the head-size refusal (the parser raises it from a callback).
        if self._refused:
            return
        if self._in_head:
            self._head_received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _HeadTooLarge):
                self._refuse_head_too_large()
                return
            self._invalid_request()
            return
        except httptools.HttpParserError:
            self._invalid_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()  # pragma: no cover  # the sandbox has no WebSocket library
            else:
                self._unsupported_upgrade_warning()
        if self._in_head:
            # A head still unfinished after whole reads past the limit: refuse now, keep nothing more.
            if self._head_received > self._max_header_bytes:
                self._refuse_head_too_large()
            elif self._head_begun:  # unfinished at the end of a read: now its deadline needs a timer
                self._arm_head_timer()

    def shutdown(self) -> None:
        # Requests waiting for a body would otherwise hold the shutdown until their body deadline.
        self._front_app.stop_waiting()
        super().shutdown()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        self._running = cycle
        super()._start_asgi_task(cycle, app)

    def _close_without_answer(self) -> None:
        """The app's `close_without_answer`: close now; the running cycle sends nothing, not even a 500."""
        cycle = self._running
        if cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # uvicorn then drops what the app sends and answers no 500
        self._refused = True  # read nothing more
        self.transport.close()

    def on_response_complete(self) -> None:
        # uvicorn's, with a lazy keep-alive timer: uvicorn arms one after every answer and cancels
        # it when the next request's first byte arrives (a cost per request: docs/performance.md). Here one timer
        # per connection stays armed; when it fires it closes the connection if it has been idle
        # for `timeout_keep_alive` since its last answer, else re-arms for when it would have been.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        if self._head_begun:
            return  # the next head is on its way: its deadline applies, not the keep-alive timeout
        self._idle_since = self.loop.time()
        if self._keep_alive_timer is None:
            self._keep_alive_timer = self.loop.call_at(
                self._idle_since + self.timeout_keep_alive, self._keep_alive_passed
            )

    def _keep_alive_passed(self) -> None:
        self._keep_alive_timer = None
        if self._idle_since is None or self.transport.is_closing():
            return  # not idle: the next answer arms the timer again
        due = self._idle_since + self.timeout_keep_alive
        if self.loop.time() >= due:
            self.timeout_keep_alive_handler()
        else:
            self._keep_alive_timer = self.loop.call_at(due, self._keep_alive_passed)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = self._extensions  # type: ignore[typeddict-item]  # ASGI: any values
        # A request begins: the connection is no longer idle (the keep-alive timer finds so).
        # Bytes that begin none (stray line breaks, the rest of a body answered early and being
        # discarded) leave it idle, so they cannot hold it open past the keep-alive timeout.
        self._idle_since = None
        if self._head_timer is None:  # a connection's first request keeps its deadline, from the start
            self._head_deadline = self.loop.time() + self._header_timeout
        self._in_head = self._head_begun = True
        self._head_size = self._head_received = 0

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # "name: value\r\n" at the least
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        self._in_head = self._head_begun = False
        if not self.url.startswith(b"/"):
            self.url = _origin_form(self.url)
        super().on_headers_complete()

    # The limits

    def _count_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self._max_header_bytes:
            raise _HeadTooLarge

    def _arm_head_timer(self) -> None:
        # Armed only for a head still unfinished when a read ends (and for a connection's first
        # request, from its start): a head that arrives in one read, nearly every one, costs no
        # timer (a timer armed and cancelled per request was a measurable share of a retrieve:
        # docs/performance.md).
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_deadline, self._head_deadline_passed)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_deadline_passed(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._answering():
            self.cycle.keep_alive = False  # the next head is late: close once this answer is sent
        elif self._head_begun:
            seconds = f"{self._header_timeout:g}"
            self._refuse(
                refusal(408, "request-timeout", f"The request head did not arrive in full within {seconds} seconds")
            )
        else:
            self.transport.close()  # nothing was asked: nothing to answer

    def _refuse_head_too_large(self) -> None:
        limit = self._max_header_bytes
        self._refuse(refusal(431, "request-header-fields-too-large", f"The request head is larger than {limit} bytes"))

    def _refuse(self, answer: bytes) -> None:
        """Answer `answer` (unless an answer is being sent: it would interleave) and close; read nothing more."""
        self._refused = True
        self._disarm_head_timer()
        if self._answering():
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        self.transport.write(answer)
        self.transport.close()

    def _answering(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _invalid_request(self) -> None:
        msg = "Invalid HTTP request received."
        self.logger.warning(msg)
        self.send_400_response(msg)


def _origin_form(target: bytes) -> bytes:
    """`/path?query` for an absolute-form target (`/` when its path is empty); anything else as it is."""
    try:
        url = httptools.parse_url(target)
    except httptools.HttpParserInvalidURLError:
        return target  # uvicorn answers its 400
    if not url.schema:  # None at run time, whatever the stubs say
        return target  # asterisk-form `*`: no route has it, the app answers 404
    return (url.path or b"/") + (b"?" + url.query if url.query else b"")
