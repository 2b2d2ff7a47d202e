"""The HTTP front (dots_sandbox/front/protocol.py) in process: uvicorn's surface it relies on, and its head
deadline on a loop whose clock moves only when told (`_ClockLoop`), with a fake transport, as uvicorn's own
protocol tests do (tests/protocols/test_http.py: a mock loop and a mock transport).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from dots_sandbox.ceiling import app as ceiling
from dots_sandbox.front.protocol import SandboxConfig, SandboxHttpProtocol, refusal
from dots_sandbox.settings import Settings

# What the front takes from uvicorn (dots_sandbox/front/protocol.py, dots_sandbox/in_thread.py):
# the members it overrides or calls, with their signatures in uvicorn 0.54 (pyproject.toml's range).
UVICORN_METHODS: dict[str, dict[str, str]] = {
    "HttpToolsProtocol": {
        "__init__": "(self, config: 'Config', server_state: 'ServerState', app_state: 'dict[str, Any]', "
        "_loop: 'asyncio.AbstractEventLoop | None' = None) -> 'None'",
        "connection_made": "(self, transport: 'asyncio.Transport') -> 'None'",
        "connection_lost": "(self, exc: 'Exception | None') -> 'None'",
        "data_received": "(self, data: 'bytes') -> 'None'",
        "shutdown": "(self) -> 'None'",
        "on_response_complete": "(self) -> 'None'",
        "on_message_begin": "(self) -> 'None'",
        "on_url": "(self, url: 'bytes') -> 'None'",
        "on_header": "(self, name: 'bytes', value: 'bytes') -> 'None'",
        "on_headers_complete": "(self) -> 'None'",
        "_start_asgi_task": "(self, cycle: 'RequestResponseCycle', app: 'ASGI3Application') -> 'None'",
        "send_400_response": "(self, msg: 'str') -> 'None'",
        "handle_websocket_upgrade": "(self) -> 'None'",
        "_should_upgrade": "(self) -> 'bool'",
        "_unsupported_upgrade_warning": "(self) -> 'None'",
        "timeout_keep_alive_handler": "(self) -> 'None'",
    },
    "RequestResponseCycle": {
        "__init__": "(self, scope: 'HTTPScope', transport: 'asyncio.Transport', flow: 'FlowControl', "
        "logger: 'logging.Logger', access_logger: 'logging.Logger', access_log: 'bool', "
        "default_headers: 'list[tuple[bytes, bytes]]', message_event: 'asyncio.Event', "
        "expect_100_continue: 'bool', keep_alive: 'bool', on_response: 'Callable[..., None]')",
    },
    "Server": {
        "capture_signals": "(self) -> 'Generator[None, None, None]'",
        "startup": "(self, sockets: 'list[socket.socket] | None' = None) -> 'None'",
        "run": "(self, sockets: 'list[socket.socket] | None' = None) -> 'None'",
    },
    "Config": {"load": "(self) -> 'None'"},
}
# Attributes of a protocol (and of its request cycle) the front reads or sets.
UVICORN_PROTOCOL_ATTRIBUTES = (
    "parser", "pipeline", "flow", "cycle", "transport", "loop", "server_state", "timeout_keep_alive",
    "url", "scope", "logger", "app", "config",
)  # fmt: skip
UVICORN_CYCLE_ATTRIBUTES = ("response_started", "response_complete", "disconnected", "keep_alive", "scope")


UVICORN_CLASSES: dict[str, type] = {
    "HttpToolsProtocol": HttpToolsProtocol,
    "RequestResponseCycle": RequestResponseCycle,
    "Server": uvicorn.Server,
    "Config": uvicorn.Config,
}


@pytest.mark.parametrize(
    ("owner", "name"), [(owner, name) for owner, methods in UVICORN_METHODS.items() for name in methods]
)
def test_uvicorn_still_has_what_the_front_relies_on(owner: str, name: str) -> None:
    """Each uvicorn method the front overrides or calls exists with the signature recorded (fails by name)."""
    member = getattr(UVICORN_CLASSES[owner], name, None)
    assert member is not None, f"uvicorn's {owner}.{name} is gone"
    assert str(inspect.signature(member)) == UVICORN_METHODS[owner][name], f"uvicorn's {owner}.{name} changed"


def test_uvicorn_protocol_and_cycle_still_have_the_attributes_the_front_uses() -> None:
    """A protocol that took a request has every attribute the front reads, and so has its request cycle."""
    config = SandboxConfig(Settings(db=":memory:"), ceiling)
    config.load()
    loop = asyncio.new_event_loop()
    try:
        protocol = SandboxHttpProtocol(config, ServerState(), {}, loop)
        transport = _FakeTransport()
        protocol.connection_made(transport)  # type: ignore[arg-type]
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        missing = [name for name in UVICORN_PROTOCOL_ATTRIBUTES if not hasattr(protocol, name)]
        missing += [f"cycle.{name}" for name in UVICORN_CYCLE_ATTRIBUTES if not hasattr(protocol.cycle, name)]
        assert missing == []
        protocol.connection_lost(None)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


class _FakeTransport:
    """Just enough of asyncio.Transport for a protocol to take one request."""

    def __init__(self) -> None:
        self.written = b""
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        """Flow control: nothing to pause."""

    def resume_reading(self) -> None:
        """Flow control: nothing to resume."""

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Flow control: no buffer."""


class _ClockLoop:
    """The loop calls the front makes, on a clock that moves only by `advance` (uvicorn's tests' MockLoop, timed)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.timers: list[asyncio.TimerHandle] = []
        self.soon: list[asyncio.Handle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[..., object], *args: object) -> asyncio.TimerHandle:
        timer = asyncio.TimerHandle(when, callback, args, self)  # type: ignore[arg-type]
        self.timers.append(timer)
        return timer

    def call_soon(self, callback: Callable[..., object], *args: object) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self)  # type: ignore[arg-type]
        self.soon.append(handle)
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        """asyncio.TimerHandle.cancel tells its loop; the list is filtered on the next `advance`."""

    def get_debug(self) -> bool:
        return False

    def advance(self, seconds: float) -> None:
        """Move the clock on, running the timers that fall due (in due order) and what they call soon."""
        self.now += seconds
        while due := sorted((t for t in self.timers if t.when() <= self.now and not t.cancelled()), key=_when):
            self.timers.remove(due[0])
            due[0]._run()
            self._run_soon()
        self.timers = [timer for timer in self.timers if not timer.cancelled()]
        self._run_soon()

    def _run_soon(self) -> None:
        while self.soon:
            handle = self.soon.pop(0)
            if not handle.cancelled():
                handle._run()


def _when(timer: asyncio.TimerHandle) -> float:
    return timer.when()


def _protocol_on_a_clock(**settings: Any) -> tuple[SandboxHttpProtocol, _FakeTransport, _ClockLoop]:
    """A front protocol on a fake transport and a `_ClockLoop`, its connection just made."""
    config = SandboxConfig(Settings(db=":memory:", **settings), ceiling)
    config.load()
    loop = _ClockLoop()
    protocol = SandboxHttpProtocol(config, ServerState(), {}, loop)  # type: ignore[arg-type]
    transport = _FakeTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport, loop


def test_on_a_clock_a_silent_connection_is_closed_unanswered_at_the_head_deadline() -> None:
    """In process, the default 10 s head deadline: open until just before it, closed with nothing sent at it."""
    _, transport, loop = _protocol_on_a_clock()
    loop.advance(9.99)
    assert not transport.is_closing()
    loop.advance(0.02)
    assert transport.is_closing()
    assert transport.written == b""


def test_on_a_clock_an_unfinished_head_is_answered_408_at_the_head_deadline() -> None:
    """In process: a head begun and left unfinished gets the 408 JSON refusal at the deadline, not before."""
    protocol, transport, loop = _protocol_on_a_clock(header_timeout_seconds=10)
    protocol.data_received(b"GET /api HTTP/1.1\r\nHost: sand")
    loop.advance(9.99)
    assert (transport.written, transport.is_closing()) == (b"", False)
    loop.advance(0.02)
    assert transport.is_closing()
    assert transport.written == refusal(
        408, "request-timeout", "The request head did not arrive in full within 10 seconds"
    )
