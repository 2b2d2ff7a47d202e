"""Hostile receivers on real sockets against the running worker: dripping, silent, redirecting, huge answers.

Each receiver is a raw socket server on 127.0.0.1 (a free port) that the test starts and stops; the
sandbox runs its background worker as served, with the webhook timeout shrunk through its settings.
The dripping receiver is tried by two sandboxes sharing a database, on each engine.
Waits poll until a condition holds (LIVENESS_SECONDS at most); nothing asserts a duration.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dots_sandbox.background.outbox import SENDERS_THREAD, Route
from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.receiver import LocalReceiver
from dots_sandbox.sandbox import Sandbox, build_sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import Delivery, DeliveryState

if TYPE_CHECKING:
    from tests.conftest import InProcess

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUCCEEDS = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
LIVENESS_SECONDS = 30  # a bound for waits that end as soon as the condition holds; never a timing assert
DRIP_STEP_SECONDS = 0.1  # each byte well within the timeout: httpx's per-read timeout never fires
HUGE_BODY = 10 * 1024 * 1024
SLOTS = 3  # SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER in the silent receiver's test (not the default: the setting holds)

Answer = Callable[["Connection"], None]


class Connection:
    """One accepted connection: reads requests, writes (possibly dripped) answers, notices the peer closing."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed_by_peer = False
        self._buffer = b""

    def read_request(self) -> dict[str, str] | None:
        """The next request's headers (lower-case names; its body read too), or None at EOF."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed_by_peer = True
                return None
            self._buffer += chunk
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            self._buffer += self.sock.recv(65536)
        self._buffer = self._buffer[length:]
        return headers

    def drip(self, data: bytes) -> None:
        """Send `data` a byte every DRIP_STEP_SECONDS; stop as soon as the peer closes the connection."""
        for index in range(len(data)):
            self.sock.sendall(data[index : index + 1])
            if self.wait_for_close(DRIP_STEP_SECONDS):
                return

    def peer_closed(self) -> bool:
        """Whether the kernel holds the peer's FIN (or reset) for this connection now, whatever this thread saw."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        if not readable:
            return False
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except ConnectionResetError:
            return True

    def wait_for_close(self, seconds: float) -> bool:
        """Whether the peer closed the connection within `seconds` (it sends nothing more meanwhile)."""
        readable, _, _ = select.select([self.sock], [], [], seconds)
        if readable:
            try:
                self.closed_by_peer = self.sock.recv(1) == b""
            except ConnectionResetError:
                self.closed_by_peer = True
        return self.closed_by_peer


class RawReceiver:
    """A webhook receiver on a raw socket: each request is counted by `svix-id`, then `answer` writes the answer.

    `open` counts the attempts now in flight per svix-id (from the request read to the answer's end or
    the peer closing, as the serving threads see it); `most_at_once` the most there ever were, counted
    when each request arrives from the sockets' own state (so a thread slow to notice a close does not
    count); `requests` has each request's headers.
    """

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/hook"
        self.requests: list[dict[str, str]] = []
        self.open: collections.Counter[str] = collections.Counter()
        self.most_at_once: collections.Counter[str] = collections.Counter()
        self._live: dict[str, list[Connection]] = collections.defaultdict(list)
        self.closed_by_peer = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="raw-receiver", daemon=True)
        self._thread.start()

    def in_flight(self) -> int:
        """Attempts now in flight, whatever their svix-id."""
        with self._lock:
            return sum(self.open.values())

    def stop(self) -> None:
        """Stop accepting, close every connection and the listening socket."""
        self._stopping.set()
        self._thread.join()
        self._server.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._server.accept()
            except TimeoutError:
                continue
            with self._lock:
                self._sockets.append(sock)
            threading.Thread(target=self._serve, args=(Connection(sock),), daemon=True).start()

    def _serve(self, connection: Connection) -> None:
        with contextlib.suppress(OSError):  # the peer reset it, or stop() closed it
            while (headers := connection.read_request()) is not None:
                event_id = headers["svix-id"]
                with self._lock:
                    self.requests.append(headers)
                    self.open[event_id] += 1
                    live = [other for other in self._live[event_id] if not other.peer_closed()]
                    self._live[event_id] = [*live, connection]
                    self.most_at_once[event_id] = max(self.most_at_once[event_id], len(live) + 1)
                try:
                    self._answer(connection)
                finally:
                    with self._lock:
                        self.open[event_id] -= 1
                        self._live[event_id] = [other for other in self._live[event_id] if other is not connection]
                        self.closed_by_peer += connection.closed_by_peer
                if connection.closed_by_peer:
                    return


def never_answer(connection: Connection) -> None:
    """Accept the request and keep the connection open, silent, until the peer closes it."""
    connection.wait_for_close(LIVENESS_SECONDS)


def _senders() -> int:
    return sum(thread.name == SENDERS_THREAD for thread in threading.enumerate())


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + LIVENESS_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.02)


@contextlib.contextmanager
def _running(db: str, receivers: tuple[str, ...], **settings: Any) -> Iterator[InProcess]:
    """A sandbox on `db` with its background worker running, sending to `receivers` (`settings` changed)."""
    from tests.conftest import InProcess

    webhooks = tuple(Receiver(url, SECRET) for url in receivers)
    base = Settings(db=db, webhooks=webhooks)
    sandbox = build_sandbox(dataclasses.replace(base, **settings))
    client = InProcess(sandbox)
    sandbox.start_background()
    try:
        yield client
    finally:
        sandbox.stop_background()
        client.close()


def _file(tmp_path: Path) -> str:
    return str(tmp_path / "sandbox.db")


def _confirm(client: InProcess) -> str:
    intent = client.create(amount=10, currency="usd").json()
    assert client.confirm(intent["id"], SUCCEEDS).status_code == 200
    return str(intent["id"])


def _deliveries(sandbox: Sandbox, url: str) -> list[DeliveryState]:
    records = sandbox.store.events(sandbox.settings.client_id, None, 100)
    return [state for record in records for state in record.deliveries if state.receiver == url]


def _states(sandbox: Sandbox, url: str) -> list[str]:
    return [state.state for state in _deliveries(sandbox, url)]


def test_a_dripping_answer_is_cut_at_the_deadline_and_never_sent_twice_at_once(shared_db: str) -> None:
    """Heads or bodies dripped a byte per 0.1 s to two sandboxes sharing a database: each attempt is closed at
    its deadline and recorded as a timeout, and one svix-id is never in flight twice over attempts spanning
    several leases."""
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 60\r\n\r\n"

    def drip_all(connection: Connection) -> None:
        connection.drip(head + b"x" * 60)

    def drip_body(connection: Connection) -> None:
        connection.sock.sendall(head)
        connection.drip(b"x" * 60)

    receivers = (RawReceiver(drip_all), RawReceiver(drip_body))
    urls = tuple(receiver.url for receiver in receivers)
    # A 0.4 s deadline and a 0.8 s lease; three attempts each, 0.2 s apart.
    settings = {"webhook_timeout_seconds": 0.4, "webhook_retry_seconds": (0.2, 0.2)}
    try:
        with _running(shared_db, urls, **settings) as client, _running(shared_db, urls, **settings):
            _confirm(client)
            for receiver in receivers:
                _wait_for(functools.partial(lambda url: _states(client.sandbox, url) == ["failed"], receiver.url))
                (state,) = _deliveries(client.sandbox, receiver.url)
                assert [attempt.error for attempt in state.attempts] == ["timeout"] * 3
                _wait_for(functools.partial(lambda r: r.closed_by_peer == 3, receiver))  # the sandboxes closed each
                assert len({request["svix-id"] for request in receiver.requests}) == 1
                assert len(receiver.requests) == 3
                assert max(receiver.most_at_once.values()) == 1
    finally:
        for receiver in receivers:
            receiver.stop()


def test_a_silent_receiver_holds_only_its_own_slots(tmp_path: Path) -> None:
    """A receiver that accepts and never answers holds its SLOTS attempts; a healthy one added at run time gets
    every event meanwhile; removing the silent one closes its connections and frees its slots."""
    silent = RawReceiver(never_answer)
    healthy = LocalReceiver(SECRET, on_line=lambda line: None).start()
    events = SLOTS + 2
    try:
        # The timeout outlasts the test: no silent attempt ends but by removal.
        options = {"webhook_timeout_seconds": LIVENESS_SECONDS * 2, "webhook_attempts_per_receiver": SLOTS}
        with _running(_file(tmp_path), (silent.url,), **options) as client:
            sandbox = client.sandbox
            sandbox.add_receiver(Receiver(healthy.url, SECRET))
            intents = [_confirm(client) for _ in range(events)]
            _wait_for(lambda: len([entry for entry in list(healthy.received) if entry["verified"]]) == events)
            _wait_for(lambda: silent.in_flight() == SLOTS)
            assert {entry["body"]["payment_intent_id"] for entry in healthy.received} == set(intents)
            # Every healthy delivery went out while the silent receiver held all its slots, none ended.
            assert len(silent.requests) == SLOTS
            assert all(state.attempts == () for state in _deliveries(sandbox, silent.url))
            sandbox.remove_receiver(silent.url)
            _wait_for(lambda: silent.closed_by_peer == SLOTS)
            assert all(state.state == "pending" for state in _deliveries(sandbox, silent.url))
            # Its slots are free: added back, it gets SLOTS attempts at once (new events', or its unleased ones).
            sandbox.add_receiver(Receiver(silent.url, SECRET))
            for _ in range(SLOTS):
                _confirm(client)
            _wait_for(lambda: len(silent.requests) == 2 * SLOTS)
            sandbox.remove_receiver(silent.url)  # its attempts abandoned now, not at the worker's stop
    finally:
        silent.stop()
        healthy.stop()


class TwoCopies:
    """A DeliveryPlan that sends every delivery twice at once (one svix-id), as the test kit's "duplicate" does."""

    def route(self, delivery: Delivery, now: float) -> Route:
        """Two copies."""
        return Route(copies=2)


def test_both_copies_of_a_duplicated_attempt_close_when_its_receiver_is_removed(tmp_path: Path) -> None:
    """A plan's second copy is no orphan: removing a silent receiver closes both connections of the attempt."""
    silent = RawReceiver(never_answer)
    try:
        with _running(_file(tmp_path), (silent.url,), webhook_timeout_seconds=LIVENESS_SECONDS * 2) as client:
            sandbox = client.sandbox
            assert sandbox.worker is not None
            assert sandbox.worker.dispatcher is not None
            sandbox.worker.dispatcher.plan = TwoCopies()
            _confirm(client)
            _wait_for(lambda: silent.in_flight() == 2)
            assert len({request["svix-id"] for request in silent.requests}) == 1
            sandbox.remove_receiver(silent.url)
            _wait_for(lambda: silent.closed_by_peer == 2)
    finally:
        silent.stop()


def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    """A 307 to another receiver is a failed attempt, "HTTP 307"; nothing reaches the redirect's target."""

    def no_content(connection: Connection) -> None:
        connection.sock.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    target = RawReceiver(no_content)
    redirect = f"HTTP/1.1 307 Temporary Redirect\r\nlocation: {target.url}\r\ncontent-length: 0\r\n\r\n".encode()

    def redirect_to_target(connection: Connection) -> None:
        connection.sock.sendall(redirect)

    redirecting = RawReceiver(redirect_to_target)
    try:
        with _running(_file(tmp_path), (redirecting.url,), webhook_retry_seconds=()) as client:
            _confirm(client)
            _wait_for(lambda: _states(client.sandbox, redirecting.url) == ["failed"])
            ((attempt,),) = [state.attempts for state in _deliveries(client.sandbox, redirecting.url)]
            assert (attempt.http_status, attempt.error, attempt.delivered) == (307, "HTTP 307", False)
        assert len(redirecting.requests) == 1
        assert target.requests == []
    finally:
        redirecting.stop()
        target.stop()


def test_a_huge_answer_body_is_not_read_past_the_limit(tmp_path: Path) -> None:
    """A 200 with a 10 MB body delivers the event, and the sandbox closes the connection long before the end."""
    sent: list[int] = []
    finished = threading.Event()

    def huge(connection: Connection) -> None:
        connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)  # no room to hide the body in
        connection.sock.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BODY}\r\n\r\n".encode())
        chunk = b"x" * 65536
        sent.append(0)
        try:
            while sent[-1] < HUGE_BODY:
                connection.sock.sendall(chunk)
                sent[-1] += len(chunk)
        finally:
            finished.set()

    receiver = RawReceiver(huge)
    try:
        with _running(_file(tmp_path), (receiver.url,), webhook_timeout_seconds=LIVENESS_SECONDS) as client:
            _confirm(client)
            _wait_for(lambda: _states(client.sandbox, receiver.url) == ["delivered"])
            _wait_for(finished.is_set)
        assert len(sent) == 1
        assert sent[0] < HUGE_BODY // 2  # the sandbox read a small part, then closed: the rest was refused
    finally:
        receiver.stop()


def test_stopping_closes_the_connections_of_attempts_in_flight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped from a coroutine (as the lifespan shutdown does), the worker abandons the silent receiver's attempts:
    each connection is closed, nothing is recorded, and the dispatcher's loop thread (started on first send) is gone."""
    monkeypatch.setattr("dots_sandbox.background.worker.STOP_WAIT_SECONDS", 0.1)  # none of them will end: a short wait
    silent = RawReceiver(never_answer)
    senders = [_senders()]  # other tests' dispatchers left unclosed may keep theirs
    try:
        options = {"webhook_timeout_seconds": LIVENESS_SECONDS * 2, "webhook_attempts_per_receiver": SLOTS}
        with _running(_file(tmp_path), (silent.url,), **options) as client:
            sandbox = client.sandbox
            senders.append(_senders())  # nothing was due: no loop yet
            for _ in range(SLOTS):
                _confirm(client)
            _wait_for(lambda: silent.in_flight() == SLOTS)
            senders.append(_senders())

            async def lifespan_shutdown() -> None:
                sandbox.stop_background()

            asyncio.run(lifespan_shutdown())
            senders.append(_senders())
            _wait_for(lambda: silent.closed_by_peer == SLOTS)
            assert [state.state for state in _deliveries(sandbox, silent.url)] == ["pending"] * SLOTS
            assert all(state.attempts == () for state in _deliveries(sandbox, silent.url))
        assert [count - senders[0] for count in senders] == [0, 0, 1, 0]
    finally:
        silent.stop()
