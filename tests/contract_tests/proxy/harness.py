"""Running the proxy in the test's process, and raw upstreams whose every byte the test decides.

`InProcessProxy(argv)` is `python -m contract_tests.proxy argv` without the process: its
`cli.Proxy` served on an event loop in a background thread. `RawUpstream` is an HTTP/1.1
server on a free port whose answer to each request is whatever `answer(head, body)` returns:
raw byte strings written in turn as the iterable yields them (a generator can wait between
them), or None to close the connection without answering. It records every request's head and body.
"""

from __future__ import annotations

import asyncio
import socketserver
import threading
from collections.abc import Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from contract_tests.proxy import cli
from tests.lossy_proxy import _content_length, _read_head  # one HTTP/1.1 message reader for the tests

T = TypeVar("T")
Answer = Callable[[bytes, bytes], Iterable[bytes] | None]


class LoopThread:
    """An asyncio event loop running in a daemon thread; `run(coro)` waits for a coroutine's result there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run `coroutine` on the loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class InProcessProxy:
    """`with InProcessProxy(["--upstream", URL, ...]) as proxy:` serves at `proxy.url` until the block ends."""

    def __init__(self, argv: list[str]) -> None:
        args, _ = cli.parse(argv)
        self.proxy = cli.Proxy(args)
        self._loop = LoopThread()

    @property
    def url(self) -> str:
        """The proxy's base URL (use it as DOTS_BASE_URL)."""
        return self.proxy.url

    def __enter__(self) -> cli.Proxy:
        self._loop.run(self.proxy.start())
        return self.proxy

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._loop.run(self.proxy.stop())
        self._loop.close()


class Served:
    """A socketserver served from a daemon thread while in a `with` block; `url` is its base URL (with `/api`)."""

    def serve(self, server: socketserver.BaseServer, port: int) -> None:
        """Serve `server` (bound to 127.0.0.1:`port`) once the `with` block starts."""
        self.server = server
        self.url = f"http://127.0.0.1:{port}/api"
        # A short poll interval: shutdown() waits up to one.
        self.thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class RawUpstream(Served):
    """`with RawUpstream(answer) as upstream:` listens on `upstream.url`; `requests` holds (head, body) pairs."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections = 0
        upstream = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                upstream.connections += 1
                while True:
                    head = _read_head(self.rfile)
                    if head is None:
                        return
                    body = self.rfile.read(_content_length(head))
                    upstream.requests.append((head, body))
                    parts = upstream.answer(head, body)
                    if parts is None:
                        return  # close without answering
                    for part in parts:
                        self.wfile.write(part)
                        self.wfile.flush()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        server = Server(("127.0.0.1", 0), Handler)
        self.serve(server, server.server_address[1])


def header_lines(head: bytes) -> list[tuple[bytes, bytes]]:
    """A message head's header fields as (name, value) pairs, in order."""
    fields = []
    for line in head.split(b"\r\n")[1:]:
        if line:
            name, _, value = line.partition(b":")
            fields.append((name.strip(), value.strip()))
    return fields
