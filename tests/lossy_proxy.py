"""A fault-injecting HTTP/1.1 proxy for the retry tests: "the server acted but its answer never arrived".

An ASGI app cannot produce that (uvicorn answers 500 for an app that fails before answering), so
this proxy sits between the client and a live sandbox on 127.0.0.1 (a free port), forwards each
request over a fresh upstream connection, reads the whole answer, and then, for the requests the
test names, closes the client's connection without sending it. It can also add a `Prefer`
header to chosen requests (failures on demand for one attempt only), replace the body of the
upstream's real answer to chosen requests (a server that acted, behind a gateway that mangled its
answer), and it records every request it forwarded, so a test can count what the client sent.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import urllib.parse
from io import BufferedIOBase
from types import TracebackType


class LossyProxy:
    """`LossyProxy(upstream_url)`: `url` is the proxy's base URL (same path as upstream's).

    Requests are numbered from 1 in the order they arrive. `drop_answer` holds the numbers whose
    answer is dropped after the upstream answered; `prefer` maps numbers to a `Prefer` value
    added to that request; `replace_body` maps numbers to (headers, body) that replace the
    upstream's answer body and those headers (Content-Length follows the body), its status kept.
    `requests` lists (method, path) of every request received.
    """

    def __init__(self, upstream_url: str) -> None:
        upstream = urllib.parse.urlsplit(upstream_url)
        assert upstream.hostname is not None
        assert upstream.port is not None
        self.upstream = (upstream.hostname, upstream.port)
        self.drop_answer: set[int] = set()
        self.prefer: dict[int, str] = {}
        self.replace_body: dict[int, tuple[dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}{upstream.path}"
        # A short poll: close() waits up to one poll interval for serve_forever to notice (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="lossy-proxy", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> LossyProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting and close the listening socket (connections still open end with their threads)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def count(self, method: str, path_end: str = "") -> int:
        """How many requests with `method` (and a path ending with `path_end`) arrived."""
        with self._lock:
            return sum(1 for m, path in self.requests if m == method and path.endswith(path_end))

    def _arrived(self, method: str, path: str) -> int:
        with self._lock:
            self.requests.append((method, path))
            return len(self.requests)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    proxy: LossyProxy


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        proxy = self.server.proxy
        with contextlib.suppress(OSError):  # the client gave up (a read timeout): nothing to answer
            while True:
                head = _read_head(self.rfile)
                if head is None:
                    return
                body = self.rfile.read(_content_length(head))
                method, target = head.split(b" ", 2)[:2]
                number = proxy._arrived(method.decode(), target.decode())
                if number in proxy.prefer:
                    head = head[:-2] + f"Prefer: {proxy.prefer[number]}\r\n\r\n".encode()
                answer = _forward(proxy.upstream, head + body)
                if answer is None or number in proxy.drop_answer:
                    return  # the upstream acted and answered; the client sees the connection closed
                if number in proxy.replace_body:
                    answer = _with_body(answer[0], *proxy.replace_body[number])
                self.wfile.write(answer[0] + answer[1])
                self.wfile.flush()
                if b"\r\nconnection: close\r\n" in answer[0].lower():
                    return


def _forward(upstream: tuple[str, int], request: bytes) -> tuple[bytes, bytes] | None:
    """The upstream's answer (head, body) to `request`, or None if it closed without one (it was stopped)."""
    with socket.create_connection(upstream, timeout=60) as connection, connection.makefile("rb") as answer:
        connection.sendall(request)
        head = _read_head(answer)
        return None if head is None else (head, answer.read(_content_length(head)))


def _with_body(head: bytes, headers: dict[str, str], body: bytes) -> tuple[bytes, bytes]:
    """`head` with `headers` and a Content-Length that fits `body` in place of the same-named ones."""
    status_line, *lines = head[:-4].split(b"\r\n")
    replaced = {name.lower().encode() for name in headers} | {b"content-length"}
    kept = [line for line in lines if line.split(b":")[0].strip().lower() not in replaced]
    added = [f"{name}: {value}".encode() for name, value in headers.items()]
    added.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join([status_line, *kept, *added]) + b"\r\n\r\n", body


def _read_head(stream: BufferedIOBase) -> bytes | None:
    """The request or status line and headers, through the blank line; None at end of stream."""
    lines = []
    while True:
        line = stream.readline(65536)
        if not line:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0
