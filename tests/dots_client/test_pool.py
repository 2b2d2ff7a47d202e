"""dots_client._pool through Dots and AsyncDots: fork, threads, loops, lifecycle, proxies, cancellation, deadline."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from dots_client import AsyncDots, Dots, _pool
from dots_client.errors import APITimeoutError, ClientClosedError, ConfirmOutcomeUnknown, DotsError

from tests.dots_client.local_server import LocalServer, Reply, Seen, echo_intent
from tests.dots_client.scripted import API_KEY, BASE, CLIENT_ID, METHOD, Script, intent_json


def _dots(server: LocalServer, **options: Any) -> Dots:
    return Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=server.url, **options)


def _async_dots(server: LocalServer, **options: Any) -> AsyncDots:
    return AsyncDots(client_id=CLIENT_ID, api_key=API_KEY, base_url=server.url, **options)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Client | httpx.AsyncClient]:
    """Every httpx client built during the test, in order."""
    found: list[httpx.Client | httpx.AsyncClient] = []
    for cls in (httpx.Client, httpx.AsyncClient):
        original: Callable[..., None] = cls.__init__

        def counting(self: Any, *args: Any, _original: Callable[..., None] = original, **kwargs: Any) -> None:
            found.append(self)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    return found


# ---- fork ---------------------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_never_uses_its_parents_connection() -> None:
    """After a fork, the child's confirms go on connections of its own and get their own answers;
    the parent's kept-alive connection still serves the parent (the child did not close or shut it down)."""
    with LocalServer() as server:
        dots = _dots(server)
        dots.payment_intents.retrieve(uuid.uuid4())  # the parent's kept-alive connection
        parent_port = server.seen[-1].port
        child_ids = [uuid.uuid4() for _ in range(3)]
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe, and never return into pytest
            code = 1
            try:
                got = [str(dots.payment_intents.confirm(i, payment_method_id=METHOD).id) for i in child_ids]
                os.write(write, json.dumps(got).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        mine = [uuid.uuid4() for _ in range(3)]
        parent_got = [dots.payment_intents.retrieve(i).id for i in mine]
        _, status = os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as pipe:
            child_got = json.loads(pipe.read() or b"null")
        dots.close()
    assert status == 0
    assert child_got == [str(i) for i in child_ids]
    assert parent_got == mine
    child_ports = {seen.port for seen in server.seen if seen.path.endswith("/confirm")}
    assert parent_port not in child_ports
    assert {seen.port for seen in server.seen if seen.method == "GET"} == {parent_port}


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_an_http_client_given_with_open_connections_is_refused_in_a_forked_child() -> None:
    """A child never sends on its parent's connections through an `http_client` you gave (they crossed
    answers: a confirm returned another intent's): it raises DotsError there and sends nothing; one
    with no connection yet, and the parent's, still serve."""
    with LocalServer() as server:
        given, fresh = httpx.Client(), httpx.Client()
        used = _dots(server, http_client=given)
        used.payment_intents.retrieve(uuid.uuid4())  # a kept-alive connection in the given client
        unused = _dots(server, http_client=fresh)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe, and never return into pytest
            code = 1
            try:
                outcome = []
                try:
                    used.with_options(max_retries=0).payment_intents.confirm(uuid.uuid4(), payment_method_id=METHOD)
                    outcome.append("sent")
                except DotsError as error:
                    outcome.append(str(error))
                outcome.append(str(unused.payment_intents.retrieve(uuid.uuid4()).id is not None))
                os.write(write, json.dumps(outcome).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as pipe:
            child = json.loads(pipe.read() or b"null")
        mine = uuid.uuid4()
        assert used.payment_intents.retrieve(mine).id == mine
        confirms = [seen for seen in server.seen if seen.path.endswith("/confirm")]
        given.close()
        fresh.close()
    assert status == 0
    assert child is not None
    assert "forked" in child[0]
    assert child[1] == "True"
    assert confirms == []


# ---- threads and lifecycle ----------------------------------------------------------------------------------------


def test_first_calls_from_eight_threads_build_one_client(built: list[httpx.Client | httpx.AsyncClient]) -> None:
    """Eight threads' simultaneous first calls build one httpx client, and close() closes it."""
    with LocalServer() as server:
        dots = _dots(server)
        barrier = threading.Barrier(8)
        answers: list[uuid.UUID] = []

        def first_call() -> None:
            barrier.wait()
            answers.append(dots.payment_intents.retrieve(uuid.uuid4()).id)

        threads = [threading.Thread(target=first_call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        dots.close()
    assert len(answers) == 8
    assert len(built) == 1
    assert all(client.is_closed for client in built)


def test_close_is_idempotent_builds_nothing_and_later_calls_raise_client_closed(
    built: list[httpx.Client | httpx.AsyncClient],
) -> None:
    """close() twice builds no httpx client; a call after it is a ClientClosedError (a DotsError), sync and async."""
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
    dots.close()
    dots.close()
    with pytest.raises(ClientClosedError):
        dots.payment_intents.retrieve(uuid.uuid4())

    async def async_close_then_call() -> None:
        client = AsyncDots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
        await client.close()
        await client.close()
        await client.payment_intents.create(amount=1000, currency="usd")

    with pytest.raises(ClientClosedError):
        asyncio.run(async_close_then_call())
    assert built == []
    assert issubclass(ClientClosedError, DotsError)


def test_a_call_through_a_closed_http_client_is_client_closed_and_sends_nothing() -> None:
    """An `http_client` you gave and closed makes a call raise ClientClosedError (a DotsError), sync and
    async, where httpx's RuntimeError escaped."""
    script = Script(httpx.Response(200, json=intent_json()))
    http = httpx.Client(transport=httpx.MockTransport(script))
    http.close()
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http)
    with pytest.raises(ClientClosedError, match="http_client"):
        dots.payment_intents.confirm(uuid.uuid4(), payment_method_id=uuid.uuid4())

    async def call_through_closed() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(script.handle_async))
        await http.aclose()
        dots = AsyncDots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http)
        await dots.payment_intents.retrieve(uuid.uuid4())

    with pytest.raises(ClientClosedError, match="http_client"):
        asyncio.run(call_through_closed())
    assert script.requests == []


def test_a_with_options_copy_shares_the_pool_and_never_closes_it() -> None:
    """`with dots.with_options(...) as quick:` uses the parent's connection and leaves it open for the parent."""
    with LocalServer() as server:
        dots = _dots(server)
        with dots.with_options(max_retries=0, deadline=5.0) as quick:
            quick.payment_intents.retrieve(uuid.uuid4())
        dots.payment_intents.retrieve(uuid.uuid4())
        with pytest.raises(ClientClosedError):
            quick.payment_intents.retrieve(uuid.uuid4())
        dots.close()
    assert len({seen.port for seen in server.seen}) == 1
    assert (quick.options.deadline, dots.options.deadline, quick.options.policy.max_retries) == (5.0, None, 0)


def test_a_given_http_client_is_never_closed_and_its_auth_never_used() -> None:
    """An http_client with its own auth= still sends Dots' credentials, and stays open after close()."""
    script = Script(httpx.Response(200, json=intent_json()))
    given = httpx.Client(transport=httpx.MockTransport(script), auth=("someone", "else"))
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=given)
    dots.payment_intents.retrieve(uuid.uuid4())
    dots.close()
    assert script.requests[0].headers["authorization"] == dots.options.authorization
    assert not given.is_closed
    given.close()


# ---- event loops --------------------------------------------------------------------------------------------------


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settle(server: LocalServer, most: int) -> None:
    """Wait (at most about 5 s) until the server holds at most `most` connections open."""
    for _ in range(50):
        if server.open <= most:
            return
        time.sleep(0.1)


def test_loops_closed_without_shutdown_leave_at_most_two_more_open_files() -> None:
    """100 jobs, each on a new event loop closed without shutdown, hold at most one loop's connection."""
    with LocalServer() as server:
        dots = _async_dots(server)

        def job() -> uuid.UUID:
            loop = asyncio.new_event_loop()
            try:
                return loop.run_until_complete(dots.payment_intents.retrieve(uuid.uuid4())).id
            finally:
                loop.close()

        job()
        _settle(server, 1)
        before = _open_files()
        answers = [job() for _ in range(100)]
        _settle(server, 1)
        after = _open_files()
        asyncio.run(dots.close())
    assert len(set(answers)) == 100
    assert after - before <= 2


def test_a_loop_closed_with_a_call_in_flight_leaves_the_next_loops_calls_whole() -> None:
    """A job cancels a slow call (asyncio.wait_for) and closes its loop while the attempt is in flight;
    the next job's call on a new loop answers: releasing the closed loop's socket raised
    `RuntimeError: Event loop is closed` into it."""
    with LocalServer(lambda seen: dataclasses.replace(echo_intent(seen), delay=0.15)) as server:
        dots = _async_dots(server)

        def job(seconds: float) -> uuid.UUID | None:
            loop = asyncio.new_event_loop()
            try:
                call = dots.payment_intents.retrieve(uuid.uuid4())
                return loop.run_until_complete(asyncio.wait_for(call, seconds)).id
            except TimeoutError:
                return None
            finally:
                loop.close()

        answers = [job(seconds) for seconds in (0.01, 5.0) * 3]  # each cancelled attempt still in flight at close
        asyncio.run(dots.close())
    assert answers[::2] == [None] * 3
    assert all(isinstance(answer, uuid.UUID) for answer in answers[1::2])


def test_asyncio_run_repeatedly_and_a_loop_per_thread() -> None:
    """One AsyncDots serves several asyncio.run() calls in a row and a loop in each of 4 threads."""
    with LocalServer() as server:
        dots = _async_dots(server)
        ids = [uuid.uuid4() for _ in range(6)]
        got = [asyncio.run(dots.payment_intents.retrieve(i)).id for i in ids[:2]]
        threads = [
            threading.Thread(target=lambda i=i: got.append(asyncio.run(dots.payment_intents.retrieve(i)).id))
            for i in ids[2:]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(map(str, got)) == sorted(map(str, ids))


# ---- environment proxies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "all_proxy"])
def test_loopback_hosts_never_go_through_environment_proxies(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    """A proxy variable (here a dead port) does not apply to a 127.0.0.1 base URL, sync and async."""
    monkeypatch.setenv(variable, "http://127.0.0.1:9")
    with LocalServer() as server:
        intent_id = uuid.uuid4()
        with _dots(server, max_retries=0) as dots:
            assert dots.payment_intents.retrieve(intent_id).id == intent_id

        async def call() -> uuid.UUID:
            async with _async_dots(server, max_retries=0) as client:
                return (await client.payment_intents.retrieve(intent_id)).id

        assert asyncio.run(call()) == intent_id


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
     ("10.0.0.1", False), ("api.dots.dev", False), ("localhost.example", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    """127.0.0.0/8, ::1 and localhost are loopback; other hosts are not."""
    assert _pool.is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ALL_PROXY", "socks5://user:hunter2@proxy.example:1080"),
        ("HTTPS_PROXY", "ftp://user:hunter2@proxy.example"),
        ("Https_Proxy", "socks5://user:hunter2@proxy.example:1080"),  # urllib reads any case; so does httpx
    ],
)
def test_an_unusable_proxy_is_a_dots_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A SOCKS proxy without socksio or an unknown scheme: DotsError naming the variable, never its value."""
    monkeypatch.setitem(sys.modules, "socksio", None)  # as when httpx[socks] is not installed
    monkeypatch.setenv(variable, value)
    with pytest.raises(DotsError) as raised:
        Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE)
    assert variable in str(raised.value)
    assert "hunter2" not in str(raised.value)
    assert "proxy.example" not in str(raised.value)


@pytest.mark.parametrize(
    "environment",
    [
        {"ALL_PROXY": "socks5://user:hunter2@proxy.example:1080", "NO_PROXY": "*"},
        {"HTTPS_PROXY": "ftp://user:hunter2@proxy.example", "https_proxy": "http://proxy.example:3128"},
    ],
    ids=["NO_PROXY=*", "the lowercase name wins"],
)
def test_a_proxy_variable_httpx_does_not_use_is_not_refused(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    """Under NO_PROXY=*, or beside a lowercase name that overrides it, an unusable proxy variable is
    not httpx's to use: the client is made and builds its pool (it raised DotsError)."""
    monkeypatch.setitem(sys.modules, "socksio", None)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE) as dots:
        assert isinstance(dots._pool.sync_client(), httpx.Client)


# ---- cancellation -------------------------------------------------------------------------------------------------


async def _cancel_with_wait_for(call: Callable[[], Any], seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(call(), seconds)


async def _cancel_with_anyio(call: Callable[[], Any], seconds: float) -> None:
    with anyio.move_on_after(seconds):
        await call()


def test_cancelled_calls_give_their_connections_back() -> None:
    """150 callers cancelling calls under pool contention for 1.5 s (asyncio.wait_for and anyio cancel
    scopes, encode/httpcore#1093) leave the pool whole: a burst of 120 calls then all answer."""
    with LocalServer() as server:

        async def main() -> tuple[list[uuid.UUID], list[uuid.UUID]]:
            async with _async_dots(server, max_retries=0, timeout=httpx.Timeout(10.0, pool=10.0)) as dots:
                churn_until = time.monotonic() + 1.5

                async def churn(number: int) -> None:
                    cancel = _cancel_with_anyio if number % 2 else _cancel_with_wait_for
                    while time.monotonic() < churn_until:
                        seconds = random.uniform(0.001, 0.02)  # noqa: S311 - spreads the cancellations over every phase
                        await cancel(lambda: dots.payment_intents.retrieve(uuid.uuid4()), seconds)

                await asyncio.gather(*(churn(number) for number in range(150)))
                ids = [uuid.uuid4() for _ in range(120)]
                answers = await asyncio.gather(*(dots.payment_intents.retrieve(i) for i in ids))
                return ids, [answer.id for answer in answers]

        ids, got = asyncio.run(main())
    assert got == ids


# ---- deadline -----------------------------------------------------------------------------------------------------


def _dripping(seen: Seen) -> Reply:
    return Reply(json=echo_intent(seen).json, drip=0.02, endless=True)


def _in_thread(call: Callable[[], object]) -> BaseException | None:
    """What `call` raised (None if nothing), run in a thread; fails the test if it has not ended within 20 s."""
    raised: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:
            raised.append(error)
        else:
            raised.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    assert raised, "the call did not end"
    return raised[0]


@contextlib.contextmanager
def _dripping_server() -> Iterator[LocalServer]:
    with LocalServer(_dripping) as server:
        yield server


def test_a_confirm_whose_answer_drips_ends_by_its_deadline() -> None:
    """A confirm answered one byte at a time raises ConfirmOutcomeUnknown once its deadline passes, sync and async."""
    intent_id = uuid.uuid4()
    with _dripping_server() as server:
        dots = _dots(server, max_retries=1)
        sync_raised = _in_thread(
            lambda: dots.payment_intents.confirm(intent_id, payment_method_id=METHOD, deadline=0.5)
        )

        async def confirm() -> None:
            async with _async_dots(server, deadline=0.5) as client:
                await client.payment_intents.confirm(intent_id, payment_method_id=METHOD)

        async_raised = _in_thread(lambda: asyncio.run(confirm()))
        dots.close()
    assert isinstance(sync_raised, ConfirmOutcomeUnknown), repr(sync_raised)
    assert isinstance(async_raised, ConfirmOutcomeUnknown), repr(async_raised)
    assert sync_raised.payment_intent_id == intent_id


def test_a_create_whose_answer_drips_is_a_timeout_that_may_have_reached_the_server() -> None:
    """A create under a client deadline (with_options) ends as APITimeoutError, may_have_reached_server=True."""
    with _dripping_server() as server:
        dots = _dots(server).with_options(deadline=0.3)
        raised = _in_thread(lambda: dots.payment_intents.create(amount=1000, currency="usd"))
    assert isinstance(raised, APITimeoutError), repr(raised)
    assert raised.may_have_reached_server is True
    assert "127.0.0.1" in str(raised)


@pytest.mark.parametrize("deadline", [0, -1.0, float("nan"), float("inf")])
def test_a_deadline_must_be_positive_seconds(deadline: float) -> None:
    """deadline=0, negative, NaN or infinite is refused with DotsError when the client is made."""
    with pytest.raises(DotsError, match="deadline must be"):
        Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, deadline=deadline)
