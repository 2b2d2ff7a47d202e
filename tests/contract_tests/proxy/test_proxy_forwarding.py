"""The proxy's forwarding: exchanges passed on byte for byte, hop-by-hop fields dropped, lost answers stay lost."""

from __future__ import annotations

import concurrent.futures
import gzip
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.proxy.forwarding import Exchange, Forwarder, end_to_end, is_loopback
from tests.contract_tests.proxy.harness import LoopThread, RawUpstream, header_lines

BODY = json.dumps({"id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5", "amount": 5, "currency": "usd"}).encode()


class Running:
    """A Forwarder to `upstream` served on a LoopThread; `exchanges` are the ones it recorded."""

    def __init__(self, upstream: str) -> None:
        self.exchanges: list[Exchange] = []
        self.loop = LoopThread()
        self.forwarder = Forwarder(upstream, record=self.exchanges.append)
        self.loop.run(self.forwarder.start())
        self.origin = f"http://127.0.0.1:{self.forwarder.port}"

    def recorded(self, count: int) -> list[Exchange]:
        """The exchanges, once `count` are recorded (each is recorded just after its answer's last byte)."""
        deadline = time.monotonic() + 10
        while len(self.exchanges) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.exchanges

    def close(self) -> None:
        self.loop.run(self.forwarder.close())
        self.loop.close()


def _serve(upstream: RawUpstream) -> Iterator[Running]:
    with upstream:
        running = Running(upstream.url)
        yield running
        running.close()


def _echo(head: bytes, body: bytes) -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body), body]


@pytest.fixture
def echo() -> Iterator[Running]:
    """The proxy in front of an upstream that answers each request with its body."""
    yield from _serve(RawUpstream(_echo))


def _raw_exchange(origin: str, request: bytes) -> bytes:
    """Send raw bytes to the proxy and read until it closes the connection."""
    parts = urllib.parse.urlsplit(origin)
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


def test_end_to_end_drops_hop_by_hop_fields_and_those_connection_names() -> None:
    """RFC 9110 §7.6.1: Connection, the fields it names, Keep-Alive, TE, Transfer-Encoding, Upgrade go."""
    headers = [
        (b"Connection", b"keep-alive, X-Hop"),
        (b"X-Hop", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"TE", b"trailers"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Upgrade", b"h2c"),
        (b"Proxy-Connection", b"keep-alive"),
        (b"X-Kept", b"2"),
        (b"Content-Type", b"application/json"),
    ]
    assert end_to_end(headers) == [(b"X-Kept", b"2"), (b"Content-Type", b"application/json")]


def test_a_gzip_answer_is_delivered_undecoded_with_its_end_to_end_headers() -> None:
    """Status, end-to-end fields and the gzip bytes arrive as sent; hop-by-hop fields do not."""
    compressed = gzip.compress(BODY)

    def answer(head: bytes, body: bytes) -> list[bytes]:
        return [
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Connection: keep-alive, X-Hop\r\nX-Hop: drop\r\nKeep-Alive: timeout=5\r\nX-Request-Id: r-1\r\n"
            b"Content-Length: %d\r\n\r\n" % len(compressed),
            compressed,
        ]

    for running in _serve(RawUpstream(answer)):
        with httpx.Client() as client, client.stream("GET", running.origin + "/api/x") as response:
            raw = b"".join(response.iter_raw())
        assert (response.status_code, raw) == (201, compressed)
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["x-request-id"] == "r-1"
        assert "x-hop" not in response.headers
        assert "keep-alive" not in response.headers
    assert running.exchanges[0].response_body == compressed  # recorded once the answer is over


def test_a_chunked_answer_is_streamed_as_it_arrives() -> None:
    """A chunked answer reaches the caller chunk by chunk: the upstream sends its last chunk only once the
    caller has read the first, and the caller gets the whole body, chunked again."""
    first_read = threading.Event()
    streamed: list[bool] = []

    def answer(head: bytes, body: bytes) -> Iterator[bytes]:
        yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        yield b"5\r\n" + BODY[:5] + b"\r\n"
        streamed.append(first_read.wait(10))
        yield b"%x\r\n" % len(BODY[5:]) + BODY[5:] + b"\r\n0\r\n\r\n"

    for running in _serve(RawUpstream(answer)):
        with httpx.Client() as client, client.stream("GET", running.origin + "/api/x") as response:
            chunks = []
            for chunk in response.iter_raw():
                chunks.append(chunk)
                first_read.set()
        assert b"".join(chunks) == BODY
        assert response.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.headers
    assert streamed == [True]


def test_the_request_is_forwarded_as_the_caller_sent_it() -> None:
    """Method, target, end-to-end fields in order and the body arrive unchanged; Host names the upstream."""
    echo_upstream = RawUpstream(_echo)
    for running in _serve(echo_upstream):
        request = (
            b"POST /api/v2/payment-intents?x=1 HTTP/1.1\r\nHost: proxy.example\r\nX-Trace: a\r\n"
            b"Content-Type: application/json\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nAuthorization: Basic YTpi\r\n"
            b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
        )
        answer = _raw_exchange(running.origin, request)
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.endswith(BODY)
        head, body = echo_upstream.requests[0]
        assert head.split(b"\r\n")[0] == b"POST /api/v2/payment-intents?x=1 HTTP/1.1"
        host = echo_upstream.url.split("/")[2].encode()
        assert header_lines(head) == [
            (b"Host", host),
            (b"X-Trace", b"a"),
            (b"Content-Type", b"application/json"),
            (b"Authorization", b"Basic YTpi"),
            (b"Content-Length", str(len(BODY)).encode()),
        ]
        assert body == BODY


def test_an_upstream_that_closes_without_answering_closes_the_callers_connection() -> None:
    """No answer from upstream: the caller gets no bytes at all, only a closed connection; recorded as such."""
    for running in _serve(RawUpstream(lambda head, body: None)):
        request = b"POST /api/v2/payment-intents HTTP/1.1\r\nHost: p\r\nContent-Length: 2\r\n\r\n{}"
        assert _raw_exchange(running.origin, request) == b""
        assert running.recorded(1)[0].outcome == "upstream-closed"
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(running.origin + "/api/v2/payment-intents", json={})


def test_an_unreachable_upstream_is_a_json_502() -> None:
    """Nothing listens upstream: the proxy answers 502 in the spec's Error envelope and records it."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    running = Running(f"http://127.0.0.1:{port}/api")
    try:
        response = httpx.get(running.origin + "/api/v2/payment-intents/x")
        recorded = running.recorded(1)
    finally:
        running.close()
    assert response.status_code == 502
    assert response.json()["code"] == "upstream-unreachable"
    assert recorded[0].outcome == "upstream-unreachable"


def test_keep_alive_serves_several_requests_on_one_connection(echo: Running) -> None:
    """Two requests on one connection get two answers; a third with Connection: close ends it."""
    requests = b"".join(
        b"POST /api/a HTTP/1.1\r\nHost: p\r\nContent-Length: %d\r\n%s\r\n%s"
        % (len(body), b"Connection: close\r\n" if body == b"3" else b"", body)
        for body in (b"1", b"2", b"3")
    )
    answers = _raw_exchange(echo.origin, requests)
    assert answers.count(b"HTTP/1.1 200 ") == 3
    assert answers.endswith(b"3")
    assert len(echo.recorded(3)) == 3


def test_concurrent_clients_each_get_their_own_answer(echo: Running) -> None:
    """Eight clients at once, ten keep-alive requests each: every answer is its own request's echo."""

    def client(number: int) -> list[bytes]:
        with httpx.Client(base_url=echo.origin) as http:
            return [http.post("/api/v2/payment-intents", content=b"%d-%d" % (number, i)).content for i in range(10)]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client, range(8)))
    assert results == [[b"%d-%d" % (number, i) for i in range(10)] for number in range(8)]
    assert len(echo.recorded(80)) == 80


def test_large_bodies_pass_both_ways(echo: Running) -> None:
    """A 4 MiB request comes back as a 4 MiB answer, byte for byte."""
    body = bytes(range(256)) * (4 * 4096)
    response = httpx.post(echo.origin + "/api/big", content=body, timeout=30)
    assert response.content == body
    assert echo.recorded(1)[0].request_body == body


def test_a_slow_request_body_is_forwarded_whole(echo: Running) -> None:
    """A body that arrives in pieces, with pauses, reaches the upstream whole and comes back."""
    parts = urllib.parse.urlsplit(echo.origin)
    assert parts.port is not None
    with socket.create_connection(("127.0.0.1", parts.port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/slow HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 10\r\n\r\n01234"
        )
        time.sleep(0.2)
        connection.sendall(b"56789")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.endswith(b"\r\n\r\n0123456789")
    assert echo.recorded(1)[0].request_body == b"0123456789"


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad-request"),
        (
            b"GET /api/x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
            431,
            "request-header-fields-too-large",
        ),
    ],
    ids=["malformed-request-line", "200-KB-header"],
)
def test_a_request_the_proxy_cannot_read_gets_a_json_4xx_and_is_recorded(
    echo: Running, request_bytes: bytes, status: int, code: str
) -> None:
    """A malformed request line gets 400, a head over the limit 431 (as the sandbox answers): JSON, then closed."""
    received = _raw_exchange(echo.origin, request_bytes)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status)
    assert (b"connection", b"close") in [(name.lower(), value) for name, value in header_lines(head)]
    assert json.loads(body)["code"] == code
    (exchange,) = echo.recorded(1)
    assert (exchange.outcome, exchange.status) == ("refused", status)


def test_a_loopback_upstream_ignores_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY / ALL_PROXY (a CI runner's) are not used for a loopback upstream."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there: used, it would be a 502
    for running in _serve(RawUpstream(_echo)):
        with httpx.Client(trust_env=False) as http:
            answered = http.post(running.origin + "/api/x", content=BODY)
    assert (answered.status_code, answered.content) == (200, BODY)
    assert is_loopback("127.0.0.2")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("api.example.com")
