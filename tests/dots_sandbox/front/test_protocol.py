"""The HTTP front (dots_sandbox/front/protocol.py), each limit tried with a raw socket.

Most tests serve the front from a thread of this process (`Sandbox.serve_in_thread`: the same
protocol class as `python -m dots_sandbox`) with deadlines of a fraction of a second, so none
waits long; a few smoke tests run the real process (test_protocol_in_process.py drives the protocol
on a controlled clock). Every socket read has a 15 s liveness timeout, so a server that held a
connection would fail the test instead of hanging it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dots_sandbox.front.protocol import _origin_form, refusal
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

    StartSandbox = Callable[..., LiveSandbox]
Serve = Callable[..., "InThread"]

AUTH = ("sandbox-client-id", "sandbox-api-key")
BASIC = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
UNKNOWN_ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"
LIVENESS_S = 15
# The deadline the timing tests wait out: short, so no test waits long, yet far above a loop's tick.
SHORT_S = 0.2


class InThread:
    """A sandbox served from a thread of this process on a free port (`url`), with `settings` over the defaults."""

    def __init__(self, **settings: Any) -> None:
        self._stack = contextlib.ExitStack()
        served = self._stack.enter_context(build_sandbox(Settings(db=":memory:", **settings)).serve_in_thread())
        self.url = served.base_url
        self.port = served.port

    def stop(self) -> bool:
        """Stop serving (raises RuntimeError if the server does not stop); True when the port then refuses."""
        self._stack.close()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=LIVENESS_S).close()
        except ConnectionRefusedError:
            return True
        return False


@pytest.fixture
def serve() -> Iterator[Callable[..., InThread]]:
    """Serve sandboxes in threads (`serve(header_timeout_seconds=0.2, ...)`); any still serving stop at teardown."""
    started: list[InThread] = []

    def start(**settings: Any) -> InThread:
        started.append(InThread(**settings))
        return started[-1]

    yield start
    for sandbox in started:
        sandbox.stop()


def _connect(sandbox: LiveSandbox | InThread) -> socket.socket:
    host, port = sandbox.url.removeprefix("http://").removesuffix("/api").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=LIVENESS_S)


def _read_response(sock: socket.socket, buffer: bytes = b"") -> tuple[bytes, bytes, bytes]:
    """(head, body, what followed) of one answer with a Content-Length."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-answer: {buffer!r}"
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return head, rest[:length], rest[length:]


def _read_to_end(sock: socket.socket, buffer: bytes = b"") -> bytes:
    while chunk := sock.recv(65536):
        buffer += chunk
    return buffer


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _json(body: bytes) -> Any:
    return json.loads(body)


def _create(sandbox: LiveSandbox | InThread) -> str:
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as client:
        created = client.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
    assert created.status_code == 200
    intent_id: str = created.json()["id"]
    return intent_id


def _get(path: str, *extra: str) -> bytes:
    return "\r\n".join([f"GET {path} HTTP/1.1", "Host: sandbox", f"Authorization: {BASIC}", *extra, "", ""]).encode()


def test_a_connection_that_sends_nothing_is_closed_at_the_head_deadline(start_sandbox: StartSandbox) -> None:
    """An idle new connection is closed (no answer: nothing was asked) once the head deadline passes (real process)."""
    sandbox = start_sandbox(args=("--header-timeout", str(SHORT_S)))
    with _connect(sandbox) as sock:
        assert _read_to_end(sock) == b""
    assert sandbox.stop() == 0


def test_a_trickled_head_is_answered_408_and_closed(start_sandbox: StartSandbox) -> None:
    """A head sent a byte at a time never completes: 408 JSON with Connection: close at the deadline, then EOF."""
    sandbox = start_sandbox(args=("--header-timeout", str(SHORT_S)))
    head = _get(f"/api/v2/payment-intents/{UNKNOWN_ID}", "X-Padding: " + "a" * 4000)
    received = b""
    with _connect(sandbox) as sock:
        for byte in head[:-2]:  # never the final CRLF
            sock.sendall(bytes([byte]))
            if select.select([sock], [], [], 0.05)[0]:
                received = _read_to_end(sock)
                break
        assert received, "the whole head went out byte by byte without an answer"
    head_out, _, body = received.partition(b"\r\n\r\n")
    assert head_out.startswith(b"HTTP/1.1 408 ")
    assert _header(head_out, b"connection") == b"close"
    assert _header(head_out, b"content-type") == b"application/json"
    assert _json(body)["code"] == "request-timeout"
    assert sandbox.stop() == 0


def test_the_head_deadline_counts_from_the_first_byte_of_a_later_request(serve: Serve) -> None:
    """After an answer, a connection that starts a head and stalls is answered 408 too (not held)."""
    sandbox = serve(header_timeout_seconds=SHORT_S, keep_alive_timeout_seconds=30)
    with _connect(sandbox) as sock:
        sock.sendall(_get(f"/api/v2/payment-intents/{UNKNOWN_ID}"))
        head, _, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        sock.sendall(b"GET /api HTTP/1.1\r\nHost: sand")
        answer = _read_to_end(sock, rest)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert sandbox.stop()


def test_an_idle_keep_alive_connection_is_closed(start_sandbox: StartSandbox) -> None:
    """After an answer, a connection that sends nothing more is closed at the keep-alive timeout (real process)."""
    sandbox = start_sandbox(args=("--keep-alive-timeout", str(SHORT_S), "--header-timeout", "30"))
    with _connect(sandbox) as sock:
        sock.sendall(_get(f"/api/v2/payment-intents/{UNKNOWN_ID}"))
        head, _, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        assert _read_to_end(sock, rest) == b""
    assert sandbox.stop() == 0


def test_the_keep_alive_timeout_counts_from_the_last_answer(serve: Serve) -> None:
    """A connection asking again within the keep-alive timeout stays open; it closes that long after its last answer."""
    sandbox = serve(keep_alive_timeout_seconds=0.5, header_timeout_seconds=30)
    with _connect(sandbox) as sock:
        rest = b""
        for _ in range(3):  # 0.6 s in all, past the timer's first firing, never idle for 0.5 s
            sock.sendall(_get(f"/api/v2/payment-intents/{UNKNOWN_ID}"))
            head, _, rest = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 404 ")
            time.sleep(SHORT_S)
        last_answer = time.monotonic() - SHORT_S
        assert _read_to_end(sock, rest) == b""
        idle = time.monotonic() - last_answer
    assert 0.45 <= idle < 3
    assert sandbox.stop()


def _closed_after(sock: socket.socket, rest: bytes, feed: bytes, every: float) -> float:
    """Seconds until the server closes `sock`, sending `feed` every `every` seconds meanwhile; nothing else may come."""
    started = time.monotonic()
    while True:
        if select.select([sock], [], [], every)[0]:
            assert _read_to_end(sock, rest) == b""
            return time.monotonic() - started
        assert time.monotonic() - started < LIVENESS_S, "the connection was held open"
        sock.sendall(feed)


def test_stray_line_breaks_do_not_hold_an_idle_connection(serve: Serve) -> None:
    """Line breaks between requests begin no request: the keep-alive timeout still closes the connection."""
    sandbox = serve(keep_alive_timeout_seconds=0.5, header_timeout_seconds=30)
    with _connect(sandbox) as sock:
        sock.sendall(_get(f"/api/v2/payment-intents/{UNKNOWN_ID}"))
        head, _, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        assert _closed_after(sock, rest, b"\r\n", 0.1) < 3
    assert sandbox.stop()


def test_the_unsent_rest_of_a_body_answered_early_does_not_hold_the_connection(serve: Serve) -> None:
    """After an early 401 to a small body, a client trickling the body's rest is closed at the keep-alive timeout."""
    sandbox = serve(keep_alive_timeout_seconds=0.5, header_timeout_seconds=30)
    with _connect(sandbox) as sock:
        sock.sendall(
            b"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        head, _, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 401 ")
        assert _closed_after(sock, rest, b" ", 0.1) < 3
    assert sandbox.stop()


def test_a_pipelined_head_gets_the_head_deadline_not_the_keep_alive_timeout(serve: Serve) -> None:
    """A head begun before the answer to the request ahead of it may take the head deadline to finish."""
    sandbox = serve(keep_alive_timeout_seconds=SHORT_S, header_timeout_seconds=10)
    second = _get(f"/api/v2/payment-intents/{UNKNOWN_ID}")
    with _connect(sandbox) as sock:
        sock.sendall(_get(f"/api/v2/payment-intents/{UNKNOWN_ID}") + second[:20])
        head, _, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        for _ in range(3):  # 0.6 s: past the keep-alive timeout, within the head deadline
            time.sleep(SHORT_S)
        sock.sendall(second[20:])
        head, _, _ = _read_response(sock, rest)
        assert head.startswith(b"HTTP/1.1 404 ")
    assert sandbox.stop()


def test_a_head_over_the_limit_is_refused_431_and_closed(serve: Serve) -> None:
    """A head one field over max_header_bytes gets 431 JSON with Connection: close; one under it is served."""
    sandbox = serve(max_header_bytes=4096)
    path = f"/api/v2/payment-intents/{UNKNOWN_ID}"
    with _connect(sandbox) as sock:
        sock.sendall(_get(path, "X-Padding: " + "a" * 3500))
        head, body, _ = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        assert _json(body)["code"] == "not-found"
    with _connect(sandbox) as sock:
        sock.sendall(_get(path, "X-Padding: " + "a" * 3500, "X-More: " + "b" * 600))
        answer = _read_to_end(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert _header(head, b"connection") == b"close"
    assert _json(body) == {
        "error": "The request head is larger than 4096 bytes",
        "code": "request-header-fields-too-large",
    }
    assert sandbox.stop()


def test_a_huge_header_is_not_read_to_its_end(start_sandbox: StartSandbox) -> None:
    """A 16 MiB header field: the server stops reading near the limit and closes; the sender cannot finish (process)."""
    sandbox = start_sandbox()
    chunk = b"a" * 65536
    sent = 0
    with _connect(sandbox) as sock:
        sock.sendall(b"GET /api HTTP/1.1\r\nHost: sandbox\r\nX-Huge: ")
        try:
            while sent < 16 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < 16 * 1024 * 1024  # the server closed the connection long before
    assert sandbox.stop() == 0
    assert len(sandbox.lines) == 2  # nothing logged: the listening line and the database only


def test_an_early_answer_to_expect_100_continue_closes_the_connection(serve: Serve) -> None:
    """A 401 to `Expect: 100-continue` (no body sent, none asked for) carries Connection: close and is the last."""
    sandbox = serve()
    with _connect(sandbox) as sock:
        sock.sendall(
            b"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
            b"Content-Length: 30\r\nExpect: 100-continue\r\n\r\n"
        )
        answer = _read_to_end(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert _header(head, b"connection") == b"close"
    assert _json(body)["code"] == "unauthorized"
    assert sandbox.stop()


def test_expect_100_continue_with_credentials_gets_continue_then_the_answer(serve: Serve) -> None:
    """With good credentials the server asks for the body (100 Continue), answers 200, and keeps the connection."""
    sandbox = serve()
    body = b'{"amount":1000,"currency":"usd"}'
    with _connect(sandbox) as sock:
        sock.sendall(
            f"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nAuthorization: {BASIC}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        head, created, rest = _read_response(sock, interim.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n"))
        assert head.startswith(b"HTTP/1.1 200 ")
        assert _header(head, b"connection") is None
        sock.sendall(_get(f"/api/v2/payment-intents/{_json(created)['id']}"))
        head, _, _ = _read_response(sock, rest)
        assert head.startswith(b"HTTP/1.1 200 ")
    assert sandbox.stop()


def test_an_early_answer_reads_and_discards_a_small_body(serve: Serve) -> None:
    """Without Expect, a 401 to a POST with a small body: the body is read and discarded, the connection serves on."""
    sandbox = serve()
    body = b'{"amount":1000,"currency":"usd"}'
    with _connect(sandbox) as sock:
        sock.sendall(
            b"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body) + _get(f"/api/v2/payment-intents/{UNKNOWN_ID}")
        )
        head, _, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 401 ")
        assert _header(head, b"connection") is None
        head, body_out, _ = _read_response(sock, rest)
        assert head.startswith(b"HTTP/1.1 404 ")
        assert _json(body_out)["code"] == "not-found"
    assert sandbox.stop()


@pytest.mark.parametrize(
    "framing",
    [b"Transfer-Encoding: chunked\r\n", b"Content-Length: 10000000\r\n"],
    ids=["chunked", "over-the-limit"],
)
def test_an_early_answer_to_an_unbounded_body_closes_the_connection(serve: Serve, framing: bytes) -> None:
    """A 401 before a chunked or oversized body is read closes the connection instead of reading it all."""
    sandbox = serve()
    with _connect(sandbox) as sock:
        sock.sendall(b"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n")
        sock.sendall(framing + b"\r\n")
        answer = _read_to_end(sock)
    head, _, _ = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert _header(head, b"connection") == b"close"
    assert sandbox.stop()


def test_absolute_form_targets_are_routed_like_origin_form(serve: Serve) -> None:
    """`GET http://host:port HTTP/1.1` is the path `/` (404 JSON); with a path it is that path (a retrieve)."""
    sandbox = serve()
    origin = sandbox.url.removesuffix("/api")
    intent_id = _create(sandbox)
    with _connect(sandbox) as sock:
        sock.sendall(_get(origin))
        head, body, rest = _read_response(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        assert _json(body) == {"error": "No such route", "code": "not-found"}
        sock.sendall(_get(f"{origin}/api/v2/payment-intents/{intent_id}?expand=none"))
        head, body, _ = _read_response(sock, rest)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert _json(body)["id"] == intent_id
    assert sandbox.stop()


def test_origin_form_of_targets() -> None:
    """Absolute-form becomes origin-form; other targets are left for the parser and the app to answer."""
    assert _origin_form(b"http://127.0.0.1:8080") == b"/"
    assert _origin_form(b"HTTP://h/api/x?y=1") == b"/api/x?y=1"
    assert _origin_form(b"https://h:1/a%2Fb") == b"/a%2Fb"
    assert _origin_form(b"*") == b"*"
    assert _origin_form(b"h:80") == b"h:80"


def test_refusals_are_json_errors_that_close() -> None:
    """The front's own refusals: a status line, JSON of the Error schema, Content-Length and Connection: close."""
    answer = refusal(431, "request-header-fields-too-large", "too large")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert _header(head, b"connection") == b"close"
    assert _header(head, b"content-length") == str(len(body)).encode()
    assert _json(body) == {"error": "too large", "code": "request-header-fields-too-large"}
